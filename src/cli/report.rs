//! `klagebot report`.

use std::process::ExitCode;

use crate::config::Config;

pub fn run(_config: &Config, _args: &super::ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("report: not built yet")
}
