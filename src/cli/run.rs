//! `klagebot run`.

use std::process::ExitCode;

use crate::config::Config;

pub fn run(_config: &Config, _args: &super::RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("run: not built yet")
}
