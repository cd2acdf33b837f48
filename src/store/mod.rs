//! All SQL: cases, timeline, inbound messages, outbox, mailbox sync state.
