//! Packs the shipped training corpus into the binary, so that `klagebot train`
//! can retrain the complaint model on it without the source tree.
//!
//! What is packed: `fixtures/complaint-corpus/split.toml`, every
//! `fixtures/complaint-corpus/*.jsonl`, and each golden mail
//! `fixtures/classify/NAME.eml` whose `NAME.json` labels a person's mail
//! (`"automated": false`); the library parses and filters them again
//! (`classify::training::corpus`). The pack is a deflated list of
//! `name\0length\0bytes` entries in name order: about 0.6 MB for 2.3 MB of mail.

use std::io::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let corpus = root.join("fixtures/complaint-corpus");
    let golden = root.join("fixtures/classify");
    println!("cargo:rerun-if-changed={}", corpus.display());
    println!("cargo:rerun-if-changed={}", golden.display());
    println!("cargo:rerun-if-changed=build.rs");
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for path in files(&corpus) {
        let name = file_name(&path);
        if name.ends_with(".jsonl") || name == "split.toml" {
            entries.push((format!("complaint-corpus/{name}"), read(&path)));
        }
    }
    for path in files(&golden) {
        let name = file_name(&path);
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let label = read(&path);
        let eml = golden.join(format!("{stem}.eml"));
        let person = String::from_utf8_lossy(&label).contains("\"automated\": false");
        if person && eml.exists() {
            entries.push((format!("classify/{name}"), label));
            entries.push((format!("classify/{stem}.eml"), read(&eml)));
        }
    }
    entries.sort();
    let mut packed = Vec::new();
    for (name, bytes) in &entries {
        packed.extend_from_slice(name.as_bytes());
        packed.push(0);
        packed.extend_from_slice(bytes.len().to_string().as_bytes());
        packed.push(0);
        packed.extend_from_slice(bytes);
    }
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&packed).expect("deflate in memory");
    let deflated = encoder.finish().expect("deflate in memory");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("training_corpus.deflate"), deflated).expect("write OUT_DIR");
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
