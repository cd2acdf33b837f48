-- klagebot's schema on SQLite. Instants are RFC 3339 text in UTC (always written by
-- klagebot with the same encoder, so text order is time order); dates are YYYY-MM-DD.
-- Keep in step with ../postgres/0001_initial.sql: the same tables, columns and keys.

CREATE TABLE mailbox_sync (
    mailbox     TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
);

CREATE TABLE mailbox_leases (
    mailbox    TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE inbound (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox     TEXT NOT NULL,
    source_key  TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    raw         BLOB NOT NULL,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    note        TEXT,
    case_ref    TEXT,
    UNIQUE (mailbox, source_key),
    UNIQUE (sha256, message_id)
);
CREATE INDEX inbound_pending ON inbound (id) WHERE status = 'pending';

CREATE TABLE case_counters (
    prefix      TEXT NOT NULL,
    year        INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    reference                TEXT PRIMARY KEY,
    status                   TEXT NOT NULL,
    tier                     TEXT NOT NULL,
    mailbox                  TEXT NOT NULL,
    jurisdiction             TEXT NOT NULL,
    language                 TEXT NOT NULL,
    category                 TEXT,
    customer                 TEXT NOT NULL,
    customer_name            TEXT,
    subject                  TEXT NOT NULL,
    contact                  TEXT,
    received_at              TEXT NOT NULL,
    acknowledge_due          TEXT NOT NULL,
    answer_due               TEXT NOT NULL,
    final_due                TEXT NOT NULL,
    acknowledged_at          TEXT,
    holding_reply_at         TEXT,
    decided_at               TEXT,
    outcome                  TEXT,
    closed_at                TEXT,
    escalated_at             TEXT,
    referred                 BOOLEAN NOT NULL,
    related                  TEXT NOT NULL,
    customer_message_id      TEXT NOT NULL,
    last_customer_message_id TEXT NOT NULL,
    next_message_seq         INTEGER NOT NULL
);
CREATE INDEX cases_received ON cases (received_at);
CREATE INDEX cases_status_due ON cases (status, answer_due);
CREATE INDEX cases_contact ON cases (contact);

CREATE TABLE case_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_ref TEXT NOT NULL REFERENCES cases (reference),
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_ref, id);

CREATE TABLE message_ids (
    message_id TEXT PRIMARY KEY,
    case_ref   TEXT NOT NULL REFERENCES cases (reference),
    direction  TEXT NOT NULL
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_ref      TEXT REFERENCES cases (reference),
    kind          TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    recipients    TEXT NOT NULL,
    raw           BLOB NOT NULL,
    state         TEXT NOT NULL DEFAULT 'queued',
    not_before    TEXT NOT NULL,
    lease_until   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    sent_at       TEXT,
    failed_at     TEXT
);
CREATE INDEX outbox_queued ON outbox (not_before, id) WHERE state = 'queued';
CREATE INDEX outbox_case ON outbox (case_ref, id);

CREATE TABLE outbox_recipients (
    outgoing_id INTEGER NOT NULL REFERENCES outbox (id),
    address     TEXT NOT NULL,
    PRIMARY KEY (outgoing_id, address)
);
CREATE INDEX outbox_recipients_address ON outbox_recipients (address);

CREATE TABLE deadlines (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    case_ref  TEXT NOT NULL REFERENCES cases (reference),
    key       TEXT NOT NULL,
    due_at    TEXT NOT NULL,
    cancelled BOOLEAN NOT NULL DEFAULT FALSE,
    fired_at  TEXT,
    UNIQUE (case_ref, key)
);
CREATE INDEX deadlines_due ON deadlines (due_at) WHERE fired_at IS NULL AND NOT cancelled;

CREATE TABLE staff (
    email_key TEXT PRIMARY KEY,
    email     TEXT NOT NULL,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL
);
