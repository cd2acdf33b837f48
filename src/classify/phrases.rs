//! A list of phrases compiled for whole-word matching, and the error a rules
//! file gives when one does not compile. Every list in `rules.toml` is one.

use std::sync::OnceLock;

use regex::{Regex, RegexSet, RegexSetBuilder};

use super::text::fold;

/// Why a rules file could not be used; the message names the list and entry.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("rules file is not valid TOML for klagebot rules: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("rules list {list}: entry {entry:?} is not a valid regular expression: {message}")]
    Pattern {
        list: String,
        entry: String,
        message: String,
    },
    #[error(
        "rules: unknown category {0:?} (use fees, card, payment, loan, investment, service, privacy, marketing, fraud)"
    )]
    Category(String),
    #[error(
        "rules: complaint.structure.why_kinds names {0:?}, which is not a list in complaint.structure.signals"
    )]
    SignalKind(String),
}

/// A list of phrases compiled for whole-word, case-insensitive matching.
///
/// The set answers "which phrases occur"; a phrase's own regex, needed only to
/// show the words found, is compiled the first time that phrase matches. Each
/// list is compiled twice: as written, and folded to plain letters (see [`super::text::fold`])
/// for customers who write without æ, ø, å, ä and ö ("aldrig fatt nagon
/// paminnelse", "hjaelp"). Text is matched folded; the list as written only shows
/// the phrases found in their own spelling when the text has Nordic letters.
#[derive(Debug, Clone)]
pub struct PhraseSet {
    entries: Vec<String>,
    written: Compiled,
    folded: Compiled,
}

#[derive(Debug, Clone)]
struct Compiled {
    set: RegexSet,
    each: Vec<OnceLock<Option<Regex>>>,
}

impl Compiled {
    fn new(list: &str, entries: &[String]) -> Result<Self, RulesError> {
        let wrapped: Vec<String> = entries.iter().map(|e| wrap(e)).collect();
        let set = RegexSetBuilder::new(&wrapped)
            .size_limit(64 << 20)
            .dfa_size_limit(32 << 20)
            .build()
            .map_err(|err| culprit(list, entries, &wrapped, err))?;
        let each = wrapped.iter().map(|_| OnceLock::new()).collect();
        Ok(Compiled { set, each })
    }

    fn found(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for index in self.set.matches(text).iter() {
            let own = self.each[index].get_or_init(|| Regex::new(&self.set.patterns()[index]).ok());
            let Some(m) = own.as_ref().and_then(|r| r.find(text)) else {
                continue;
            };
            let phrase = m
                .as_str()
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            if !out.contains(&phrase) {
                out.push(phrase);
            }
        }
        out
    }
}

impl PhraseSet {
    pub(super) fn compile(list: &str, entries: &[String]) -> Result<Self, RulesError> {
        let folded: Vec<String> = entries.iter().map(|e| fold(e)).collect();
        Ok(PhraseSet {
            entries: entries.to_vec(),
            written: Compiled::new(list, entries)?,
            folded: Compiled::new(list, &folded)?,
        })
    }

    /// The entries as written in the rules file.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// The number of phrases in the list.
    pub fn len(&self) -> usize {
        self.folded.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.folded.set.is_empty()
    }

    /// The positions in the list of the phrases that occur in the text (what a
    /// coverage count needs; [`PhraseSet::found`] gives the words).
    pub fn matching(&self, text: &str) -> Vec<usize> {
        self.folded
            .set
            .matches(&fold(&text.to_lowercase()))
            .into_iter()
            .collect()
    }

    /// Whether any phrase occurs in the text.
    pub fn is_match(&self, text: &str) -> bool {
        // What matches as written also matches folded.
        self.folded.set.is_match(&fold(&text.to_lowercase()))
    }

    /// The distinct phrases found in the text, as they stand there (lower-case),
    /// or folded where only the folded spelling matched.
    pub fn found(&self, text: &str) -> Vec<String> {
        let lower = text.to_lowercase();
        let folded = fold(&lower);
        // Most lists find nothing in most mails: one cheap look first.
        if !self.folded.set.is_match(&folded) {
            return Vec::new();
        }
        let mut out = if lower.contains(NORDIC_LETTERS) {
            self.written.found(&lower)
        } else {
            Vec::new()
        };
        for phrase in self.folded.found(&folded) {
            if !out.iter().any(|seen| fold(seen) == phrase) {
                out.push(phrase);
            }
        }
        out
    }
}

/// The letters whose absence shows a writer without a Nordic keyboard.
const NORDIC_LETTERS: [char; 5] = ['æ', 'ø', 'å', 'ä', 'ö'];

/// The error for a list that did not compile, naming the entry at fault.
fn culprit(list: &str, entries: &[String], wrapped: &[String], err: regex::Error) -> RulesError {
    let bad = entries.iter().zip(wrapped).find_map(|(entry, pattern)| {
        Regex::new(pattern)
            .err()
            .map(|e| (entry.clone(), e.to_string()))
    });
    let (entry, message) =
        bad.unwrap_or_else(|| (String::from("(the list as a whole)"), err.to_string()));
    RulesError::Pattern {
        list: list.to_string(),
        entry,
        message,
    }
}

/// The letters of a word in lower-cased Nordic, English and German text. Rules are
/// matched against lower-cased text with this class standing in for `\w`: the
/// Unicode `\w` (and case-insensitive Unicode matching) make the automaton so large
/// that the regex engine falls back to its slow path, ~1000× slower on a mail.
const WORD: &str = "0-9a-z_æøåäöüéèêëáàâóòôúùûíìîïñçßðþ";

/// `(?:^|\W)(?:entry)(?:\W|$)` over lower-cased text, with spaces as `\s+`
/// (` ?` as `\s*`); a leading `^` anchors the entry at the start of the text.
fn wrap(entry: &str) -> String {
    let (anchored, body) = match entry.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, entry),
    };
    let body = lower_pattern(body.trim())
        .replace(" ?", r"\s*")
        .replace(' ', r"\s+");
    let start = if anchored {
        r"^\s*".to_string()
    } else {
        format!("(?:^|[^{WORD}])")
    };
    format!("{start}(?:{body})(?:[^{WORD}]|$)")
}

/// Lower-cases the literal characters of a pattern and spells `\w`, `\W` and `\d`
/// as small explicit classes; other escapes are kept as written.
fn lower_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend(c.to_lowercase());
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str(&format!("[{WORD}]")),
            Some('W') => out.push_str(&format!("[^{WORD}]")),
            Some('d') => out.push_str("[0-9]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push_str("\\\\"),
        }
    }
    out
}
