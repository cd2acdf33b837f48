//! `klagebot run`: the daemon, stopped cleanly by SIGTERM or Ctrl-C.

use std::process::ExitCode;

use anyhow::Context;
use tracing::info;

use crate::config::Config;
use crate::daemon::{Daemon, RunOptions};
use crate::runtime::{self, Clock};

/// At most this many blocking threads (the default is 512).
const BLOCKING_THREADS: usize = 12;

pub fn run(config: &Config, args: &super::RunArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // The blocking threads classify a batch ahead of its transaction and
        // write the folder transport's files: a few are enough, and each thread
        // costs memory (its stack, its own allocator arena).
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
        .context("while starting the async runtime")?;
    runtime.block_on(async {
        let daemon = Daemon::new(config.clone(), Clock::system()).await?;
        let (trigger, shutdown) = runtime::channel();
        tokio::spawn(async move {
            wait_for_signal().await;
            info!("shutdown requested: finishing the message in hand");
            crate::service_manager::stopping();
            trigger.fire();
        });
        daemon.run(RunOptions { once: args.once }, shutdown).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (systemd, Docker) or Ctrl-C.
async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
