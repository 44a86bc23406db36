//! Quirks any provider may have, against the emulator's generic OpenID provider: numeric
//! strings for lifetimes, `client_secret_post` chosen from discovery, two minutes of
//! clock leeway with `azp` for several audiences, and a re-authorization that brings no
//! new refresh token.

use super::emulator::{Emulator, Kind, GENERIC_SECRET};
use super::{wait_secs, Env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_lifetimes_post_auth_leeway_and_a_kept_refresh_token() {
    let emu = Emulator::start(Kind::Generic, &[]).await;
    emu.set(|c| c.access_ttl = 4);
    let env = Env::new();
    let secret = env.dir.path().join("secret");
    std::fs::write(&secret, GENERIC_SECRET).expect("secret");
    let p = env.ok(&[
        "provider",
        "add",
        "--discovery",
        &emu.origin,
        "--client-id",
        "generic-client",
        "--client-secret-file",
        secret.to_str().expect("path"),
        "--redirect",
        "loopback",
    ]);
    // token_endpoint_auth_methods_supported decides: the form body, not HTTP Basic.
    assert_eq!(p["token_auth_method"], "client_secret_post");
    let provider = p["id"].as_str().expect("id").to_string();

    let (child, stdout, started) =
        env.start_loopback(&["channel", "connect", "--provider", &provider]);
    let callback = emu
        .authorize(started["authorization_url"].as_str().expect("url"))
        .await
        .expect("signed in");
    let (ok, connected) = Env::finish_loopback(child, stdout, &callback).await;
    // An ID token issued 90 s ahead (within the leeway), for two audiences with azp,
    // and "expires_in": "4" as a string: accepted.
    assert!(ok, "{connected}");
    let channel = connected["channel"]["id"].as_str().expect("id").to_string();
    let c = env.channel(&channel);
    assert!(c["refresh_token_expires_at"].as_i64().is_some(), "{c}");

    let first = env.ok(&["grant", "--license", "--channel", &channel]);
    wait_secs(4).await;
    let second = env.ok(&["grant", "--license", "--channel", &channel]);
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(emu.calls("refresh_token"), 1);

    // Re-authorized, the provider sends no refresh token (only at first consent): the
    // stored one is kept after one refresh proves it works.
    let kept = env.refresh_token(&channel).expect("refresh");
    let (child, stdout, started) = env.start_loopback(&["channel", "reauth", &channel]);
    let callback = emu
        .authorize(started["authorization_url"].as_str().expect("url"))
        .await
        .expect("signed in");
    let (ok, back) = Env::finish_loopback(child, stdout, &callback).await;
    assert!(ok, "{back}");
    assert_eq!(back["reauthorized"], true);
    assert_eq!(env.refresh_token(&channel).as_deref(), Some(kept.as_str()));
    assert_eq!(emu.calls("refresh_token"), 2);
    env.ok(&["grant", "--license", "--channel", &channel]);
}
