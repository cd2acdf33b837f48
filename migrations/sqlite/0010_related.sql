-- The same matter (issue 19): an inverted index from each complaint's keys
-- (hashes of its amounts, dates, identifiers, names, concepts and stems; no
-- text) to the cases that have them, how many cases have each key, the links
-- between cases (suggested with a score and a reason, confirmed or removed by
-- staff), the surges alerted once per cluster and their later members, and
-- each case's root cause and measure. Keep in step with ../postgres/0010_related.sql.

CREATE TABLE related_docs (
    case_ref    TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    weight      REAL NOT NULL
);

CREATE TABLE related_keys (
    key         INTEGER NOT NULL,
    case_ref    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (key, received_at, case_ref)
) WITHOUT ROWID;

CREATE TABLE related_key_counts (
    key   INTEGER PRIMARY KEY,
    cases INTEGER NOT NULL
);

CREATE TABLE case_links (
    case_ref  TEXT NOT NULL,
    other_ref TEXT NOT NULL,
    score     REAL NOT NULL,
    reason    TEXT NOT NULL,
    state     TEXT NOT NULL,
    at        TEXT NOT NULL,
    by_staff  TEXT,
    PRIMARY KEY (case_ref, other_ref)
);
CREATE INDEX case_links_other ON case_links (other_ref);

CREATE TABLE surges (
    name          TEXT PRIMARY KEY,
    alerted_at    TEXT NOT NULL,
    first_at      TEXT NOT NULL,
    latest_at     TEXT NOT NULL,
    words         TEXT NOT NULL,
    last_update   TEXT
);

CREATE TABLE surge_members (
    case_ref    TEXT PRIMARY KEY,
    surge       TEXT NOT NULL REFERENCES surges (name),
    received_at TEXT NOT NULL,
    in_alert    BOOLEAN NOT NULL,
    reported_at TEXT
);
CREATE INDEX surge_members_unreported ON surge_members (surge) WHERE reported_at IS NULL;

ALTER TABLE cases ADD COLUMN cause TEXT;
ALTER TABLE cases ADD COLUMN measure TEXT;
ALTER TABLE cases ADD COLUMN measure_text TEXT;
