//! Reading labelled mail for `klagebot train` and `klagebot eval`.
//!
//! A labelled folder holds `complaint/*.eml` and `not_complaint/*.eml` (the
//! label is the folder), and may also hold golden pairs `NAME.eml` + `NAME.json`
//! with `"complaint": true|false` (the layout of `fixtures/classify`). A
//! `*.jsonl` file in the corpus format (`fixtures/complaint-corpus/README.md`)
//! is read as well.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::classify::training::corpus::{self, Labelled};

/// The labelled mail of a folder or a JSON Lines file, in name order.
pub fn load(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let source = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !path.is_dir() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("while reading {}", path.display()))?;
        return Ok(corpus::from_jsonl(&source, &text)?);
    }
    let mut out = Vec::new();
    for (folder, complaint) in [("complaint", true), ("not_complaint", false)] {
        for eml in eml_files(&path.join(folder))? {
            let bytes = read(&eml)?;
            out.push(corpus::labelled_mail(
                &source,
                &stem(&eml),
                &bytes,
                complaint,
            ));
        }
    }
    for eml in eml_files(path)? {
        let Ok(label) = std::fs::read_to_string(eml.with_extension("json")) else {
            continue;
        };
        out.extend(corpus::golden_mail(
            &source,
            &stem(&eml),
            &read(&eml)?,
            &label,
        )?);
    }
    if out.is_empty() {
        bail!(
            "no labelled mail in {}: put mail in complaint/ and not_complaint/ (NAME.eml), \
             or NAME.eml beside NAME.json with \"complaint\": true|false",
            path.display()
        );
    }
    Ok(out)
}

fn eml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("while reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("eml")))
        .collect();
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("while reading {}", path.display()))
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
