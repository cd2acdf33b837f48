//! The templates: shipped inside the binary, overridable per kind and language from
//! a company folder, rendered with minijinja in strict mode into a subject and a body.
//!
//! File format (`templates/README.md`): line 1 `Subject: …`, line 2 blank, then the
//! body. Both parts are minijinja templates over a [`TemplateContext`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use super::context::TemplateContext;
use super::forbidden;
use super::kind::TemplateKind;
use crate::domain::Language;

/// A rendered mail text: one subject line and a plain-text body ending in a newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedText {
    pub subject: String,
    pub body: String,
}

/// Why the templates could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {origin}: {problem}")]
    Format { origin: String, problem: String },
    #[error("template {origin}: {source:#}")]
    Syntax {
        origin: String,
        source: minijinja::Error,
    },
    #[error(
        "{path}: not a template klagebot knows (expected {{lang}}/{{kind}}.txt, e.g. da/acknowledgement.txt)"
    )]
    UnknownFile { path: PathBuf },
}

/// Why one mail could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{lang}/{kind}: the context has no {field}")]
    MissingField {
        kind: TemplateKind,
        lang: Language,
        field: &'static str,
    },
    #[error("{lang}/{kind} ({origin}): {source:#}")]
    Template {
        kind: TemplateKind,
        lang: Language,
        origin: String,
        source: minijinja::Error,
    },
    #[error("{lang}/{kind} ({origin}): the subject is empty")]
    EmptySubject {
        kind: TemplateKind,
        lang: Language,
        origin: String,
    },
}

/// Every kind in every language, ready to render.
pub struct Templates {
    env: Environment<'static>,
    /// Where each template came from: `shipped` or the override file's path.
    origins: BTreeMap<(Language, TemplateKind), String>,
}

macro_rules! shipped_language {
    ($lang:literal) => {
        [
            include_str!(concat!("../../templates/", $lang, "/acknowledgement.txt")),
            include_str!(concat!("../../templates/", $lang, "/holding_reply.txt")),
            include_str!(concat!("../../templates/", $lang, "/decision.txt")),
            include_str!(concat!(
                "../../templates/",
                $lang,
                "/escalation_to_customer.txt"
            )),
            include_str!(concat!("../../templates/", $lang, "/relayed_answer.txt")),
            include_str!(concat!("../../templates/", $lang, "/command_reply.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_new_case.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_reminder.txt")),
            include_str!(concat!(
                "../../templates/",
                $lang,
                "/staff_holding_prompt.txt"
            )),
            include_str!(concat!("../../templates/", $lang, "/staff_escalation.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_bounce.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_alarm.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_update.txt")),
            include_str!(concat!("../../templates/", $lang, "/colleague_forward.txt")),
            include_str!(concat!(
                "../../templates/",
                $lang,
                "/forward_not_complaint.txt"
            )),
            include_str!(concat!("../../templates/", $lang, "/staff_digest.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_backlog.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_flood.txt")),
            include_str!(concat!("../../templates/", $lang, "/staff_surge.txt")),
        ]
    };
}

/// The shipped sources, indexed like `Language::ALL` × `TemplateKind::ALL`.
const SHIPPED: [[&str; 19]; 5] = [
    shipped_language!("da"),
    shipped_language!("nb"),
    shipped_language!("nn"),
    shipped_language!("sv"),
    shipped_language!("en"),
];

/// The shipped source of one template.
pub fn shipped_source(kind: TemplateKind, lang: Language) -> &'static str {
    let l = Language::ALL.iter().position(|x| *x == lang).unwrap_or(0);
    let k = TemplateKind::ALL
        .iter()
        .position(|x| *x == kind)
        .unwrap_or(0);
    SHIPPED[l][k]
}

impl Templates {
    /// The templates shipped inside the binary.
    pub fn shipped() -> Result<Templates, TemplateError> {
        Templates::load(None)
    }

    /// The shipped templates, with each file found in `dir` (`{lang}/{kind}.txt`)
    /// replacing the shipped one of that kind and language.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let overrides = match dir {
            Some(d) => read_overrides(d)?,
            None => BTreeMap::new(),
        };
        let mut templates = Templates {
            env: new_environment(),
            origins: BTreeMap::new(),
        };
        for lang in Language::ALL {
            for kind in TemplateKind::ALL {
                let (origin, source) = match overrides.get(&(lang, kind)) {
                    Some((path, text)) => (path.display().to_string(), text.clone()),
                    None => (
                        "shipped".to_string(),
                        shipped_source(kind, lang).to_string(),
                    ),
                };
                templates.add(lang, kind, origin, &source)?;
            }
        }
        Ok(templates)
    }

    fn add(
        &mut self,
        lang: Language,
        kind: TemplateKind,
        origin: String,
        source: &str,
    ) -> Result<(), TemplateError> {
        let named = format!("{lang}/{kind} ({origin})");
        let source = source.replace("\r\n", "\n");
        let (subject, body) = split_source(&source).map_err(|problem| TemplateError::Format {
            origin: named.clone(),
            problem,
        })?;
        if let Some(what) = forbidden::mention(&source) {
            return Err(TemplateError::Format {
                origin: named,
                problem: format!("names {what}"),
            });
        }
        for (part, text) in [("subject", subject), ("body", body)] {
            self.env
                .add_template_owned(format!("{lang}/{kind}/{part}"), text.to_string())
                .map_err(|source| TemplateError::Syntax {
                    origin: named.clone(),
                    source,
                })?;
        }
        self.origins.insert((lang, kind), origin);
        Ok(())
    }

    /// Where a template came from: `shipped` or the override file's path.
    pub fn origin(&self, kind: TemplateKind, lang: Language) -> &str {
        self.origins
            .get(&(lang, kind))
            .map(String::as_str)
            .unwrap_or("shipped")
    }

    /// Renders one mail. The subject of case mail always carries `[REFERENCE]`.
    pub fn render(
        &self,
        kind: TemplateKind,
        lang: Language,
        ctx: &TemplateContext,
    ) -> Result<RenderedText, RenderError> {
        if let Some(field) = kind.missing_in(ctx) {
            return Err(RenderError::MissingField { kind, lang, field });
        }
        let value = Value::from(minijinja::value::Serde(ctx));
        let subject = one_line(&self.render_part(kind, lang, "subject", &value)?);
        if subject.is_empty() {
            return Err(RenderError::EmptySubject {
                kind,
                lang,
                origin: self.origin(kind, lang).to_string(),
            });
        }
        let tag = format!("[{}]", ctx.reference);
        let subject = if kind.is_caseless() || subject.contains(&tag) {
            subject
        } else {
            format!("{subject} {tag}")
        };
        let body = tidy_body(&self.render_part(kind, lang, "body", &value)?);
        Ok(RenderedText { subject, body })
    }

    fn render_part(
        &self,
        kind: TemplateKind,
        lang: Language,
        part: &str,
        value: &Value,
    ) -> Result<String, RenderError> {
        let wrap = |source| RenderError::Template {
            kind,
            lang,
            origin: self.origin(kind, lang).to_string(),
            source,
        };
        self.env
            .get_template(&format!("{lang}/{kind}/{part}"))
            .and_then(|t| t.render(value))
            .map_err(wrap)
    }
}

fn new_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Plain-text mail: nothing is escaped, and block tags leave no stray blank lines.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    // "Hej Mette" reads better to a colleague than "Hej Mette Jensen".
    env.add_filter("first_name", |name: String| {
        name.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    });
    env
}

/// Splits `Subject: …`, a blank line and the body.
fn split_source(source: &str) -> Result<(&str, &str), String> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let (first, rest) = source
        .split_once('\n')
        .ok_or("expected a \"Subject: …\" line, a blank line and the body")?;
    let subject = first
        .strip_prefix("Subject:")
        .ok_or("the first line must start with \"Subject:\"")?
        .trim();
    let body = rest
        .strip_prefix('\n')
        .ok_or("the second line must be blank (it separates the subject from the body)")?;
    Ok((subject, body))
}

/// A subject is one line: folding and injected newlines become single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trailing spaces go, runs of blank lines (left by absent optional parts) become
/// one, and the body ends in exactly one newline.
fn tidy_body(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut blank_run = 0;
    for line in text.trim_matches('\n').lines() {
        let line = line.trim_end();
        blank_run = if line.is_empty() { blank_run + 1 } else { 0 };
        if blank_run <= 1 {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Override files by kind and language: their path and text.
type Overrides = BTreeMap<(Language, TemplateKind), (PathBuf, String)>;

/// Reads `{dir}/{lang}/{kind}.txt`; any other `.txt` under a language folder, or
/// a folder that is no language, is an error so that a misspelt override is not
/// silently ignored.
fn read_overrides(dir: &Path) -> Result<Overrides, TemplateError> {
    let read_dir = |path: &Path| {
        std::fs::read_dir(path).map_err(|source| TemplateError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut found = BTreeMap::new();
    for entry in read_dir(dir)? {
        let path = entry.map_err(|source| io_error(dir, source))?.path();
        if !path.is_dir() || is_hidden(&path) {
            continue;
        }
        let lang = file_stem(&path)
            .parse::<Language>()
            .map_err(|_| TemplateError::UnknownFile { path: path.clone() })?;
        for file in read_dir(&path)? {
            let file = file.map_err(|source| io_error(&path, source))?.path();
            if is_hidden(&file) || file.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let kind = file_stem(&file)
                .parse::<TemplateKind>()
                .map_err(|_| TemplateError::UnknownFile { path: file.clone() })?;
            let text = std::fs::read_to_string(&file).map_err(|source| io_error(&file, source))?;
            found.insert((lang, kind), (file, text));
        }
    }
    Ok(found)
}

fn io_error(path: &Path, source: std::io::Error) -> TemplateError {
    TemplateError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}
