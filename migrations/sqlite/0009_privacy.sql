-- Personal data under control (issue 18): when a case's or a mail's personal data
-- was anonymised (the register row stays), the daily anonymisation claimed once
-- per local day across instances, and the append-only audit trail of who read or
-- changed what. Keep in step with ../postgres/0009_privacy.sql.

ALTER TABLE cases ADD COLUMN anonymised_at TEXT;
ALTER TABLE inbound ADD COLUMN anonymised_at TEXT;
ALTER TABLE outbox ADD COLUMN anonymised_at TEXT;

CREATE TABLE retention_runs (
    day    TEXT PRIMARY KEY,
    ran_at TEXT NOT NULL,
    cases  INTEGER NOT NULL,
    mails  INTEGER NOT NULL
);

-- Who (an OS user for the command line, a staff address for a mail command),
-- when, what (the action, the case, a detail such as an erasure's reason).
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    case_ref TEXT,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_log_case ON audit_log (case_ref, id);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
