//! The four lists of IPC commands name the same commands: `build.rs`'s `COMMANDS` (the
//! permissions Tauri generates), the `generate_handler!` in `src/lib.rs` (what the app
//! answers), `capabilities/main.json` (what the window is granted) and the wrappers in
//! `ui/src/lib/ipc.ts` (what the UI calls). A command added to one and forgotten in
//! another fails here, before any window opens. (`ipc_contract.rs` then sends each UI call
//! through the real handler.)

use std::collections::BTreeSet;

const BUILD_RS: &str = include_str!("../build.rs");
const LIB_RS: &str = include_str!("../src/lib.rs");
const CAPABILITIES: &str = include_str!("../capabilities/main.json");
const IPC_TS: &str = include_str!("../../ui/src/lib/ipc.ts");

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"))
        + start.len();
    let to = from
        + text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("{end:?} not found"));
    &text[from..to]
}

/// The double-quoted strings of `text`.
fn quoted(text: &str) -> BTreeSet<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn build_rs() -> BTreeSet<String> {
    quoted(between(BUILD_RS, "const COMMANDS", "];"))
}

/// The last path segment of each `generate_handler!` entry (`commands::status` → `status`).
fn handlers() -> BTreeSet<String> {
    between(LIB_RS, "generate_handler![", "]")
        .split(',')
        .map(|entry| entry.trim())
        .filter(|entry| !entry.is_empty())
        .map(|entry| entry.rsplit("::").next().unwrap_or(entry).to_string())
        .collect()
}

fn capabilities() -> BTreeSet<String> {
    let json: serde_json::Value = serde_json::from_str(CAPABILITIES).expect("main.json");
    json["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str())
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

/// Every command name the wrappers pass to `call(…)` / `call<T>(…)`.
fn ipc_ts() -> BTreeSet<String> {
    called(IPC_TS)
}

/// The first argument of each `call(…)` / `call<T>(…)` in `text`, when it is a string.
fn called(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("call") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut tail = rest;
        if tail.starts_with('<') {
            // Skip the type argument, nested angle brackets included.
            let mut depth = 0;
            let mut end = None;
            for (i, c) in tail.char_indices() {
                match c {
                    '<' => depth += 1,
                    '>' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { continue };
            tail = &tail[end..];
        }
        let Some(args) = tail.strip_prefix('(') else {
            continue;
        };
        let args = args.trim_start();
        if let Some(name) = args.strip_prefix('"') {
            if let Some(end) = name.find('"') {
                names.insert(name[..end].to_string());
            }
        }
    }
    names
}

#[test]
fn the_four_command_lists_agree() {
    let listed = build_rs();
    assert!(listed.len() > 40, "build.rs COMMANDS parsed: {listed:?}");
    assert_eq!(
        handlers(),
        listed,
        "generate_handler! in src/lib.rs vs build.rs COMMANDS"
    );
    assert_eq!(
        capabilities(),
        listed,
        "capabilities/main.json vs build.rs COMMANDS"
    );
    assert_eq!(
        ipc_ts(),
        listed,
        "ui/src/lib/ipc.ts wrappers vs build.rs COMMANDS"
    );
}

#[test]
fn the_parsers_see_what_they_should() {
    assert_eq!(
        quoted(r#"const COMMANDS: &[&str] = &["a", "b_c"];"#),
        ["a", "b_c"].into_iter().map(String::from).collect()
    );
    let ts = r#"
        export function a(): Promise<X> { return call<X>("one"); }
        export function b() { return call<Array<Map<string, Y>>>(
          "two", { x }); }
        export function c() { return call("three"); }
        function recall() { return notcall("nope"); }
    "#;
    assert_eq!(
        called(ts),
        ["one", "two", "three"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}
