-- A mail is handled once, whatever path it came by (re-delivered with another
-- Received line, restored, expanded by a list): its identity is its Message-ID
-- with its sender, or, without a Message-ID, the hash of its content without the
-- trace headers added on the way. Keep in step with ../postgres/0007_identity.sql.
ALTER TABLE inbound ADD COLUMN identity TEXT;
CREATE UNIQUE INDEX inbound_identity ON inbound (mailbox, identity);
