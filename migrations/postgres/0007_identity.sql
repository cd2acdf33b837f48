-- A mail is handled once, whatever path it came by. Keep in step with
-- ../sqlite/0007_identity.sql.
ALTER TABLE inbound ADD COLUMN identity TEXT;
CREATE UNIQUE INDEX inbound_identity ON inbound (mailbox, identity);
