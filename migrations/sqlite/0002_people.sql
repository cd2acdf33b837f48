-- Mail left for people and what klagebot tells them about it (issue: nothing falls
-- through). Keep in step with ../postgres/0002_people.sql.

-- Why a person's mail that opened or joined no case was left alone (a LeftReason code).
ALTER TABLE inbound ADD COLUMN left_reason TEXT;
CREATE INDEX inbound_left ON inbound (received_at) WHERE status = 'left';

-- One digest per local day, sent by exactly one instance; `through` is the end
-- of the period it listed (the next digest starts there).
CREATE TABLE digests (
    day     TEXT PRIMARY KEY,
    through TEXT NOT NULL,
    sent_at TEXT NOT NULL
);

-- Cases opened when their acknowledgement was already due (a backlog): one alarm
-- to the complaints manager lists them, once.
CREATE TABLE late_acknowledgements (
    case_ref   TEXT PRIMARY KEY REFERENCES cases (reference),
    opened_at  TEXT NOT NULL,
    alarmed_at TEXT
);
