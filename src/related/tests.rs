use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::Language;

/// A tiny in-memory index doing what the store does: frequencies, postings.
#[derive(Default)]
struct Index {
    freq: Frequencies,
    postings: HashMap<i64, Vec<(CaseRef, DateTime<Utc>)>>,
    weights: HashMap<CaseRef, f64>,
}

impl Index {
    fn add(&mut self, n: u32, language: Language, text: &str) -> Vec<Match> {
        let reference: CaseRef = format!("KL-2026-{n:06}").parse().unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::minutes(i64::from(n));
        let keys = keys("", text, language, None);
        let own = document_weight(&keys, &self.freq);
        let wanted = lookup(&keys, &self.freq);
        let mut found: HashMap<CaseRef, Vec<i64>> = HashMap::new();
        for h in &wanted {
            for (r, _) in self.postings.get(h).into_iter().flatten() {
                found.entry(r.clone()).or_default().push(*h);
            }
        }
        let candidates: Vec<Candidate> = gather(found.into_iter().collect(), &keys, &self.freq)
            .into_iter()
            .map(|(r, shared)| Candidate {
                weight: self.weights[&r],
                received_at: at,
                reference: r,
                shared,
            })
            .collect();
        let found = best(&keys, own, &self.freq, &candidates);
        self.freq.total += 1;
        for k in &keys {
            *self.freq.of.entry(k.hash()).or_default() += 1;
            self.postings
                .entry(k.hash())
                .or_default()
                .push((reference.clone(), at));
        }
        self.weights.insert(reference, own);
        found
    }
}

#[test]
fn the_same_failed_payout_in_three_languages_is_found_and_a_card_complaint_is_not() {
    let mut index = Index::default();
    index.add(
        1,
        Language::Da,
        "Udbetalingen fra projekt Solbakken på 2.500 kr. er ikke kommet den 1. december.",
    );
    index.add(
        2,
        Language::En,
        "My card was blocked while I was abroad in Spain and nobody answered the phone.",
    );
    let sv = index.add(
        3,
        Language::Sv,
        "Utbetalningen från Solbakken, 2 500 kr, har inte kommit. Den skulle komma 1 december.",
    );
    assert_eq!(sv.len(), 1, "{sv:?}");
    assert_eq!(sv[0].reference.to_string(), "KL-2026-000001");
    assert!(sv[0].reason.contains("solbakken"), "{}", sv[0].reason);
    assert!(sv[0].reason.contains("amount 2500"), "{}", sv[0].reason);
    let unrelated = index.add(
        4,
        Language::Da,
        "Jeg er utilfreds med rådgivningen om min pension hos jeres filial.",
    );
    assert!(unrelated.is_empty(), "{unrelated:?}");
}
