//! The shape of the tree: no import cycle between the modules of `crates/core`,
//! `src-tauri`, `crates/gateway` or `crates/cli`. A module depends on another when its code names it (`use crate::a::b`,
//! `crate::a::b::f()`, `super::b`); a parent and its own submodules are one unit (a
//! `mod.rs` re-exporting its children, a child using its parent's helpers), and test-only
//! code (an inline `#[cfg(test)] mod … {` to the end of its file, `tests.rs`, `*_tests.rs`,
//! `testing.rs`) is left out; a `#[cfg(test)] mod …;` declaration is skipped and the code
//! after it read on.
//! A cycle means two modules each need the other: move what both need into a third
//! (types-only) module, or route the call through their common caller.
//!
//! And no function of that code is over [`MAX_FUNCTION_LINES`] lines (from its `fn` line to
//! its closing brace): split it by step or by case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every non-test `.rs` file under `src` and its module path (`lib.rs` → `[]`,
/// `a/mod.rs` → `[a]`, `a/b.rs` → `[a, b]`).
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_string();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if name == "tests" || name.ends_with("_tests") || name == "testing" {
                    continue;
                }
                let mut module = prefix.to_vec();
                if !matches!(name.as_str(), "mod" | "lib" | "main") {
                    module.push(name);
                }
                out.insert(module, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out);
    out
}

/// The code of a file without its trailing test module and without comments. A test
/// module declared in a file of its own (`#[cfg(test)] mod tests;`) is skipped, and the
/// code after it read on.
fn code(text: &str) -> String {
    let mut kept = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let next_is_mod = |next: &&str| {
            let next = next.trim_start();
            next.starts_with("mod ")
                || next.starts_with("pub mod ")
                || next.starts_with("pub(crate) mod ")
        };
        if trimmed.starts_with("#[cfg(test)]") && lines.peek().is_some_and(next_is_mod) {
            if lines
                .peek()
                .is_some_and(|next| next.trim_end().ends_with(';'))
            {
                lines.next();
                continue;
            }
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

/// The module paths named in `code`, as written after `crate::` or `super::` (groups
/// `{a, b::c}` expanded one level).
fn named_paths(code: &str, this: &Module) -> Vec<Module> {
    let mut out = Vec::new();
    // `super` of module `a::b` is `a`, whether `b` is `a/b.rs` or `a/b/mod.rs`.
    let parent = this[..this.len().saturating_sub(1)].to_vec();
    for (anchor, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = code;
        while let Some(at) = rest.find(anchor) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + anchor.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut heads = Vec::new();
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    heads.push(item.trim().to_string());
                }
            } else {
                heads.push(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect(),
                );
            }
            for head in heads {
                let mut path = base.clone();
                path.extend(
                    head.split("::")
                        .map(|s| s.trim())
                        .take_while(|s| {
                            !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
                        })
                        .map(str::to_string),
                );
                out.push(path);
            }
        }
    }
    out
}

/// The longest known module that is a prefix of `path`.
fn resolve(path: &Module, known: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains_key(p))
}

fn is_ancestor(a: &Module, b: &Module) -> bool {
    a.len() <= b.len() && b[..a.len()] == a[..]
}

/// Module → modules it depends on.
fn graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let known = modules(src);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, path) in &known {
        let text = std::fs::read_to_string(path).expect("read");
        let deps = edges.entry(module.clone()).or_default();
        for named in named_paths(&code(&text), module) {
            let Some(target) = resolve(&named, &known) else {
                continue;
            };
            if is_ancestor(&target, module) || is_ancestor(module, &target) {
                continue;
            }
            deps.insert(target);
        }
    }
    edges
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        next: usize,
        found: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn show(cycles: &[Vec<Module>]) -> String {
    cycles
        .iter()
        .map(|c| {
            c.iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" ↔ ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

#[test]
fn no_import_cycle_in_the_core() {
    let found = cycles(&graph(&root().join("crates/core/src")));
    assert!(
        found.is_empty(),
        "import cycles in crates/core:\n{}",
        show(&found)
    );
}

#[test]
fn no_import_cycle_in_the_shell() {
    let found = cycles(&graph(&root().join("src-tauri/src")));
    assert!(
        found.is_empty(),
        "import cycles in src-tauri:\n{}",
        show(&found)
    );
}

#[test]
fn no_import_cycle_in_the_gateway() {
    let found = cycles(&graph(&root().join("crates/gateway/src")));
    assert!(
        found.is_empty(),
        "import cycles in crates/gateway:\n{}",
        show(&found)
    );
}

#[test]
fn no_import_cycle_in_the_cli() {
    let found = cycles(&graph(&root().join("crates/cli/src")));
    assert!(
        found.is_empty(),
        "import cycles in crates/cli:\n{}",
        show(&found)
    );
}

#[test]
fn every_crate_is_read_whole() {
    // Each checked tree has modules, and a module's code after a `#[cfg(test)] mod x;`
    // line is read (store/mod.rs declares its tests first).
    for src in [
        "crates/core/src",
        "src-tauri/src",
        "crates/gateway/src",
        "crates/cli/src",
    ] {
        assert!(modules(&root().join(src)).len() > 3, "{src}");
    }
    let store = std::fs::read_to_string(root().join("crates/core/src/store/mod.rs")).expect("read");
    let lines: Vec<&str> = store.lines().collect();
    let declared = lines
        .windows(2)
        .position(|w| {
            w[0].trim() == "#[cfg(test)]" && w[1].starts_with("mod ") && w[1].ends_with(';')
        })
        .expect("store/mod.rs declares a test module in its own file");
    let after = lines[declared + 2..]
        .iter()
        .find(|l| {
            ["use ", "pub use ", "pub fn ", "pub async fn ", "fn "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .expect("code after it");
    assert!(code(&store).contains(after), "stopped before {after:?}");
}

#[test]
fn the_check_sees_a_cycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("store")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod store;\n").expect("lib");
    std::fs::write(src.join("a.rs"), "use crate::store::rows::Row;\n").expect("a");
    std::fs::write(src.join("store/mod.rs"), "pub mod rows;\nuse super::a;\n").expect("mod");
    std::fs::write(
        src.join("store/rows.rs"),
        "use crate::{a::helper, store};\npub struct Row;\n#[cfg(test)]\nmod tests {\n use crate::a;\n}\n",
    )
    .expect("rows");
    let found = cycles(&graph(src));
    assert_eq!(
        show(&found),
        "a ↔ store::rows",
        "a → store::rows → a (store → a alone closes no circle)"
    );
    // A test module declared in its own file does not hide the code after it.
    std::fs::write(
        src.join("store/mod.rs"),
        "pub mod rows;\n#[cfg(test)]\nmod tests;\nuse crate::a::helper;\n",
    )
    .expect("mod");
    std::fs::write(src.join("store/rows.rs"), "pub struct Row;\n").expect("rows");
    std::fs::write(src.join("a.rs"), "use crate::store::Store;\n").expect("a");
    assert_eq!(show(&cycles(&graph(src))), "a ↔ store");
    // Without the back edges there is none.
    std::fs::write(src.join("store/rows.rs"), "pub struct Row;\n").expect("rows");
    std::fs::write(src.join("store/mod.rs"), "pub mod rows;\n").expect("mod");
    assert!(cycles(&graph(src)).is_empty());
}

/// The longest a function may be, in lines from its `fn` line to its closing brace.
const MAX_FUNCTION_LINES: usize = 100;

/// The functions of `text` (rustfmt-formatted, test modules left out) as `(name, first
/// line, lines)`: from the `fn` line to the closing brace at its indentation.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    // A trailing `#[cfg(test)] mod tests {` ends the code.
    let end = lines
        .windows(2)
        .position(|w| {
            w[0].trim() == "#[cfg(test)]"
                && w[1].trim_start().starts_with("mod ")
                && w[1].trim_end().ends_with('{')
        })
        .unwrap_or(lines.len());
    let mut out = Vec::new();
    for (at, line) in lines[..end].iter().enumerate() {
        let code = line.trim_start();
        let indent = line.len() - code.len();
        let mut rest = code;
        for prefix in [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "const ",
            "async ",
            "unsafe ",
        ] {
            rest = rest.strip_prefix(prefix).unwrap_or(rest);
        }
        let Some(signature) = rest.strip_prefix("fn ") else {
            continue;
        };
        let name: String = signature
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The signature ends at the first line ending in `{` (a body follows), `;` (a
        // declaration) or `}` (a one-line body).
        let opens = lines[at..end]
            .iter()
            .map(|l| l.trim_end())
            .find(|l| l.ends_with(['{', ';', '}']))
            .is_some_and(|l| l.ends_with('{'));
        if !opens {
            continue;
        }
        let close = format!("{}}}", " ".repeat(indent));
        let Some(last) = lines[at..end].iter().position(|l| l.trim_end() == close) else {
            continue;
        };
        out.push((name, at + 1, last + 1));
    }
    out
}

/// Every function over the limit in the non-test code of the four crates, as
/// `path: name`.
fn long_functions() -> Vec<String> {
    let mut found = Vec::new();
    for src in [
        "crates/core/src",
        "src-tauri/src",
        "crates/gateway/src",
        "crates/cli/src",
    ] {
        for path in modules(&root().join(src)).values() {
            let text = std::fs::read_to_string(path).expect("read");
            for (name, _, lines) in functions(&text) {
                if lines > MAX_FUNCTION_LINES {
                    let shown = path.strip_prefix(root()).expect("in the workspace");
                    found.push(format!("{}: {name}", shown.display()));
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn no_function_over_100_lines_outside_tests() {
    assert_eq!(
        long_functions(),
        Vec::<String>::new(),
        "functions over {MAX_FUNCTION_LINES} lines: split them by step or by case"
    );
}

#[test]
fn the_check_sees_a_long_function() {
    // 99 body lines: 101 with the `fn` line and the brace, one over the limit.
    let body = "    let x = 1;\n".repeat(MAX_FUNCTION_LINES - 1);
    let text = format!(
        "pub async fn long() {{\n{body}}}\n\ntrait T {{\n    fn declared(\n        &self,\n    ) -> u8;\n    fn one_line() {{}}\n}}\n\nimpl A {{\n    pub(crate) fn short(&self) -> u8 {{\n        1\n    }}\n\n    fn longer() {{\n{body}    }}\n}}\n\n#[cfg(test)]\nmod tests {{\n    fn test_only() {{\n{body}{body}    }}\n}}\n"
    );
    let found: Vec<(String, usize)> = functions(&text)
        .into_iter()
        .map(|(name, _, lines)| (name, lines))
        .collect();
    assert_eq!(
        found,
        [
            ("long".to_string(), MAX_FUNCTION_LINES + 1),
            ("short".to_string(), 3),
            ("longer".to_string(), MAX_FUNCTION_LINES + 1),
        ],
        "a function counts from its `fn` line to its closing brace; declarations, one-line \
         bodies and test modules are left out"
    );
}

/// The one file allowed `unsafe` code: the mapped access epoch (its module docs say why it
/// is sound). The workspace denies `unsafe_code`; an `allow` anywhere else fails here.
const UNSAFE_ALLOWED: &str = "crates/core/src/store/epoch_map.rs";

/// Every `.rs` file under `dir` (recursively), skipping build output and node_modules.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.map(|e| e.expect("entry").path()) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() && !matches!(name, "target" | "node_modules" | ".git" | "gen") {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The files (relative to the workspace) whose text lifts the `unsafe_code` lint.
fn unsafe_allowed_in(files: &[PathBuf]) -> Vec<String> {
    let lifted = [
        "allow(unsafe_code)",
        "expect(unsafe_code)",
        "warn(unsafe_code)",
    ];
    let mut found: Vec<String> = files
        .iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            lifted.iter().any(|l| text.contains(l))
        })
        .map(|p| {
            p.strip_prefix(root())
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    found.sort();
    found
}

#[test]
fn unsafe_code_is_allowed_in_one_file_only() {
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri/src", "tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    // This file names the attribute in its strings.
    files.retain(|p| !p.ends_with("tests/structure.rs"));
    assert_eq!(
        unsafe_allowed_in(&files),
        [UNSAFE_ALLOWED],
        "`unsafe_code` is denied in the workspace: only {UNSAFE_ALLOWED} may allow it"
    );
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains("unsafe_code = \"deny\"")
            || manifest.contains("unsafe_code = \"forbid\""),
        "the workspace must deny unsafe code"
    );
}

#[test]
fn the_check_sees_unsafe_allowed_elsewhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sneaky = dir.path().join("sneaky.rs");
    std::fs::write(&sneaky, "#![allow( unsafe_code )]\nfn f() {}\n").expect("write");
    let plain = dir.path().join("plain.rs");
    std::fs::write(&plain, "fn g() {}\n").expect("write");
    assert_eq!(unsafe_allowed_in(&[sneaky.clone(), plain]).len(), 1);
}
