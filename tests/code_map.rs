//! ARCHITECTURE.md's code map cannot go stale: every source file of the tree (Rust,
//! Svelte, TypeScript, JavaScript, Lua, C, NSIS, shell and every executable script) is named
//! in it, and every path it names exists.
//!
//! A file `D/F` is named when the code map holds `D/F` itself, or when a heading's section
//! of the code map names the directory `D/` and, in backticks, the file `F` (a table row
//! `` | `lease.rs` | … | `` under `crates/core/src/broker/`). Test-only files sit next to
//! what they test and are not listed: `*_tests.rs`, `tests.rs` inside a `src/`, `*.test.ts`.
//! Generated files (`ui/src/lib/bindings/`) and build output are not source.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the tree's source lives (relative to the repository's root).
const SOURCE_ROOTS: &[&str] = &[
    ".ci",
    "benches",
    "clients",
    "crates",
    "packaging",
    "scripts",
    "src-tauri",
    "tests",
    "ui",
];

/// Directories that hold no source of ours.
const NOT_SOURCE: &[&str] = &[
    "node_modules",
    "target",
    "dist",
    "gen",
    "bindings",
    "snapshots",
    "screenshots",
    "icons",
    "migrations",
    "capabilities",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A source file by its name, or a script by its first line (`#!`): `tests/e2e/run` is one.
fn is_source(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let by_extension = [
        ".rs", ".svelte", ".ts", ".mjs", ".js", ".sh", ".lua", ".c", ".nsi",
    ]
    .iter()
    .any(|ext| name.ends_with(ext));
    if !(by_extension || (!name.contains('.') && is_script(rel))) {
        return false;
    }
    let test_only = name.ends_with("_tests.rs")
        || name.ends_with(".test.ts")
        || (name == "tests.rs" && rel.contains("/src/"));
    !test_only && !name.ends_with(".d.ts")
}

/// An extension-less file is a script when it starts with `#!` (the scripts in `scripts/`
/// and `.ci/` count even before they are written).
fn is_script(rel: &str) -> bool {
    if rel.starts_with("scripts/") || rel.starts_with(".ci/") {
        return true;
    }
    let mut start = [0u8; 2];
    std::fs::File::open(root().join(rel))
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut start))
        .is_ok_and(|()| &start == b"#!")
}

fn source_files() -> BTreeSet<String> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !NOT_SOURCE.contains(&name.as_str()) && !name.starts_with('.') {
                    walk(&entry.path(), &rel, out);
                }
            } else if kind.is_file() && is_source(&rel) {
                out.insert(rel);
            }
        }
    }
    let root = root();
    let mut out = BTreeSet::new();
    for dir in SOURCE_ROOTS {
        walk(&root.join(dir), dir, &mut out);
    }
    out
}

/// The code map: the text from `## Code map` to the next `## ` heading, cut into the
/// sections its `###`/`####` headings start.
fn code_map_sections(doc: &str) -> Vec<String> {
    let start = doc
        .find("\n## Code map")
        .expect("ARCHITECTURE.md has a `## Code map` section");
    let rest = &doc[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let mut sections = vec![String::new()];
    for line in rest[..end].lines() {
        if line.starts_with("###") {
            sections.push(String::new());
        }
        let last = sections.last_mut().expect("one section at least");
        last.push_str(line);
        last.push('\n');
    }
    sections
}

/// True when `text` holds `needle` as a whole path: not preceded by a path character (so
/// `tests/` does not match inside `ui/tests/`) and not followed by one (so
/// `crates/core/src/` does not match inside `crates/core/src/broker/`, nor `scripts/run`
/// inside `scripts/run-all`; a sentence's full stop may follow).
fn holds_path(text: &str, needle: &str) -> bool {
    let path_char = |c: char| c.is_alphanumeric() || "/-_".contains(c);
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let mut after = text[i + needle.len()..].chars();
        let next = after.next();
        let ends = match next {
            None => true,
            Some('.') => after.next().is_none_or(|c| !path_char(c)),
            Some(c) => !path_char(c),
        };
        before.is_none_or(|c| !(path_char(c) || c == '.')) && ends
    })
}

fn is_named(rel: &str, whole: &str, sections: &[String]) -> bool {
    if holds_path(whole, rel) {
        return true;
    }
    let (dir, file) = rel
        .rsplit_once('/')
        .expect("every source file is in a directory");
    let dir = format!("{dir}/");
    let file = format!("`{file}`");
    sections
        .iter()
        .any(|s| holds_path(s, &dir) && s.contains(&file))
}

fn the_doc() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md is readable")
}

/// The first line of a Rust file's module docs, to paste next to a missing entry.
fn first_doc_line(rel: &str) -> String {
    let text = std::fs::read_to_string(root().join(rel)).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix("//!")
                .or_else(|| l.strip_prefix("// "))
                .or_else(|| l.strip_prefix("# ").filter(|_| !l.starts_with("#!")))
        })
        .map(|l| l.trim().to_string())
        .unwrap_or_default()
}

#[test]
fn every_source_file_is_on_the_code_map() {
    let doc = the_doc();
    let sections = code_map_sections(&doc);
    let map: String = sections.concat();
    let files = source_files();
    assert!(
        files.len() > 100,
        "found only {} source files: is the walk broken?",
        files.len()
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|rel| !is_named(rel, &map, &sections))
        .map(|rel| format!("  | `{rel}` | {} |", first_doc_line(rel)))
        .collect();
    assert!(
        missing.is_empty(),
        "{} source files are not on ARCHITECTURE.md's code map (name each in its area's \
         section, under a heading or line that names its directory):\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn every_path_on_the_code_map_exists() {
    let doc = the_doc();
    let map: String = code_map_sections(&doc).concat();
    let root = root();
    let gone: Vec<&str> = map
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            SOURCE_ROOTS
                .iter()
                .chain(&["docs", "icons"])
                .any(|r| s.starts_with(&format!("{r}/")))
        })
        .filter(|s| !s.contains(['*', '{', ' ', '…']))
        .filter(|s| !root.join(s.trim_end_matches('/')).exists())
        .collect();
    assert!(
        gone.is_empty(),
        "ARCHITECTURE.md's code map names paths that do not exist: {gone:?}"
    );
}

#[test]
fn the_check_sees_a_missing_file() {
    let sections = vec![
        "### Broker (`crates/core/src/broker/`)\n| `lease.rs` | leases |\n".to_string(),
        "### Tests\n`ui/tests/browser/run.mjs`\n".to_string(),
    ];
    let whole = sections.concat();
    assert!(is_named(
        "crates/core/src/broker/lease.rs",
        &whole,
        &sections
    ));
    assert!(!is_named(
        "crates/core/src/broker/grant.rs",
        &whole,
        &sections
    ));
    assert!(!is_named("crates/core/src/lease.rs", &whole, &sections));
    assert!(is_named("ui/tests/browser/run.mjs", &whole, &sections));
    assert!(!is_named("tests/browser/run.mjs", &whole, &sections));
    assert!(!is_named("ui/tests/browser/run.mj", &whole, &sections));
    let sentence = ["`tests/e2e/run` runs it; so does tests/e2e/build.\n".to_string()];
    assert!(is_named("tests/e2e/build", &sentence[0], &sentence));
    assert!(!is_named("tests/e2e/bu", &sentence[0], &sentence));
    assert!(is_source("scripts/check"));
    assert!(is_source("ui/src/App.svelte"));
    assert!(is_source("tests/e2e/run"));
    assert!(!is_source("packaging/gateway.env.example"));
    assert!(!is_source("tests/e2e/no-such-script"));
    assert!(!is_source("crates/core/src/oauth/provider_file_tests.rs"));
    assert!(!is_source("crates/core/README.md"));
}
