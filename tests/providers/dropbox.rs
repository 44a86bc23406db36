//! Dropbox against its emulator: a fixed loopback port matched exactly, an ID token
//! without `nonce`, userinfo by POST only, refresh without rotation, and revocation with
//! the access token as Bearer.

use super::emulator::{Emulator, Kind};
use super::{query, wait_secs, Env};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn add(env: &Env, emu: &Emulator, port: u16) -> String {
    let p = env.ok(&[
        "provider",
        "add",
        "--template",
        "dropbox",
        "--authority",
        &emu.origin,
        "--client-id",
        "dropbox-app-key",
        "--loopback-port",
        &port.to_string(),
    ]);
    p["id"].as_str().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_port_connect_refresh_and_revoke_by_access_token() {
    let port = free_port();
    let registered = format!("http://127.0.0.1:{port}/callback");
    let emu = Emulator::start(Kind::Dropbox, &[&registered]).await;
    emu.set(|c| c.access_ttl = 4);
    let env = Env::new();

    // Without a port the template says which exact URI to register.
    let err = env.fails(
        &[
            "provider",
            "add",
            "--template",
            "dropbox",
            "--authority",
            &emu.origin,
            "--client-id",
            "dropbox-app-key",
        ],
        "invalid_input",
    );
    assert!(
        err["message"]
            .as_str()
            .expect("m")
            .contains("--loopback-port"),
        "{err}"
    );
    let provider = add(&env, &emu, port);
    let shown = env.ok(&["provider", "show", &provider]);
    assert_eq!(shown["registration"]["redirect_uri"], registered.as_str());
    assert!(shown["registration"]["notes"][0]
        .as_str()
        .expect("note")
        .contains("openid"));

    let (child, stdout, started) =
        env.start_loopback(&["channel", "connect", "--provider", &provider]);
    let url = started["authorization_url"].as_str().expect("url");
    assert_eq!(started["redirect_uri"], registered.as_str());
    assert_eq!(query(url)["token_access_type"], "offline");
    let callback = emu.authorize(url).await.expect("exact redirect accepted");
    let (ok, connected) = Env::finish_loopback(child, stdout, &callback).await;
    assert!(ok, "{connected}");
    let channel = connected["channel"]["id"].as_str().expect("id").to_string();
    assert_eq!(connected["channel"]["account_label"], "alice@contoso.com");
    // Userinfo was asked by POST first: no GET went to it.
    assert!(
        emu.read(|c| c.misses.is_empty()),
        "{:?}",
        emu.read(|c| c.misses.clone())
    );

    let first = env.ok(&["grant", "--license", "--channel", &channel]);
    wait_secs(4).await;
    let second = env.ok(&["grant", "--license", "--channel", &channel]);
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(emu.calls("refresh_token"), 1);
    let listed = env.ok(&[
        "preview",
        "-X",
        "POST",
        &format!("{}/2/files/list_folder", emu.origin),
    ]);
    assert_eq!(listed["status"], 200, "{listed}");

    // Revocation: POST /2/auth/token/revoke with the access token, which ends the refresh
    // token too.
    let refresh = env.refresh_token(&channel).expect("refresh");
    let gone = env.ok(&["channel", "disconnect", &channel]);
    assert_eq!(gone["revocation"]["outcome"], "revoked", "{gone}");
    assert_eq!(emu.read(|c| c.revocations), 1);
    assert!(!emu.refresh_active(&refresh));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let emu = Emulator::start(Kind::Dropbox, &[]).await;
    let env = Env::new();
    let provider = add(&env, &emu, port);
    let err = env.fails(
        &[
            "channel",
            "connect",
            "--provider",
            &provider,
            "--no-browser",
        ],
        "authorization_failed",
    );
    let message = err["message"].as_str().expect("m");
    assert!(
        message.contains(&format!("port {port}")) && message.contains("in use"),
        "{message}"
    );
    drop(taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_port_than_the_registered_one_is_refused_by_dropbox() {
    // The emulator matches exactly, as Dropbox does: a provider added with another port
    // than the registered one never gets a code (this is why the port is fixed).
    let registered = format!("http://127.0.0.1:{}/callback", free_port());
    let emu = Emulator::start(Kind::Dropbox, &[&registered]).await;
    let env = Env::new();
    let provider = add(&env, &emu, free_port());
    let (mut child, _stdout, started) =
        env.start_loopback(&["channel", "connect", "--provider", &provider]);
    let refused = emu
        .authorize(started["authorization_url"].as_str().expect("url"))
        .await
        .expect_err("not registered");
    assert_eq!(refused.0, 400);
    let _ = child.kill();
    let _ = child.wait();
}
