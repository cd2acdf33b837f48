-- Failover in seconds: every running instance beats in `instances` once a second.
-- A mailbox lease or an outbox claim whose holder stopped beating (or whose process
-- on this host is gone) is free at once. Keep in step with ../sqlite/0011_failover.sql.

CREATE TABLE instances (
    holder       TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    boot_id      TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    started      BIGINT NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX instances_host ON instances (host);

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE lease_until IS NOT NULL;
