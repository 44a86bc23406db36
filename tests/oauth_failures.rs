//! Providers that misbehave, driven through the core with an injected clock: a token
//! endpoint that redirects (never followed), answers 503, answers garbage, is down, or
//! grants no refresh token; a callback that comes too late. Each gives a clear error and
//! stores nothing: no channel row, and nothing left in the secret store (a real file store,
//! read back; the PKCE verifier it held while the sign-in waited is gone too).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lanyard_core::clock::FixedClock;
use lanyard_core::oauth::flow;
use lanyard_core::oauth::provider::ProviderSpec;
use lanyard_core::oauth::providers;
use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const NOW: i64 = 1_800_000_000;

/// A server that answers every request with `response` and counts connections.
async fn canned(response: String) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 16 * 1024];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (port, hits)
}

fn http(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

struct Case {
    dir: tempfile::TempDir,
    lanyard: Lanyard,
    clock: Arc<FixedClock>,
    provider: String,
}

async fn case(token_port: u16) -> Case {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::at(NOW));
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
    let lanyard = Lanyard::open_with(&config, clock.clone(), None)
        .await
        .expect("open");
    let provider = providers::add(
        &lanyard,
        ProviderSpec {
            name: Some("Flaky".into()),
            authorization_endpoint: Some("http://127.0.0.1:9/authorize".into()),
            token_endpoint: Some(format!("http://127.0.0.1:{token_port}/token")),
            client_id: Some("client".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("provider");
    Case {
        dir,
        lanyard,
        clock,
        provider: provider.id,
    }
}

/// The keys in the secret store (the file store's JSON object).
fn stored_secrets(c: &Case) -> Vec<String> {
    match std::fs::read(c.dir.path().join("secrets")) {
        Ok(raw) => serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&raw)
            .expect("the secrets file")
            .keys()
            .cloned()
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => panic!("the secrets file: {e}"),
    }
}

/// No channel row and nothing in the secret store.
async fn assert_stores_nothing(c: &Case) {
    let channels = c.lanyard.store().channels().await.expect("channels");
    assert!(channels.is_empty(), "a channel was stored");
    assert_eq!(stored_secrets(c), Vec::<String>::new(), "secrets were left");
}

/// Starts a sign-in and returns the callback the provider would send back.
async fn callback(c: &Case) -> String {
    let started = flow::begin(
        &c.lanyard,
        &c.provider,
        None,
        flow::deep_link_redirect_uri(),
    )
    .await
    .expect("begin");
    assert_eq!(
        stored_secrets(c).len(),
        1,
        "the waiting sign-in's PKCE verifier is in the store the tests read"
    );
    let url = url::Url::parse(&started.authorization_url).expect("url");
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .expect("state")
        .1
        .into_owned();
    format!("app.lanyard.desktop:/oauth/callback?code=the-code&state={state}")
}

async fn fails_with(token_response: String, code: &str, words: &str) {
    let (port, _) = canned(token_response).await;
    let c = case(port).await;
    let err = flow::complete(&c.lanyard, &callback(&c).await)
        .await
        .expect_err("must fail");
    assert_eq!(err.code(), code, "{err}");
    assert!(err.to_string().contains(words), "{err}");
    assert_stores_nothing(&c).await;
}

#[tokio::test]
async fn a_token_endpoint_redirect_is_never_followed() {
    let (elsewhere, hits) = canned(http("200 OK", "", "{}")).await;
    let location = format!("Location: http://127.0.0.1:{elsewhere}/steal\r\n");
    let (port, _) = canned(http("307 Temporary Redirect", &location, "")).await;
    let c = case(port).await;
    let err = flow::complete(&c.lanyard, &callback(&c).await)
        .await
        .expect_err("redirect");
    assert_eq!(err.code(), "provider_error");
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
    assert_stores_nothing(&c).await;
}

#[tokio::test]
async fn unavailable_garbage_and_refusals_are_told_apart() {
    fails_with(
        http("503 Service Unavailable", "", "busy"),
        "provider_unavailable",
        "HTTP 503",
    )
    .await;
    fails_with(
        http("429 Too Many Requests", "", ""),
        "provider_unavailable",
        "HTTP 429",
    )
    .await;
    fails_with(
        http(
            "200 OK",
            "Content-Type: text/html\r\n",
            "<html>CANARY-body</html>",
        ),
        "provider_error",
        "not a valid token response",
    )
    .await;
    fails_with(
        http(
            "400 Bad Request",
            "Content-Type: application/json\r\n",
            r#"{"error":"invalid_grant","error_description":"code expired\r\nX: y"}"#,
        ),
        "provider_error",
        "invalid_grant",
    )
    .await;
    fails_with(
        http(
            "200 OK",
            "Content-Type: application/json\r\n",
            r#"{"access_token":"CANARY-at","token_type":"Bearer","expires_in":3600}"#,
        ),
        "provider_error",
        "no refresh token",
    )
    .await;
}

#[tokio::test]
async fn error_texts_never_quote_the_body() {
    let (port, _) = canned(http("200 OK", "", "CANARY-secret-looking-body")).await;
    let c = case(port).await;
    let err = flow::complete(&c.lanyard, &callback(&c).await)
        .await
        .expect_err("garbage");
    assert!(!err.to_string().contains("CANARY"), "{err}");
    assert_stores_nothing(&c).await;
}

#[tokio::test]
async fn a_provider_that_is_down() {
    // Port 9 (discard) is closed here: connection refused.
    let c = case(9).await;
    let err = flow::complete(&c.lanyard, &callback(&c).await)
        .await
        .expect_err("down");
    assert_eq!(err.code(), "provider_unavailable", "{err}");
    assert!(err.to_string().contains("cannot be reached"), "{err}");
    assert_stores_nothing(&c).await;
}

#[tokio::test]
async fn a_callback_after_ten_minutes_is_refused() {
    let (port, hits) = canned(http("500 Internal Server Error", "", "")).await;
    let c = case(port).await;
    let cb = callback(&c).await;
    c.clock.advance(flow::PENDING_TTL + 1);
    let err = flow::complete(&c.lanyard, &cb).await.expect_err("expired");
    assert_eq!(err.code(), "invalid_state");
    assert!(err.to_string().contains("expired"), "{err}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "an expired code must not be exchanged"
    );
    // And it stays refused.
    let again = flow::complete(&c.lanyard, &cb).await.expect_err("used");
    assert_eq!(again.code(), "invalid_state");
}

#[tokio::test]
async fn a_cancelled_sign_in_is_refused() {
    let (port, _) = canned(http("500 Internal Server Error", "", "")).await;
    let c = case(port).await;
    let started = flow::begin(
        &c.lanyard,
        &c.provider,
        None,
        flow::deep_link_redirect_uri(),
    )
    .await
    .expect("begin");
    flow::cancel(&c.lanyard, &started.pending_id)
        .await
        .expect("cancel");
    let url = url::Url::parse(&started.authorization_url).expect("url");
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .expect("state")
        .1
        .into_owned();
    let cb = format!("app.lanyard.desktop:/oauth/callback?code=c&state={state}");
    assert_eq!(
        flow::complete(&c.lanyard, &cb)
            .await
            .expect_err("cancelled")
            .code(),
        "invalid_state"
    );
}
