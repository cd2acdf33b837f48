//! What finding related cases adds to opening a case: the new case's key
//! counts read, the postings of its rarer keys within the 180-day window read,
//! the candidates weighed, the case indexed and its links written, in one
//! transaction (`record::link_new_case`, what `Recorder::write` runs for a new
//! case), with 1,000, 10,000 and 100,000 cases indexed, on SQLite and on
//! PostgreSQL. And the keys of one complaint (pure).
//!
//! The indexed complaints are synthetic but shaped like real ones: 30 to 80
//! words drawn from a Zipf-like vocabulary of 20,000 words (a few common, most
//! rare), an amount, a date and sometimes an identifier, in five languages,
//! received over 180 days.
//!
//! `cargo bench --bench related`; PostgreSQL from `KLAGEBOT_TEST_POSTGRES_URL`.
//! `KLAGEBOT_BENCH_RELATED_MAX` (default 100000) caps the largest size.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use klagebot::domain::{CaseRef, Language};
use klagebot::record::link_new_case;
use klagebot::related::{self, Key};
use klagebot::store::Store;
use tokio::runtime::Runtime;

#[path = "support/backends.rs"]
mod backends;

const VOCABULARY: u64 = 20_000;
const SIZES: [u64; 3] = [1_000, 10_000, 100_000];
const WINDOW_DAYS: i64 = 180;

/// A small deterministic generator (xorshift), so every run indexes the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Zipf-like: word i with a probability falling like 1/i.
    fn word(&mut self) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((VOCABULARY as f64).powf(u) as u64).min(VOCABULARY - 1)
    }
}

/// A pseudo-word for a number: letters only, so the stemmer reads it as a word.
fn pseudo_word(mut i: u64) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "bi", "da", "fe", "gu", "ho", "ji", "pe",
        "ty",
    ];
    let mut word = String::new();
    for _ in 0..4 {
        word.push_str(SYLLABLES[(i % 16) as usize]);
        i /= 16;
    }
    word
}

fn complaint(rng: &mut Rng) -> (String, Language) {
    let languages = Language::ALL;
    let language = languages[rng.below(5) as usize];
    let words = 30 + rng.below(50);
    let mut text: Vec<String> = (0..words).map(|_| pseudo_word(rng.word())).collect();
    text.push(format!("{} kr", 10 + rng.below(5000)));
    text.push(format!("{}. december", 1 + rng.below(28)));
    if rng.below(4) == 0 {
        text.push(format!("AB{}", 10_000 + rng.below(900_000)));
    }
    (text.join(" "), language)
}

fn keys_of(rng: &mut Rng) -> Vec<Key> {
    let (text, language) = complaint(rng);
    related::keys("Klage", &text, language, None)
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

/// Indexes cases `from..to`, spread over the 180 days before the bench's "now".
async fn grow(store: &Store, rng: &mut Rng, from: u64, to: u64) -> anyhow::Result<()> {
    let step = Duration::from_secs((WINDOW_DAYS as u64 * 86_400) / SIZES[2]);
    for chunk in (from..to).collect::<Vec<_>>().chunks(1000) {
        let mut tx = store.begin().await?;
        for n in chunk {
            let keys = keys_of(rng);
            let hashes: Vec<i64> = keys.iter().map(Key::hash).collect();
            let at = start() + chrono::Duration::from_std(step * u32::try_from(*n)?)?;
            let reference = CaseRef::new("KL", 2026, u32::try_from(*n + 1)?)?;
            let weight = 10.0 + keys.len() as f64;
            tx.index_case(&reference, at, weight, &hashes, &hashes)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

fn bench_backend(c: &mut Criterion, rt: &Runtime, name: &str, store: &Store) {
    // `cargo test --all-targets` runs each benchmark once, unoptimised, to see
    // that it works (criterion is then started without `--bench`): the smallest size.
    let measuring = std::env::args().any(|a| a == "--bench");
    let max: u64 = std::env::var("KLAGEBOT_BENCH_RELATED_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if measuring { SIZES[2] } else { SIZES[0] });
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut indexed = 0;
    let now = start() + chrono::Duration::days(WINDOW_DAYS);
    let mut next_ref = 900_000u32;
    for size in SIZES.into_iter().filter(|s| *s <= max) {
        let began = std::time::Instant::now();
        rt.block_on(grow(store, &mut rng, indexed, size))
            .expect("index grown");
        eprintln!(
            "{name}: indexed {size} cases ({:.1} s to add {})",
            began.elapsed().as_secs_f64(),
            size - indexed
        );
        indexed = size;
        c.bench_function(
            &format!("{name}: find related and index one new case, {size} cases"),
            |b| {
                b.iter(|| {
                    next_ref += 1;
                    let keys = keys_of(&mut rng);
                    let reference = CaseRef::new("KL", 2026, next_ref).expect("reference");
                    rt.block_on(async {
                        let mut tx = store.begin().await?;
                        let since = now - chrono::Duration::days(WINDOW_DAYS);
                        let found =
                            link_new_case(&mut tx, &reference, now, &keys, since, now).await?;
                        tx.commit().await?;
                        anyhow::Ok(found.len())
                    })
                    .expect("related found")
                })
            },
        );
    }
}

fn related_benches(c: &mut Criterion) {
    let mut rng = Rng(42);
    c.bench_function("keys of one complaint (pure)", |b| {
        b.iter(|| keys_of(&mut rng))
    });
    backends::on_both_backends(c, bench_backend);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4));
    targets = related_benches
}
criterion_main!(benches);
