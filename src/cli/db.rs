//! What the reading commands (`cases`, `case`, `report`) share: opening the
//! existing database on a small runtime, and today's date where the company is.

use std::future::Future;

use anyhow::Context;
use chrono::{NaiveDate, Utc};

use crate::config::Config;
use crate::store::Store;

/// Runs `work` against the configured database, which must exist already.
pub fn with_store<T, F, Fut>(config: &Config, work: F) -> anyhow::Result<T>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let url = config.database_url()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::connect_existing(&url).await?;
        let result = work(store.clone()).await;
        store.close().await;
        result
    })
}

/// Today's date in the company's jurisdiction.
pub fn today(config: &Config) -> NaiveDate {
    Utc::now()
        .with_timezone(&config.company.jurisdiction.time_zone())
        .date_naive()
}
