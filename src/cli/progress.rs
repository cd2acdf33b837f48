//! Progress bars for long commands, on stderr and only on a terminal: piped or
//! redirected output (cron jobs, scripts, logs) gets no bar and no escape codes.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with a message, for work whose size is not known yet.
pub fn spinner(message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Ends `previous` and starts the next step: a bar over `len` items, or a
/// spinner when `len` is 0.
pub fn replace(previous: ProgressBar, len: usize, message: &'static str) -> ProgressBar {
    previous.finish_and_clear();
    if previous.is_hidden() {
        return ProgressBar::hidden();
    }
    if len == 0 {
        return spinner(message);
    }
    let bar = ProgressBar::new(len as u64).with_message(message);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{wide_bar}] {pos}/{len} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}
