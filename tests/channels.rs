//! Channels end to end through the `lanyard` CLI against the real `oidc-provider`:
//! connect by deep link and by loopback, re-authorize, disconnect (the provider then says
//! the refresh token is inactive), and every hostile callback stores nothing.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};

use serde_json::Value;

use crate::oauth_server::{sign_in, with_param, Answer, OauthServer, CLIENT_ID};
use crate::util::{lanyard, stdout_json};

struct Env {
    dir: tempfile::TempDir,
    server: OauthServer,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
            server: OauthServer::start(3600),
        }
    }

    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = lanyard(self.dir.path());
        cmd.args(["--secret-store", "file", "--json"]).args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run lanyard")
    }

    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "lanyard {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout_json(&out)
    }

    fn fails(&self, args: &[&str], code: &str) -> Value {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "lanyard {args:?} should fail with {code}"
        );
        let err = stdout_json(&out);
        assert_eq!(err["code"], code, "{err}");
        err
    }

    fn add_provider(&self, redirect: &str) -> String {
        self.add_provider_with(redirect, &[])
    }

    fn add_provider_with(&self, redirect: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "provider",
            "add",
            "--discovery",
            &self.server.issuer,
            "--client-id",
            CLIENT_ID,
            "--name",
            "Test IdP",
            "--redirect",
            redirect,
        ];
        args.extend_from_slice(extra);
        let p = self.ok(&args);
        p["id"].as_str().expect("id").to_string()
    }

    /// Starts a deep-link sign-in and returns the authorization URL.
    fn start(&self, args: &[&str]) -> String {
        let started = self.ok(args);
        started["authorization_url"]
            .as_str()
            .expect("url")
            .to_string()
    }

    fn channels(&self) -> Vec<Value> {
        self.ok(&["channel", "list"])
            .as_array()
            .expect("list")
            .clone()
    }

    fn secrets(&self) -> serde_json::Map<String, Value> {
        let raw = std::fs::read(self.dir.path().join("secrets")).unwrap_or_else(|_| b"{}".to_vec());
        serde_json::from_slice::<Value>(&raw)
            .expect("secrets")
            .as_object()
            .expect("obj")
            .clone()
    }

    fn refresh_token(&self, channel: &str) -> String {
        self.secrets()
            .iter()
            .find(|(k, _)| k.ends_with(&format!("channel/{channel}/refresh")))
            .map(|(_, v)| v.as_str().expect("str").to_string())
            .expect("refresh token in the secret store")
    }
}

async fn connect_alice(env: &Env, provider: &str) -> Value {
    let url = env.start(&["channel", "connect", "--provider", provider, "--no-browser"]);
    let callback = sign_in(&url, "alice", Answer::Consent).await;
    assert!(
        callback.starts_with("app.lanyard.desktop:/oauth/callback?"),
        "{callback}"
    );
    env.ok(&["oauth", "callback", &callback])
}

#[tokio::test]
async fn connect_by_deep_link_and_keep_the_master_token_out_of_everything() {
    let env = Env::new();
    let provider = env.add_provider("deep-link");
    let url = env.start(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    // Secrets while the sign-in waits (the PKCE verifier), for the sweep below.
    let mut secrets: Vec<String> = env
        .secrets()
        .values()
        .map(|v| v.as_str().expect("str").to_string())
        .collect();
    assert!(
        !secrets.is_empty(),
        "the PKCE verifier is in the secret store"
    );
    let auth = url::Url::parse(&url).expect("url");
    let q: std::collections::HashMap<_, _> = auth.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert_eq!(q["redirect_uri"], "app.lanyard.desktop:/oauth/callback");
    assert!(q["state"].len() >= 22 && q.contains_key("nonce"));

    let callback = sign_in(&url, "alice", Answer::Consent).await;
    let out = env.run(&["oauth", "callback", &callback]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let connected = stdout_json(&out);
    assert_eq!(connected["reauthorized"], false);
    let channel = &connected["channel"];
    assert_eq!(channel["account_label"], "alice@example.com");
    assert_eq!(channel["account_subject"], "alice");
    assert_eq!(channel["status"], "active");
    let id = channel["id"].as_str().expect("id");

    let list = env.channels();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id);
    let shown = env.ok(&["channel", "show", id]);
    assert_eq!(shown["provider_name"], "Test IdP");

    // Every secret is in the secret store and nowhere else.
    let refresh = env.refresh_token(id);
    assert!(
        env.server.introspect(&refresh).await,
        "the provider knows the token"
    );
    let stored = env.secrets();
    let access = stored
        .iter()
        .find(|(k, _)| k.ends_with(&format!("channel/{id}/access")))
        .map(|(_, v)| v.as_str().expect("str").to_string())
        .expect("the access token in the secret store");
    assert!(env.server.introspect(&access).await, "a live access token");
    secrets.extend(
        stored
            .values()
            .map(|v| v.as_str().expect("str").to_string()),
    );
    let code = url::Url::parse(&callback)
        .expect("callback")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .to_string();
    secrets.push(code);
    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("callback stdout".into(), out.stdout.clone()),
        ("callback stderr".into(), out.stderr.clone()),
    ];
    for args in [
        &["channel", "list"][..],
        &["channel", "show", id],
        &["audit"],
        &["status"],
        &["provider", "list"],
    ] {
        let out = env.run(args);
        places.push((format!("{args:?} stdout"), out.stdout));
        places.push((format!("{args:?} stderr"), out.stderr));
    }
    // Every file Lanyard wrote except the secret store itself: the database, its WAL and
    // shared memory, the epoch file, anything added later.
    let mut dirs = vec![env.dir.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("data dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path != env.dir.path().join("secrets") {
                let bytes = std::fs::read(&path).expect("read");
                places.push((path.display().to_string(), bytes));
            }
        }
    }
    assert!(
        places.iter().any(|(p, _)| p.ends_with("lanyard.db")),
        "the sweep reads the database: {:?}",
        places.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        for (place, bytes) in &places {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a secret ({} bytes, starts {:?}) leaked into {place}",
                secret.len(),
                &secret[..4]
            );
        }
    }
}

#[tokio::test]
async fn hostile_callbacks_store_nothing() {
    let env = Env::new();
    let provider = env.add_provider("deep-link");

    // A forged state.
    let url = env.start(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    let callback = sign_in(&url, "alice", Answer::Consent).await;
    let forged = with_param(&callback, "state", "forged-state-value");
    let err = env.fails(&["oauth", "callback", &forged], "invalid_state");
    assert!(err["message"]
        .as_str()
        .expect("m")
        .contains("unknown state"));

    // A wrong iss (RFC 9207): refused, and the state is spent.
    let wrong_iss = with_param(&callback, "iss", "https://evil.example.com");
    env.fails(&["oauth", "callback", &wrong_iss], "authorization_failed");
    // Replayed (the state was consumed by the refused attempt).
    let err = env.fails(&["oauth", "callback", &callback], "invalid_state");
    assert!(err["message"].as_str().expect("m").contains("already used"));
    assert!(env.channels().is_empty());

    // No state at all; not our scheme; garbage.
    env.fails(
        &[
            "oauth",
            "callback",
            "app.lanyard.desktop:/oauth/callback?code=x",
        ],
        "invalid_state",
    );
    env.fails(
        &[
            "oauth",
            "callback",
            "https://evil.example.com/cb?code=x&state=y",
        ],
        "authorization_failed",
    );
    // An argument that looks like an option is a usage error, never an option applied.
    let elsewhere = env.dir.path().join("elsewhere");
    let out = env.run(&[
        "oauth",
        "callback",
        &format!("--data-dir={}", elsewhere.display()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!elsewhere.exists());
    env.fails(&["oauth", "callback", "not a url"], "authorization_failed");

    // The user declines at the provider.
    let url = env.start(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    let declined = sign_in(&url, "alice", Answer::Decline).await;
    assert!(declined.contains("error=access_denied"), "{declined}");
    let err = env.fails(&["oauth", "callback", &declined], "access_denied");
    assert!(err["message"]
        .as_str()
        .expect("m")
        .contains("you declined access at Test IdP"));

    // An error answer claiming another issuer (RFC 9207 §2.4): refused for its iss before
    // its error is read, and the provider's (here: an attacker's) words are not shown.
    let url = env.start(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    let declined = sign_in(&url, "alice", Answer::Decline).await;
    let forged = with_param(&declined, "iss", "https://evil.example.com");
    let forged = with_param(&forged, "error", "server_error");
    let forged = with_param(&forged, "error_description", "CANARY-call-0800-evil");
    let err = env.fails(&["oauth", "callback", &forged], "authorization_failed");
    let message = err["message"].as_str().expect("m");
    assert!(message.contains("iss mismatch"), "{message}");
    assert!(
        !message.contains("CANARY") && !message.contains("server_error"),
        "{message}"
    );

    // A successful connect replayed.
    let connected = connect_alice(&env, &provider).await;
    assert_eq!(connected["channel"]["status"], "active");
    assert_eq!(env.channels().len(), 1);
    let secrets_before = env.secrets();
    let url = env.start(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    let callback = sign_in(&url, "alice", Answer::Consent).await;
    env.ok(&["oauth", "callback", &callback]);
    env.fails(&["oauth", "callback", &callback], "invalid_state");
    assert_eq!(env.channels().len(), 1);
    assert_eq!(env.secrets().len(), secrets_before.len());
}

#[tokio::test]
async fn reauthorize_keeps_the_channel_and_refuses_another_account() {
    let env = Env::new();
    let provider = env.add_provider("deep-link");
    let connected = connect_alice(&env, &provider).await;
    let id = connected["channel"]["id"].as_str().expect("id").to_string();
    let first_refresh = env.refresh_token(&id);
    let generation = connected["channel"]["token_generation"]
        .as_i64()
        .expect("gen");

    let url = env.start(&["channel", "reauth", &id, "--no-browser"]);
    let callback = sign_in(&url, "alice", Answer::Consent).await;
    let again = env.ok(&["oauth", "callback", &callback]);
    assert_eq!(again["reauthorized"], true);
    assert_eq!(again["channel"]["id"], id.as_str());
    assert_eq!(
        again["channel"]["token_generation"].as_i64(),
        Some(generation + 1)
    );
    let second_refresh = env.refresh_token(&id);
    assert_ne!(first_refresh, second_refresh);

    let url = env.start(&["channel", "reauth", &id, "--no-browser"]);
    let callback = sign_in(&url, "bob", Answer::Consent).await;
    let err = env.fails(&["oauth", "callback", &callback], "account_mismatch");
    assert!(err["message"]
        .as_str()
        .expect("m")
        .contains("bob@example.com"));
    assert_eq!(
        env.refresh_token(&id),
        second_refresh,
        "nothing overwritten"
    );
    let list = env.channels();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["account_label"], "alice@example.com");
}

#[tokio::test]
async fn disconnect_revokes_at_the_provider_and_forgets_the_channel() {
    let env = Env::new();
    let provider = env.add_provider("deep-link");
    let connected = connect_alice(&env, &provider).await;
    let id = connected["channel"]["id"].as_str().expect("id").to_string();
    let refresh = env.refresh_token(&id);
    assert!(env.server.introspect(&refresh).await);

    let done = env.ok(&["channel", "disconnect", &id]);
    assert_eq!(done["revocation"]["outcome"], "revoked");
    assert_eq!(done["unlinked"], serde_json::json!(["license"]));
    assert!(
        !env.server.introspect(&refresh).await,
        "the provider still accepts the token"
    );
    assert!(env.channels().is_empty());
    assert!(
        env.secrets().keys().all(|k| !k.contains(&id)),
        "secrets left behind"
    );
    env.fails(&["channel", "show", &id], "not_found");
    env.fails(&["channel", "disconnect", &id], "not_found");
    // The provider can go now that it has no channel.
    env.ok(&["provider", "remove", &provider]);
}

#[tokio::test]
async fn connect_by_loopback() {
    let env = Env::new();
    let provider = env.add_provider_with("loopback", &["--reauth-days", "14"]);
    let mut child = env
        .cmd(&[
            "channel",
            "connect",
            "--provider",
            &provider,
            "--no-browser",
            "--timeout",
            "60",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let started: Value = serde_json::from_str(&first).expect("started json");
    let redirect = started["redirect_uri"].as_str().expect("redirect");
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"));
    let url = started["authorization_url"]
        .as_str()
        .expect("url")
        .to_string();

    let callback = sign_in(&url, "alice", Answer::Consent).await;
    assert!(callback.starts_with(redirect), "{callback}");
    // The browser follows the redirect to the loopback listener.
    let page = reqwest::get(&callback)
        .await
        .expect("loopback")
        .text()
        .await
        .expect("page");
    assert!(page.contains("return to Lanyard"));
    let mut rest = String::new();
    stdout.read_line(&mut rest).expect("result line");
    let status = child.wait().expect("wait");
    assert!(status.success());
    let connected: Value = serde_json::from_str(&rest).expect("result json");
    assert_eq!(connected["channel"]["account_label"], "alice@example.com");
    // The provider's forced re-authorization interval gives the "re-authorize by" date.
    let channel = &connected["channel"];
    let due = channel["reauth_due_at"].as_i64().expect("due date");
    assert_eq!(
        due - channel["connected_at"].as_i64().expect("connected"),
        14 * 86_400
    );
    assert_eq!(env.channels().len(), 1);
}

#[tokio::test]
async fn providers_need_a_client_id_and_templates_stay() {
    let env = Env::new();
    let all = env.ok(&["provider", "list"]);
    let ids: Vec<_> = all
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    for t in ["microsoft", "google", "dropbox"] {
        assert!(ids.contains(&Value::from(t)), "{t} template missing");
    }
    env.fails(
        &[
            "channel",
            "connect",
            "--provider",
            "microsoft",
            "--no-browser",
        ],
        "invalid_input",
    );
    env.fails(&["provider", "remove", "google"], "invalid_input");
    env.fails(
        &["provider", "add", "--template", "microsoft"],
        "invalid_input",
    );
    let ms = env.ok(&[
        "provider",
        "add",
        "--template",
        "microsoft",
        "--tenant",
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "--client-id",
        "11111111-2222-3333-4444-555555555555",
        "--reauth-days",
        "14",
    ]);
    assert_eq!(ms["kind"], "microsoft");
    assert_eq!(ms["redirect_style"], "deep_link");
    assert_eq!(
        ms["authorization_endpoint"],
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize"
    );
    // A tenant id pins the issuer without asking Microsoft (a domain is looked up: see
    // tests/providers/microsoft.rs), and the exact redirect URI to register is told.
    assert_eq!(
        ms["issuer"],
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
    );
    assert_eq!(
        ms["registration"]["redirect_uri"],
        "app.lanyard.desktop://oauth/callback"
    );
    assert_eq!(
        ms["api_base_urls"],
        serde_json::json!(["https://graph.microsoft.com/"])
    );
    assert_eq!(ms["forced_reauth_seconds"], 14 * 86_400);
    // Google's desktop clients need their secret, and accept loopback redirects only.
    let no_secret = env.fails(
        &[
            "provider",
            "add",
            "--template",
            "google",
            "--client-id",
            "g",
        ],
        "invalid_input",
    );
    assert!(no_secret["message"]
        .as_str()
        .expect("message")
        .contains("--client-secret-file"));
    let secret_file = env.dir.path().join("google-secret");
    std::fs::write(&secret_file, "GOCSPX-test\n").expect("secret file");
    let secret_arg = secret_file.to_str().expect("path");
    env.fails(
        &[
            "provider",
            "add",
            "--template",
            "google",
            "--client-id",
            "g",
            "--client-secret-file",
            secret_arg,
            "--redirect",
            "deep-link",
        ],
        "invalid_input",
    );
    let google = env.ok(&[
        "provider",
        "add",
        "--template",
        "google",
        "--client-id",
        "g-client",
        "--client-secret-file",
        secret_arg,
    ]);
    assert_eq!(google["redirect_style"], "loopback");
    assert_eq!(google["extra_auth_params"]["access_type"], "offline");
    // Plain http endpoints off loopback, CR/LF in a client id: refused.
    env.fails(
        &[
            "provider",
            "add",
            "--authorization-endpoint",
            "http://idp.example.com/auth",
            "--token-endpoint",
            "https://idp.example.com/token",
            "--client-id",
            "x",
        ],
        "invalid_input",
    );
    env.fails(
        &[
            "provider",
            "add",
            "--template",
            "google",
            "--client-id",
            "a\r\nb",
        ],
        "invalid_input",
    );
    // Discovery from a server that is down.
    env.fails(
        &[
            "provider",
            "add",
            "--discovery",
            "http://127.0.0.1:9/",
            "--client-id",
            "x",
        ],
        "provider_unavailable",
    );
}

#[tokio::test]
async fn https_provider_trusted_only_through_the_extra_ca_file() {
    let tls_dir = tempfile::tempdir().expect("tempdir");
    let tls = crate::oauth_server::TestTls::create(tls_dir.path());
    let server = OauthServer::start_with(serde_json::json!({
        "https": { "cert": tls.cert, "key": tls.key }
    }));
    assert!(
        server.issuer.starts_with("https://127.0.0.1:"),
        "{}",
        server.issuer
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |ca: Option<&std::path::Path>, args: &[&str]| {
        let mut cmd = lanyard(dir.path());
        cmd.args(["--secret-store", "file", "--json"]).args(args);
        match ca {
            Some(ca) => cmd.env("LANYARD_EXTRA_CA_FILE", ca),
            None => cmd.env_remove("LANYARD_EXTRA_CA_FILE"),
        };
        cmd.output().expect("run")
    };
    let add = [
        "provider",
        "add",
        "--discovery",
        &server.issuer,
        "--client-id",
        CLIENT_ID,
    ];
    // Untrusted certificate: refused, nothing stored.
    let out = run(None, &add);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["code"], "provider_unavailable");
    // A bad CA file is a clear error.
    let bogus = dir.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").expect("write");
    let out = run(Some(&bogus), &["status"]);
    assert_eq!(stdout_json(&out)["code"], "invalid_input");
    // Trusted through LANYARD_EXTRA_CA_FILE: the whole flow works over https.
    let out = run(Some(&tls.ca), &add);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let provider = stdout_json(&out)["id"].as_str().expect("id").to_string();
    let out = run(
        Some(&tls.ca),
        &[
            "channel",
            "connect",
            "--provider",
            &provider,
            "--no-browser",
        ],
    );
    let url = stdout_json(&out)["authorization_url"]
        .as_str()
        .expect("url")
        .to_string();
    let callback =
        crate::oauth_server::sign_in_trusting(&url, "alice", Answer::Consent, Some(&tls.ca)).await;
    let out = run(Some(&tls.ca), &["oauth", "callback", &callback]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let id = stdout_json(&out)["channel"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let out = run(Some(&tls.ca), &["channel", "disconnect", &id]);
    assert_eq!(stdout_json(&out)["revocation"]["outcome"], "revoked");
}

#[tokio::test]
async fn revocation_unavailable_is_reported_as_pending_and_the_channel_still_goes() {
    let env = Env::new();
    let provider = env.add_provider("deep-link");
    let connected = connect_alice(&env, &provider).await;
    let id = connected["channel"]["id"].as_str().expect("id").to_string();
    env.server.set_revocation_down(true).await;
    let done = env.ok(&["channel", "disconnect", &id]);
    assert_eq!(done["revocation"]["outcome"], "pending");
    assert!(done["revocation"]["detail"]
        .as_str()
        .expect("detail")
        .contains("HTTP 503"));
    assert!(env.channels().is_empty());
    // Only the refresh token is kept, for the revocation to be asked again.
    let kept: Vec<String> = env
        .secrets()
        .keys()
        .filter(|k| k.contains(&id))
        .cloned()
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        kept[0].ends_with(&format!("revocation/{id}/refresh")),
        "{kept:?}"
    );
}

#[tokio::test]
async fn a_pending_revocation_is_asked_again_when_the_provider_says() {
    use lanyard_core::clock::{Clock, FixedClock, SystemClock};
    use lanyard_core::oauth::revocations;
    use lanyard_core::oauth::revoke::Revocation;
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = std::sync::Arc::new(FixedClock::at(SystemClock.now()));
    let config = lanyard_core::Config::new(
        dir.path().to_path_buf(),
        lanyard_core::secrets::SecretStoreKind::Memory,
    );
    let l = lanyard_core::Lanyard::open_with(
        &config,
        clock.clone(),
        Some(lanyard_core::secrets::Secrets::in_memory()),
    )
    .await
    .expect("open");
    let channel = crate::oauth_server::connect_alice(&l, &server).await;
    let token = l
        .secrets()
        .get(&lanyard_core::oauth::channel::keys::refresh(&channel))
        .await
        .expect("get")
        .expect("stored")
        .expose()
        .to_string();

    // Unavailable (503, Retry-After: 120) while disconnecting: pending, and kept.
    server.set_revocation_down(true).await;
    let done = lanyard_core::oauth::channels::disconnect(&l, &channel)
        .await
        .expect("disconnect");
    assert!(
        matches!(done.revocation, Revocation::Pending(_)),
        "{:?}",
        done.revocation
    );
    assert!(
        server.introspect(&token).await,
        "still usable at the provider"
    );
    assert!(
        revocations::retry_due(&l).await.expect("retry").is_empty(),
        "not due yet"
    );

    // Asked again after the first minute: still down, and the provider asks for 120 s.
    clock.advance(revocations::FIRST_RETRY);
    let again = revocations::retry_due(&l).await.expect("retry");
    assert!(
        matches!(again[..], [(_, Revocation::Pending(_))]),
        "{again:?}"
    );
    let due = l.store().due_revocations(i64::MAX).await.expect("rows");
    assert_eq!(due[0].next_at, clock.now() + 120, "Retry-After honoured");
    clock.advance(119);
    assert!(revocations::retry_due(&l).await.expect("retry").is_empty());

    // Back up: revoked at last; the kept token and the row are gone.
    server.set_revocation_down(false).await;
    clock.advance(1);
    let last = revocations::retry_due(&l).await.expect("retry");
    assert!(matches!(last[..], [(_, Revocation::Revoked)]), "{last:?}");
    assert!(!server.introspect(&token).await, "revoked at the provider");
    assert!(l
        .secrets()
        .get(&revocations::key(&channel))
        .await
        .expect("get")
        .is_none());
    assert!(l
        .store()
        .due_revocations(i64::MAX)
        .await
        .expect("rows")
        .is_empty());
}
