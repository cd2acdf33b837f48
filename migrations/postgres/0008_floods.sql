-- No loops, no floods: who sent each mail and a fingerprint of its text (an
-- address that echoes our mail within minutes is an auto-responder), the
-- automatic mail withheld beyond a per-address cap (counted exactly at enqueue,
-- by outbox.not_before, the moment a mail is queued) and the one summary per
-- address and hour staff get instead. Keep in step with ../sqlite/0008_floods.sql.

ALTER TABLE inbound ADD COLUMN sender TEXT;
ALTER TABLE inbound ADD COLUMN fingerprint BIGINT;
CREATE INDEX inbound_sender ON inbound (sender, received_at);

CREATE TABLE withheld (
    id            BIGSERIAL PRIMARY KEY,
    case_ref      TEXT NOT NULL REFERENCES cases (reference),
    address       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    summarized_at TIMESTAMPTZ
);
CREATE INDEX withheld_pending ON withheld (address) WHERE summarized_at IS NULL;
CREATE INDEX withheld_case ON withheld (case_ref);

CREATE TABLE flood_notices (
    address TEXT PRIMARY KEY,
    last_at TIMESTAMPTZ NOT NULL
);
