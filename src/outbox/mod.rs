//! Templates rendered into complete outgoing mail.
