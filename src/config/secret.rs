//! Where a secret comes from: an environment variable (`*_env`) or a file
//! (`*_file`), never the config file itself.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::Deserialize;

/// A secret named by the config: read when needed, never printed.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub file: Option<PathBuf>,
}

impl SecretRef {
    pub fn new(env: &Option<String>, file: &Option<PathBuf>) -> SecretRef {
        SecretRef {
            env: env.clone(),
            file: file.clone(),
        }
    }

    pub fn is_set(&self) -> bool {
        self.env.is_some() || self.file.is_some()
    }

    /// Reads the secret; the error names the variable or file, never the value.
    pub fn read(&self, what: &str) -> anyhow::Result<String> {
        if let Some(var) = &self.env {
            return std::env::var(var)
                .with_context(|| format!("{what}: environment variable {var} is not set"));
        }
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{what}: cannot read secret file {}", path.display()))?;
            return Ok(text.trim_end_matches(['\n', '\r']).to_string());
        }
        bail!("{what}: no secret configured (set *_env or *_file)")
    }
}
