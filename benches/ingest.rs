//! The ingest path as `klagebot run` takes it: a backlog of N complaints waiting
//! in the Maildir of the embedded default, read, parsed, classified, opened as
//! cases with their acknowledgement queued (group commit), and moved to the
//! processed folder; on SQLite (the embedded default: Maildir + SQLite + folder
//! outgoing) and on PostgreSQL. Each sample is one whole backlog into a fresh
//! database; criterion reports the time per backlog and the mails per second.
//!
//! `cargo bench --bench ingest`: backlogs of 1,000 and 10,000 mails;
//! `KLAGEBOT_BENCH_BACKLOGS=1000,10000,100000` for others (100,000 takes about
//! 20 minutes per backend: ten samples of the whole backlog). PostgreSQL from
//! `KLAGEBOT_TEST_POSTGRES_URL`; `KLAGEBOT_BENCH_BACKENDS=sqlite` leaves it out.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use klagebot::config::{Config, EMBEDDED_DEFAULT};
use klagebot::daemon::Daemon;
use klagebot::runtime::Clock;
use tokio::runtime::Runtime;

#[path = "../tests/support/postgres.rs"]
mod scratch;
use scratch::ScratchPostgres;

/// Complaints in the five languages, as customers write them.
const TEXTS: [(&str, &str); 5] = [
    (
        "Klage over gebyr",
        "Jeg er meget utilfreds. I har trukket et gebyr på 250 kr. to gange for den samme overførsel, og ingen svarer på mine mails. Jeg vil have pengene tilbage.",
    ),
    (
        "Klage på kortet",
        "Kortet mitt ble sperret uten varsel, og kundeservice har ikke svart på henvendelsene mine. Dette er ikke greit, og jeg ønsker kompensasjon.",
    ),
    (
        "Klage på lånet",
        "Eg er ikkje nøgd med korleis de har handsama lånesøknaden min. Eg har venta i seks veker utan å høyre noko frå dykk.",
    ),
    (
        "Klagomål på avgift",
        "Jag är mycket missnöjd. Ni har dragit en avgift för en överföring som aldrig kom fram, och ingen på kundtjänst har hört av sig.",
    ),
    (
        "Charged twice",
        "I was charged twice for the same card payment and nobody has answered my two emails about it. Please refund the second charge.",
    ),
];

/// Complaint `n` of run `run`: about 2 KB, its own customer and Message-ID.
fn complaint(run: u64, n: usize) -> String {
    let (subject, text) = TEXTS[n % TEXTS.len()];
    let filler: String = (0..8).map(|i| format!("Linje {i}: {text}\r\n")).collect();
    format!(
        "From: Kunde {n} <kunde{n}.{run}@kunde.example>\r\nTo: klage@klagebot.localhost\r\n\
         Subject: {subject} #{n}\r\nMessage-ID: <b{run}.{n}@kunde.example>\r\n\
         Date: Mon, 7 Dec 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Hej\r\n\r\n{text}\r\n\r\n{filler}\r\nVenlig hilsen\r\nKunde {n}\r\n"
    )
}

/// The embedded default with its files in `dir`, on `database` (None: SQLite there).
fn config(dir: &Path, database: Option<&str>) -> Config {
    let url = database.map_or_else(
        || format!("sqlite://{}", dir.join("k.db").display()),
        str::to_string,
    );
    let text = EMBEDDED_DEFAULT
        .replace("sqlite://klagebot.db", &url)
        .replace(
            "path = \"maildir\"",
            &format!("path = {:?}", dir.join("maildir").display().to_string()),
        )
        .replace(
            "path = \"outgoing\"",
            &format!("path = {:?}", dir.join("out").display().to_string()),
        )
        .replace(
            "token_secret_env = \"KLAGEBOT_TOKEN_SECRET\"",
            &format!(
                "token_secret_file = {:?}",
                dir.join("secret").display().to_string()
            ),
        );
    std::fs::write(dir.join("secret"), "a secret for the benchmark").expect("secret");
    Config::from_toml(&text).expect("config")
}

/// Writes a backlog of `count` complaints into the Maildir's `new/`, delivered
/// a minute apart an hour ago and before.
fn write_backlog(dir: &Path, run: u64, count: usize) {
    let new = dir.join("maildir/new");
    std::fs::create_dir_all(&new).expect("maildir");
    let start = chrono::Utc::now().timestamp() - 3600 - count as i64;
    for n in 0..count {
        let name = format!("{}.R{run}N{n}.bench", start + n as i64);
        std::fs::write(new.join(name), complaint(run, n)).expect("mail");
    }
}

/// One sample: a fresh database and Maildir holding `count` complaints (not
/// timed), then the daemon reads them all (timed).
fn one_backlog(rt: &Runtime, backend: &str, run: u64, count: usize) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    write_backlog(dir.path(), run, count);
    let scratch = (backend == "postgres")
        .then(|| rt.block_on(ScratchPostgres::create()).expect("PostgreSQL"));
    let config = config(dir.path(), scratch.as_ref().map(|s| s.url.as_str()));
    let daemon = rt
        .block_on(Daemon::new(config, Clock::system()))
        .expect("daemon");
    let started = Instant::now();
    rt.block_on(daemon.ingest_waiting()).expect("ingest");
    let took = started.elapsed();
    let left = std::fs::read_dir(dir.path().join("maildir/new"))
        .expect("new/")
        .count();
    assert_eq!(left, 0, "every mail read");
    if let Some(scratch) = scratch {
        rt.block_on(scratch.drop_schema(daemon.store.clone()))
            .expect("drop schema");
    } else {
        rt.block_on(daemon.store.close());
    }
    took
}

fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn ingest_benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // `cargo test --all-targets` runs each benchmark once, unoptimised, to see
    // that it works (criterion is then started without `--bench`): a small backlog.
    let measuring = std::env::args().any(|a| a == "--bench");
    let default = if measuring { "1000,10000" } else { "100" };
    let backlogs: Vec<usize> = list("KLAGEBOT_BENCH_BACKLOGS", default)
        .iter()
        .map(|n| n.parse().expect("KLAGEBOT_BENCH_BACKLOGS: numbers"))
        .collect();
    let mut run = 0u64;
    for backend in list("KLAGEBOT_BENCH_BACKENDS", "sqlite,postgres") {
        let mut group = c.benchmark_group(format!("ingest backlog, maildir + {backend}"));
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(1));
        group.measurement_time(Duration::from_secs(1));
        for &count in &backlogs {
            group.throughput(Throughput::Elements(count as u64));
            group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, &count| {
                b.iter_custom(|iterations| {
                    (0..iterations)
                        .map(|_| {
                            run += 1;
                            one_backlog(&rt, &backend, run, count)
                        })
                        .sum()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, ingest_benches);
criterion_main!(benches);
