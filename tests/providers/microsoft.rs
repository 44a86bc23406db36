//! Microsoft 365 (Entra ID v2.0) against its emulator: a tenant given as a domain, the
//! `scheme://` redirect Entra accepts, no `prompt=consent`, per-resource tokens (Graph and
//! SharePoint), `interaction_required` on refresh, re-authorization with `login_hint`,
//! and a disconnect that says Microsoft cannot revoke.

use super::emulator::{Emulator, Kind, User, CLIENT_ID, CONTOSO_TID};
use super::{query, wait_secs, Env};

const REDIRECTS: [&str; 2] = [
    "app.lanyard.desktop://oauth/callback",
    "http://127.0.0.1/callback",
];

fn add(env: &Env, emu: &Emulator, tenant: &str) -> String {
    let sharepoint = format!("{}/", emu.sharepoint);
    let p = env.ok(&[
        "provider",
        "add",
        "--template",
        "microsoft",
        "--tenant",
        tenant,
        "--authority",
        &emu.origin,
        "--client-id",
        CLIENT_ID,
        "--api-base",
        &sharepoint,
    ]);
    p["id"].as_str().expect("id").to_string()
}

/// Connects the emulator's next user by deep link; returns the channel id.
async fn connect(env: &Env, emu: &Emulator, provider: &str) -> String {
    let started = env.ok(&["channel", "connect", "--provider", provider, "--no-browser"]);
    let url = started["authorization_url"].as_str().expect("url");
    let callback = emu.authorize(url).await.expect("signed in");
    let connected = env.ok(&["oauth", "callback", &callback]);
    connected["channel"]["id"].as_str().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_tenant_connects_refreshes_each_resource_and_cannot_be_revoked() {
    let emu = Emulator::start(Kind::Microsoft, &REDIRECTS).await;
    emu.set(|c| c.access_ttl = 4);
    let env = Env::new();

    // The tenant's GUID is learned when the provider is added ("ID token claims
    // reference": iss is https://login.microsoftonline.com/{tenant GUID}/v2.0).
    let provider = add(&env, &emu, "contoso.onmicrosoft.com");
    let shown = env.ok(&["provider", "show", &provider]);
    assert_eq!(
        shown["issuer"],
        format!("{}/{CONTOSO_TID}/v2.0", emu.origin)
    );
    // The redirect URI to register, in the form Entra's portal accepts, and where.
    assert_eq!(
        shown["registration"]["redirect_uri"],
        "app.lanyard.desktop://oauth/callback"
    );
    assert!(shown["registration"]["register_at"]
        .as_str()
        .expect("where")
        .contains("Mobile and desktop applications"));
    let text = env
        .cmd(&["provider", "show", &provider])
        .output()
        .expect("show");
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains("app.lanyard.desktop://oauth/callback"),
        "{text}"
    );

    let started = env.ok(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    let url = started["authorization_url"].as_str().expect("url");
    let q = query(url);
    assert_eq!(q["redirect_uri"], "app.lanyard.desktop://oauth/callback");
    // Never prompt=consent (it blocks users who may not consent, AADSTS90094); a new
    // account lets the user choose; offline_access alone yields the refresh token.
    assert_eq!(q.get("prompt").map(String::as_str), Some("select_account"));
    assert!(q["scope"].split(' ').any(|s| s == "offline_access"));
    let callback = emu
        .authorize(url)
        .await
        .expect("no consent prompt, no error page");
    assert!(
        callback.starts_with("app.lanyard.desktop://oauth/callback?"),
        "{callback}"
    );
    let connected = env.ok(&["oauth", "callback", &callback]);
    let channel = connected["channel"]["id"].as_str().expect("id").to_string();
    assert_eq!(connected["channel"]["account_label"], "alice@contoso.com");

    // Grants, then a grant after the access token expired: one refresh.
    let first = env.ok(&["grant", "--license", "--channel", &channel]);
    wait_secs(4).await;
    let second = env.ok(&["grant", "--license", "--channel", &channel]);
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(emu.calls("refresh_token"), 1);

    // Each resource gets its own token: the emulated Graph and SharePoint each refuse
    // the other's ("An access token is for one resource").
    let graph = env.ok(&["preview", &format!("{}/v1.0/me", emu.origin)]);
    assert_eq!(graph["status"], 200, "{graph}");
    let site = env.ok(&["preview", &format!("{}/_api/web", emu.sharepoint)]);
    assert_eq!(site["status"], 200, "{site}");
    let for_site = env.ok(&[
        "grant",
        "--license",
        "--channel",
        &channel,
        "--url",
        &format!("{}/_api/web", emu.sharepoint),
    ]);
    assert_eq!(for_site["audience"], emu.sharepoint.as_str());
    assert_ne!(for_site["access_token"], second["access_token"]);
    env.fails(
        &[
            "grant",
            "--license",
            "--channel",
            &channel,
            "--url",
            "https://elsewhere.example.com/x",
        ],
        "invalid_input",
    );

    // MFA / Conditional Access: the refresh is answered interaction_required → the
    // channel needs re-authorization (not a silent last_error).
    emu.set(|c| c.refresh_error = Some("interaction_required".into()));
    wait_secs(4).await;
    env.fails(
        &["grant", "--license", "--channel", &channel],
        "needs_reauth",
    );
    assert_eq!(env.channel(&channel)["status"], "needs_reauth");

    // Re-authorizing hints at the channel's account and does not ask to choose.
    let again = env.ok(&["channel", "reauth", &channel, "--no-browser"]);
    let url = again["authorization_url"].as_str().expect("url");
    let q = query(url);
    assert_eq!(q["login_hint"], "alice@contoso.com");
    assert_eq!(q.get("prompt"), None);
    let callback = emu.authorize(url).await.expect("signed in");
    let back = env.ok(&["oauth", "callback", &callback]);
    assert_eq!(back["reauthorized"], true);
    assert_eq!(env.channel(&channel)["status"], "active");

    // No token the provider issued is anywhere but the secret store: not in the database
    // (WAL included) nor in any command's output.
    let mut outputs = String::new();
    for args in [
        vec!["channel", "list"],
        vec!["provider", "list"],
        vec!["audit"],
        vec!["status"],
    ] {
        outputs.push_str(&String::from_utf8_lossy(&env.run(&args).stdout));
    }
    for name in ["lanyard.db", "lanyard.db-wal"] {
        if let Ok(bytes) = std::fs::read(env.dir.path().join(name)) {
            outputs.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    let issued: Vec<String> = emu
        .refresh_tokens()
        .into_iter()
        .chain(emu.access_tokens())
        .collect();
    assert!(issued.len() >= 4);
    for token in &issued {
        assert!(!outputs.contains(token.as_str()), "{token} leaked");
    }

    // Microsoft has no revocation endpoint: said plainly, with what the user can do.
    let gone = env.ok(&["channel", "disconnect", &channel]);
    assert_eq!(gone["revocation"]["outcome"], "not_supported");
    let advice = gone["advice"].as_str().expect("advice");
    assert!(
        advice.contains("90 days") && advice.contains("myapps"),
        "{advice}"
    );
    let secrets = env.secrets();
    assert!(
        !secrets.keys().any(|k| k.contains(&channel)),
        "every token of the channel is forgotten: {:?}",
        secrets.keys()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_account_is_chosen_not_the_browsers_session() {
    let emu = Emulator::start(Kind::Microsoft, &REDIRECTS).await;
    let env = Env::new();
    let provider = add(&env, &emu, "contoso.onmicrosoft.com");
    let alice = connect(&env, &emu, &provider).await;
    // The browser is still signed in as alice; bob wants his own channel. Without
    // prompt=select_account Entra would silently sign alice in again.
    emu.set(|c| {
        c.next_user = User {
            sub: "BBBBBBBBBBBBBBBBBBBBBB-bob".into(),
            email: "bob@contoso.com".into(),
            tid: CONTOSO_TID.into(),
        }
    });
    let bob = connect(&env, &emu, &provider).await;
    assert_ne!(alice, bob);
    assert_eq!(env.channel(&bob)["account_label"], "bob@contoso.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn common_tenant_checks_iss_against_tid_and_stores_nothing_on_a_mismatch() {
    let emu = Emulator::start(Kind::Microsoft, &REDIRECTS).await;
    let env = Env::new();
    let provider = add(&env, &emu, "common");
    assert!(env.ok(&["provider", "show", &provider])["issuer"].is_null());
    // An ID token whose iss names another tenant than its tid is refused.
    emu.set(|c| c.forge_tenant = true);
    let started = env.ok(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    let callback = emu
        .authorize(started["authorization_url"].as_str().expect("url"))
        .await
        .expect("signed in");
    let err = env.fails(&["oauth", "callback", &callback], "provider_error");
    assert!(
        err["message"].as_str().expect("m").contains("wrong issuer"),
        "{err}"
    );
    assert_eq!(env.ok(&["channel", "list"]), serde_json::json!([]));
    assert!(!env.secrets().keys().any(|k| k.starts_with("channel/")));
    // The right tenant is accepted.
    emu.set(|c| c.forge_tenant = false);
    connect(&env, &emu, &provider).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporarily_unavailable_is_retried_and_changes_nothing() {
    let emu = Emulator::start(Kind::Microsoft, &REDIRECTS).await;
    emu.set(|c| c.access_ttl = 4);
    let env = Env::new();
    let provider = add(&env, &emu, "contoso.onmicrosoft.com");
    let channel = connect(&env, &emu, &provider).await;
    emu.set(|c| c.refresh_error = Some("temporarily_unavailable".into()));
    wait_secs(4).await;
    let err = env.fails(
        &["grant", "--license", "--channel", &channel],
        "provider_unavailable",
    );
    assert!(
        !err["message"].as_str().expect("m").contains("rt-"),
        "{err}"
    );
    // Retried (3 attempts), the channel still active.
    assert_eq!(emu.calls("refresh_token"), 3);
    assert_eq!(env.channel(&channel)["status"], "active");
    emu.set(|c| c.refresh_error = None);
    env.ok(&["grant", "--license", "--channel", &channel]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistrable_redirect_or_a_missing_tenant_is_refused_at_add() {
    let emu = Emulator::start(Kind::Microsoft, &REDIRECTS).await;
    let env = Env::new();
    // The tenant's discovery document answers 400 for an unknown tenant.
    env.fails(
        &[
            "provider",
            "add",
            "--template",
            "microsoft",
            "--tenant",
            "nobody.onmicrosoft.com",
            "--authority",
            &emu.origin,
            "--client-id",
            CLIENT_ID,
        ],
        "provider_error",
    );
    // Plain http is for loopback only, in --authority as everywhere.
    env.fails(
        &[
            "provider",
            "add",
            "--template",
            "microsoft",
            "--authority",
            "http://login.example.com",
            "--client-id",
            CLIENT_ID,
        ],
        "invalid_input",
    );
    assert_eq!(
        env.ok(&["provider", "list"])
            .as_array()
            .expect("list")
            .len(),
        3
    );
}
