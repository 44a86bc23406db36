//! The fetch engine for players, end to end over the gateway (in process, real HTTP):
//! sessions, `/v1/fetch` never acting as an open proxy, hand-out modes, the preview as a
//! player, and the review fixes (custom headers off-origin, token values in a Location).

use std::sync::Arc;

use lanyard_core::broker::players::{self, add_player};
use lanyard_core::broker::sessions::SESSION_SECONDS;
use lanyard_core::broker::testing::seed_channel_for;
use lanyard_core::broker::token_links::{link_token, set_handout, unlink_token};
use lanyard_core::clock::{Clock, FixedClock, SystemClock};
use lanyard_core::fetch::As;
use lanyard_core::oauth::channel::Handout;
use lanyard_core::preview::{preview, preview_as, PreviewOptions, PreviewRequest};
use lanyard_core::secrets::{SecretStoreKind, SecretValue, Secrets};
use lanyard_core::urltokens::permission::{Answer, Fixed};
use lanyard_core::urltokens::tokens::{add, NewToken};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};
use lanyard_gateway::limits::LimitPolicy;
use lanyard_gateway::Gateway;
use serde_json::Value;

use crate::local_server::{Canned, LocalServer};

const CHANNEL_CANARY: &str = "CANARY-7d2f-channel-token";
const TOKEN_CANARY: &str = "CANARY-91ab-url-token";

struct Env {
    _dir: tempfile::TempDir,
    l: Lanyard,
    clock: Arc<FixedClock>,
    upstream: LocalServer,
    channel: String,
    token: String,
    player: String,
    secret: String,
    gateway: String,
}

async fn token(l: &Lanyard, prefix: &str, key: &str, placement: Placement, prompt: bool) -> String {
    add(
        l,
        NewToken {
            prefix: prefix.into(),
            key: key.into(),
            placement,
            requires_permission: true,
            prompt,
            value: (!prompt).then(|| SecretValue::new(TOKEN_CANARY)),
        },
    )
    .await
    .expect("token")
    .token
    .id
}

/// An upstream with a channel API under /api/ and a token-protected feed under /feed; a
/// player linked to both; a gateway allowing CORS from https://screen.example.
async fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
    let clock = Arc::new(FixedClock::at(SystemClock.now()));
    let l = Lanyard::open_with(&config, clock.clone(), Some(Secrets::in_memory()))
        .await
        .expect("open");
    let upstream = LocalServer::start().await;
    upstream.route(
        "/api/data",
        Canned {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Set-Cookie".into(), "session=abc".into()),
                ("ETag".into(), "\"v1\"".into()),
            ],
            body: br#"{"rows":[1,2,3]}"#.to_vec(),
            delay: std::time::Duration::ZERO,
        },
    );
    upstream.route("/feed/items", Canned::ok("text/plain", "items"));
    let channel = seed_channel_for(
        &l,
        "http://127.0.0.1:9/token",
        CHANNEL_CANARY,
        clock.now() + 3600,
        "refresh",
        vec![format!("{}/api/", upstream.base)],
    )
    .await
    .expect("seed");
    let token = token(
        &l,
        &format!("{}/feed", upstream.base),
        "apikey",
        Placement::Form,
        false,
    )
    .await;
    let new = add_player(&l, "Lobby screen", None).await.expect("player");
    let player = new.player.id.clone();
    players::link(&l, &player, &channel).await.expect("link");
    link_token(&l, &player, &token).await.expect("link token");

    let gateway = Gateway::new(l.clone(), LimitPolicy::default())
        .expect("gateway")
        .with_cors_origins(vec!["https://screen.example".into()]);
    let gateway = crate::gateway_fetch::serve_gateway(gateway).await;
    Env {
        _dir: dir,
        l,
        clock,
        upstream,
        channel,
        token,
        player,
        secret: new.secret.expose().to_string(),
        gateway,
    }
}

struct Answered {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answered {
    fn code(&self) -> String {
        crate::util::error_code(&self.body)
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Env {
    async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: &str,
        extra: &[(&str, &str)],
    ) -> Answered {
        let client = reqwest::Client::new();
        let mut request = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                format!("{}{path}", self.gateway),
            )
            .bearer_auth(bearer);
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("gateway answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        assert!(
            !body.contains(CHANNEL_CANARY) && !body.contains(TOKEN_CANARY),
            "a credential reached the player: {body}"
        );
        for (_, v) in &headers {
            let v = v.to_str().unwrap_or_default();
            assert!(!v.contains(CHANNEL_CANARY) && !v.contains(TOKEN_CANARY));
        }
        Answered {
            status,
            headers,
            body,
        }
    }

    async fn session(&self) -> String {
        let a = self.call("POST", "/v1/sessions", &self.secret, &[]).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let v: Value = serde_json::from_str(&a.body).expect("json");
        let expires_at = v["expires_at"].as_i64().expect("expires_at");
        assert!(expires_at <= self.clock.now() + 15 * 60);
        assert_eq!(a.header("cache-control"), Some("no-store"));
        v["token"].as_str().expect("token").to_string()
    }

    async fn fetch(&self, bearer: &str, url: &str) -> Answered {
        let q: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
        self.call("GET", &format!("/v1/fetch?url={q}"), bearer, &[])
            .await
    }
}

#[tokio::test]
async fn a_player_gets_both_kinds_of_data_with_a_session_and_never_a_credential() {
    let e = env().await;
    let session = e.session().await;
    assert!(session.starts_with("lyg_"));

    let a = e
        .fetch(&session, &format!("{}/api/data", e.upstream.base))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, r#"{"rows":[1,2,3]}"#);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.header("etag"), Some("\"v1\""));
    assert_eq!(a.header("set-cookie"), None, "Set-Cookie is dropped");
    assert_eq!(
        a.header("x-lanyard-attached"),
        Some(format!("channel:{}", e.channel).as_str())
    );
    let seen = e.upstream.seen();
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {CHANNEL_CANARY}").as_str())
    );

    let a = e
        .fetch(&session, &format!("{}/feed/items", e.upstream.base))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, "items");
    assert_eq!(
        a.header("x-lanyard-attached"),
        Some(format!("url_token:{}:apikey", e.token).as_str())
    );
    // A form token on a GET goes to the query (the token requires permission: for a
    // player the link is the permission).
    let seen = e.upstream.seen();
    assert!(
        seen[1].target.contains(&format!("apikey={TOKEN_CANARY}")),
        "{}",
        seen[1].target
    );
    assert_eq!(seen[1].header("authorization"), None);

    // The player secret works too.
    let a = e
        .fetch(&e.secret, &format!("{}/api/data", e.upstream.base))
        .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn fetch_is_never_an_open_proxy() {
    let e = env().await;
    let other = LocalServer::start().await;
    other.route("/x", Canned::ok("text/plain", "elsewhere"));
    e.upstream.route(
        "/api/jump",
        Canned::redirect(302, &format!("{}/x", other.base)),
    );
    let session = e.session().await;
    let port = e
        .upstream
        .base
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    let before = e.upstream.seen().len();
    for url in [
        format!("{}/other", e.upstream.base),
        format!("{}/apix", e.upstream.base),
        format!("{}/feedback", e.upstream.base),
        format!("http://localhost:{port}/api/data"),
        format!("http://127.0.0.2:{port}/api/data"),
        format!("{}/x", other.base),
        "https://example.com/api/data".to_string(),
    ] {
        let a = e.fetch(&session, &url).await;
        assert_eq!(
            (a.status, a.code().as_str()),
            (403, "not_covered"),
            "{url}: {}",
            a.body
        );
    }
    assert_eq!(e.upstream.seen().len(), before, "nothing was fetched");
    // A redirect from a covered URL to an uncovered origin: refused, nothing fetched there.
    let a = e
        .fetch(&session, &format!("{}/api/jump", e.upstream.base))
        .await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (403, "not_covered"),
        "{}",
        a.body
    );
    assert!(other.seen().is_empty());
    // No url, two urls.
    let a = e.call("GET", "/v1/fetch", &session, &[]).await;
    assert_eq!(a.code(), "invalid_input");
    // No credentials at all.
    let a = e
        .fetch("nonsense", &format!("{}/api/data", e.upstream.base))
        .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn a_session_dies_after_expiry_unlink_removal_and_rotation() {
    let e = env().await;
    let data = format!("{}/api/data", e.upstream.base);

    // Expiry.
    let s = e.session().await;
    assert_eq!(e.fetch(&s, &data).await.status, 200);
    e.clock.advance(SESSION_SECONDS);
    let a = e.fetch(&s, &data).await;
    assert_eq!((a.status, a.code().as_str()), (401, "unauthenticated"));

    // A session token cannot mint another one.
    let s = e.session().await;
    let a = e.call("POST", "/v1/sessions", &s, &[]).await;
    assert_eq!(a.status, 401);
    // An altered one is refused.
    let i = s.len() - 5;
    let flipped = if &s[i..=i] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &s[..i], &s[i + 1..]);
    assert_eq!(e.fetch(&forged, &data).await.status, 401);

    // Unlinking the URL token ends the session on its next request; a new session then
    // gets the channel's data but not the feed.
    assert_eq!(e.fetch(&s, &data).await.status, 200);
    unlink_token(&e.l, &e.player, &e.token)
        .await
        .expect("unlink");
    assert_eq!(e.fetch(&s, &data).await.status, 401);
    let s = e.session().await;
    assert_eq!(e.fetch(&s, &data).await.status, 200);
    let a = e
        .fetch(&s, &format!("{}/feed/items", e.upstream.base))
        .await;
    assert_eq!(a.code(), "not_covered");
    // Unlinking the channel: the same.
    players::unlink(&e.l, &e.player, &e.channel)
        .await
        .expect("unlink");
    assert_eq!(e.fetch(&s, &data).await.status, 401);
    let s = e.session().await;
    assert_eq!(e.fetch(&s, &data).await.code(), "not_covered");

    // Rotation.
    players::link(&e.l, &e.player, &e.channel)
        .await
        .expect("link");
    let s = e.session().await;
    assert_eq!(e.fetch(&s, &data).await.status, 200);
    players::rotate_secret(&e.l, &e.player)
        .await
        .expect("rotate");
    assert_eq!(e.fetch(&s, &data).await.status, 401);
    assert_eq!(
        e.call("POST", "/v1/sessions", &e.secret, &[]).await.status,
        401
    );

    // Removal.
    let rotated = players::rotate_secret(&e.l, &e.player)
        .await
        .expect("rotate");
    let a = e
        .call("POST", "/v1/sessions", rotated.secret.expose(), &[])
        .await;
    let s: Value = serde_json::from_str(&a.body).expect("json");
    let s = s["token"].as_str().expect("token").to_string();
    assert_eq!(e.fetch(&s, &data).await.status, 200);
    players::remove_player(&e.l, &e.player)
        .await
        .expect("remove");
    assert_eq!(e.fetch(&s, &data).await.status, 401);
}

#[tokio::test]
async fn hand_out_modes_decide_what_grants_answer() {
    let e = env().await;
    let grant = |body: Value| {
        let (gateway, secret) = (e.gateway.clone(), e.secret.clone());
        async move {
            let r = reqwest::Client::new()
                .post(format!("{gateway}/v1/grants"))
                .bearer_auth(secret)
                .json(&body)
                .send()
                .await
                .expect("grant");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    // New channels are `proxy`.
    let (status, body) = grant(serde_json::json!({ "channel": e.channel })).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("proxy_only")),
        "{body}"
    );
    assert!(!body.to_string().contains(CHANNEL_CANARY));
    // `/v1/fetch` works in both modes.
    let data = format!("{}/api/data", e.upstream.base);
    assert_eq!(e.fetch(&e.secret, &data).await.status, 200);
    set_handout(&e.l, &e.channel, Handout::Token)
        .await
        .expect("set");
    let (status, body) = grant(serde_json::json!({ "channel": e.channel })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_token"], CHANNEL_CANARY);
    assert_eq!(e.fetch(&e.secret, &data).await.status, 200);
    // The channel list tells the player which way to go.
    let a = e.call("GET", "/v1/channels", &e.secret, &[]).await;
    assert!(a.body.contains("\"handout\":\"token\""), "{}", a.body);
    // Unknown mode.
    assert_eq!(
        Handout::parse("both").expect_err("refused").code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn cors_is_answered_only_for_configured_origins() {
    let e = env().await;
    let data = format!("{}/api/data", e.upstream.base);
    let q: String = url::form_urlencoded::byte_serialize(data.as_bytes()).collect();
    let path = format!("/v1/fetch?url={q}");
    let a = e
        .call(
            "GET",
            &path,
            &e.secret,
            &[("Origin", "https://screen.example")],
        )
        .await;
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://screen.example")
    );
    assert!(a
        .header("access-control-expose-headers")
        .unwrap_or("")
        .contains("x-lanyard-attached"));
    let a = e
        .call(
            "GET",
            &path,
            &e.secret,
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(a.header("access-control-allow-origin"), None);
    let a = e
        .call(
            "OPTIONS",
            "/v1/fetch",
            "",
            &[("Origin", "https://screen.example")],
        )
        .await;
    assert_eq!(a.status, 204);
    assert!(a
        .header("access-control-allow-headers")
        .unwrap_or("")
        .contains("authorization"));
    let a = e
        .call(
            "OPTIONS",
            "/v1/fetch",
            "",
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn the_preview_as_a_player_is_refused_exactly_where_the_player_is() {
    let e = env().await;
    let who = As::Player(e.player.clone());
    let go = |url: String, who: As| {
        let l = e.l.clone();
        async move {
            preview_as(
                &l,
                &who,
                PreviewRequest {
                    url,
                    ..Default::default()
                },
                &Fixed(Answer::Accept),
                PreviewOptions::default(),
            )
            .await
        }
    };
    let covered = go(format!("{}/api/data", e.upstream.base), who.clone())
        .await
        .expect("covered");
    assert_eq!(covered.status, 200);
    assert_eq!(covered.hops[0].credentials[0].source.as_str(), "channel");
    let err = go(format!("{}/other", e.upstream.base), who.clone())
        .await
        .expect_err("uncovered");
    assert_eq!(err.code(), "not_covered");
    // The license previews the same URL (no credentials, as before).
    let as_license = go(format!("{}/other", e.upstream.base), As::License)
        .await
        .expect("license");
    assert_eq!(as_license.status, 404);
    // The license is linked to its own tokens by default, the player only by its links.
    unlink_token(&e.l, &e.player, &e.token)
        .await
        .expect("unlink");
    let feed = format!("{}/feed/items", e.upstream.base);
    assert_eq!(
        go(feed.clone(), who.clone())
            .await
            .expect_err("unlinked")
            .code(),
        "not_covered"
    );
    let report = go(feed, As::License).await.expect("license feed");
    assert_eq!(report.hops[0].credentials[0].source.as_str(), "url_token");
    // Prompt tokens cannot be linked to players.
    let prompt = token(
        &e.l,
        &format!("{}/api", e.upstream.base),
        "pin",
        Placement::Form,
        true,
    )
    .await;
    let err = link_token(&e.l, &e.player, &prompt)
        .await
        .expect_err("prompt");
    assert_eq!(err.code(), "needs_prompt");
    // An unknown player.
    let err = go(
        format!("{}/api/data", e.upstream.base),
        As::Player("nobody".into()),
    )
    .await
    .expect_err("unknown");
    assert_eq!(err.code(), "unknown_principal");
}

#[tokio::test]
async fn custom_headers_and_token_values_never_reach_another_origin() {
    let e = env().await;
    let b = LocalServer::start().await;
    b.route("/landing", Canned::ok("text/plain", "landed"));
    e.upstream.route(
        "/api/away",
        Canned::redirect(302, &format!("{}/landing", b.base)),
    );
    let request = |url: String| PreviewRequest {
        url,
        headers: vec![
            ("X-Api-Key".into(), "CANARY-header-value".into()),
            ("Accept".into(), "text/plain".into()),
        ],
        ..Default::default()
    };
    let report = preview(
        &e.l,
        request(format!("{}/api/away", e.upstream.base)),
        &Fixed(Answer::Accept),
        PreviewOptions::default(),
    )
    .await
    .expect("preview");
    assert_eq!(report.status, 200);
    let first = &e.upstream.seen()[0];
    assert_eq!(first.header("x-api-key"), Some("CANARY-header-value"));
    let landed = &b.seen()[0];
    assert_eq!(
        landed.header("x-api-key"),
        None,
        "custom header crossed origins"
    );
    assert_eq!(landed.header("accept"), Some("text/plain"));
    assert!(report.hops[1]
        .not_sent
        .iter()
        .any(|n| n.source.as_str() == "header" && n.id == "X-Api-Key"));

    // A Location carrying the form token's value to another origin is not followed, and
    // the report shows it redacted.
    e.upstream.route(
        "/feed/leak",
        Canned::redirect(302, &format!("{}/landing?stolen={TOKEN_CANARY}", b.base)),
    );
    let before = b.seen().len();
    let report = preview(
        &e.l,
        request(format!("{}/feed/leak", e.upstream.base)),
        &Fixed(Answer::Accept),
        PreviewOptions::default(),
    )
    .await
    .expect("preview");
    assert_eq!(report.status, 302);
    assert_eq!(b.seen().len(), before, "the other origin was requested");
    let json = serde_json::to_string(&report).expect("json");
    assert!(!json.contains(TOKEN_CANARY), "{json}");
    assert!(!json.contains("CANARY-header-value"), "{json}");
    assert!(
        report.notes.iter().any(|n| n.contains("credential value")),
        "{:?}",
        report.notes
    );
    assert!(report.notes.iter().any(|n| n.contains("query parameters")));

    // Connection headers are refused before anything is sent.
    let err = preview(
        &e.l,
        PreviewRequest {
            url: format!("{}/api/data", e.upstream.base),
            headers: vec![("Host".into(), "evil.example".into())],
            ..Default::default()
        },
        &Fixed(Answer::Accept),
        PreviewOptions::default(),
    )
    .await
    .expect_err("host refused");
    assert_eq!(err.code(), "invalid_input");
}

/// Runs `lanyard --secret-store file --json ARGS` with `stdin`; (exit code, JSON, raw).
fn cli(dir: &std::path::Path, args: &[&str], stdin: &[u8]) -> (Option<i32>, Value, String) {
    use std::io::Write as _;
    let mut child = crate::util::lanyard(dir)
        .args(["--secret-store", "file", "--json"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write");
    drop(input);
    let out = child.wait_with_output().expect("wait");
    let raw = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!raw.contains(TOKEN_CANARY), "a token value leaked: {raw}");
    (out.status.code(), crate::util::stdout_json(&out), raw)
}

#[tokio::test]
async fn the_cli_links_tokens_sets_hand_out_modes_and_previews_as_a_player() {
    let dir = tempfile::tempdir().expect("tempdir");
    let upstream = LocalServer::start().await;
    upstream.route("/feed/items", Canned::ok("text/plain", "items"));
    let d = dir.path().to_path_buf();
    let base = upstream.base.clone();
    let seen_before = tokio::task::spawn_blocking(move || {
        let (code, token, raw) = cli(
            &d,
            &[
                "token",
                "add",
                "--url",
                &format!("{base}/feed"),
                "--key",
                "apikey",
            ],
            TOKEN_CANARY.as_bytes(),
        );
        assert_eq!(code, Some(0), "{raw}");
        let token = token["token"]["id"].as_str().expect("id").to_string();
        let (_, player, _) = cli(&d, &["player", "add", "Lobby screen"], b"");
        let player = player["id"].as_str().expect("id").to_string();
        let as_player = format!("player:{player}");
        let url = format!("{base}/feed/items");

        // Not linked yet: the preview as the player is refused where the screen would be.
        let (code, err, _) = cli(&d, &["preview", &url, "--as", &as_player], b"");
        assert_eq!((code, err["code"].as_str()), (Some(1), Some("not_covered")));
        // Linked: the same preview carries the token (the license's own link is default).
        let (code, _, raw) = cli(
            &d,
            &["link", "add", "--player", &player, "--token", &token],
            b"",
        );
        assert_eq!(code, Some(0), "{raw}");
        let (_, links, _) = cli(&d, &["link", "list", "--tokens"], b"");
        let links = links.as_array().expect("links").clone();
        assert_eq!(links.len(), 2, "license + player: {links:?}");
        let (code, report, raw) = cli(&d, &["preview", &url, "--as", &as_player], b"");
        assert_eq!(code, Some(0), "{raw}");
        assert_eq!(report["status"], 200);
        assert_eq!(report["hops"][0]["credentials"][0]["key"], "apikey");
        // Unlinked again: refused again.
        let (code, _, _) = cli(
            &d,
            &["link", "remove", "--player", &player, "--token", &token],
            b"",
        );
        assert_eq!(code, Some(0));
        let (_, err, _) = cli(&d, &["preview", &url, "--as", &as_player], b"");
        assert_eq!(err["code"], "not_covered");
        // Bad input changes nothing.
        let (code, err, _) = cli(&d, &["preview", &url, "--as", "alice"], b"");
        assert_eq!(
            (code, err["code"].as_str()),
            (Some(1), Some("invalid_input"))
        );
        let (_, err, _) = cli(&d, &["channel", "set", "nope", "--handout", "proxy"], b"");
        assert_eq!(err["code"], "not_found");
        let (_, err, _) = cli(&d, &["channel", "set", "nope", "--handout", "both"], b"");
        assert_eq!(err["code"], "invalid_input");
        let (code, _, _) = cli(&d, &["link", "add", "--player", &player], b"");
        assert_eq!(code, Some(2), "a link needs --channel or --token");
    })
    .await;
    seen_before.expect("cli");
    assert_eq!(
        upstream.seen().len(),
        1,
        "only the linked preview reached the upstream"
    );
}
