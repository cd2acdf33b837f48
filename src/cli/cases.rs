//! `klagebot cases`.

use std::process::ExitCode;

use crate::config::Config;

pub fn list(_config: &Config, _args: &super::CasesArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("cases: not built yet")
}

pub fn show(_config: &Config, _args: &super::CaseArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("case: not built yet")
}
