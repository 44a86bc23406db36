//! Preview against local servers: exactly the right credentials arrive, redirects carry
//! nothing across origins, a token-bearing 307 is not re-sent, and failures are clear.

use std::sync::Arc;
use std::time::Duration;

use lanyard_core::broker::testing::seed_channel_for;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::preview::{preview, PreviewOptions, PreviewRequest, Report};
use lanyard_core::secrets::{SecretStoreKind, SecretValue, Secrets};
use lanyard_core::urltokens::permission::{Answer, Fixed};
use lanyard_core::urltokens::tokens::{add, NewToken};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};

use crate::local_server::{Canned, LocalServer};
use crate::util::add_url_token as token;

const CANARY: &str = "CANARY-a6e1-secret";

async fn lanyard() -> (tempfile::TempDir, Lanyard) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
    let l = Lanyard::open_with(&config, Arc::new(SystemClock), Some(Secrets::in_memory()))
        .await
        .expect("open");
    (dir, l)
}

async fn get(l: &Lanyard, url: &str, method: &str, body: Option<&str>) -> Report {
    preview(
        l,
        PreviewRequest {
            url: url.into(),
            method: method.into(),
            body: body.map(|b| b.as_bytes().to_vec()),
            ..Default::default()
        },
        &Fixed(Answer::Accept),
        PreviewOptions::default(),
    )
    .await
    .expect("preview")
}

fn no_canary(report: &Report) {
    let json = serde_json::to_string(report).expect("json");
    assert!(
        !json.contains(CANARY),
        "a value leaked into the report: {json}"
    );
}

#[tokio::test]
async fn url_tokens_arrive_exactly_basic_and_form() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    a.route(
        "/v1/data",
        Canned::ok("application/json", r#"{"ok":true,"items":[1,2]}"#),
    );
    token(
        &l,
        &format!("{}/v1", a.base),
        "username",
        Placement::Header,
        "alice",
    )
    .await;
    token(
        &l,
        &format!("{}/v1", a.base),
        "password",
        Placement::Header,
        CANARY,
    )
    .await;
    token(
        &l,
        &a.base,
        "apikey",
        Placement::Form,
        &format!("{CANARY}&admin=1"),
    )
    .await;

    let report = get(&l, &format!("{}/v1/data", a.base), "POST", None).await;
    assert_eq!(report.status, 200);
    let seen = a.seen();
    assert_eq!(seen.len(), 1);
    let expected = format!("Basic {}", base64_of(&format!("alice:{CANARY}")));
    assert_eq!(seen[0].header("authorization"), Some(expected.as_str()));
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(seen[0].body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        fields,
        vec![("apikey".to_string(), format!("{CANARY}&admin=1"))]
    );
    assert_eq!(report.hops[0].credentials.len(), 3);
    assert!(matches!(
        report.body,
        lanyard_core::preview::Body::Json { .. }
    ));
    assert_eq!(
        report
            .request
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .map(|(_, v)| v.as_str()),
        Some("Basic [redacted]")
    );
    no_canary(&report);

    // A GET carries form tokens in the query, and says so.
    let report = get(&l, &format!("{}/v1/data", a.base), "GET", None).await;
    assert!(
        a.seen()[1].target.contains("apikey="),
        "{}",
        a.seen()[1].target
    );
    assert!(report.notes.iter().any(|n| n.contains("query")));
    no_canary(&report);
}

fn base64_of(s: &str) -> String {
    use std::fmt::Write;
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                let _ = out.write_char(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn the_channel_grant_arrives_as_bearer() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    a.route("/api/me", Canned::ok("application/json", "{}"));
    let channel = seed_channel_for(
        &l,
        "http://127.0.0.1:9/token",
        CANARY,
        SystemClock.now() + 3600,
        "refresh",
        vec![format!("{}/api/", a.base)],
    )
    .await
    .expect("seed");
    let report = get(&l, &format!("{}/api/me", a.base), "GET", None).await;
    assert_eq!(
        a.seen()[0].header("authorization"),
        Some(format!("Bearer {CANARY}").as_str())
    );
    let c = report.channel.as_ref().expect("channel");
    assert_eq!(c.channel_id, channel);
    assert!(c.grant_expires_at.is_some());
    assert_eq!(report.hops[0].credentials[0].source.as_str(), "channel");
    no_canary(&report);
    // Outside the API base: no grant.
    a.route("/other", Canned::ok("text/plain", "x"));
    let report = get(&l, &format!("{}/other", a.base), "GET", None).await;
    assert!(report.channel.is_none());
    assert_eq!(a.seen()[1].header("authorization"), None);
}

#[tokio::test]
async fn redirects_to_another_origin_carry_nothing() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    let b = LocalServer::start().await;
    token(&l, &a.base, "token", Placement::Header, CANARY).await;
    token(&l, &a.base, "apikey", Placement::Form, CANARY).await;
    token(&l, &b.base, "btoken", Placement::Form, "b-value").await;
    b.route("/landing", Canned::ok("text/plain", "landed"));
    b.route("/again", Canned::redirect(302, "/landing"));
    for status in [301, 302, 303, 307, 308] {
        let path = format!("/r{status}");
        a.route(
            &path,
            Canned::redirect(status, &format!("{}/landing", b.base)),
        );
        let before = b.seen().len();
        let report = get(&l, &format!("{}{path}", a.base), "GET", None).await;
        assert_eq!(report.status, 200, "{status}");
        let arrived = &b.seen()[before];
        assert_eq!(
            arrived.header("authorization"),
            None,
            "{status} leaked Authorization"
        );
        assert!(
            !arrived.target.contains(CANARY) && !arrived.body.contains(CANARY),
            "{status} leaked a form token"
        );
        assert!(
            !arrived.target.contains("b-value"),
            "{status}: b's own tokens are not sent on a redirect from a"
        );
        assert_eq!(report.hops.len(), 2);
        assert!(report.hops[1].credentials.is_empty());
        no_canary(&report);
    }
    // a → b → b: b never gets a's credentials, on any hop.
    a.route(
        "/chain",
        Canned::redirect(302, &format!("{}/again", b.base)),
    );
    let before = b.seen().len();
    let report = get(&l, &format!("{}/chain", a.base), "GET", None).await;
    assert_eq!(report.hops.len(), 3);
    for seen in &b.seen()[before..] {
        assert_eq!(seen.header("authorization"), None);
        assert!(!seen.target.contains(CANARY));
    }
}

#[tokio::test]
async fn same_origin_redirects_keep_credentials() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    token(&l, &a.base, "token", Placement::Header, CANARY).await;
    a.route("/old", Canned::redirect(301, "/new"));
    a.route("/new", Canned::ok("text/plain", "fine"));
    let report = get(&l, &format!("{}/old", a.base), "GET", None).await;
    assert_eq!(report.status, 200);
    let seen = a.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, "GET");
    assert_eq!(
        seen[1].header("authorization"),
        Some(format!("Bearer {CANARY}").as_str())
    );
}

#[tokio::test]
async fn a_token_bearing_post_is_not_re_sent_across_origins_by_307() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    let b = LocalServer::start().await;
    token(&l, &a.base, "apikey", Placement::Form, CANARY).await;
    a.route(
        "/submit",
        Canned::redirect(307, &format!("{}/steal", b.base)),
    );
    let report = get(&l, &format!("{}/submit", a.base), "POST", None).await;
    assert_eq!(report.status, 307);
    assert!(
        b.seen().is_empty(),
        "the body was re-sent to another origin"
    );
    assert!(report.notes.iter().any(|n| n.contains("not following")));
    no_canary(&report);
}

#[tokio::test]
async fn failures_are_clear() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    a.route(
        "/slow",
        Canned {
            delay: Duration::from_secs(5),
            ..Canned::ok("text/plain", "late")
        },
    );
    a.route(
        "/big",
        Canned::ok("application/octet-stream", &"x".repeat(64 * 1024)),
    );
    let short = PreviewOptions {
        timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let err = preview(
        &l,
        PreviewRequest {
            url: format!("{}/slow", a.base),
            ..Default::default()
        },
        &Fixed(Answer::Deny),
        short,
    )
    .await
    .expect_err("timeout");
    assert_eq!(err.code(), "request_failed");
    assert!(err.to_string().contains("did not answer in time"), "{err}");

    let err = preview(
        &l,
        PreviewRequest {
            url: "http://127.0.0.1:9/x".into(),
            ..Default::default()
        },
        &Fixed(Answer::Deny),
        PreviewOptions::default(),
    )
    .await
    .expect_err("refused");
    assert_eq!(err.code(), "request_failed");
    assert!(err.to_string().contains("could not connect"), "{err}");

    let small = PreviewOptions {
        max_body: 1024,
        ..Default::default()
    };
    let report = preview(
        &l,
        PreviewRequest {
            url: format!("{}/big", a.base),
            ..Default::default()
        },
        &Fixed(Answer::Deny),
        small,
    )
    .await
    .expect("big");
    assert!(report.truncated);
    assert_eq!(report.size, 64 * 1024);

    for bad in [
        "http://example.com/data",
        "https://user:pw@example.com/",
        "ftp://example.com/",
        "not a url",
    ] {
        let err = preview(
            &l,
            PreviewRequest {
                url: bad.into(),
                ..Default::default()
            },
            &Fixed(Answer::Deny),
            PreviewOptions::default(),
        )
        .await
        .expect_err(bad);
        assert_eq!(err.code(), "invalid_input", "{bad}");
    }
    let err = preview(
        &l,
        PreviewRequest {
            url: format!("{}/x", a.base),
            headers: vec![("X-Evil".into(), "a\r\nInjected: 1".into())],
            ..Default::default()
        },
        &Fixed(Answer::Deny),
        PreviewOptions::default(),
    )
    .await
    .expect_err("header injection");
    assert_eq!(err.code(), "invalid_input");
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let tls_dir = tempfile::tempdir().expect("tempdir");
    let tls = crate::oauth_server::TestTls::create(tls_dir.path());
    let server = crate::oauth_server::OauthServer::start_with(
        serde_json::json!({ "https": { "cert": tls.cert, "key": tls.key } }),
    );
    let (_d, l) = lanyard().await;
    let err = preview(
        &l,
        PreviewRequest {
            url: format!("{}/.well-known/openid-configuration", server.issuer),
            ..Default::default()
        },
        &Fixed(Answer::Deny),
        PreviewOptions::default(),
    )
    .await
    .expect_err("self-signed");
    assert_eq!(err.code(), "request_failed");
    // Refused for its certificate, not for any other reason a request can fail.
    let message = err.to_string();
    assert!(
        message.contains("invalid peer certificate") && message.contains("UnknownIssuer"),
        "{message}"
    );
}

#[tokio::test]
async fn a_channel_needing_reauth_is_reported_with_the_fix() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    a.route("/api/me", Canned::ok("application/json", "{}"));
    // Expired token, dead token endpoint that refuses: the grant fails.
    let token_server = LocalServer::start().await;
    token_server.route(
        "/token",
        Canned {
            status: 400,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: br#"{"error":"invalid_grant"}"#.to_vec(),
            delay: Duration::ZERO,
        },
    );
    let channel = seed_channel_for(
        &l,
        &format!("{}/token", token_server.base),
        "old",
        SystemClock.now() - 10,
        "refresh",
        vec![format!("{}/api/", a.base)],
    )
    .await
    .expect("seed");
    let report = get(&l, &format!("{}/api/me", a.base), "GET", None).await;
    let c = report.channel.as_ref().expect("channel");
    let problem = c.error.as_ref().expect("error");
    assert_eq!(problem.code, "needs_reauth");
    assert!(
        problem
            .message
            .contains(&format!("lanyard channel reauth {channel}")),
        "{}",
        problem.message
    );
    assert_eq!(a.seen()[0].header("authorization"), None);
}

#[tokio::test]
async fn the_preview_history_keeps_no_user_info_and_no_query_values() {
    let (_dir, l) = lanyard().await;
    let server = LocalServer::start().await;
    server.route("/feed", Canned::ok("application/json", "{}"));
    let typed = [
        // Refused before sending (user-info in the URL).
        format!("https://alice:{CANARY}@api.example.com/v1?key={CANARY}"),
        // Sent: its answer comes back.
        format!("{}/feed?access_token={CANARY}&page=2#{CANARY}", server.base),
        // Refused: not a URL.
        format!("not a url?token={CANARY}"),
    ];
    for url in &typed {
        let request = PreviewRequest {
            url: url.clone(),
            method: "GET".into(),
            headers: vec![],
            body: None,
            channel: None,
        };
        let _ = lanyard_core::preview::preview_and_remember(
            &l,
            &lanyard_core::fetch::As::License,
            request,
            &Fixed(Answer::Deny),
            PreviewOptions::default(),
        )
        .await;
    }
    let history = l.store().preview_history().await.expect("history");
    assert_eq!(history.len(), 3);
    let dump = format!("{history:?}");
    assert!(!dump.contains(CANARY), "{dump}");
    assert!(dump.contains("page=%5Bredacted%5D"), "{dump}");
    assert_eq!(history[1].status, Some(200), "{dump}");
}

/// "API key in a header": a token sent as its own header, named by its key — to the
/// first origin only, never on a redirect elsewhere, never in the report, and a header of
/// the same name typed by the caller gives way to it.
#[tokio::test]
async fn a_named_header_token_arrives_as_its_own_header_and_stays_home() {
    let (_d, l) = lanyard().await;
    let a = LocalServer::start().await;
    let b = LocalServer::start().await;
    a.route("/feed", Canned::ok("application/json", r#"{"ok":true}"#));
    a.route(
        "/away",
        Canned::redirect(302, &format!("{}/landing", b.base)),
    );
    b.route("/landing", Canned::ok("text/plain", "landed"));
    token(&l, &a.base, "X-API-Key", Placement::NamedHeader, CANARY).await;

    let report = preview(
        &l,
        PreviewRequest {
            url: format!("{}/feed", a.base),
            headers: vec![("x-api-key".into(), "typed-by-the-caller".into())],
            ..Default::default()
        },
        &Fixed(Answer::Accept),
        PreviewOptions::default(),
    )
    .await
    .expect("preview");
    assert_eq!(report.status, 200);
    let seen = &a.seen()[0];
    assert_eq!(seen.header("x-api-key"), Some(CANARY));
    assert_eq!(seen.header("authorization"), None);
    assert!(!seen.target.contains(CANARY), "not in the query");
    let used = &report.hops[0].credentials;
    assert_eq!(used.len(), 1, "{used:?}");
    assert_eq!(used[0].placement, "header");
    assert_eq!(used[0].key.as_deref(), Some("X-API-Key"));
    assert!(report.hops[0].not_sent.iter().any(|n| n.source
        == lanyard_core::preview::report::CredentialSource::Header
        && n.reason.contains("URL token sets this header")));
    no_canary(&report);

    let report = get(&l, &format!("{}/away", a.base), "GET", None).await;
    assert_eq!(report.status, 200);
    let landed = b.seen();
    assert_eq!(landed.len(), 1);
    assert_eq!(
        landed[0].header("x-api-key"),
        None,
        "not sent to another origin"
    );
    no_canary(&report);
}

/// The header a named-header token sets must be one a request may carry.
#[tokio::test]
async fn named_header_tokens_refuse_headers_lanyard_owns() {
    let (_d, l) = lanyard().await;
    for name in [
        "Host",
        "Cookie",
        "Content-Length",
        "Authorization",
        "X API Key",
        "X-Key\r\n",
    ] {
        let err = add(
            &l,
            NewToken {
                prefix: "https://api.example.com/".into(),
                key: name.into(),
                placement: Placement::NamedHeader,
                requires_permission: false,
                prompt: false,
                value: Some(SecretValue::new("v")),
            },
        )
        .await
        .expect_err(name);
        assert_eq!(err.code(), "invalid_input", "{name}: {err}");
    }
    let err = add(
        &l,
        NewToken {
            prefix: "https://api.example.com/".into(),
            key: "X-API-Key".into(),
            placement: Placement::NamedHeader,
            requires_permission: false,
            prompt: false,
            value: Some(SecretValue::new("a\r\nInjected: 1")),
        },
    )
    .await
    .expect_err("CR/LF in the value");
    assert_eq!(err.code(), "invalid_input");
    assert!(lanyard_core::urltokens::tokens::list(&l)
        .await
        .expect("list")
        .is_empty());
}
