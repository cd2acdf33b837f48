//! `[database]` and `[http]`: where the state lives and the optional listener for
//! `/healthz` and `/metrics`.

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// `sqlite://path.db` or `postgres://user@host/db`.
    pub url: String,
    /// An environment variable holding the URL (it may carry a password).
    pub url_env: Option<String>,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: "sqlite://klagebot.db".into(),
            url_env: None,
        }
    }
}

impl Database {
    /// The database URL, from `url_env` when set.
    pub fn url(&self) -> anyhow::Result<String> {
        match &self.url_env {
            Some(var) => std::env::var(var).with_context(|| {
                format!("database.url_env: environment variable {var} is not set")
            }),
            None => Ok(self.url.clone()),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Http {
    /// `127.0.0.1:9464`: serve `/healthz` and `/metrics`; off when absent.
    pub listen: Option<String>,
}
