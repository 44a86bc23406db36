//! Sharing through the CLI between two installations (two data directories): cards
//! exchanged, a token sent as a link and as a file, accepted, used by a preview exactly as
//! at the sender, never readable; every refusal; a canary sweep of the recipient.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::local_server::{Canned, LocalServer};
use crate::util::{lanyard, stdout_json};

const CANARY: &str = "CANARY-3b9e51d2-shared";
const FORM_CANARY: &str = "CANARY-77aa01c4-form";

fn cli(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = lanyard(dir)
        .args(["--secret-store", "file", "--json"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        input.write_all(bytes).expect("write");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn no_canary(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in [CANARY, FORM_CANARY] {
        assert!(
            !text.contains(c),
            "a token value leaked into {what}:\n{text}"
        );
    }
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    ok_in(dir, args, None)
}

fn ok_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Value {
    let out = cli(dir, args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_json(&out)
}

/// Runs a command that must fail with exit 1 and no value in its output; returns the code.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out = cli(dir, args, None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should be refused: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    no_canary("an error", &out.stdout);
    no_canary("an error", &out.stderr);
    stdout_json(&out)["code"]
        .as_str()
        .expect("code")
        .to_string()
}

struct Pair {
    _root: tempfile::TempDir,
    a: std::path::PathBuf,
    b: std::path::PathBuf,
    files: std::path::PathBuf,
}

/// Alice and Bob, each with their own Lanyard, who exchanged cards.
fn pair() -> Pair {
    let root = tempfile::tempdir().expect("tempdir");
    let (a, b, files) = (
        root.path().join("alice"),
        root.path().join("bob"),
        root.path().join("files"),
    );
    std::fs::create_dir(&files).expect("mkdir");
    ok(&a, &["identity", "rename", "Alice"]);
    ok(&b, &["identity", "rename", "Bob"]);
    // Alice's card travels as a file, Bob's as pasted text.
    let card_file = files.join("alice.lanyard-contact");
    ok(
        &a,
        &[
            "identity",
            "export",
            "--out",
            card_file.to_str().expect("utf-8"),
        ],
    );
    let added = ok(&b, &["contact", "add", card_file.to_str().expect("utf-8")]);
    let alice = ok(&a, &["identity", "show"]);
    assert_eq!(added["fingerprint"], alice["fingerprint"]);
    assert_eq!(added["name"], "Alice");
    let bob = ok(&b, &["identity", "show"]);
    let card = bob["card"].as_str().expect("card");
    assert!(card.starts_with("lanyard://contact/"));
    let added = ok(&a, &["contact", "add", &format!("  {card}\n")]);
    assert_eq!(added["fingerprint"], bob["fingerprint"]);
    Pair {
        _root: root,
        a,
        b,
        files,
    }
}

/// Bob's card saved again by Notepad on Alice's Windows machine (a UTF-8 byte order mark,
/// CRLF): added exactly like the original. A card with a line break inside is refused.
#[test]
fn a_card_saved_by_notepad_is_added_like_the_original() {
    let root = tempfile::tempdir().expect("tempdir");
    let (a, b) = (root.path().join("alice"), root.path().join("bob"));
    ok(&b, &["identity", "rename", "Bob"]);
    let original = root.path().join("bob.lanyard-contact");
    let original = original.to_str().expect("utf-8");
    ok(&b, &["identity", "export", "--out", original]);
    let card = std::fs::read_to_string(original).expect("card");
    let saved = root.path().join("bob-notepad.lanyard-contact");
    std::fs::write(
        &saved,
        format!("\u{feff}{}\r\n", card.trim_end().replace('\n', "\r\n")),
    )
    .expect("write");
    let cut = "lanyard://contact/".len() + 10;
    let broken = root.path().join("bob-broken.lanyard-contact");
    std::fs::write(
        &broken,
        format!("\u{feff}{}\r\n{}\r\n", &card[..cut], &card[cut..]),
    )
    .expect("write");
    assert_eq!(
        refused(&a, &["contact", "add", broken.to_str().expect("utf-8")]),
        "invalid_input"
    );
    assert_eq!(
        ok(&a, &["contact", "list"]).as_array().map(Vec::len),
        Some(0)
    );
    let added = ok(&a, &["contact", "add", saved.to_str().expect("utf-8")]);
    let bob = ok(&b, &["identity", "show"]);
    assert_eq!(added["fingerprint"], bob["fingerprint"]);
    assert_eq!(added["name"], "Bob");
}

fn add_token(dir: &Path, url: &str, key: &str, header: bool, value: &str) -> String {
    let mut args = vec!["token", "add", "--url", url, "--key", key];
    if header {
        args.push("--header");
    }
    ok_in(dir, &args, Some(value.as_bytes()))["token"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn preview(dir: &Path, url: &str) -> Value {
    let (dir, url) = (dir.to_path_buf(), url.to_string());
    tokio::task::spawn_blocking(move || {
        let out = cli(&dir, &["preview", &url], None);
        no_canary("a preview report", &out.stdout);
        no_canary("a preview's stderr", &out.stderr);
        assert!(
            out.status.success(),
            "preview: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        stdout_json(&out)
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_installations_share_a_token_the_recipient_uses_but_cannot_read() {
    let p = pair();
    let server = LocalServer::start().await;
    server.route(
        "/feeds/today",
        Canned::ok("application/json", r#"{"ok":true}"#),
    );
    let prefix = format!("{}/feeds", server.base);
    let bearer = add_token(&p.a, &prefix, "token", true, CANARY);
    let form = add_token(&p.a, &prefix, "api_key", false, FORM_CANARY);

    // One offer as a link, one as a file.
    let sent = ok(&p.a, &["token", "send", &bearer, "--to", "Bob"]);
    let link = sent["link"].as_str().expect("a small offer has a link");
    assert!(link.starts_with("lanyard://offer/"));
    no_canary("the offer link", link.as_bytes());
    let file = p.files.join("form.lanyard-offer");
    let sent_file = ok(
        &p.a,
        &[
            "token",
            "send",
            &form,
            "--to",
            "Bob",
            "--out",
            file.to_str().expect("utf-8"),
        ],
    );
    no_canary("the offer file", &std::fs::read(&file).expect("read"));
    no_canary("the send output", sent_file.to_string().as_bytes());

    let first = ok(&p.b, &["offer", "import", link]);
    assert_eq!(first["contact_name"], "Alice");
    assert_eq!(first["status"], "pending");
    let second = ok(&p.b, &["offer", "import", file.to_str().expect("utf-8")]);
    assert_eq!(second["key"], "api_key");
    assert_eq!(second["placement"], "form");
    let inbox = ok(&p.b, &["offer", "list"]);
    assert_eq!(inbox.as_array().expect("list").len(), 2);

    let accepted = ok(
        &p.b,
        &["offer", "accept", first["id"].as_str().expect("id")],
    );
    assert_eq!(accepted["origin"], "received");
    assert_eq!(accepted["viewable"], false);
    ok(
        &p.b,
        &["offer", "accept", second["id"].as_str().expect("id")],
    );
    assert!(ok(&p.b, &["offer", "list"])
        .as_array()
        .expect("list")
        .is_empty());

    // Used exactly as at the sender.
    let url = format!("{prefix}/today");
    let at_alice = preview(&p.a, &url).await;
    let at_bob = preview(&p.b, &url).await;
    assert_eq!(at_alice["status"], 200);
    assert_eq!(at_bob["status"], 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {CANARY}").as_str())
    );
    assert_eq!(
        seen[1].header("authorization"),
        seen[0].header("authorization")
    );
    assert_eq!(seen[1].target, seen[0].target);
    assert!(seen[1].target.contains(FORM_CANARY));
    let creds = |report: &Value| -> Vec<(Value, Value, Value)> {
        report["hops"][0]["credentials"]
            .as_array()
            .expect("credentials")
            .iter()
            .map(|c| {
                (
                    c["key"].clone(),
                    c["placement"].clone(),
                    c["source"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(creds(&at_bob), creds(&at_alice));
    assert_eq!(creds(&at_bob).len(), 2);

    // Not readable, not editable, not sendable on; removable.
    let received = accepted["id"].as_str().expect("id");
    let shown = ok(&p.b, &["token", "show", received]);
    assert_eq!(shown["viewable"], false);
    let bob_list = ok(&p.b, &["token", "list"]);
    assert!(bob_list
        .as_array()
        .expect("list")
        .iter()
        .all(|t| t["origin"] == "received"));
    assert_eq!(
        refused(
            &p.b,
            &[
                "token",
                "edit",
                received,
                "--url",
                "https://evil.example.com/"
            ]
        ),
        "invalid_input"
    );
    assert_eq!(
        refused(&p.b, &["token", "send", received, "--to", "Alice"]),
        "invalid_input"
    );

    // The canary sweep: nothing at Bob's holds a value but the secret store itself (the
    // opt-in file store here; the OS keyring otherwise).
    for entry in std::fs::read_dir(&p.b).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "secrets") {
            continue;
        }
        if path.is_file() {
            no_canary(
                &path.display().to_string(),
                &std::fs::read(&path).expect("read"),
            );
        }
    }
    ok(&p.b, &["token", "remove", received]);
}

/// A card or offer (`prefix` + body + `.` + signature) with one field of its body changed
/// and the original signature kept.
fn tamper(text: &str, prefix: &str, field: &str, value: Value) -> String {
    let rest = text.trim().strip_prefix(prefix).expect("prefix");
    let (body, sig) = rest.split_once('.').expect("dot");
    let mut json: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).expect("b64")).expect("json");
    json[field] = value;
    format!(
        "{prefix}{}.{sig}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).expect("json"))
    )
}

#[test]
fn every_bad_offer_is_refused_and_nothing_is_stored() {
    let p = pair();
    let carol = p.files.join("carol");
    ok(&carol, &["identity", "rename", "Carol"]);
    let carol_card = ok(&carol, &["identity", "show"])["card"]
        .as_str()
        .expect("card")
        .to_string();
    ok(&p.a, &["contact", "add", &carol_card]);
    ok(
        &carol,
        &[
            "contact",
            "add",
            ok(&p.b, &["identity", "show"])["card"]
                .as_str()
                .expect("card"),
        ],
    );
    let token = add_token(&p.a, "https://data.example.com/v1/", "token", true, CANARY);
    let to_bob = ok(&p.a, &["token", "send", &token, "--to", "Bob"])["link"]
        .as_str()
        .expect("link")
        .to_string();
    let to_carol = ok(&p.a, &["token", "send", &token, "--to", "Carol"])["link"]
        .as_str()
        .expect("link")
        .to_string();
    let carol_token = add_token(&carol, "https://c.example.com/", "token", true, "carols");
    let from_carol = ok(&carol, &["token", "send", &carol_token, "--to", "Bob"])["link"]
        .as_str()
        .expect("link")
        .to_string();

    // Bob does not know Carol.
    assert_eq!(
        refused(&p.b, &["offer", "import", &from_carol]),
        "unknown_contact"
    );
    // Sealed for Carol.
    assert_eq!(
        refused(&p.b, &["offer", "import", &to_carol]),
        "wrong_recipient"
    );
    // Re-pointed or with its flags changed: the signature no longer verifies.
    for (field, value) in [
        ("prefix", Value::from("https://evil.example.com/")),
        ("requires_permission", Value::from(false)),
        ("placement", Value::from("form")),
    ] {
        assert_eq!(
            refused(
                &p.b,
                &[
                    "offer",
                    "import",
                    &tamper(&to_bob, "lanyard://offer/", field, value)
                ]
            ),
            "bad_signature"
        );
    }
    // Malformed, not text, oversized, missing.
    let garbage = p.files.join("garbage.lanyard-offer");
    std::fs::write(&garbage, "lanyard://offer/this-is-not.an-offer").expect("write");
    let binary = p.files.join("binary.lanyard-offer");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x01]).expect("write");
    let huge = p.files.join("huge.lanyard-offer");
    std::fs::write(&huge, format!("{to_bob}{}", "A".repeat(200 * 1024))).expect("write");
    for bad in [
        garbage.to_str().expect("utf-8"),
        binary.to_str().expect("utf-8"),
        huge.to_str().expect("utf-8"),
        "lanyard://offer/",
        "lanyard://offer/%0d%0a.x",
        &to_bob[..to_bob.len() - 5],
        "/nonexistent/offer.lanyard-offer",
    ] {
        assert_eq!(
            refused(&p.b, &["offer", "import", bad]),
            "invalid_input",
            "{bad:.60}"
        );
    }
    // Nothing was stored.
    let all = ok(&p.b, &["offer", "list", "--all"]);
    assert!(all.as_array().expect("list").is_empty(), "{all}");

    // The real one, once; then it is a replay, also after a reject.
    let offer = ok(&p.b, &["offer", "import", &to_bob]);
    assert_eq!(refused(&p.b, &["offer", "import", &to_bob]), "replayed");
    let id = offer["id"].as_str().expect("id");
    assert_eq!(ok(&p.b, &["offer", "reject", id])["status"], "rejected");
    assert_eq!(refused(&p.b, &["offer", "import", &to_bob]), "replayed");
    assert_eq!(refused(&p.b, &["offer", "accept", id]), "invalid_state");
    assert!(ok(&p.b, &["token", "list"])
        .as_array()
        .expect("list")
        .is_empty());

    // Cards: altered, one's own, twice.
    let alice_card = ok(&p.a, &["identity", "show"])["card"]
        .as_str()
        .expect("card")
        .to_string();
    let forged = tamper(
        &alice_card,
        "lanyard://contact/",
        "name",
        "Alice (really Mallory)".into(),
    );
    assert_eq!(
        refused(&carol, &["contact", "add", &forged]),
        "bad_signature"
    );
    assert_eq!(
        refused(&p.a, &["contact", "add", &alice_card]),
        "invalid_input"
    );
    assert_eq!(refused(&p.b, &["contact", "add", &alice_card]), "conflict");
    assert_eq!(
        refused(&p.b, &["contact", "add", "not a card"]),
        "invalid_input"
    );
    // Only contacts can be sent to.
    assert_eq!(
        refused(&p.a, &["token", "send", &token, "--to", "Dave"]),
        "not_found"
    );
}
