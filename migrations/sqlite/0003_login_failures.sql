-- A login (a mailbox's or the SMTP server's) failing since when, and whether the
-- one alarm for this failure was queued. The row goes when the login works again.
CREATE TABLE login_failures (
    login         TEXT PRIMARY KEY,
    failing_since TEXT NOT NULL,
    alarmed_at    TEXT
);
