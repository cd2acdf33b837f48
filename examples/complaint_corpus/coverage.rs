//! Rule coverage: how often each entry of each phrase list matches labelled
//! mail, by role of the split, and how precise it is — so that a rule earns its
//! place on mail it was not written from.
//!
//! A line per entry: list, entry, matches in train, validation and test (each
//! counted once per mail, on the subject and the customer's new text), its
//! precision on train and validation mail (the share of the mail it matched that
//! is what the list argues for: a complaint, or for the lists that argue against
//! one — idioms, how-to questions, machine mail… — no complaint), and notes
//! (`DUPLICATE`, `≤1 MATCH`). The golden mails of `fixtures/classify` read from
//! disk, machine mail included, count as train (they are in train). A last
//! column counts the third-party machine mail of `../shared/corpora` (when
//! present), which `tests/corpora.rs` holds the automated rules to.

use std::collections::HashSet;
use std::path::Path;

use klagebot::classify::Rules;
use klagebot::classify::training::corpus::{Labelled, Role, Shipped};

struct Count {
    by_role: [usize; 3],
    complaints: usize,
    corpora: usize,
}

pub fn report(rules: &Rules, shipped: &Shipped) {
    let mut mails: Vec<(Role, String, bool)> = shipped
        .mails
        .iter()
        .filter(|m| m.source != klagebot::classify::training::corpus::GOLDEN)
        .filter_map(|m| {
            shipped
                .split
                .role(&m.source)
                .map(|r| (r, text_of(m), m.complaint))
        })
        .collect();
    mails.extend(
        golden_from_disk()
            .into_iter()
            .map(|(text, complaint)| (Role::Train, text, complaint)),
    );
    let corpora = shared_corpora();
    let (mut unused, mut single, mut duplicates, mut total) = (0, 0, 0, 0);
    println!("list\tentry\ttrain\tvalidation\ttest\tprecision\tnote\tcorpora");
    for (list, set) in rules.phrase_lists() {
        let mut counts: Vec<Count> = (0..set.len())
            .map(|_| Count {
                by_role: [0; 3],
                complaints: 0,
                corpora: 0,
            })
            .collect();
        for text in &corpora {
            for index in set.matching(text) {
                counts[index].corpora += 1;
            }
        }
        for (role, text, complaint) in &mails {
            for index in set.matching(text) {
                counts[index].by_role[*role as usize] += 1;
                counts[index].complaints += usize::from(*complaint && *role != Role::Test);
            }
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for (entry, count) in set.entries().iter().zip(&counts) {
            total += 1;
            let [train, validation, test] = count.by_role;
            let known = train + validation;
            let mut notes = Vec::new();
            if !seen.insert(entry.as_str()) {
                notes.push("DUPLICATE");
                duplicates += 1;
            }
            if known <= 1 {
                notes.push("≤1 MATCH");
                if known == 0 {
                    unused += 1;
                } else {
                    single += 1;
                }
            }
            let right = if argues_against(&list) {
                known - count.complaints
            } else {
                count.complaints
            };
            // The corpus labels no categories: a category entry's precision is unknown.
            let share = if known == 0 || list.starts_with("category.") {
                "-".to_string()
            } else {
                format!("{:.0}%", 100.0 * right as f64 / known as f64)
            };
            println!(
                "{list}\t{entry}\t{train}\t{validation}\t{test}\t{share}\t{}\t{}",
                notes.join(" "),
                count.corpora
            );
        }
    }
    eprintln!(
        "{total} entries: {unused} match no train or validation mail, {single} match one, {duplicates} duplicated within their list"
    );
}

/// The texts of the third-party mail in `../shared/corpora`, read whole.
fn shared_corpora() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(dir) = [
        root.join("../shared/corpora"),
        root.join("../../shared/corpora"),
    ]
    .into_iter()
    .find(|p| p.is_dir()) else {
        eprintln!("no ../shared/corpora: its column stays 0");
        return Vec::new();
    };
    let mut files = Vec::new();
    collect_eml(&dir, &mut files);
    files.sort();
    files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .map(|raw| {
            let mail = klagebot::parse::parse(&raw);
            format!("{}\n{}\n{}", mail.subject, mail.full_text, mail.from_raw)
        })
        .collect()
}

fn collect_eml(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            collect_eml(&path, out);
        } else if path
            .extension()
            .is_some_and(|x| x == "eml" || x == "txt" || x == "box")
        {
            out.push(path);
        }
    }
}

/// Lists whose match argues that a mail is no complaint (or no customer's mail).
fn argues_against(list: &str) -> bool {
    list.starts_with("automated.")
        || [
            "complaint.process_question",
            "complaint.not_complaint",
            "complaint.third_party",
            "complaint.structure.not_statement",
            "complaint.structure.how_to",
        ]
        .contains(&list)
}

/// What a rule reads of a mail: its subject and the customer's new text.
fn text_of(mail: &Labelled) -> String {
    format!("{}\n{}", mail.mail.subject, mail.mail.new_text)
}

/// Every golden mail with a label, machine mail included: (text, complaint).
fn golden_from_disk() -> Vec<(String, bool)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/classify");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|eml| {
            let label: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(eml.with_extension("json")).ok()?)
                    .ok()?;
            let mail = klagebot::parse::parse(&std::fs::read(&eml).ok()?);
            // Machine mail is read whole: its rules read more than the new text.
            let text = format!("{}\n{}\n{}", mail.subject, mail.full_text, mail.from_raw);
            Some((text, label["complaint"].as_bool().unwrap_or(false)))
        })
        .collect()
}
