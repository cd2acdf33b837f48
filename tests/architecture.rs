//! The architecture invariants of ARCHITECTURE.md, checked over the source:
//! imports run one way (no cycle between modules, at file and at top level),
//! the pure stages read no clock and touch no database or network, and only
//! `store` holds SQL. Reads `use` lines only, as text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path such as `daemon::handle::bounce`, and the file it lives in.
type Modules = BTreeMap<String, PathBuf>;

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/daemon/handle/mod.rs` → `daemon::handle`; `src/lib.rs` → `` (the crate).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

fn modules() -> Modules {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.into_iter().map(|f| (module_of(&f), f)).collect()
}

/// The `use` declarations of a file, without `#[cfg(test)]` modules, as one
/// string each (`crate::a::{b, c::D}`).
fn use_declarations(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut uses = Vec::new();
    let mut rest = code;
    while let Some(start) = find_use(rest) {
        let after = &rest[start..];
        let end = after.find(';').unwrap_or(after.len());
        let decl = after[..end].split_once("use ").map_or("", |(_, d)| d);
        uses.push(decl.split_whitespace().collect::<Vec<_>>().join(" "));
        rest = &after[end..];
    }
    uses
}

/// The start of the next `use` or `pub use` / `pub(crate) use` at a line start.
fn find_use(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let visibility = ["pub(crate) use ", "pub(super) use ", "pub use ", "use "];
        if visibility.iter().any(|v| trimmed.starts_with(v)) {
            return Some(offset + line.len() - trimmed.len());
        }
        offset += line.len();
    }
    None
}

/// Every path a use tree names: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.trim_end_matches("::*").to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|i| !i.trim().is_empty())
        .flat_map(expand)
        .map(|p| match p.as_str() {
            "self" => prefix.to_string(),
            _ => format!("{prefix}::{p}"),
        })
        .collect()
}

/// The module a path in `from` refers to, if it is one of ours: the longest
/// known module that prefixes it.
fn resolve(path: &str, from: &str, modules: &Modules) -> Option<String> {
    let mut segments: Vec<String> = if from.is_empty() {
        Vec::new()
    } else {
        from.split("::").map(String::from).collect()
    };
    let mut parts = path.split("::").peekable();
    match parts.peek().copied() {
        Some("crate") => {
            segments.clear();
            parts.next();
        }
        Some("self") => {
            parts.next();
        }
        Some("super") => {
            while parts.peek() == Some(&"super") {
                parts.next();
                segments.pop();
            }
        }
        Some(first) => {
            // A child module (uniform paths), or an external crate.
            let child = [segments.join("::"), first.to_string()]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("::");
            if !modules.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    let mut best = None;
    for part in parts {
        segments.push(part.to_string());
        let candidate = segments.join("::");
        if modules.contains_key(&candidate) {
            best = Some(candidate);
        }
    }
    best
}

/// Edges between modules (files) from their `use` lines, without self-edges
/// and without a module's imports of its own descendants or ancestors' items
/// that are only re-exports.
fn graph(modules: &Modules) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in modules {
        let text = std::fs::read_to_string(file).expect("read source");
        let targets = edges.entry(module.clone()).or_default();
        for decl in use_declarations(&text) {
            for path in expand(&decl) {
                if let Some(target) = resolve(&path, module, modules)
                    && target != *module
                {
                    targets.insert(target);
                }
            }
        }
    }
    edges
}

/// The strongly connected components with more than one member (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

/// The top-level module of a module path (`daemon::handle::bounce` → `daemon`).
fn top(module: &str) -> String {
    module.split("::").next().unwrap_or("").to_string()
}

fn describe(edges: &BTreeMap<String, BTreeSet<String>>, cycle: &[String]) -> String {
    let members: BTreeSet<&String> = cycle.iter().collect();
    let mut lines = Vec::new();
    for from in cycle {
        for to in edges.get(from).into_iter().flatten() {
            if members.contains(to) {
                lines.push(format!("  {from} -> {to}"));
            }
        }
    }
    lines.join("\n")
}

#[test]
fn no_file_imports_from_a_file_that_imports_it_back() {
    let modules = modules();
    assert!(modules.len() > 50, "the source tree was read");
    let edges = graph(&modules);
    let found = cycles(&edges);
    let text: Vec<String> = found.iter().map(|c| describe(&edges, c)).collect();
    assert!(found.is_empty(), "import cycles:\n{}", text.join("\n\n"));
}

#[test]
fn no_top_level_module_imports_from_one_that_imports_it_back() {
    let modules = modules();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in graph(&modules) {
        let from = top(&from);
        let set = edges.entry(from.clone()).or_default();
        set.extend(targets.iter().map(|t| top(t)).filter(|t| *t != from));
    }
    // The crate root (lib.rs, main.rs) and the CLI sit above everything.
    edges.remove("");
    let found = cycles(&edges);
    let text: Vec<String> = found.iter().map(|c| describe(&edges, c)).collect();
    assert!(
        found.is_empty(),
        "top-level import cycles:\n{}",
        text.join("\n\n")
    );
}

#[test]
fn the_use_tree_reader_expands_nested_braces_and_resolves_relative_paths() {
    assert_eq!(
        expand("crate::a::{b, c::{D, e::F}, self}"),
        [
            "crate::a::b",
            "crate::a::c::D",
            "crate::a::c::e::F",
            "crate::a"
        ]
    );
    let modules: Modules = ["daemon", "daemon::inbound", "daemon::handle", "record"]
        .into_iter()
        .map(|m| (m.to_string(), PathBuf::new()))
        .collect();
    let resolved = |p: &str, from: &str| resolve(p, from, &modules);
    assert_eq!(
        resolved("super::inbound::Env", "daemon::handle"),
        Some("daemon::inbound".into())
    );
    assert_eq!(
        resolved("crate::record::Extras", "daemon"),
        Some("record".into())
    );
    assert_eq!(
        resolved("inbound::Env", "daemon"),
        Some("daemon::inbound".into())
    );
    assert_eq!(resolved("tokio::sync::Notify", "daemon"), None);
    let cyclic: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "a"), ("c", "a")]
        .into_iter()
        .map(|(f, t)| (f.to_string(), BTreeSet::from([t.to_string()])))
        .collect();
    assert_eq!(cycles(&cyclic), [vec!["a".to_string(), "b".to_string()]]);
}

/// Source lines of the modules under `dirs` (tests excluded) that contain a
/// forbidden text, as `file:line: text`.
fn offending(dirs: &[&str], forbidden: &[&str]) -> Vec<String> {
    let mut hits = Vec::new();
    for (module, file) in modules() {
        if !dirs
            .iter()
            .any(|d| module == *d || module.starts_with(&format!("{d}::")))
        {
            continue;
        }
        if module.split("::").any(|part| part == "tests") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("");
            if let Some(word) = forbidden.iter().find(|w| line.contains(*w)) {
                hits.push(format!("{}:{}: {word}", file.display(), n + 1));
            }
        }
    }
    hits
}

#[test]
fn the_pure_stages_read_no_clock_and_touch_no_database_or_network() {
    let hits = offending(
        &["parse", "classify", "case", "related", "report"],
        &[
            "Utc::now",
            "Local::now",
            "SystemTime::now",
            "Instant::now",
            "tokio::",
            "sqlx::",
            "std::net",
            "async fn",
            ".await",
        ],
    );
    assert!(
        hits.is_empty(),
        "I/O or clock in a pure stage:\n{}",
        hits.join("\n")
    );
}

#[test]
fn only_the_store_holds_sql() {
    let everything_else = [
        "case",
        "classify",
        "cli",
        "config",
        "daemon",
        "domain",
        "inbox",
        "outbox",
        "parse",
        "record",
        "related",
        "report",
        "runtime",
        "scheduler",
        "smtp",
        "telemetry",
    ];
    let hits = offending(
        &everything_else,
        &["sqlx::query", "sqlx::raw_sql", "query_as(", "query_scalar("],
    );
    assert!(hits.is_empty(), "SQL outside store:\n{}", hits.join("\n"));
}
