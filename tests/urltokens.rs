//! URL tokens through the CLI (values from stdin, never printed, never in SQLite) and the
//! permission and prompt flow through the core with a scripted prompter.

use std::io::Write;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use lanyard_core::secrets::{SecretStoreKind, SecretValue};
use lanyard_core::urltokens::decorate::encode_form;
use lanyard_core::urltokens::permission::{
    self, Answer, Asked, PermissionRequest, Prompter, ValuesRequest,
};
use lanyard_core::urltokens::prefix::parse_request_url;
use lanyard_core::{Config, Lanyard};
use serde_json::Value;

use crate::util::{lanyard, stdout_json};

const CANARY: &str = "CANARY-7d1f0c8e-value";

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = lanyard(dir)
        .args(["--secret-store", "file", "--json"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn ok(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Value {
    let out = cli(dir, args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(CANARY),
        "a value was printed"
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(CANARY),
        "a value was printed"
    );
    stdout_json(&out)
}

fn refused(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = cli(dir, args, stdin);
    assert_eq!(out.status.code(), Some(1), "{args:?} should be refused");
    let err = stdout_json(&out);
    assert!(!err.to_string().contains(CANARY));
    err["code"].as_str().expect("code").to_string()
}

#[test]
fn tokens_through_the_cli_never_show_their_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let user = ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://data.example.com/v1/",
            "--key",
            "username",
            "--header",
        ],
        Some("alice\n"),
    );
    assert_eq!(user["token"]["prefix"], "https://data.example.com/v1");
    ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://data.example.com/v1",
            "--key",
            "password",
            "--header",
        ],
        Some(CANARY),
    );
    let api = ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://data.example.com",
            "--key",
            "apikey",
        ],
        Some(&format!("{CANARY}&admin=1")),
    );
    let odd = ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://data.example.com",
            "--key",
            "X-Api-Key",
            "--header",
        ],
        Some(CANARY),
    );
    assert!(odd["warnings"][0]
        .as_str()
        .expect("warning")
        .contains("ignored"));
    let local = ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "http://127.0.0.1:8080/feed",
            "--key",
            "k",
        ],
        Some(CANARY),
    );
    assert!(local["warnings"][0]
        .as_str()
        .expect("warning")
        .contains("plain http"));

    let report = ok(
        d,
        &[
            "token",
            "match",
            "https://DATA.example.com:443/v1/items?x=1",
            "--method",
            "POST",
        ],
        None,
    );
    let attached: Vec<(String, String)> = report["attached"]
        .as_array()
        .expect("attached")
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap_or("").into(),
                a["attached"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(attached.contains(&("username".into(), "authorization_basic".into())));
    assert!(attached.contains(&("password".into(), "authorization_basic".into())));
    assert!(attached.contains(&("apikey".into(), "form_body".into())));
    assert_eq!(report["ignored"][0]["key"], "X-Api-Key");
    let get = ok(
        d,
        &["token", "match", "https://data.example.com/v1/items"],
        None,
    );
    assert_eq!(get["form_in_query"], true);
    let none = ok(
        d,
        &["token", "match", "https://data.example.com.evil.net/v1"],
        None,
    );
    assert_eq!(none["attached"], serde_json::json!([]));
    assert_eq!(
        refused(
            d,
            &["token", "match", "https://data.example.com@evil.net/v1"],
            None
        ),
        "invalid_input"
    );

    // Edit flags and replace the value; refused edits change nothing.
    let id = api["token"]["id"].as_str().expect("id");
    let edited = ok(
        d,
        &["token", "edit", id, "--requires-permission", "true"],
        None,
    );
    assert_eq!(edited["token"]["requires_permission"], true);
    ok(d, &["token", "edit", id, "--replace-value"], Some(CANARY));
    assert_eq!(
        refused(
            d,
            &["token", "edit", id, "--url", "http://data.example.com"],
            None
        ),
        "invalid_input"
    );
    assert_eq!(
        ok(d, &["token", "show", id], None)["prefix"],
        "https://data.example.com/"
    );
    // W2: a stored value never moves to another address on its own — the new address
    // asks for the value again.
    let out = cli(
        d,
        &[
            "token",
            "edit",
            id,
            "--url",
            "https://collector.example.net/",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "invalid_input");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("enter the value again") && m.contains("--replace-value")),
        "{err}"
    );
    assert_eq!(
        ok(d, &["token", "show", id], None)["prefix"],
        "https://data.example.com/",
        "nothing moved"
    );
    let moved = ok(
        d,
        &[
            "token",
            "edit",
            id,
            "--url",
            "https://data.example.com/moved/",
            "--replace-value",
        ],
        Some(CANARY),
    );
    assert_eq!(moved["token"]["prefix"], "https://data.example.com/moved");
    ok(
        d,
        &[
            "token",
            "edit",
            id,
            "--url",
            "https://data.example.com/",
            "--replace-value",
        ],
        Some(CANARY),
    );
    let listed = ok(d, &["token", "list"], None);
    assert_eq!(listed.as_array().expect("list").len(), 5);

    // Refused inputs store nothing.
    for (args, stdin) in [
        (
            vec![
                "token",
                "add",
                "--url",
                "http://data.example.com",
                "--key",
                "k",
            ],
            Some("v"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://u:p@data.example.com",
                "--key",
                "k",
            ],
            Some("v"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://data.example.com/?q=1",
                "--key",
                "k",
            ],
            Some("v"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://data.example.com/#f",
                "--key",
                "k",
            ],
            Some("v"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://*.example.com",
                "--key",
                "k",
            ],
            Some("v"),
        ),
        (
            vec!["token", "add", "--url", "https:///x", "--key", "k"],
            Some("v"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://data.example.com",
                "--key",
                "k",
            ],
            Some("a\rb"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://data.example.com",
                "--key",
                "k",
            ],
            Some("a\nb\n"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://data.example.com",
                "--key",
                "k",
            ],
            Some("a\0b"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://data.example.com",
                "--key",
                "k\r\nX",
            ],
            Some("v"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://x.example.com",
                "--key",
                "username",
                "--header",
            ],
            Some("a:b"),
        ),
        (
            vec![
                "token",
                "add",
                "--url",
                "https://x.example.com",
                "--key",
                "k",
            ],
            Some(""),
        ),
    ] {
        assert_eq!(refused(d, &args, stdin), "invalid_input", "{args:?}");
    }
    assert_eq!(
        refused(
            d,
            &[
                "token",
                "add",
                "--url",
                "https://data.example.com",
                "--key",
                "apikey"
            ],
            Some("v")
        ),
        "conflict"
    );
    assert_eq!(
        ok(d, &["token", "list"], None)
            .as_array()
            .expect("list")
            .len(),
        5
    );

    ok(d, &["token", "remove", id], None);
    assert_eq!(refused(d, &["token", "show", id], None), "not_found");

    // The canary is in the secret store only.
    let db = std::fs::read(d.join("lanyard.db")).expect("db");
    let wal = std::fs::read(d.join("lanyard.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(
            !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "value in SQLite"
        );
    }
    let secrets = std::fs::read_to_string(d.join("secrets")).expect("secrets");
    assert!(secrets.contains(CANARY));
}

/// Answers permission questions from a script and records what it was asked.
struct Scripted {
    answers: Mutex<Vec<Answer>>,
    values: Option<Vec<String>>,
    asked: Mutex<Vec<PermissionRequest>>,
}

impl Prompter for Scripted {
    fn permission<'a>(&'a self, request: &'a PermissionRequest) -> Asked<'a, Answer> {
        Box::pin(async move {
            self.asked.lock().expect("lock").push(request.clone());
            self.answers.lock().expect("lock").remove(0)
        })
    }
    fn values<'a>(&'a self, request: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
        Box::pin(async move {
            assert!(!serde_json::to_string(request)
                .expect("json")
                .contains(CANARY));
            self.values
                .as_ref()
                .map(|v| v.iter().map(|s| SecretValue::new(s.as_str())).collect())
        })
    }
}

#[tokio::test]
async fn permission_answers_and_prompt_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://api.example.com",
            "--key",
            "token",
            "--header",
            "--requires-permission",
        ],
        Some(CANARY),
    );
    ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://api.example.com/v1",
            "--key",
            "pin",
            "--prompt",
        ],
        None,
    );
    let config = Config::new(d.to_path_buf(), SecretStoreKind::File);
    let l = Lanyard::open(&config).await.expect("open");
    let url = parse_request_url("https://api.example.com/v1/data").expect("url");
    let prompter = Arc::new(Scripted {
        answers: Mutex::new(vec![Answer::Deny, Answer::Accept, Answer::AcceptAll]),
        values: Some(vec!["1234".into()]),
        asked: Mutex::new(vec![]),
    });

    // Deny: the Bearer token stays home; the prompt token is asked and attached.
    let denied = permission::resolve(&l, "POST", &url, prompter.as_ref())
        .await
        .expect("resolve");
    assert!(denied.authorization.is_none());
    assert_eq!(denied.report.ignored[0].key, "token");
    assert_eq!(encode_form(&denied.form).expose(), "pin=1234");
    // Accept (this time): attached, and asked again next time.
    let accepted = permission::resolve(&l, "POST", &url, prompter.as_ref())
        .await
        .expect("resolve");
    assert_eq!(
        accepted.authorization.expect("auth").expose(),
        format!("Bearer {CANARY}")
    );
    // Accept all: attached and remembered.
    permission::resolve(&l, "POST", &url, prompter.as_ref())
        .await
        .expect("resolve");
    assert_eq!(prompter.asked.lock().expect("lock").len(), 3);
    let remembered = permission::resolve(&l, "POST", &url, prompter.as_ref())
        .await
        .expect("resolve");
    assert!(remembered.authorization.is_some());
    assert_eq!(
        prompter.asked.lock().expect("lock").len(),
        3,
        "not asked again"
    );
    let asked = prompter.asked.lock().expect("lock")[0].clone();
    assert_eq!(asked.origin, "https://api.example.com:443");
    assert_eq!(asked.tokens[0].key, "token");
    assert!(!serde_json::to_string(&asked)
        .expect("json")
        .contains(CANARY));

    // Decisions are listed and revocable.
    let decisions = ok(d, &["permission", "list"], None);
    let id = decisions[0]["id"].as_str().expect("id").to_string();
    ok(d, &["permission", "revoke", &id], None);
    assert_eq!(
        refused(d, &["permission", "revoke", &id], None),
        "not_found"
    );
    let report = ok(
        d,
        &["token", "match", "https://api.example.com/v1/data"],
        None,
    );
    assert!(report["attached"]
        .as_array()
        .expect("a")
        .iter()
        .any(|a| a["asks_permission"] == true));

    // A prompt cancelled: the prompt token is not attached; nothing of it was stored.
    let cancelled = Scripted {
        answers: Mutex::new(vec![Answer::Deny]),
        values: None,
        asked: Mutex::new(vec![]),
    };
    let d2 = permission::resolve(&l, "GET", &url, &cancelled)
        .await
        .expect("resolve");
    assert!(d2.form.is_empty());
    assert!(d2.report.ignored.iter().any(|i| i.key == "pin"));
    let secrets = std::fs::read_to_string(d.join("secrets")).expect("secrets");
    assert!(!secrets.contains("1234"), "a prompt value was stored");
}

/// Never answers (a question nobody sees).
struct Silent;

impl Prompter for Silent {
    fn permission<'a>(&'a self, _: &'a PermissionRequest) -> Asked<'a, Answer> {
        Box::pin(std::future::pending())
    }
    fn values<'a>(&'a self, _: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn an_unanswered_question_is_deny_and_an_idn_origin_is_asked_in_punycode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://bücher.example/api",
            "--key",
            "token",
            "--header",
            "--requires-permission",
        ],
        Some(CANARY),
    );
    ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://bücher.example/api",
            "--key",
            "pin",
            "--prompt",
        ],
        None,
    );
    let config = Config::new(d.to_path_buf(), SecretStoreKind::File);
    let l = Lanyard::open(&config).await.expect("open");
    let url = parse_request_url("https://BÜCHER.example/api/items").expect("url");

    // Nobody answers: after the timeout it is Deny, and the prompt token goes without.
    let started = std::time::Instant::now();
    let timeout = std::time::Duration::from_millis(300);
    let unanswered = permission::resolve_within(&l, "GET", &url, &Silent, timeout)
        .await
        .expect("resolve");
    assert!(started.elapsed() >= timeout);
    assert!(unanswered.authorization.is_none(), "sent without an answer");
    let ignored: Vec<_> = unanswered
        .report
        .ignored
        .iter()
        .map(|i| i.key.clone())
        .collect();
    assert_eq!(ignored, ["token", "pin"], "{:?}", unanswered.report.ignored);
    assert!(unanswered.report.ignored[0]
        .reason
        .as_deref()
        .expect("reason")
        .contains("denied"));

    // The question names the host as punycode, the form that cannot pass for another.
    let prompter = Scripted {
        answers: Mutex::new(vec![Answer::Accept]),
        values: Some(vec!["1".into()]),
        asked: Mutex::new(vec![]),
    };
    permission::resolve(&l, "GET", &url, &prompter)
        .await
        .expect("resolve");
    let asked = prompter.asked.lock().expect("lock")[0].clone();
    assert_eq!(asked.origin, "https://xn--bcher-kva.example:443");
    assert!(
        asked
            .url
            .starts_with("https://xn--bcher-kva.example/api/items"),
        "{}",
        asked.url
    );
    assert_eq!(asked.tokens[0].prefix, "https://xn--bcher-kva.example/api");
}

/// `--named-header`: the key is the header's name; the JSON says `named_header`, a match
/// says where it goes, an edit moves a token in and out of it, and a header Lanyard owns
/// is refused with nothing stored.
#[test]
fn a_named_header_token_through_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let added = ok(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://api.example.com/v2",
            "--key",
            "X-API-Key",
            "--named-header",
        ],
        Some(CANARY),
    );
    let id = added["token"]["id"].as_str().expect("id").to_string();
    assert_eq!(added["token"]["placement"], "named_header");
    let listed = ok(d, &["token", "list"], None);
    assert_eq!(listed[0]["placement"], "named_header");
    let matched = ok(
        d,
        &["token", "match", "https://api.example.com/v2/feed"],
        None,
    );
    assert_eq!(matched["attached"][0]["attached"], "header", "{matched}");
    assert_eq!(matched["attached"][0]["key"], "X-API-Key");

    let moved = ok(d, &["token", "edit", &id, "--form"], None);
    assert_eq!(moved["token"]["placement"], "form");
    let back = ok(d, &["token", "edit", &id, "--named-header"], None);
    assert_eq!(back["token"]["placement"], "named_header");
    // Its key must stay a header name while it is one.
    assert_eq!(
        refused(d, &["token", "edit", &id, "--key", "not a header"], None),
        "invalid_input"
    );

    for name in ["Cookie", "Host", "Authorization", "Transfer-Encoding"] {
        let code = refused(
            d,
            &[
                "token",
                "add",
                "--url",
                "https://other.example.com/",
                "--key",
                name,
                "--named-header",
            ],
            Some("v"),
        );
        assert_eq!(code, "invalid_input", "{name}");
    }
    let out = cli(
        d,
        &[
            "token",
            "add",
            "--url",
            "https://x.example.com/",
            "--key",
            "k",
            "--header",
            "--named-header",
        ],
        Some("v"),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "the two header placements conflict"
    );
    assert_eq!(
        ok(d, &["token", "list"], None)
            .as_array()
            .expect("list")
            .len(),
        1
    );
}
