//! Counters for operators, and the small optional HTTP listener that serves them:
//! `/healthz` (the database answers and no mailbox or SMTP login is failing) and
//! `/metrics` (Prometheus text format).
//! Off unless `[http] listen` is set.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::{info, warn};

use super::{Daemon, Shutdown};

/// Counts by a label, e.g. messages by what became of them.
#[derive(Debug, Default)]
pub struct Metrics {
    messages: Mutex<BTreeMap<String, u64>>,
    mail_sent: Mutex<BTreeMap<String, u64>>,
    mail_failed: Mutex<BTreeMap<String, u64>>,
    deadlines_fired: Mutex<BTreeMap<String, u64>>,
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, label: &str) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    *map.entry(label.to_string()).or_default() += 1;
}

impl Metrics {
    /// An inbound message handled: `outcome` is opened, follow_up, ignored, quarantined…
    pub fn message(&self, outcome: &str) {
        bump(&self.messages, outcome);
    }

    pub fn mail_sent(&self, kind: &str) {
        bump(&self.mail_sent, kind);
    }

    pub fn mail_failed(&self, kind: &str) {
        bump(&self.mail_failed, kind);
    }

    pub fn deadline_fired(&self, key: &str) {
        // The kind of deadline without its date: reminder-5, breach, …
        let kind: String = key
            .split('-')
            .take_while(|part| !part.chars().all(|c| c.is_ascii_digit()) || part.len() < 4)
            .collect::<Vec<_>>()
            .join("-");
        bump(&self.deadlines_fired, &kind);
    }

    /// The Prometheus text exposition of every counter, plus the queue length.
    pub fn render(&self, queued: u64) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "klagebot_messages_total",
            "Inbound messages by what became of them.",
            "outcome",
            &self.messages,
        );
        family(
            &mut out,
            "klagebot_mail_sent_total",
            "Mail delivered by kind.",
            "kind",
            &self.mail_sent,
        );
        family(
            &mut out,
            "klagebot_mail_failed_total",
            "Mail given up on by kind.",
            "kind",
            &self.mail_failed,
        );
        family(
            &mut out,
            "klagebot_deadlines_fired_total",
            "Deadlines fired by kind.",
            "kind",
            &self.deadlines_fired,
        );
        let _ = writeln!(
            out,
            "# HELP klagebot_outbox_queued Mail waiting in the outbox."
        );
        let _ = writeln!(out, "# TYPE klagebot_outbox_queued gauge");
        let _ = writeln!(out, "klagebot_outbox_queued {queued}");
        out
    }
}

fn family(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    values: &Mutex<BTreeMap<String, u64>>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let values = values.lock().unwrap_or_else(|e| e.into_inner());
    for (value, count) in values.iter() {
        let value = value.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
    }
}

/// Serves `/healthz` and `/metrics` on `listen` until shutdown.
pub async fn serve(
    daemon: std::sync::Arc<Daemon>,
    listen: String,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| anyhow::anyhow!("http.listen {listen}: {e}"))?;
    info!(listen = %listen, "serving /healthz and /metrics");
    loop {
        let (mut stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = shutdown.requested() => return Ok(()),
        };
        let daemon = daemon.clone();
        tokio::spawn(async move {
            let mut buffer = [0u8; 1024];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..read]);
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = respond(&daemon, path).await;
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            if let Err(err) = stream.write_all(reply.as_bytes()).await {
                warn!(error = %err, "could not answer an HTTP request");
            }
        });
    }
}

async fn respond(daemon: &Daemon, path: &str) -> (&'static str, String) {
    match path {
        "/healthz" => match daemon.store.queued_outgoing_count().await {
            Ok(_) => health(&daemon.alarms.failing()),
            Err(err) => ("503 Service Unavailable", format!("database: {err:#}\n")),
        },
        "/metrics" => {
            let queued = daemon.store.queued_outgoing_count().await.unwrap_or(0);
            ("200 OK", daemon.metrics.render(queued))
        }
        _ => (
            "404 Not Found",
            "not found: try /healthz or /metrics\n".into(),
        ),
    }
}

/// `ok`, or one line per failing login: which, since when, why.
fn health(failing: &[crate::oauth::alarm::Failing]) -> (&'static str, String) {
    if failing.is_empty() {
        return ("200 OK", "ok\n".into());
    }
    let mut body = String::new();
    for f in failing {
        let kind = match (&f.problem.provider, f.problem.advice) {
            (Some(error), _) => error.code.clone(),
            (None, Some(advice)) => advice.code().to_string(),
            (None, None) => "unavailable".into(),
        };
        let _ = writeln!(
            body,
            "failing: {} since {} ({kind}): {}",
            f.login.key(),
            f.since.format("%Y-%m-%dT%H:%M:%SZ"),
            f.problem.error
        );
    }
    ("503 Service Unavailable", body)
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn counters_render_in_prometheus_text_format() {
        let m = Metrics::default();
        m.message("opened");
        m.message("opened");
        m.message("ignored");
        m.deadline_fired("reminder-5-2027-01-08");
        m.deadline_fired("ankenaevn");
        let text = m.render(3);
        assert!(
            text.contains("klagebot_messages_total{outcome=\"opened\"} 2"),
            "{text}"
        );
        assert!(text.contains("klagebot_messages_total{outcome=\"ignored\"} 1"));
        assert!(
            text.contains("klagebot_deadlines_fired_total{kind=\"reminder-5\"} 1"),
            "{text}"
        );
        assert!(text.contains("klagebot_deadlines_fired_total{kind=\"ankenaevn\"} 1"));
        assert!(text.contains("klagebot_outbox_queued 3"));
    }
}
