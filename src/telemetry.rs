//! Logging: `tracing` with an env filter (`RUST_LOG`, default `info`), a human
//! format on a terminal and one JSON object per line with `--log-format json`.
//!
//! Whatever `RUST_LOG` says, the libraries that log what crosses the wire never
//! log more than `info`: at `trace`, async-imap logs every command and response
//! (LOGIN's password, AUTHENTICATE's token, mail bodies), lettre the SMTP
//! dialogue (AUTH) and ureq-proto the bytes of every HTTP request (a token
//! request's refresh token and client secret).
//!
//! And whatever a line says, no address reaches the log: every address (and
//! every Message-ID, which has the same shape) is written as a short hash,
//! `‹h:1a2b3c4d›`, the first 8 hex digits of the SHA-256 of its lower-cased
//! text, so that an operator can still follow one sender or one mail through
//! the log (`printf %s 'ole@example.dk' | sha256sum | cut -c1-8`). Control
//! characters are escaped, so that nothing in a log line can drive a terminal.

use std::borrow::Cow;
use std::io::Write;
use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber; logs go to stderr so that command output on
/// stdout stays clean for pipes.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = without_wire_logs(filter);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        // No colours: their escape sequences would be escaped like any other.
        LogFormat::Text => builder.with_ansi(false).try_init(),
    };
}

/// The targets that log secrets and bodies at `debug` or `trace`, capped at `info`.
const WIRE_LOGGERS: [&str; 7] = [
    "async_imap=info",
    "imap_proto=info",
    "lettre=info",
    "ureq=info",
    "ureq_proto=info",
    "rustls=info",
    "hyper=info",
];

/// An address (or a Message-ID): something@domain, in any script, with a
/// quoted local part (`"Ole Hansen"@example.dk`) taken whole.
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:"[^"\n]*"|[^\s<>"@,;:()\[\]\\]+)@[^\s<>"@,;:()\[\]\\]+"#)
        .expect("the address pattern compiles")
});

/// The short hash an address is logged as.
pub fn pseudonym(address: &str) -> String {
    let digest = Sha256::digest(address.trim().to_lowercase().as_bytes());
    format!("‹h:{}›", hex::encode(&digest[..4]))
}

/// `line` with every address replaced by its [`pseudonym`] and every control
/// character but newline and tab escaped.
pub fn redact_line(line: &str) -> Cow<'_, str> {
    let clean = |c: char| !c.is_control() || c == '\n' || c == '\t';
    if !ADDRESS.is_match(line) && line.chars().all(clean) {
        return Cow::Borrowed(line);
    }
    let hashed = ADDRESS.replace_all(line, |m: &regex::Captures<'_>| pseudonym(&m[0]));
    Cow::Owned(
        hashed
            .chars()
            .map(|c| match clean(c) {
                true => c.to_string(),
                false => c.escape_unicode().to_string(),
            })
            .collect(),
    )
}

/// Stderr, with each formatted event passed through [`redact_line`].
struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = Redacting;

    fn make_writer(&'a self) -> Redacting {
        Redacting(Vec::new())
    }
}

/// One event's bytes, redacted and written to stderr when dropped.
struct Redacting(Vec<u8>);

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Redacting {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let _ = std::io::stderr().write_all(redact_line(&text).as_bytes());
    }
}

/// `filter` with [`WIRE_LOGGERS`] capped; these directives override any the
/// user gave for the same targets.
pub fn without_wire_logs(mut filter: EnvFilter) -> EnvFilter {
    for directive in WIRE_LOGGERS {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_loggers_stay_at_info_even_when_trace_is_asked_for() {
        let filter = without_wire_logs(EnvFilter::new("trace,async_imap=trace,lettre=trace"));
        let text = filter.to_string();
        for target in ["async_imap", "lettre", "ureq_proto", "imap_proto"] {
            assert!(text.contains(&format!("{target}=info")), "{text}");
            assert!(!text.contains(&format!("{target}=trace")), "{text}");
        }
    }

    #[test]
    fn addresses_are_hashed_and_control_characters_escaped() {
        let line = "550 5.1.1 <Ole.Hansen+x@Example.dk>: no such user; id CAF=1@mail.gmail.com\n";
        let out = redact_line(line);
        assert!(!out.contains("Ole.Hansen"), "{out}");
        assert!(!out.contains("gmail.com"), "{out}");
        assert!(out.contains(&pseudonym("ole.hansen+x@example.dk")), "{out}");
        assert!(out.ends_with('\n'));
        assert_eq!(pseudonym("A@b.dk"), pseudonym("a@B.DK"));
        let escape = redact_line("x \u{1b}]8;;http://evil\u{7}y");
        assert!(!escape.contains('\u{1b}'), "{escape}");
        assert!(matches!(redact_line("plain line\n"), Cow::Borrowed(_)));
        for odd in [
            "id <\"Ole Hansen\"@privat.example> seen",
            "from søren.ørsted@bøf.dk",
            "id ole.hansen@privat",
        ] {
            let out = redact_line(odd);
            for word in ["Ole", "Hansen", "søren", "bøf", "ole.hansen", "privat"] {
                assert!(!out.contains(word), "{word} in {out}");
            }
        }
    }
}
