-- Mail left for people and what klagebot tells them about it (issue: nothing falls
-- through). Keep in step with ../sqlite/0002_people.sql.

ALTER TABLE inbound ADD COLUMN left_reason TEXT;
CREATE INDEX inbound_left ON inbound (received_at) WHERE status = 'left';

CREATE TABLE digests (
    day     DATE PRIMARY KEY,
    through TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE late_acknowledgements (
    case_ref   TEXT PRIMARY KEY REFERENCES cases (reference),
    opened_at  TIMESTAMPTZ NOT NULL,
    alarmed_at TIMESTAMPTZ
);
