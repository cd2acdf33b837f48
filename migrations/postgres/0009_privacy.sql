-- Personal data under control (issue 18): when a case's or a mail's personal data
-- was anonymised (the register row stays), the daily anonymisation claimed once
-- per local day across instances, and the append-only audit trail of who read or
-- changed what. Keep in step with ../sqlite/0009_privacy.sql.

ALTER TABLE cases ADD COLUMN anonymised_at TIMESTAMPTZ;
ALTER TABLE inbound ADD COLUMN anonymised_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN anonymised_at TIMESTAMPTZ;

CREATE TABLE retention_runs (
    day    DATE PRIMARY KEY,
    ran_at TIMESTAMPTZ NOT NULL,
    cases  BIGINT NOT NULL,
    mails  BIGINT NOT NULL
);

-- Who (an OS user for the command line, a staff address for a mail command),
-- when, what (the action, the case, a detail such as an erasure's reason).
CREATE TABLE audit_log (
    id       BIGSERIAL PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    case_ref TEXT,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_log_case ON audit_log (case_ref, id);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
