//! The two backends a store benchmark runs on, one after the other: SQLite in a
//! temporary file, then a scratch schema on the test PostgreSQL.

use criterion::Criterion;
use klagebot::store::Store;
use tokio::runtime::Runtime;

#[path = "../../tests/support/postgres.rs"]
mod scratch;

use scratch::ScratchPostgres;

/// Runs `bench` on SQLite, then on PostgreSQL, with a runtime of two workers.
pub fn on_both_backends(c: &mut Criterion, bench: impl Fn(&mut Criterion, &Runtime, &str, &Store)) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let sqlite = rt.block_on(Store::connect(&url)).expect("SQLite");
    bench(c, &rt, "sqlite", &sqlite);
    rt.block_on(sqlite.close());

    let scratch = rt.block_on(ScratchPostgres::create()).expect("PostgreSQL");
    let postgres = rt
        .block_on(Store::connect(&scratch.url))
        .expect("PostgreSQL");
    bench(c, &rt, "postgres", &postgres);
    rt.block_on(scratch.drop_schema(postgres))
        .expect("drop schema");
}
