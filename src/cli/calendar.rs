//! `klagebot calendar`.

use std::process::ExitCode;

use crate::config::Config;

pub fn run(_config: &Config, _args: &super::CalendarArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("calendar: not built yet")
}
