//! Mail sources: IMAP mailboxes and a local Maildir.
