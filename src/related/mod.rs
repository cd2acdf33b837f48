//! The same matter: which earlier complaints a new one is about the same thing
//! as (the same outage, the same fee run, the same failed payout), written by
//! other people in other words and languages; when enough of them come at once
//! (a surge, usually an incident); and the causes and measures staff record.
//!
//! Pure: no I/O, no clock. The store keeps an inverted index from each key's
//! hash to the cases that have it (`related_keys`) and how many cases have each
//! key; opening a case looks up only its rarer keys, within the window, so
//! finding candidates never reads every case. This module says which keys a
//! complaint has ([`keys`]), which of them to look up ([`lookup`]), and how
//! alike two complaints are ([`score`]): a TF-IDF-like weighted overlap of keys
//! (identifiers, amounts, dates, names, concepts, stems and pairs of stems),
//! normalised by both complaints' weight, with the shared keys as the reason.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

mod concepts;
pub mod keys;
pub mod surge;

pub use keys::{Key, KeyKind, keys};

use crate::domain::CaseRef;

/// How alike two complaints must be (0..1) to be linked as the same matter.
pub const THRESHOLD: f64 = 0.12;
/// Keys held by more cases than this are not looked up: they say little, and
/// reading their postings would cost as much as a scan.
pub const MAX_POSTINGS: i64 = 1000;
/// At most this many keys of a new case are looked up (the rarest).
pub const MAX_LOOKUPS: usize = 32;
/// Of each key looked up, the cases read: the most recent this many within the
/// window (an incident's common words are held by many recent cases; the
/// newest of them are the ones to link).
pub const PER_KEY: i64 = 40;
/// At most this many candidates are weighed in full.
pub const MAX_CANDIDATES: usize = 200;
/// Links kept per case; the staff notice shows the first [`SHOWN`].
pub const KEPT: usize = 10;
pub const SHOWN: usize = 5;

/// How many indexed cases hold each key, and how many cases are indexed.
#[derive(Debug, Clone, Default)]
pub struct Frequencies {
    pub total: i64,
    pub of: HashMap<i64, i64>,
}

impl Frequencies {
    fn cases_with(&self, hash: i64) -> i64 {
        self.of.get(&hash).copied().unwrap_or(0)
    }
}

/// A key's weight: its kind's weight times how rare it is.
pub fn weight(key: &Key, freq: &Frequencies) -> f64 {
    let df = freq.cases_with(key.hash()) as f64;
    let n = freq.total as f64;
    key.kind.weight() * (1.0 + (n + 1.0) / (df + 1.0)).ln()
}

/// A complaint's whole weight, stored with it for normalising later scores.
pub fn document_weight(keys: &[Key], freq: &Frequencies) -> f64 {
    keys.iter().map(|k| weight(k, freq)).sum()
}

/// The hashes worth looking up: keys other cases have, but not too many, the
/// rarest and heaviest first.
pub fn lookup(keys: &[Key], freq: &Frequencies) -> Vec<i64> {
    let mut worth: Vec<(i64, f64)> = keys
        .iter()
        .filter(|k| k.kind != KeyKind::Category)
        .filter_map(|k| {
            let df = freq.cases_with(k.hash());
            (df > 0 && df <= MAX_POSTINGS).then(|| (k.hash(), weight(k, freq)))
        })
        .collect();
    worth.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    worth.dedup_by_key(|w| w.0);
    worth.into_iter().take(MAX_LOOKUPS).map(|w| w.0).collect()
}

/// An earlier case the lookup found: the keys it shares with the new one.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub reference: CaseRef,
    pub received_at: DateTime<Utc>,
    /// Its weight when it was indexed.
    pub weight: f64,
    pub shared: Vec<i64>,
}

/// A suggested link: how alike (0..1) and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub reference: CaseRef,
    pub received_at: DateTime<Utc>,
    pub score: f64,
    pub reason: String,
    /// The shared keys as they read, heaviest first.
    #[serde(skip)]
    pub labels: Vec<String>,
}

/// How alike a new complaint (`keys`, weight `own`) is to a candidate, when
/// alike enough: at least two shared keys besides the category, and a score
/// of [`THRESHOLD`] or more.
pub fn score(keys: &[Key], own: f64, freq: &Frequencies, candidate: &Candidate) -> Option<Match> {
    let shared: HashSet<i64> = candidate.shared.iter().copied().collect();
    let mut common: Vec<(&Key, f64)> = keys
        .iter()
        .filter(|k| shared.contains(&k.hash()))
        .map(|k| (k, weight(k, freq)))
        .collect();
    let evidence = common
        .iter()
        .filter(|(k, _)| k.kind != KeyKind::Category)
        .count();
    if evidence < 2 || own <= 0.0 || candidate.weight <= 0.0 {
        return None;
    }
    let total: f64 = common.iter().map(|(_, w)| w).sum();
    let score = total / (own * candidate.weight).sqrt();
    if score < THRESHOLD {
        return None;
    }
    common.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let labels: Vec<String> = common
        .iter()
        .filter(|(k, _)| k.kind != KeyKind::Category)
        .map(|(k, _)| k.label())
        .collect();
    let reason = labels
        .iter()
        .take(6)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    Some(Match {
        reference: candidate.reference.clone(),
        received_at: candidate.received_at,
        score: (score.min(1.0) * 1000.0).round() / 1000.0,
        reason: format!("shared: {reason}"),
        labels,
    })
}

/// The candidates alike enough, most alike first, at most [`KEPT`].
pub fn best(keys: &[Key], own: f64, freq: &Frequencies, candidates: &[Candidate]) -> Vec<Match> {
    let mut found: Vec<Match> = candidates
        .iter()
        .filter_map(|c| score(keys, own, freq, c))
        .collect();
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.received_at.cmp(&a.received_at))
    });
    found.truncate(KEPT);
    found
}

/// The words a cluster of matches has in common: the labels most of them share.
pub fn common_labels(matches: &[&Match], at_most: usize) -> Vec<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for m in matches {
        for label in &m.labels {
            match counts.iter_mut().find(|(l, _)| l == label) {
                Some((_, n)) => *n += 1,
                None => counts.push((label.clone(), 1)),
            }
        }
    }
    let half = matches.len().div_ceil(2);
    let mut common: Vec<(String, usize)> = counts.into_iter().filter(|(_, n)| *n >= half).collect();
    // Stable: the order of first appearance (heaviest first) among equals.
    common.sort_by_key(|c| std::cmp::Reverse(c.1));
    common.into_iter().take(at_most).map(|(l, _)| l).collect()
}

/// Of the cases found (each with the looked-up keys it holds), those sharing
/// two keys or more, the most weight first, at most [`MAX_CANDIDATES`].
pub fn gather(
    found: Vec<(CaseRef, Vec<i64>)>,
    keys: &[Key],
    freq: &Frequencies,
) -> Vec<(CaseRef, Vec<i64>)> {
    let weights: HashMap<i64, f64> = keys.iter().map(|k| (k.hash(), weight(k, freq))).collect();
    let mut ranked: Vec<(f64, CaseRef, Vec<i64>)> = found
        .into_iter()
        .filter(|(_, hashes)| hashes.len() >= 2)
        .map(|(reference, hashes)| {
            let shared = hashes.iter().filter_map(|h| weights.get(h)).sum();
            (shared, reference, hashes)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.truncate(MAX_CANDIDATES);
    ranked
        .into_iter()
        .map(|(_, r, hashes)| (r, hashes))
        .collect()
}

/// The keys of a new case worth a posting in the index: those a later case may
/// look up ([`lookup`] passes over keys held by more than [`MAX_POSTINGS`]
/// cases, and a key's count only grows). Every key is counted all the same.
pub fn worth_posting(hashes: &[i64], freq: &Frequencies) -> Vec<i64> {
    hashes
        .iter()
        .copied()
        .filter(|h| freq.cases_with(*h) < MAX_POSTINGS)
        .collect()
}

#[cfg(test)]
mod tests;
