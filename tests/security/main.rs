//! Hostile mail steers nothing (issue 13): each attack tried against a running
//! klagebot on the loopback Dovecot and Postfix, as an attacker would send it
//! (forged staff work, guessable threads, forged bounces, re-deliveries, loops,
//! floods, bombs), and what must never reach a log or an operator's terminal.

#[path = "../support/mod.rs"]
mod support;

#[path = "../daemon/harness.rs"]
mod harness;

#[path = "../daemon/mails.rs"]
mod mails;

mod bombs;
mod floods;
mod forged;
mod headers;
mod logs;
mod redelivery;
mod secrets;
mod threads;
