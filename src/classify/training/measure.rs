//! How right a classifier is on labelled mail: accuracy, complaint recall,
//! false-positive rate and language accuracy, per language and overall, each
//! with its 95% Wilson interval (a few hundred mails per language leave a
//! figure uncertain by a few points, and the interval says how many).

use std::collections::BTreeMap;
use std::fmt;

use super::corpus::Labelled;
use crate::classify::{Classification, Classifier, Context};

/// `hits` out of `n`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    pub hits: usize,
    pub n: usize,
}

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_964;

impl Rate {
    pub fn value(self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        self.hits as f64 / self.n as f64
    }

    /// The 95% Wilson score interval (sound also near 0% and 100%).
    pub fn wilson(self) -> (f64, f64) {
        if self.n == 0 {
            return (0.0, 1.0);
        }
        let (n, p, z2) = (self.n as f64, self.value(), Z95 * Z95);
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
        ((centre - half).max(0.0), (centre + half).min(1.0))
    }
}

impl fmt::Display for Rate {
    /// `97.8% [95.9–98.8] 391/400`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.n == 0 {
            return write!(f, "{:>23}", "–");
        }
        let (lo, hi) = self.wilson();
        let text = format!(
            "{:.1}% [{:.1}–{:.1}] {}/{}",
            100.0 * self.value(),
            100.0 * lo,
            100.0 * hi,
            self.hits,
            self.n
        );
        write!(f, "{text:>28}")
    }
}

/// The counts behind the figures of one group of mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub mails: usize,
    pub complaints: usize,
    pub right: usize,
    pub missed: usize,
    pub false_positives: usize,
    /// Mails whose label names their language.
    pub language_known: usize,
    pub language_right: usize,
}

impl Tally {
    /// One mail: its label, what was decided, and whether the language came out
    /// right (`None` when the label does not say).
    pub fn add(&mut self, complaint: bool, decided: bool, language_right: Option<bool>) {
        self.mails += 1;
        self.complaints += usize::from(complaint);
        self.right += usize::from(complaint == decided);
        self.missed += usize::from(complaint && !decided);
        self.false_positives += usize::from(!complaint && decided);
        if let Some(right) = language_right {
            self.language_known += 1;
            self.language_right += usize::from(right);
        }
    }

    pub fn accuracy(&self) -> Rate {
        Rate {
            hits: self.right,
            n: self.mails,
        }
    }

    /// Complaints recognised, of all complaints.
    pub fn recall(&self) -> Rate {
        Rate {
            hits: self.complaints - self.missed,
            n: self.complaints,
        }
    }

    /// Mails that are no complaint but were taken for one, of all such mails.
    pub fn false_positive_rate(&self) -> Rate {
        Rate {
            hits: self.false_positives,
            n: self.mails - self.complaints,
        }
    }

    pub fn language(&self) -> Rate {
        Rate {
            hits: self.language_right,
            n: self.language_known,
        }
    }
}

/// Figures per language and for all mail together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub by_language: BTreeMap<String, Tally>,
    pub all: Tally,
}

impl Figures {
    /// Adds one mail to its language (the label's, else the one detected) and to all.
    pub fn add(
        &mut self,
        language: &str,
        complaint: bool,
        decided: bool,
        language_right: Option<bool>,
    ) {
        self.by_language
            .entry(language.to_string())
            .or_default()
            .add(complaint, decided, language_right);
        self.all.add(complaint, decided, language_right);
    }

    /// A table: one line per language and one for all.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<5} {:>5} {:>5}  {:>28}  {:>28}  {:>28}  {:>28}\n",
            "lang",
            "mails",
            "compl",
            "accuracy",
            "complaint recall",
            "false-positive rate",
            "language"
        );
        let rows = self.by_language.iter().map(|(l, t)| (l.as_str(), t));
        for (name, t) in rows.chain(std::iter::once(("all", &self.all))) {
            out.push_str(&format!(
                "{name:<5} {:>5} {:>5}  {}  {}  {}  {}\n",
                t.mails,
                t.complaints,
                t.accuracy(),
                t.recall(),
                t.false_positive_rate(),
                t.language()
            ));
        }
        out
    }
}

/// One mail's result, for lists of mistakes.
#[derive(Debug, Clone)]
pub struct Scored<'a> {
    pub mail: &'a Labelled,
    pub classification: Classification,
}

impl Scored<'_> {
    pub fn complaint_wrong(&self) -> bool {
        self.classification.complaint != self.mail.complaint
    }

    pub fn language_wrong(&self) -> bool {
        !self.mail.lang.is_empty() && self.classification.language.code() != self.mail.lang
    }
}

/// Classifies every mail and counts: the figures, and each mail's result.
pub fn measure<'a>(
    classifier: &Classifier,
    mails: &[&'a Labelled],
    ctx: &Context,
) -> (Figures, Vec<Scored<'a>>) {
    let mut figures = Figures::default();
    let mut scored = Vec::with_capacity(mails.len());
    for mail in mails {
        let classification = classifier.classify(&mail.mail, ctx);
        let detected = classification.language.code();
        let (language, language_right) = if mail.lang.is_empty() {
            (detected, None)
        } else {
            (mail.lang.as_str(), Some(detected == mail.lang))
        };
        figures.add(
            language,
            mail.complaint,
            classification.complaint,
            language_right,
        );
        scored.push(Scored {
            mail,
            classification,
        });
    }
    (figures, scored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_the_textbook() {
        // 391 of 400: p = 0.9775, Wilson 95% ≈ [0.9577, 0.9882].
        let (lo, hi) = Rate { hits: 391, n: 400 }.wilson();
        assert!((lo - 0.9577).abs() < 5e-4, "{lo}");
        assert!((hi - 0.9882).abs() < 5e-4, "{hi}");
        // All right still leaves room for a mistake.
        let (lo, hi) = Rate { hits: 80, n: 80 }.wilson();
        assert!(lo < 0.96 && lo > 0.94, "{lo}");
        assert!(hi > 0.9999, "{hi}");
    }

    #[test]
    fn a_tally_counts_misses_false_positives_and_language() {
        let mut t = Tally::default();
        t.add(true, true, Some(true));
        t.add(true, false, Some(true));
        t.add(false, true, Some(false));
        t.add(false, false, None);
        assert_eq!(t.accuracy(), Rate { hits: 2, n: 4 });
        assert_eq!(t.recall(), Rate { hits: 1, n: 2 });
        assert_eq!(t.false_positive_rate(), Rate { hits: 1, n: 2 });
        assert_eq!(t.language(), Rate { hits: 2, n: 3 });
    }
}
