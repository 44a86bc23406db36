//! Google against its emulator: a desktop-app client that sends its secret, loopback
//! redirects only, a callback with extra parameters and `iss` for some users only, ID
//! tokens with either issuer form, `login_hint` on re-authorization, and revocation.

use super::emulator::{Emulator, Kind, User, GOOGLE_SECRET};
use super::{query, wait_secs, Env};

fn add(env: &Env, emu: &Emulator) -> String {
    let secret = env.dir.path().join("client-secret");
    std::fs::write(&secret, format!("{GOOGLE_SECRET}\n")).expect("secret");
    let p = env.ok(&[
        "provider",
        "add",
        "--template",
        "google",
        "--authority",
        &emu.origin,
        "--client-id",
        "g-client.apps.googleusercontent.com",
        "--client-secret-file",
        secret.to_str().expect("path"),
    ]);
    assert_eq!(
        p["registration"]["redirect_uri"],
        "http://127.0.0.1/callback"
    );
    assert!(p["registration"]["register_at"]
        .as_str()
        .expect("where")
        .contains("Desktop app"));
    p["id"].as_str().expect("id").to_string()
}

async fn sign_in(
    env: &Env,
    emu: &Emulator,
    args: &[&str],
) -> (
    std::collections::HashMap<String, String>,
    bool,
    serde_json::Value,
) {
    let (child, stdout, started) = env.start_loopback(args);
    let url = started["authorization_url"]
        .as_str()
        .expect("url")
        .to_string();
    let q = query(&url);
    let callback = emu.authorize(&url).await.expect("signed in");
    let (ok, result) = Env::finish_loopback(child, stdout, &callback).await;
    (q, ok, result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_the_client_secret_refresh_reauthorize_and_revoke() {
    let emu = Emulator::start(Kind::Google, &[]).await;
    emu.set(|c| c.access_ttl = 4);
    let env = Env::new();
    let provider = add(&env, &emu);

    // This user gets no iss in the callback (Google does not advertise RFC 9207), and a
    // callback with scope URLs, authuser and prompt.
    let (q, ok, connected) =
        sign_in(&env, &emu, &["channel", "connect", "--provider", &provider]).await;
    assert!(ok, "{connected}");
    assert_eq!(q["access_type"], "offline");
    assert!(q["redirect_uri"].starts_with("http://127.0.0.1:"));
    let channel = connected["channel"]["id"].as_str().expect("id").to_string();
    assert_eq!(connected["channel"]["account_label"], "alice@contoso.com");
    assert_eq!(emu.calls("authorization_code"), 1);

    // The refresh also sends the secret (the emulator refuses a request without it).
    let first = env.ok(&["grant", "--license", "--channel", &channel]);
    wait_secs(4).await;
    let second = env.ok(&["grant", "--license", "--channel", &channel]);
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(emu.calls("refresh_token"), 1);
    let files = env.ok(&["preview", &format!("{}/drive/v3/files", emu.origin)]);
    assert_eq!(files["status"], 200, "{files}");

    // Another user gets iss in the callback, and an ID token whose iss has no scheme
    // (accounts.google.com): both accepted. Re-authorizing hints at the account.
    emu.set(|c| {
        c.google_iss_in_callback = true;
        c.google_bare_iss = true;
    });
    let (q, ok, back) = sign_in(&env, &emu, &["channel", "reauth", &channel]).await;
    assert!(ok, "{back}");
    assert_eq!(q["login_hint"], "alice@contoso.com");
    assert_eq!(back["reauthorized"], true);

    // The client secret is in the secret store only: not in the database (WAL included),
    // not in any command's output.
    let mut seen = String::new();
    for args in [
        vec!["provider", "list"],
        vec!["provider", "show", provider.as_str()],
        vec!["channel", "list"],
        vec!["audit"],
        vec!["status"],
    ] {
        let out = env.run(&args);
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    for name in ["lanyard.db", "lanyard.db-wal"] {
        if let Ok(bytes) = std::fs::read(env.dir.path().join(name)) {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(!seen.contains(GOOGLE_SECRET), "the client secret leaked");
    assert!(env
        .secrets()
        .values()
        .any(|v| v.as_str() == Some(GOOGLE_SECRET)));

    // Disconnect revokes at Google's endpoint; the refresh token is dead there.
    let refresh = env.refresh_token(&channel).expect("refresh token");
    let gone = env.ok(&["channel", "disconnect", &channel]);
    assert_eq!(gone["revocation"]["outcome"], "revoked", "{gone}");
    assert!(!emu.refresh_active(&refresh));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_iss_in_the_callback_is_still_refused() {
    let emu = Emulator::start(Kind::Google, &[]).await;
    let env = Env::new();
    let provider = add(&env, &emu);
    let (child, stdout, started) =
        env.start_loopback(&["channel", "connect", "--provider", &provider]);
    let url = started["authorization_url"].as_str().expect("url");
    let callback = emu.authorize(url).await.expect("signed in");
    let forged = format!("{callback}&iss=https%3A%2F%2Fevil.example.com");
    let (ok, result) = Env::finish_loopback(child, stdout, &forged).await;
    assert!(!ok);
    assert_eq!(result["code"], "authorization_failed", "{result}");
    assert_eq!(env.ok(&["channel", "list"]), serde_json::json!([]));
    assert_eq!(emu.calls("authorization_code"), 0, "no code exchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_google_user_is_its_own_channel() {
    let emu = Emulator::start(Kind::Google, &[]).await;
    let env = Env::new();
    let provider = add(&env, &emu);
    let (_, ok, _) = sign_in(&env, &emu, &["channel", "connect", "--provider", &provider]).await;
    assert!(ok);
    emu.set(|c| {
        c.next_user = User {
            sub: "1098765".into(),
            email: "bob@gmail.com".into(),
            tid: String::new(),
        }
    });
    let (_, ok, bob) = sign_in(&env, &emu, &["channel", "connect", "--provider", &provider]).await;
    assert!(ok);
    assert_eq!(bob["reauthorized"], false);
    assert_eq!(
        env.ok(&["channel", "list"]).as_array().expect("list").len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_consent_gets_a_refresh_token_from_a_user_who_consented_before() {
    // Alice consented to this client before (another computer): Google gives a refresh
    // token again only when the authorization asks for consent.
    let emu = Emulator::start(Kind::Google, &[]).await;
    emu.set(|c| {
        let alice = c.next_user.sub.clone();
        c.google_consented.push(alice);
    });
    let env = Env::new();
    let provider = add(&env, &emu);
    let (q, ok, connected) =
        sign_in(&env, &emu, &["channel", "connect", "--provider", &provider]).await;
    assert_eq!(
        q.get("prompt").map(String::as_str),
        Some("consent"),
        "{q:?}"
    );
    assert!(ok, "no refresh token without prompt=consent: {connected}");
    let channel = connected["channel"]["id"].as_str().expect("id");
    assert!(env.refresh_token(channel).is_some());
}
