//! `klagebot classify`.

use std::process::ExitCode;

use crate::config::Config;

pub fn run(_config: &Config, _args: &super::ClassifyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("classify: not built yet")
}
