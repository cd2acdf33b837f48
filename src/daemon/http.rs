//! The small optional HTTP listener for operators: `/healthz` (the database
//! answers and every task runs) and `/metrics` (Prometheus text format). Off unless `[http] listen` is set.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::{info, warn};

use super::Daemon;
use crate::runtime::Shutdown;

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
        "/healthz" => {
            let mut problems = daemon.health.problems();
            problems.extend(failing_logins(&daemon.alarms.failing()));
            if let Err(err) = daemon.store.queued_outgoing_count().await {
                problems.push(format!("database: {err:#}"));
            }
            match problems.is_empty() {
                true => ("200 OK", "ok\n".into()),
                false => ("503 Service Unavailable", problems.join("\n") + "\n"),
            }
        }
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

/// One line per failing login: which, since when, why.
fn failing_logins(failing: &[crate::alarm::Failing]) -> Vec<String> {
    failing
        .iter()
        .map(|f| {
            let kind = match (&f.problem.provider, f.problem.advice) {
                (Some(error), _) => error.code.clone(),
                (None, Some(advice)) => advice.code().to_string(),
                (None, None) => "unavailable".into(),
            };
            format!(
                "failing: {} since {} ({kind}): {}",
                f.login.key(),
                f.since.format("%Y-%m-%dT%H:%M:%SZ"),
                f.problem.error
            )
        })
        .collect()
}
