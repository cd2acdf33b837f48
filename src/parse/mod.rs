//! Raw bytes → InboundMail (pure).
