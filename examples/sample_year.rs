//! Fills a database with a year of generated complaints (tests/support/sample.rs),
//! to look at `klagebot report --format html` with realistic figures.
//!
//!     cargo run --release --example sample_year -- sqlite://target/report-sample/klagebot.db [SEED]
//!
//! The database must be new: references are numbered from its counters.
//! `scripts/report-sample` does this and writes the HTML report beside it.

#[path = "../tests/support/sample.rs"]
mod sample;

use anyhow::Context;
use chrono::Utc;
use klagebot::case::Rules;
use klagebot::config::Config;
use klagebot::store::Store;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .context("usage: sample_year DATABASE_URL [SEED]")?;
    let seed: u64 = match args.next() {
        Some(s) => s.parse().context("SEED is a whole number")?,
        None => 17,
    };
    let rules = Rules::from_config(&Config::embedded_default());
    let cases = sample::year_of_cases(Utc::now(), &rules, seed);
    let store = Store::connect(&url).await?;
    let references = sample::store_cases(&store, &cases).await?;
    store.close().await;
    println!(
        "{} complaints stored, {} to {}",
        references.len(),
        references
            .first()
            .map(|r| r.to_string())
            .unwrap_or_default(),
        references.last().map(|r| r.to_string()).unwrap_or_default()
    );
    Ok(())
}
