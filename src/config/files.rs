//! `[classify]` and `[templates]`: the company's own rules, model, texts and
//! referral bodies in place of the shipped ones.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ClassifyConfig {
    /// A rules file replacing the embedded `classify/rules.toml`.
    pub rules_file: Option<PathBuf>,
    /// A complaint model (`feature<TAB>weight` lines) replacing the embedded one,
    /// as `klagebot train` writes it; also where `klagebot train` writes by default.
    pub model_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TemplatesConfig {
    /// A folder `{lang}/{kind}` overriding the shipped templates.
    pub dir: Option<PathBuf>,
    /// A referral-bodies file replacing the shipped one.
    pub referrals_file: Option<PathBuf>,
}
