//! Labelled mail: the corpus shipped inside the binary (packed by `build.rs`
//! from `fixtures/`), its one split by writer and batch, and the readers of the
//! three labelled forms (pure: the caller reads the files).
//!
//! - JSON Lines, one customer mail per line:
//!   `{"id","lang","subject","body","complaint","kind"}`
//!   (`fixtures/complaint-corpus/README.md`);
//! - a golden mail: `NAME.eml` beside `NAME.json` with `complaint`, `automated`,
//!   `language` (`fixtures/classify/README.md`); automated mail and mail without a
//!   `complaint` key are left out;
//! - a company's labelled folder: `complaint/*.eml` and `not_complaint/*.eml`
//!   (or golden pairs), read by `klagebot train|eval --labelled DIR`.

use std::io::Read as _;

use serde::Deserialize;

use crate::parse::{InboundMail, parse};

/// The corpus packed by `build.rs`: a deflated list of `name\0length\0bytes`.
const PACKED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/training_corpus.deflate"));

/// The source name of the golden mails in the split.
pub const GOLDEN: &str = "classify";

/// Why labelled mail could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{source_name} line {line}: not a labelled mail: {message}")]
    Line {
        source_name: String,
        line: usize,
        message: String,
    },
    #[error("{name}: {message}")]
    Label { name: String, message: String },
    #[error("the packed training corpus is damaged: {0}")]
    Packed(String),
    #[error("the corpus split (split.toml): {0}")]
    Split(String),
}

/// One labelled mail, parsed.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The file or folder it came from (the split names sources).
    pub source: String,
    pub id: String,
    /// The language it is written in (`da`…), empty when the label does not say.
    pub lang: String,
    /// A few words on what the mail is or which trap it sets.
    pub kind: String,
    pub complaint: bool,
    pub mail: InboundMail,
}

/// What a source is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The model learns from it.
    Train,
    /// Cutoffs, L2 and rule changes are chosen on it; the shipped model is
    /// refitted on it once they are chosen.
    Validation,
    /// Frozen: measured, never trained or tuned on.
    Test,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Train => "train",
            Role::Validation => "validation",
            Role::Test => "test",
        }
    }
}

/// The split of the labelled sources (`fixtures/complaint-corpus/split.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub train: Vec<String>,
    pub validation: Vec<String>,
    pub test: Vec<String>,
}

impl Split {
    pub fn parse(text: &str) -> Result<Split, CorpusError> {
        let split: Split = toml::from_str(text).map_err(|e| CorpusError::Split(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for source in split
            .train
            .iter()
            .chain(&split.validation)
            .chain(&split.test)
        {
            if !seen.insert(source) {
                return Err(CorpusError::Split(format!("{source} is in two roles")));
            }
        }
        Ok(split)
    }

    /// The role of a source, `None` when the split does not name it.
    pub fn role(&self, source: &str) -> Option<Role> {
        let has = |list: &[String]| list.iter().any(|s| s == source);
        if has(&self.test) {
            Some(Role::Test)
        } else if has(&self.validation) {
            Some(Role::Validation)
        } else if has(&self.train) {
            Some(Role::Train)
        } else {
            None
        }
    }
}

/// The labelled mail shipped with klagebot and its split.
#[derive(Debug, Clone)]
pub struct Shipped {
    pub split: Split,
    /// The golden mails by name, then each JSON Lines file by name.
    pub mails: Vec<Labelled>,
}

impl Shipped {
    /// The mails of the sources in these roles, in corpus order.
    pub fn in_roles(&self, roles: &[Role]) -> Vec<&Labelled> {
        self.mails
            .iter()
            .filter(|m| {
                self.split
                    .role(&m.source)
                    .is_some_and(|r| roles.contains(&r))
            })
            .collect()
    }
}

/// Unpacks and parses the shipped corpus (about a second of work: call once).
pub fn shipped() -> Result<Shipped, CorpusError> {
    let files = unpack(PACKED)?;
    let text = |name: &str| -> Result<&str, CorpusError> {
        let bytes = files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
            .ok_or_else(|| CorpusError::Packed(format!("{name} is missing")))?;
        std::str::from_utf8(bytes).map_err(|e| CorpusError::Packed(format!("{name}: {e}")))
    };
    let split = Split::parse(text("complaint-corpus/split.toml")?)?;
    let mut mails = Vec::new();
    for (name, bytes) in &files {
        let Some(stem) = name
            .strip_prefix("classify/")
            .and_then(|n| n.strip_suffix(".eml"))
        else {
            continue;
        };
        let label = text(&format!("classify/{stem}.json"))?;
        mails.extend(golden_mail(GOLDEN, stem, bytes, label)?);
    }
    for (name, _) in &files {
        let Some(stem) = name
            .strip_prefix("complaint-corpus/")
            .and_then(|n| n.strip_suffix(".jsonl"))
        else {
            continue;
        };
        mails.extend(from_jsonl(stem, text(name)?)?);
    }
    Ok(Shipped { split, mails })
}

/// The `(name, bytes)` entries of the pack, in name order.
fn unpack(packed: &[u8]) -> Result<Vec<(String, Vec<u8>)>, CorpusError> {
    let mut raw = Vec::new();
    flate2::read::DeflateDecoder::new(packed)
        .read_to_end(&mut raw)
        .map_err(|e| CorpusError::Packed(e.to_string()))?;
    let mut out = Vec::new();
    let mut rest = raw.as_slice();
    let damaged = || CorpusError::Packed("an entry is cut short".into());
    while !rest.is_empty() {
        let name_end = rest.iter().position(|b| *b == 0).ok_or_else(damaged)?;
        let name = String::from_utf8_lossy(&rest[..name_end]).into_owned();
        rest = &rest[name_end + 1..];
        let len_end = rest.iter().position(|b| *b == 0).ok_or_else(damaged)?;
        let len: usize = std::str::from_utf8(&rest[..len_end])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(damaged)?;
        rest = &rest[len_end + 1..];
        let bytes = rest.get(..len).ok_or_else(damaged)?.to_vec();
        rest = &rest[len..];
        out.push((name, bytes));
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct Line {
    id: String,
    lang: String,
    #[serde(default)]
    subject: String,
    body: String,
    complaint: bool,
    #[serde(default)]
    kind: String,
}

/// The mails of a JSON Lines text; `source` names it (its file stem).
pub fn from_jsonl(source: &str, text: &str) -> Result<Vec<Labelled>, CorpusError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(line).map_err(|e| CorpusError::Line {
            source_name: source.to_string(),
            line: n + 1,
            message: e.to_string(),
        })?;
        let raw = mail_bytes(&line.id, &line.subject, &line.body);
        out.push(Labelled {
            source: source.to_string(),
            id: line.id,
            lang: line.lang,
            kind: line.kind,
            complaint: line.complaint,
            mail: parse(&raw),
        });
    }
    Ok(out)
}

/// A golden mail and its expected JSON; `None` for automated mail and mail
/// whose JSON does not say whether it is a complaint.
pub fn golden_mail(
    source: &str,
    name: &str,
    eml: &[u8],
    label: &str,
) -> Result<Option<Labelled>, CorpusError> {
    let expected: serde_json::Value =
        serde_json::from_str(label).map_err(|e| CorpusError::Label {
            name: name.to_string(),
            message: e.to_string(),
        })?;
    let (Some(complaint), Some(false)) = (
        expected["complaint"].as_bool(),
        expected["automated"].as_bool(),
    ) else {
        return Ok(None);
    };
    Ok(Some(Labelled {
        source: source.to_string(),
        id: name.to_string(),
        lang: expected["language"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        kind: expected["note"].as_str().unwrap_or_default().to_string(),
        complaint,
        mail: parse(eml),
    }))
}

/// A mail of a company's labelled folder, its label given by its subfolder.
pub fn labelled_mail(source: &str, name: &str, eml: &[u8], complaint: bool) -> Labelled {
    Labelled {
        source: source.to_string(),
        id: name.to_string(),
        lang: String::new(),
        kind: String::new(),
        complaint,
        mail: parse(eml),
    }
}

/// A plain customer mail carrying a subject and body.
fn mail_bytes(id: &str, subject: &str, body: &str) -> Vec<u8> {
    use base64::Engine as _;
    let subject = base64::engine::general_purpose::STANDARD.encode(subject.as_bytes());
    format!(
        "From: Kunde <kunde@example.net>\r\nTo: klage@company.example\r\n\
         Subject: =?utf-8?B?{subject}?=\r\nDate: Mon, 16 Nov 2026 10:00:00 +0100\r\n\
         Message-ID: <{id}@corpus.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
        body.replace('\n', "\r\n")
    )
    .into_bytes()
}
