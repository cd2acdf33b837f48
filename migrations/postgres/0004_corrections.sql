-- Staff corrections as labels for retraining the complaint model (issue 20):
-- what staff said about the mail that opened a case (#notcomplaint, #open on a
-- forwarded mail, #category), with that mail's model features, never its text.
-- Keep in step with ../sqlite/0004_corrections.sql.

CREATE TABLE corrections (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_ref    TEXT NOT NULL REFERENCES cases (reference),
    at          TIMESTAMPTZ NOT NULL,
    label       TEXT NOT NULL,
    category    TEXT,
    features    TEXT NOT NULL,
    feature_set TEXT NOT NULL
);
CREATE INDEX corrections_case ON corrections (case_ref, id);

-- The mail a correction is about is found by its Message-ID.
CREATE INDEX inbound_message_id ON inbound (message_id);
