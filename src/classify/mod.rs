//! InboundMail → Classification (pure).
