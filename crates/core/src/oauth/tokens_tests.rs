//! Unit tests of [`super::tokens`]: a token endpoint's answers, from a real HTTP exchange
//! against a one-connection server, sorted into "refresh token dead", "try again later"
//! and "the provider misbehaved", and the words each becomes (the body never among them).

use super::http::HttpError;
use super::http_tests::answer_once;
use super::provider::Provider;
use super::tokens::{
    exchange_refresh, is_invalid_grant, is_transient, oauth_client, sanitize, token_error,
    TokenRequestError,
};
use crate::secrets::{SecretStoreKind, SecretValue, Secrets};
use crate::{Config, Lanyard};

/// The built-in Microsoft template with a client id, its token endpoint at `token_endpoint`.
async fn provider(token_endpoint: &str) -> Provider {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
    let l = Lanyard::open_with(
        &config,
        std::sync::Arc::new(crate::clock::SystemClock),
        Some(Secrets::in_memory()),
    )
    .await
    .expect("open");
    let mut p = l.store().provider("microsoft").await.expect("template");
    p.client_id = Some("client".into());
    p.token_endpoint = token_endpoint.into();
    p
}

/// Refreshes against a server answering `head` + `body`; returns the failure.
async fn refresh_answered(head: &str, body: &str) -> (Provider, TokenRequestError, String) {
    let (base, server) = answer_once(head, body.as_bytes().to_vec()).await;
    let p = provider(&format!("{base}/token")).await;
    let client = oauth_client(&p, None, "http://127.0.0.1/callback").expect("client");
    let err = exchange_refresh(
        &super::http::client().expect("http"),
        &client,
        &SecretValue::new("CANARY-refresh"),
        &[],
    )
    .await
    .expect_err("refused");
    let request = server.await.expect("request");
    (p, err, request)
}

const JSON: &str = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json";

#[tokio::test]
async fn invalid_grant_means_the_refresh_token_is_dead() {
    let (p, err, request) = refresh_answered(
        JSON,
        r#"{"error":"invalid_grant","error_description":"expired"}"#,
    )
    .await;
    assert!(request.contains("grant_type=refresh_token"), "{request}");
    assert!(is_invalid_grant(&err));
    assert!(!is_transient(&err));
    let e = token_error(&p, err);
    assert_eq!(e.code(), "provider_error");
    assert!(e.to_string().contains("invalid_grant (expired)"), "{e}");
}

#[tokio::test]
async fn other_refusals_are_neither_dead_nor_transient() {
    let (p, err, _) = refresh_answered(JSON, r#"{"error":"invalid_client"}"#).await;
    assert!(!is_invalid_grant(&err) && !is_transient(&err));
    assert!(token_error(&p, err).to_string().contains("invalid_client"));
}

#[tokio::test]
async fn unavailable_and_unreachable_are_transient() {
    let (p, err, _) = refresh_answered(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain",
        "CANARY-maintenance-page",
    )
    .await;
    assert!(is_transient(&err) && !is_invalid_grant(&err));
    let e = token_error(&p, err);
    assert_eq!(e.code(), "provider_unavailable");
    assert!(e.to_string().contains("HTTP 503"), "{e}");
    assert!(!e.to_string().contains("CANARY"), "{e}");

    let unreachable =
        TokenRequestError::Request(HttpError::Unreachable("could not connect".into()));
    assert!(is_transient(&unreachable));
    assert_eq!(token_error(&p, unreachable).code(), "provider_unavailable");
}

#[tokio::test]
async fn a_redirect_or_an_oversized_answer_is_misbehaviour_not_transient() {
    let p = provider("https://login.example.com/token").await;
    for http in [HttpError::Redirect(302), HttpError::TooLarge] {
        let err = TokenRequestError::Request(http);
        assert!(!is_transient(&err) && !is_invalid_grant(&err));
        let e = token_error(&p, err);
        assert_eq!(e.code(), "provider_error");
        assert!(e.to_string().contains("login.example.com"), "{e}");
    }
}

#[tokio::test]
async fn an_answer_that_is_not_a_token_response_never_shows_its_body() {
    let (p, err, _) = refresh_answered(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json",
        r#"{"access_token":"CANARY-at","token_type":42}"#,
    )
    .await;
    assert!(!is_transient(&err) && !is_invalid_grant(&err));
    let e = token_error(&p, err);
    assert_eq!(e.code(), "provider_error");
    assert!(e.to_string().contains("not a valid token response"), "{e}");
    assert!(!e.to_string().contains("CANARY"), "{e}");
}

#[tokio::test]
async fn a_provider_description_is_sanitized_in_the_error() {
    let description = format!("bad\\u001b[31m\\nline{}", "x".repeat(400));
    let (p, err, _) = refresh_answered(
        JSON,
        &format!(r#"{{"error":"invalid_request","error_description":"{description}"}}"#),
    )
    .await;
    let text = token_error(&p, err).to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.contains("bad[31mline"), "{text}");
    assert!(text.len() < 300 + 200, "bounded: {} bytes", text.len());
}

#[test]
fn sanitize_drops_control_characters_bounds_and_trims() {
    assert_eq!(sanitize("  a\u{1b}[0m\r\nb\u{7}\tc  "), "a[0mbc");
    assert_eq!(sanitize(&"é".repeat(500)).chars().count(), 300);
    assert_eq!(sanitize("\n\n"), "");
}

#[tokio::test]
async fn a_successful_refresh_keeps_the_extra_fields() {
    let (base, _server) = answer_once(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json",
        br#"{"access_token":"at","token_type":"Bearer","expires_in":3600,
            "refresh_token":"rt2","refresh_token_expires_in":86400,"id_token":"a.b.c"}"#
            .to_vec(),
    )
    .await;
    let p = provider(&format!("{base}/token")).await;
    let client = oauth_client(&p, None, "http://127.0.0.1/callback").expect("client");
    let tokens = exchange_refresh(
        &super::http::client().expect("http"),
        &client,
        &SecretValue::new("rt"),
        &[],
    )
    .await
    .expect("tokens");
    use oauth2::TokenResponse as _;
    assert_eq!(tokens.access_token().secret(), "at");
    assert_eq!(tokens.refresh_token_expires_in(), Some(86400));
    assert_eq!(tokens.id_token(), Some("a.b.c"));
    assert!(!format!("{:?}", tokens).contains("a.b.c"));
}
