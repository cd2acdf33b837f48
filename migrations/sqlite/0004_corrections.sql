-- Staff corrections as labels for retraining the complaint model (issue 20):
-- what staff said about the mail that opened a case (#notcomplaint, #open on a
-- forwarded mail, #category), with that mail's model features, never its text.
-- Keep in step with ../postgres/0004_corrections.sql.

CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_ref    TEXT NOT NULL REFERENCES cases (reference),
    at          TEXT NOT NULL,
    label       TEXT NOT NULL,
    category    TEXT,
    -- The features, one per line, as `classify::model` builds them.
    features    TEXT NOT NULL,
    -- Which feature builder made them (`classify::model::FEATURE_SET`).
    feature_set TEXT NOT NULL
);
CREATE INDEX corrections_case ON corrections (case_ref, id);

-- The mail a correction is about is found by its Message-ID.
CREATE INDEX inbound_message_id ON inbound (message_id);
