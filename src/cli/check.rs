//! `klagebot check`.

use std::process::ExitCode;

use crate::config::Config;

pub fn run(_config: &Config, _args: &super::CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("check: not built yet")
}
