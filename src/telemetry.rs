//! Logging: `tracing` with an env filter (`RUST_LOG`, default `info`), a human
//! format on a terminal and one JSON object per line with `--log-format json`.
//!
//! Whatever `RUST_LOG` says, the libraries that log what crosses the wire never
//! log more than `debug`: at `trace`, async-imap logs every command and response
//! (LOGIN's password, AUTHENTICATE's token, mail bodies) and ureq-proto the bytes
//! of every HTTP request (a token request's refresh token and client secret).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

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
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// The targets that log secrets and bodies at `trace`, capped at `debug`.
const WIRE_LOGGERS: [&str; 2] = ["async_imap::imap_stream=debug", "ureq_proto=debug"];

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
    fn wire_loggers_stay_at_debug_even_when_trace_is_asked_for() {
        let filter = without_wire_logs(EnvFilter::new("trace,async_imap::imap_stream=trace"));
        let text = filter.to_string();
        assert!(text.contains("async_imap::imap_stream=debug"), "{text}");
        assert!(!text.contains("async_imap::imap_stream=trace"), "{text}");
        assert!(text.contains("ureq_proto=debug"), "{text}");
    }
}
