//! One canary sweep over every flow (issue 17): connect, refresh, grant, preview, URL-token
//! add / send / accept, player add and a gateway grant, each through the `lanyard` binary
//! with `LANYARD_LOG=trace`, on the real keyring (GNOME Keyring in a private D-Bus
//! session). Every secret those flows handled — refresh and access tokens, the OAuth code
//! and PKCE verifier, the URL token value, the player secret — is then searched for in
//! every file of both data directories (SQLite, WAL, epoch, everything), in the stdout and
//! stderr of every command, and in the gateway's logs and answers. Allowed: an access
//! token in a grant's answer (handing it out is what a grant is for) and the player secret
//! in the one `player add` output that shows it, a feed link's key in the one `feed add`
//! output that shows it (the link is fetched through the gateway). A gateway worker is also made to panic
//! while it holds a player's request (`LANYARD_FAILPOINT=panic:gateway-grant`, with
//! backtraces), and its output searched too.
//!
//! Like `keyring.rs`, the test re-runs this binary inside `dbus-run-session`.
//!
//! Under Wine (the Windows pass) the same flows run with `lanyard.exe`, whose keyring is
//! Wine's Credential Manager: the status must say so, and every secret is read back
//! through that store by the core's `read_secret` example built for Windows
//! (`LANYARD_READ_SECRET`, run under Wine), since this Linux program cannot see it. The
//! sweep then proves each value is in Credential Manager and nowhere else searched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lanyard_core::oauth::channel::keys;
use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};
use serde_json::Value;

use crate::local_server::{Canned, LocalServer};
use crate::oauth_server::{sign_in, Answer, OauthServer, CLIENT_ID};

const ROLE: &str = "LANYARD_SWEEP_ROLE";
const TEST: &str = "sweep::no_secret_of_any_flow_is_found_outside_the_secret_store";
/// Under Wine: the Windows `read_secret.exe` that reads a secret from Credential Manager.
const READ_SECRET: &str = "LANYARD_READ_SECRET";

#[test]
fn no_secret_of_any_flow_is_found_outside_the_secret_store() {
    if std::env::var(ROLE).as_deref() == Ok("orchestrator") {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        return runtime.block_on(orchestrate());
    }
    if crate::util::under_wine() {
        // No D-Bus here: lanyard.exe's keyring is Wine's Credential Manager.
        assert!(
            std::env::var_os(READ_SECRET).is_some(),
            "under Wine the sweep reads secrets back with {READ_SECRET} (the core's \
             read_secret example built for Windows; tests/windows/run sets it)"
        );
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        return runtime.block_on(orchestrate());
    }
    if !crate::keyring::keyring_tools(TEST) {
        return;
    }
    let env = [(ROLE, "orchestrator")];
    crate::keyring::orchestrate_in_unlocked_keyring(TEST, &env, 240, "SWEEP-OK");
}

/// A secret to look for, and the transcripts allowed to hold it.
struct Canary {
    what: String,
    value: String,
    allowed_in: &'static [&'static str],
}

/// Everything the flows printed, by label.
#[derive(Default)]
struct Transcript {
    entries: Vec<(String, Vec<u8>)>,
}

impl Transcript {
    fn add(&mut self, label: &str, bytes: &[u8]) {
        self.entries.push((label.to_string(), bytes.to_vec()));
    }
}

/// `lanyard --data-dir dir --json args…` with trace logging, on the keyring.
async fn run(
    t: &mut Transcript,
    label: &str,
    dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Value {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::from(crate::util::lanyard(dir));
    cmd.env("LANYARD_LOG", "trace")
        .arg("--json")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn lanyard");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.expect("stdin");
    }
    drop(input);
    let out = child.wait_with_output().await.expect("lanyard");
    t.add(&format!("{label} (stdout)"), &out.stdout);
    t.add(&format!("{label} (stderr)"), &out.stderr);
    assert!(
        out.status.success(),
        "{label}: {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every command prints JSON (`channel connect`: one line first).
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(text.lines().next().unwrap_or("null")))
        .unwrap_or(Value::Null)
}

fn str_of(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing from {v}"))
        .to_string()
}

async fn secret(l: &Lanyard, key: &str) -> String {
    if crate::util::under_wine() {
        return credential_manager_secret(l.data_dir(), key).await;
    }
    l.secrets()
        .get(key)
        .await
        .expect("keyring")
        .unwrap_or_else(|| panic!("{key} is not in the keyring"))
        .expose()
        .to_string()
}

/// Under Wine: the secret `key` of the installation in `dir`, read from Wine's Credential
/// Manager through the Windows keyring store (`read_secret.exe`).
async fn credential_manager_secret(dir: &Path, key: &str) -> String {
    let runner = std::env::var_os("LANYARD_BIN_RUNNER").expect("runner");
    let probe = std::env::var_os(READ_SECRET).expect(READ_SECRET);
    let out = tokio::process::Command::new(runner)
        .arg(probe)
        .arg(dir)
        .arg(key)
        .output()
        .await
        .expect("read_secret.exe");
    assert!(
        out.status.success(),
        "{key} is not in Credential Manager: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// SIGTERM, then its remaining output into the transcript; returns its stderr.
fn stop(child: std::process::Child, label: &str, t: &mut Transcript) -> String {
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("output");
    t.add(&format!("{label} (stdout)"), &out.stdout);
    t.add(&format!("{label} (stderr)"), &out.stderr);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

async fn orchestrate() {
    let mut t = Transcript::default();
    let mut canaries: Vec<Canary> = Vec::new();
    let root = tempfile::tempdir().expect("tempdir");
    let (a, b, files) = (
        root.path().join("alice"),
        root.path().join("bob"),
        root.path().join("files"),
    );
    std::fs::create_dir(&files).expect("mkdir");
    let server = OauthServer::start(3600);
    let data = LocalServer::start().await;
    data.route(
        "/api/feed",
        Canned::ok("application/json", r#"{"ok":true}"#),
    );
    let api = format!("{}/api", data.base);

    // Connect (deep link, the browser played by the scripted sign-in).
    let provider = run(
        &mut t,
        "provider add",
        &a,
        &[
            "provider",
            "add",
            "--discovery",
            &server.issuer,
            "--client-id",
            CLIENT_ID,
            "--name",
            "Test IdP",
            "--redirect",
            "deep-link",
            "--api-base",
            &api,
        ],
        None,
    )
    .await;
    let provider = str_of(&provider, "id");
    let started = run(
        &mut t,
        "channel connect",
        &a,
        &[
            "channel",
            "connect",
            "--provider",
            &provider,
            "--no-browser",
        ],
        None,
    )
    .await;
    // Under Wine this side only reads the database: the secrets are read back from
    // Credential Manager by `read_secret.exe` (see `secret`).
    let kind = if crate::util::under_wine() {
        let status = run(&mut t, "status", &a, &["status"], None).await;
        let store = &status["secret_store"];
        assert_eq!(store["backend"], "keyring", "{status}");
        assert_eq!(store["usable"], true, "{status}");
        assert!(
            store["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Windows Credential Manager")),
            "{status}"
        );
        SecretStoreKind::Memory
    } else {
        SecretStoreKind::Keyring
    };
    let l = Lanyard::open(&Config::new(a.clone(), kind))
        .await
        .expect("open alice's installation");
    let verifier_key = format!("pending/{}/verifier", str_of(&started, "pending_id"));
    canaries.push(Canary {
        what: "the PKCE verifier".into(),
        value: secret(&l, &verifier_key).await,
        allowed_in: &[],
    });
    let callback = sign_in(
        &str_of(&started, "authorization_url"),
        "alice",
        Answer::Consent,
    )
    .await;
    let code = url::Url::parse(&callback)
        .expect("callback")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    canaries.push(Canary {
        what: "the authorization code".into(),
        value: code,
        allowed_in: &[],
    });
    // The callback URL is the command's argument: it is in no transcript of ours.
    let connected = run(
        &mut t,
        "oauth callback",
        &a,
        &["oauth", "callback", &callback],
        None,
    )
    .await;
    let channel = str_of(&connected["channel"], "id");
    let grants: &[&str] = &[
        "grant (stdout)",
        "grant after refresh (stdout)",
        "gateway grant answer",
    ];
    let mut tokens = |what: &str, value: String, allowed: &'static [&'static str]| {
        canaries.push(Canary {
            what: what.into(),
            value,
            allowed_in: allowed,
        })
    };
    tokens(
        "the first refresh token",
        secret(&l, &keys::refresh(&channel)).await,
        &[],
    );
    tokens(
        "the first access token",
        secret(&l, &keys::access(&channel)).await,
        grants,
    );

    // Grant, then refresh (the cached token made to look expired).
    run(
        &mut t,
        "grant",
        &a,
        &["grant", "--license", "--channel", &channel],
        None,
    )
    .await;
    sqlx::query("UPDATE channel SET access_token_expires_at = 0 WHERE id = $1")
        .bind(&channel)
        .execute(l.store().pool())
        .await
        .expect("expire");
    run(
        &mut t,
        "grant after refresh",
        &a,
        &["grant", "--license", "--channel", &channel],
        None,
    )
    .await;
    assert_eq!(
        server.counts().await["refresh_token"],
        1,
        "the refresh happened"
    );
    tokens(
        "the rotated refresh token",
        secret(&l, &keys::refresh(&channel)).await,
        &[],
    );
    tokens(
        "the refreshed access token",
        secret(&l, &keys::access(&channel)).await,
        grants,
    );

    // A URL token: added (value on stdin), previewed with the channel's token, sent to Bob,
    // accepted and used by him.
    let url_value = format!("CANARY-sweep-url-{}", std::process::id());
    canaries.push(Canary {
        what: "the URL token value".into(),
        value: url_value.clone(),
        allowed_in: &[],
    });
    let added = run(
        &mut t,
        "token add",
        &a,
        &["token", "add", "--url", &api, "--key", "api_key"],
        Some(&url_value),
    )
    .await;
    let token_id = str_of(&added["token"], "id");
    let feed = format!("{api}/feed");
    run(&mut t, "preview", &a, &["preview", &feed], None).await;
    run(
        &mut t,
        "identity rename",
        &a,
        &["identity", "rename", "Alice"],
        None,
    )
    .await;
    run(
        &mut t,
        "identity rename (bob)",
        &b,
        &["identity", "rename", "Bob"],
        None,
    )
    .await;
    let card_file = files.join("alice.lanyard-contact");
    let card_path = card_file.to_str().expect("utf-8");
    run(
        &mut t,
        "identity export",
        &a,
        &["identity", "export", "--out", card_path],
        None,
    )
    .await;
    run(
        &mut t,
        "contact add (bob)",
        &b,
        &["contact", "add", card_path],
        None,
    )
    .await;
    let bob = run(
        &mut t,
        "identity show (bob)",
        &b,
        &["identity", "show"],
        None,
    )
    .await;
    run(
        &mut t,
        "contact add",
        &a,
        &["contact", "add", &str_of(&bob, "card")],
        None,
    )
    .await;
    let sent = run(
        &mut t,
        "token send",
        &a,
        &["token", "send", &token_id, "--to", "Bob"],
        None,
    )
    .await;
    let offer = run(
        &mut t,
        "offer import",
        &b,
        &["offer", "import", &str_of(&sent, "link")],
        None,
    )
    .await;
    run(
        &mut t,
        "offer accept",
        &b,
        &["offer", "accept", &str_of(&offer, "id")],
        None,
    )
    .await;
    run(&mut t, "preview (bob)", &b, &["preview", &feed], None).await;
    let arrived = data.seen();
    assert_eq!(arrived.len(), 2, "both previews reached the server");
    assert!(arrived.iter().all(|s| s.target.contains(&url_value)));

    // A player and a gateway grant.
    let player = run(&mut t, "player add", &a, &["player", "add", "Lobby"], None).await;
    let (player_id, player_secret) = (str_of(&player, "id"), str_of(&player, "secret"));
    canaries.push(Canary {
        what: "the player secret".into(),
        value: player_secret.clone(),
        allowed_in: &["player add (stdout)"],
    });
    run(
        &mut t,
        "link add",
        &a,
        &["link", "add", "--player", &player_id, "--channel", &channel],
        None,
    )
    .await;
    // New channels lend data through /v1/fetch only ("proxy"); this flow also checks the
    // hand-out of provider tokens, so the channel lends them ("token").
    run(
        &mut t,
        "channel set --handout token",
        &a,
        &["channel", "set", &channel, "--handout", "token"],
        None,
    )
    .await;
    let mut gateway = crate::util::lanyard(&a)
        .env("LANYARD_LOG", "trace")
        .args(["--json", "gateway", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gateway");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(gateway.stdout.as_mut().expect("stdout")),
        &mut line,
    )
    .expect("listening line");
    t.add("gateway (stdout)", line.as_bytes());
    let listening: Value = serde_json::from_str(&line).expect("listening");
    let gw = str_of(&listening, "listening");
    let client = reqwest::Client::new();
    for (label, bearer) in [
        ("gateway grant answer", player_secret.clone()),
        (
            "gateway refusal",
            format!("{}AAAA", &player_secret[..player_secret.len() - 4]),
        ),
    ] {
        let answer = client
            .post(format!("{gw}/v1/grants"))
            .bearer_auth(bearer)
            .json(&serde_json::json!({ "channel": channel }))
            .send()
            .await
            .expect("gateway");
        let status = answer.status().as_u16();
        let body = answer.bytes().await.expect("body");
        t.add(label, &body);
        assert_eq!(
            status == 200,
            label == "gateway grant answer",
            "{label}: {status}"
        );
    }
    // A feed link (issue 31): made once (its one allowed transcript), fetched through the
    // gateway with the right key and a wrong one; the key must be nowhere else.
    let feed_url = format!("{api}/feed");
    let made = run(
        &mut t,
        "feed add",
        &a,
        &[
            "feed",
            "add",
            "--player",
            &player_id,
            "--url",
            &feed_url,
            "--gateway",
            &gw,
        ],
        None,
    )
    .await;
    let feed_link = str_of(&made, "link");
    let feed_key = feed_link.rsplit('/').next().expect("key").to_string();
    canaries.push(Canary {
        what: "the feed link's key".into(),
        value: feed_key.clone(),
        allowed_in: &["feed add (stdout)"],
    });
    let fed = client.get(&feed_link).send().await.expect("feed link");
    assert_eq!(fed.status().as_u16(), 200, "the feed link answers");
    t.add("feed link answer", &fed.bytes().await.expect("body"));
    let wrong = format!(
        "{}/{}",
        &feed_link[..feed_link.len() - feed_key.len() - 1],
        "A".repeat(43)
    );
    let refused = client.get(&wrong).send().await.expect("feed link");
    assert_eq!(refused.status().as_u16(), 404);
    t.add("feed link refusal", &refused.bytes().await.expect("body"));
    let queried = client
        .get(format!("{feed_link}?x=1"))
        .send()
        .await
        .expect("feed link");
    assert_eq!(queried.status().as_u16(), 403);
    t.add(
        "feed link query refusal",
        &queried.bytes().await.expect("body"),
    );
    run(&mut t, "feed list", &a, &["feed", "list"], None).await;
    run(&mut t, "audit (after feeds)", &a, &["audit"], None).await;
    let metrics = client
        .get(format!("{gw}/metrics"))
        .send()
        .await
        .expect("metrics");
    t.add("gateway metrics", &metrics.bytes().await.expect("body"));
    stop(gateway, "gateway", &mut t);

    // A worker that panics while it holds an authenticated request (with backtraces on).
    let mut panicking = crate::util::lanyard(&a)
        .env("LANYARD_LOG", "trace")
        .env("RUST_BACKTRACE", "1")
        .env(lanyard_core::failpoint::ENV, "panic:gateway-grant")
        .args(["--json", "gateway", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gateway");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(panicking.stdout.as_mut().expect("stdout")),
        &mut line,
    )
    .expect("listening line");
    let gw = str_of(
        &serde_json::from_str(&line).expect("listening"),
        "listening",
    );
    let answer = client
        .post(format!("{gw}/v1/grants"))
        .bearer_auth(&player_secret)
        .json(&serde_json::json!({ "channel": channel }))
        .send()
        .await;
    if let Ok(answer) = answer {
        let body = answer.bytes().await.unwrap_or_default();
        t.add("panicking gateway answer", &body);
    }
    let stderr = stop(panicking, "panicking gateway", &mut t);
    assert!(
        stderr.contains("failpoint gateway-grant"),
        "the worker did not panic"
    );
    drop(l);

    // The sweep.
    let mut paths = Vec::new();
    files_under(&a, &mut paths);
    files_under(&b, &mut paths);
    files_under(&files, &mut paths);
    for path in &paths {
        let bytes = std::fs::read(path).expect("read");
        t.add(&format!("file {}", path.display()), &bytes);
    }
    let mut hits = Vec::new();
    for canary in &canaries {
        assert!(
            canary.value.len() >= 16,
            "{} is too short to search for",
            canary.what
        );
        let mut seen_where_allowed = false;
        for (label, bytes) in &t.entries {
            let found = bytes
                .windows(canary.value.len())
                .any(|w| w == canary.value.as_bytes());
            if found && !canary.allowed_in.contains(&label.as_str()) {
                hits.push(format!("{} in {label}", canary.what));
            }
            seen_where_allowed |= found && canary.allowed_in.contains(&label.as_str());
        }
        // A value the secret store gave back is the one the flows used: it shows up
        // where it is allowed to (the grant's answer, the one output that shows it).
        assert!(
            canary.allowed_in.is_empty() || seen_where_allowed,
            "{} read back from the secret store is not the one handed out",
            canary.what
        );
    }
    let searched: usize = t.entries.iter().map(|(_, b)| b.len()).sum();
    println!(
        "searched {} transcripts and files ({searched} bytes) for {} secrets",
        t.entries.len(),
        canaries.len()
    );
    assert!(
        hits.is_empty(),
        "secrets found outside the secret store:\n{}",
        hits.join("\n")
    );
    // The sweep searched what it meant to: trace logs were written, the player secret is
    // where it is allowed.
    let stderr_bytes: usize = t
        .entries
        .iter()
        .filter(|(l, _)| l.ends_with("(stderr)"))
        .map(|(_, b)| b.len())
        .sum();
    assert!(
        stderr_bytes > 10_000,
        "LANYARD_LOG=trace wrote only {stderr_bytes} bytes"
    );
    println!("SWEEP-OK");
}
