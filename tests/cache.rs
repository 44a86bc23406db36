//! The gateway's shared response cache, end to end (in process, real HTTP, a local
//! upstream that counts what reaches it): never crossing principals with different links,
//! ETag revalidation, the minimum refetch interval, single-flight misses, `no-store`, and
//! an unlink refusing at once even when the answer is cached. Plus the CLI settings.
//!
//! Against the real `lanyard gateway serve` process: one flight shared by every waiter (a
//! `no-cache` feed polled by 50 screens, a hanging upstream), a link added mid-flight, a
//! redirected answer, the limits a leaked session meets (rate, concurrency, URL length,
//! key bytes, the body budget) and the headers an answer may carry behind a reverse proxy.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lanyard_core::broker::players::{self, add_player, remove_player};
use lanyard_core::broker::testing::seed_channel_for;
use lanyard_core::broker::token_links::{link_token, unlink_token};
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::secrets::{SecretStoreKind, SecretValue, Secrets};
use lanyard_core::store::refetch::RefetchOf;
use lanyard_core::urltokens::tokens::{add, NewToken};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};
use lanyard_gateway::cache::Cache;
use lanyard_gateway::limits::LimitPolicy;
use lanyard_gateway::quota::FetchPolicy;
use lanyard_gateway::Gateway;
use serde_json::Value;

use crate::gateway::GatewayProcess;
use crate::gateway_fetch::{serve, serve_gateway};

const CHANNEL_CANARY: &str = "CANARY-c4a1-channel-token";
const TOKEN_CANARY: &str = "CANARY-5e0b-url-token";

/// The upstream's delay for the `etagslow*` routes: one round trip.
const ROUND_TRIP: Duration = Duration::from_millis(400);

/// An upstream whose every route counts requests and says which credentials it saw.
#[derive(Default)]
struct Upstream {
    hits: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
    /// `flip`'s first request waits for this.
    open: AtomicBool,
}

impl Upstream {
    fn hits(&self, route: &str) -> usize {
        self.hits
            .lock()
            .expect("hits")
            .get(route)
            .copied()
            .unwrap_or(0)
    }
}

async fn route(
    State(up): State<Arc<Upstream>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    up.total.fetch_add(1, Ordering::SeqCst);
    let nth = {
        let mut hits = up.hits.lock().expect("hits");
        let n = hits.entry(name.clone()).or_default();
        *n += 1;
        *n
    };
    let channel = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {CHANNEL_CANARY}"));
    let token = uri
        .query()
        .is_some_and(|q| q.contains(&format!("apikey={TOKEN_CANARY}")));
    let body = format!("route={name} channel={channel} token={token}");
    let etag = "\"v1\"";
    let etagged = name == "etag" || name.starts_with("etagslow");
    let cache_control = match name.as_str() {
        "fresh" | "slow" | "landing" => "max-age=60",
        n if n.starts_with("hang") => "max-age=60",
        n if n.starts_with("etagslow") => "no-cache",
        "etag" => "no-cache",
        "nostore" => "no-store",
        n if n.starts_with("long") => "no-store",
        "private" => "private, max-age=60",
        // The first answer may not be stored, the next ones may.
        "flip" if nth == 1 => "no-store",
        "flip" => "max-age=60",
        _ => "",
    };
    if name == "slow" {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    if name.starts_with("etagslow") {
        tokio::time::sleep(ROUND_TRIP).await;
    }
    if name.starts_with("hang") {
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    if name == "flip" && nth == 1 {
        while !up.open.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    if name == "redir" {
        // Same origin, carrying the URL token's value along.
        let location = format!("/api/landing?{}", uri.query().unwrap_or_default());
        return (
            StatusCode::FOUND,
            [
                ("location", location.as_str()),
                ("cache-control", "max-age=3600"),
            ],
        )
            .into_response();
    }
    if name == "headers" {
        return (
            [
                ("content-type", "application/json"),
                ("cache-control", "public, max-age=60, s-maxage=600"),
                ("etag", "\"h1\""),
                ("last-modified", "Sun, 06 Dec 2026 10:00:00 GMT"),
                ("vary", "Accept-Language"),
                ("access-control-allow-origin", "*"),
                ("access-control-allow-credentials", "true"),
                (
                    "strict-transport-security",
                    "max-age=63072000; includeSubDomains",
                ),
                ("alt-svc", "h3=\":443\"; ma=86400"),
                ("clear-site-data", "\"*\""),
                ("www-authenticate", "Basic realm=\"upstream\""),
                ("x-powered-by", "upstream/1.0"),
                ("content-security-policy", "default-src *"),
                ("link", "<https://elsewhere.example/>; rel=preconnect"),
            ],
            "{\"ok\":true}",
        )
            .into_response();
    }
    if etagged && headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag) {
        return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
    }
    let mut response = body.into_response();
    let h = response.headers_mut();
    if !cache_control.is_empty() {
        h.insert("cache-control", cache_control.parse().expect("cc"));
    }
    if etagged {
        h.insert("etag", etag.parse().expect("etag"));
    }
    if name == "cookie" {
        h.insert("cache-control", "max-age=60".parse().expect("cc"));
        h.insert("set-cookie", "s=1".parse().expect("cookie"));
    }
    response
}

struct Env {
    /// The gateway process, when the test runs one (killed on drop, before the directory).
    _process: Option<GatewayProcess>,
    _dir: tempfile::TempDir,
    l: Lanyard,
    up: Arc<Upstream>,
    base: String,
    gateway: String,
    channel: String,
    token: String,
    /// Linked to the channel and the token.
    both: (String, String),
    /// Linked to the channel only.
    channel_only: (String, String),
    /// Linked to the token only.
    token_only: (String, String),
}

/// An in-process gateway (no per-player limits: these tests are about the cache).
async fn env() -> Env {
    build(None).await
}

/// The real `lanyard gateway serve` with `extra` arguments, on an installation whose
/// secrets are in a file store both processes read.
async fn env_process(extra: &[&str]) -> Env {
    build(Some(extra)).await
}

async fn build(process: Option<&[&str]>) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = match process {
        None => {
            let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
            Lanyard::open_with(&config, Arc::new(SystemClock), Some(Secrets::in_memory()))
                .await
                .expect("open")
        }
        Some(_) => {
            let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
            Lanyard::open_with(&config, Arc::new(SystemClock), None)
                .await
                .expect("open")
        }
    };
    let up = Arc::new(Upstream::default());
    let upstream = Router::new()
        .route("/api/{name}", get(route))
        .with_state(up.clone());
    let (base, _) = serve(upstream).await;
    let channel = seed_channel_for(
        &l,
        "http://127.0.0.1:9/token",
        CHANNEL_CANARY,
        SystemClock.now() + 3600,
        "refresh",
        vec![format!("{base}/api/")],
    )
    .await
    .expect("seed");
    let token = add(
        &l,
        NewToken {
            prefix: format!("{base}/api"),
            key: "apikey".into(),
            placement: Placement::Form,
            requires_permission: false,
            prompt: false,
            value: Some(SecretValue::new(TOKEN_CANARY)),
        },
    )
    .await
    .expect("token")
    .token
    .id;
    let mut principals = Vec::new();
    for (name, with_channel, with_token) in [
        ("both", true, true),
        ("channel only", true, false),
        ("token only", false, true),
    ] {
        let new = add_player(&l, name, None).await.expect("player");
        if with_channel {
            players::link(&l, &new.player.id, &channel)
                .await
                .expect("link");
        }
        if with_token {
            link_token(&l, &new.player.id, &token)
                .await
                .expect("link token");
        }
        principals.push((new.player.id.clone(), new.secret.expose().to_string()));
    }
    let (gateway, process) = match process {
        None => {
            let gateway = Gateway::new(l.clone(), LimitPolicy::default())
                .expect("gateway")
                .with_cache(Cache::new(8 * 1024 * 1024))
                .with_fetch_policy(FetchPolicy::unlimited());
            (serve_gateway(gateway).await, None)
        }
        Some(extra) => {
            let mut cmd = crate::util::lanyard(dir.path());
            cmd.args(["--secret-store", "file"]);
            let p = GatewayProcess::start(cmd, extra);
            (p.url.clone(), Some(p))
        }
    };
    let mut p = principals.into_iter();
    Env {
        _process: process,
        _dir: dir,
        l,
        up,
        base,
        gateway,
        channel,
        token,
        both: p.next().expect("both"),
        channel_only: p.next().expect("channel only"),
        token_only: p.next().expect("token only"),
    }
}

struct Answered {
    status: u16,
    cache: String,
    attached: String,
    etag: Option<String>,
    body: String,
    headers: reqwest::header::HeaderMap,
    /// From sending the request to the end of the body.
    took: Duration,
}

impl Answered {
    fn code(&self) -> String {
        crate::util::error_code(&self.body)
    }
}

impl Env {
    async fn get(&self, secret: &str, route: &str, extra: &[(&str, &str)]) -> Answered {
        self.get_url(secret, &format!("{}/api/{route}", self.base), extra)
            .await
    }

    async fn get_url(&self, secret: &str, url: &str, extra: &[(&str, &str)]) -> Answered {
        let started = Instant::now();
        let q: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
        let mut request = reqwest::Client::new()
            .get(format!("{}/v1/fetch?url={q}", self.gateway))
            .bearer_auth(secret);
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let r = request.send().await.expect("gateway answers");
        let header = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (status, cache, attached, etag, headers) = (
            r.status().as_u16(),
            header("x-lanyard-cache").unwrap_or_default(),
            header("x-lanyard-attached").unwrap_or_default(),
            header("etag"),
            r.headers().clone(),
        );
        let body = r.text().await.expect("body");
        assert!(
            !body.contains(CHANNEL_CANARY) && !body.contains(TOKEN_CANARY),
            "a credential reached the player: {body}"
        );
        Answered {
            status,
            cache,
            attached,
            etag,
            body,
            headers,
            took: started.elapsed(),
        }
    }

    /// A session token for `secret`.
    async fn session(&self, secret: &str) -> String {
        let r = reqwest::Client::new()
            .post(format!("{}/v1/sessions", self.gateway))
            .bearer_auth(secret)
            .send()
            .await
            .expect("session");
        assert_eq!(r.status().as_u16(), 200);
        let v: Value = r.json().await.expect("json");
        v["token"].as_str().expect("token").to_string()
    }

    /// Runs `n` requests for `route` at once as `bearer`.
    async fn burst(self: &Arc<Self>, n: usize, bearer: &str, route: &str) -> Vec<Answered> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (e, bearer, route) = (self.clone(), bearer.to_string(), route.to_string());
                tokio::spawn(async move { e.get(&bearer, &route, &[]).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("task"));
        }
        out
    }

    /// The gateway's `/metrics` value of `name` (0 when absent).
    async fn metric(&self, name: &str) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.gateway))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn an_answer_is_never_served_to_a_principal_with_other_links() {
    let e = env().await;
    let both = e.get(&e.both.1, "fresh", &[]).await;
    assert_eq!((both.status, both.cache.as_str()), (200, "miss"));
    assert_eq!(both.body, "route=fresh channel=true token=true");
    assert!(both.attached.contains(&format!("channel:{}", e.channel)));
    assert!(both.attached.contains(&format!("url_token:{}", e.token)));
    // Linked to fewer credentials: its own upstream request, never the cached answer.
    let channel_only = e.get(&e.channel_only.1, "fresh", &[]).await;
    assert_eq!(channel_only.cache, "miss");
    assert_eq!(channel_only.body, "route=fresh channel=true token=false");
    let token_only = e.get(&e.token_only.1, "fresh", &[]).await;
    assert_eq!(token_only.cache, "miss");
    assert_eq!(token_only.body, "route=fresh channel=false token=true");
    assert_eq!(e.up.hits("fresh"), 3);
    // Each now hits its own entry.
    for (secret, body) in [
        (&e.both.1, "route=fresh channel=true token=true"),
        (&e.channel_only.1, "route=fresh channel=true token=false"),
        (&e.token_only.1, "route=fresh channel=false token=true"),
    ] {
        let a = e.get(secret, "fresh", &[]).await;
        assert_eq!((a.cache.as_str(), a.body.as_str()), ("hit", body));
    }
    assert_eq!(e.up.hits("fresh"), 3);

    // A second principal with exactly the same links shares the entry.
    let twin = add_player(&e.l, "twin", None).await.expect("player");
    players::link(&e.l, &twin.player.id, &e.channel)
        .await
        .expect("link");
    let a = e.get(twin.secret.expose(), "fresh", &[]).await;
    assert_eq!(
        (a.cache.as_str(), a.body.as_str()),
        ("hit", "route=fresh channel=true token=false")
    );
    assert_eq!(e.up.hits("fresh"), 3);
}

#[tokio::test]
async fn an_etag_revalidation_serves_the_stored_answer() {
    let e = env().await;
    let a = e.get(&e.both.1, "etag", &[]).await;
    assert_eq!((a.status, a.cache.as_str()), (200, "miss"));
    // no-cache: every request asks the upstream, which answers 304.
    let b = e.get(&e.both.1, "etag", &[]).await;
    assert_eq!((b.status, b.cache.as_str()), (200, "revalidated"));
    assert_eq!(b.body, a.body);
    assert_eq!(b.etag.as_deref(), Some("\"v1\""));
    assert_eq!(e.up.hits("etag"), 2);
    // The player's own If-None-Match is answered by the gateway.
    let c = e
        .get(&e.both.1, "etag", &[("if-none-match", "\"v1\"")])
        .await;
    assert_eq!((c.status, c.body.as_str()), (304, ""));
    let d = e
        .get(&e.both.1, "etag", &[("if-none-match", "\"v0\"")])
        .await;
    assert_eq!((d.status, d.body.as_str()), (200, a.body.as_str()));
}

#[tokio::test]
async fn the_minimum_refetch_interval_holds_answers_without_caching_headers() {
    let e = env().await;
    // No caching headers: every request goes upstream.
    for _ in 0..2 {
        assert_eq!(e.get(&e.channel_only.1, "plain", &[]).await.cache, "miss");
    }
    assert_eq!(e.up.hits("plain"), 2);
    e.l.store()
        .set_min_refetch(RefetchOf::Channel, &e.channel, 30)
        .await
        .expect("set");
    // The answer stored a moment ago is young enough now.
    for _ in 0..3 {
        assert_eq!(e.get(&e.channel_only.1, "plain", &[]).await.cache, "hit");
    }
    assert_eq!(e.up.hits("plain"), 2);
    // The token's interval counts for principals whose key holds the token.
    assert_eq!(e.get(&e.token_only.1, "plain", &[]).await.cache, "miss");
    assert_eq!(e.get(&e.token_only.1, "plain", &[]).await.cache, "miss");
    e.l.store()
        .set_min_refetch(RefetchOf::UrlToken, &e.token, 30)
        .await
        .expect("set");
    assert_eq!(e.get(&e.token_only.1, "plain", &[]).await.cache, "hit");
    assert_eq!(e.up.hits("plain"), 4);
    // Never above what the upstream forbids storing.
    for _ in 0..2 {
        assert_eq!(e.get(&e.channel_only.1, "nostore", &[]).await.cache, "miss");
    }
    assert_eq!(e.up.hits("nostore"), 2);
    // Out of range or unknown: refused, nothing changed.
    let err =
        e.l.store()
            .set_min_refetch(RefetchOf::Channel, &e.channel, 86_401)
            .await
            .expect_err("too long");
    assert_eq!(err.code(), "invalid_input");
    let err =
        e.l.store()
            .set_min_refetch(RefetchOf::UrlToken, "nope", 5)
            .await
            .expect_err("unknown");
    assert_eq!(err.code(), "not_found");
    assert_eq!(
        e.l.store()
            .min_refetch(RefetchOf::Channel, &e.channel)
            .await
            .expect("read"),
        30
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_make_one_upstream_request() {
    let e = Arc::new(env().await);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            e.get(&e.channel_only.1, "slow", &[]).await
        }));
    }
    let mut outcomes = HashMap::<String, usize>::new();
    for t in tasks {
        let a = t.await.expect("task");
        assert_eq!(a.status, 200);
        assert_eq!(a.body, "route=slow channel=true token=false");
        *outcomes.entry(a.cache).or_default() += 1;
    }
    assert_eq!(e.up.hits("slow"), 1, "{outcomes:?}");
    assert_eq!(outcomes.get("miss"), Some(&1), "{outcomes:?}");
}

#[tokio::test]
async fn no_store_private_and_set_cookie_are_never_shared() {
    let e = env().await;
    for route in ["nostore", "private", "cookie"] {
        for _ in 0..3 {
            let a = e.get(&e.both.1, route, &[]).await;
            assert_eq!((a.status, a.cache.as_str()), (200, "miss"), "{route}");
        }
        assert_eq!(e.up.hits(route), 3, "{route}");
    }
}

#[tokio::test]
async fn an_unlink_or_removal_refuses_at_once_even_when_cached() {
    unlink_and_removal_refuse_at_once(env().await).await;
}

/// The same against the real gateway process, the changes made by this (another) process:
/// the gateway remembers a verified session and a request's plan (URL, checks, key) per
/// access epoch, and neither may outlive a change made elsewhere by even one request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_by_another_process_reaches_the_very_next_cached_request() {
    let e = env_process(&[]).await;
    let session = e.session(&e.channel_only.1).await;
    for expected in ["miss", "hit", "hit"] {
        let a = e.get(&session, "landing", &[]).await;
        assert_eq!(
            (a.status, a.cache.as_str(), a.body.as_str()),
            (200, expected, "route=landing channel=true token=false")
        );
    }
    // A token linked elsewhere: the next request's key names it (a new key: fetched anew,
    // with the token), never the plan made before.
    link_token(&e.l, &e.channel_only.0, &e.token)
        .await
        .expect("link token");
    let a = e.get(&session, "landing", &[]).await;
    assert_eq!(
        (a.status, a.cache.as_str(), a.body.as_str()),
        (200, "miss", "route=landing channel=true token=true")
    );
    assert_eq!(e.up.hits("landing"), 2);
    let a = e.get(&session, "landing", &[]).await;
    assert_eq!(a.cache, "hit");
    unlink_and_removal_refuse_at_once(e).await;
}

async fn unlink_and_removal_refuse_at_once(e: Env) {
    let session = {
        let r = reqwest::Client::new()
            .post(format!("{}/v1/sessions", e.gateway))
            .bearer_auth(&e.channel_only.1)
            .send()
            .await
            .expect("session");
        let v: Value = r.json().await.expect("json");
        v["token"].as_str().expect("token").to_string()
    };
    assert_eq!(e.get(&session, "fresh", &[]).await.cache, "miss");
    assert_eq!(e.get(&session, "fresh", &[]).await.cache, "hit");
    assert_eq!(e.get(&e.channel_only.1, "fresh", &[]).await.cache, "hit");
    players::unlink(&e.l, &e.channel_only.0, &e.channel)
        .await
        .expect("unlink");
    let a = e.get(&session, "fresh", &[]).await;
    assert_eq!(a.status, 401, "{}", a.body);
    let a = e.get(&e.channel_only.1, "fresh", &[]).await;
    if a.status == 200 {
        // Linked to the token too (the other-process test links it): that link still
        // covers the URL, under another key.
        unlink_token(&e.l, &e.channel_only.0, &e.token)
            .await
            .expect("unlink token");
        let a = e.get(&e.channel_only.1, "fresh", &[]).await;
        assert_eq!((a.status, a.code().as_str()), (403, "not_covered"));
    } else {
        assert_eq!((a.status, a.code().as_str()), (403, "not_covered"));
        assert_eq!(e.up.hits("fresh"), 1);
    }

    // Removed: the secret itself is refused.
    // (A miss, or a hit where the other-process test gave channel_only the same
    // credentials as both: the same key.)
    assert_eq!(e.get(&e.both.1, "fresh", &[]).await.status, 200);
    remove_player(&e.l, &e.both.0).await.expect("remove");
    let a = e.get(&e.both.1, "fresh", &[]).await;
    assert_eq!(a.status, 401, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_screens_on_a_no_cache_feed_share_one_upstream_round_trip() {
    let e = Arc::new(env_process(&["--fetch-concurrency", "64", "--fetch-burst", "200"]).await);
    let session = e.session(&e.channel_only.1).await;
    // One round trip as a screen sees it, alone, on another key with the same delay.
    let alone = e.get(&session, "etagslow0", &[]).await;
    assert_eq!(alone.status, 200, "{}", alone.body);
    let round_trip = alone.took;
    let answers = e.burst(50, &session, "etagslow").await;
    let slowest = answers.iter().map(|a| a.took).max().expect("answers");
    for a in &answers {
        assert_eq!(
            (a.status, a.body.as_str()),
            (200, "route=etagslow channel=true token=false")
        );
    }
    let upstream = e.up.hits("etagslow");
    println!("round trip {round_trip:?}, slowest of 50 {slowest:?}, upstream requests {upstream}");
    assert!(upstream <= 2, "{upstream} upstream requests for 50 screens");
    // Within two round trips (and scheduling slack on a busy machine).
    assert!(
        slowest <= round_trip * 2 + Duration::from_millis(500),
        "the slowest screen waited {slowest:?}; one round trip is {round_trip:?}"
    );
    assert!(round_trip >= ROUND_TRIP);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_upstream_answers_every_waiter_with_one_timeout() {
    let e = Arc::new(env_process(&["--fetch-timeout", "2", "--fetch-concurrency", "64"]).await);
    let session = e.session(&e.channel_only.1).await;
    let started = Instant::now();
    let answers = e.burst(20, &session, "hang").await;
    let all = started.elapsed();
    for a in &answers {
        assert_eq!(
            (a.status, a.code().as_str()),
            (502, "request_failed"),
            "{}",
            a.body
        );
        assert!(a.headers.contains_key("retry-after"));
    }
    assert_eq!(e.up.hits("hang"), 1, "one request waited on for everyone");
    assert!(
        all < Duration::from_millis(3500),
        "20 waiters took {all:?} with a 2 s timeout"
    );
    // Remembered for a moment: the next request is answered at once, nothing upstream.
    let again = e.get(&session, "hang", &[]).await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (502, "request_failed")
    );
    assert!(again.took < Duration::from_millis(1000), "{:?}", again.took);
    let wait: u64 = again.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&wait), "{wait}");
    assert_eq!(e.up.hits("hang"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_added_mid_flight_never_stores_an_answer_under_the_old_key() {
    let e = Arc::new(env_process(&[]).await);
    let late = add_player(&e.l, "late", None).await.expect("player");
    players::link(&e.l, &late.player.id, &e.channel)
        .await
        .expect("link");
    let late_session = e.session(late.secret.expose()).await;
    let observer = e.session(&e.channel_only.1).await;
    // Two requests by the same screen; the first is held upstream.
    let first = {
        let (e, s) = (e.clone(), late_session.clone());
        tokio::spawn(async move { e.get(&s, "flip", &[]).await })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.up.hits("flip") < 1 {
        assert!(Instant::now() < deadline, "the first request never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = {
        let (e, s) = (e.clone(), late_session.clone());
        tokio::spawn(async move { e.get(&s, "flip", &[]).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The player is linked to the URL token while both are under way.
    link_token(&e.l, &late.player.id, &e.token)
        .await
        .expect("link token");
    e.up.open.store(true, Ordering::SeqCst);
    let (first, second) = (first.await.expect("first"), second.await.expect("second"));
    assert_eq!(first.body, "route=flip channel=true token=false");
    assert_eq!(second.status, 200, "{}", second.body);
    // A screen linked to the channel only gets nothing fetched with the token.
    let seen = e.get(&observer, "flip", &[]).await;
    assert_eq!(
        (seen.status, seen.body.as_str()),
        (200, "route=flip channel=true token=false"),
        "attached: {}",
        seen.attached
    );
    assert!(!seen.attached.contains("url_token"), "{}", seen.attached);
    // The newly linked screen's next request is under its new key, with the token.
    let now = e.get(&late_session, "flip", &[]).await;
    assert_eq!(now.body, "route=flip channel=true token=true");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_origin_redirect_with_a_url_token_is_never_stored_or_shared() {
    let e = Arc::new(env_process(&[]).await);
    // Two screens with the same links: the same key.
    let twin = add_player(&e.l, "twin", None).await.expect("player");
    players::link(&e.l, &twin.player.id, &e.channel)
        .await
        .expect("link");
    link_token(&e.l, &twin.player.id, &e.token)
        .await
        .expect("link token");
    let (a, b) = (
        e.session(&e.both.1).await,
        e.session(twin.secret.expose()).await,
    );
    for round in 1..=2 {
        let (x, y) = tokio::join!(e.get(&a, "redir", &[]), e.get(&b, "redir", &[]));
        for answer in [&x, &y] {
            assert_eq!(
                (answer.status, answer.cache.as_str(), answer.body.as_str()),
                (200, "miss", "route=landing channel=true token=true"),
                "round {round}"
            );
            assert!(!answer.headers.contains_key("location"));
        }
        assert_eq!(
            e.up.hits("redir"),
            2 * round,
            "each screen asked for itself"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_session_meets_its_players_rate_and_concurrency_limits() {
    let e = Arc::new(
        env_process(&[
            "--fetch-rate",
            "1",
            "--fetch-burst",
            "5",
            "--fetch-concurrency",
            "2",
            "--fetch-timeout",
            "3",
        ])
        .await,
    );
    let leaked = e.session(&e.channel_only.1).await;
    for _ in 0..5 {
        assert_eq!(e.get(&leaked, "fresh", &[]).await.status, 200);
    }
    let over = e.get(&leaked, "fresh", &[]).await;
    assert_eq!((over.status, over.code().as_str()), (429, "rate_limited"));
    let wait: u64 = over.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
    // Its secret is the same player: the same bucket.
    let other_way = e.get(&e.channel_only.1, "fresh", &[]).await;
    assert_eq!(other_way.status, 429);
    // Another player is untouched.
    assert_eq!(e.get(&e.both.1, "fresh", &[]).await.status, 200);

    // Two requests under way at once, a third is refused at once.
    let tokens_only = e.session(&e.token_only.1).await;
    let held: Vec<_> = ["hang1", "hang2"]
        .into_iter()
        .map(|route| {
            let (e, s) = (e.clone(), tokens_only.clone());
            tokio::spawn(async move { e.get(&s, route, &[]).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.up.hits("hang1") + e.up.hits("hang2") < 2 {
        assert!(Instant::now() < deadline, "the held requests never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let third = e.get(&tokens_only, "fresh", &[]).await;
    assert_eq!((third.status, third.code().as_str()), (429, "rate_limited"));
    assert!(third.took < Duration::from_secs(1));
    for h in held {
        assert_eq!(h.await.expect("held").status, 502);
    }
    assert_eq!(e.get(&tokens_only, "fresh", &[]).await.status, 200);
    assert!(e.metric("lanyard_gateway_fetch_limited_total").await >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_urls_are_refused_and_key_bytes_count_against_the_cache() {
    let e = env_process(&["--fetch-burst", "100"]).await;
    let session = e.session(&e.channel_only.1).await;
    // Over 8 KiB: 414 before anything is fetched.
    let long = format!("{}/api/{}", e.base, "x".repeat(9000));
    let a = e.get_url(&session, &long, &[]).await;
    assert_eq!((a.status, a.code().as_str()), (414, "invalid_input"));
    assert_eq!(e.up.total.load(Ordering::SeqCst), 0);
    // Under it: fetched; a key that is never stored still weighs its URL.
    let before = e.metric("lanyard_gateway_cache_bytes").await;
    for i in 0..4 {
        let url = format!("{}/api/long{i}{}", e.base, "y".repeat(5000));
        let a = e.get_url(&session, &url, &[]).await;
        assert_eq!((a.status, a.cache.as_str()), (200, "miss"), "{}", a.body);
    }
    let after = e.metric("lanyard_gateway_cache_bytes").await;
    assert!(
        after >= before + 4 * 5000,
        "the cache counts {after} bytes after four 5 KB keys (was {before})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_wait_for_the_body_budget_and_are_refused_when_it_stays_spent() {
    // 20 MiB: two requests' 10 MiB answer caps.
    let e = Arc::new(env_process(&["--fetch-memory", "20", "--fetch-timeout", "6"]).await);
    let session = e.session(&e.channel_only.1).await;
    let held: Vec<_> = ["hangA", "hangB"]
        .into_iter()
        .map(|route| {
            let (e, s) = (e.clone(), session.clone());
            tokio::spawn(async move { e.get(&s, route, &[]).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.up.hits("hangA") + e.up.hits("hangB") < 2 {
        assert!(Instant::now() < deadline, "the held requests never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let third = e.get(&session, "fresh", &[]).await;
    assert_eq!((third.status, third.code().as_str()), (429, "rate_limited"));
    assert!(third.headers.contains_key("retry-after"));
    assert!(
        third.took >= Duration::from_millis(1900),
        "{:?}",
        third.took
    );
    assert_eq!(e.up.hits("fresh"), 0, "nothing was fetched");
    for h in held {
        assert_eq!(h.await.expect("held").status, 502);
    }
    // Room again once they are done.
    assert_eq!(e.get(&session, "fresh", &[]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_private_and_carry_only_allowed_upstream_headers() {
    let e = env_process(&["--cors-origin", "https://signage.example"]).await;
    let session = e.session(&e.channel_only.1).await;
    for expected in ["miss", "hit"] {
        let a = e
            .get(
                &session,
                "headers",
                &[("origin", "https://signage.example")],
            )
            .await;
        assert_eq!((a.status, a.cache.as_str()), (200, expected), "{}", a.body);
        let h = |name: &str| {
            a.headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().expect("ascii").to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        };
        assert_eq!(h("cache-control"), "private, max-age=60");
        assert_eq!(h("vary"), "Authorization, Origin, Accept-Language");
        assert_eq!(h("content-type"), "application/json");
        assert_eq!(h("etag"), "\"h1\"");
        assert_eq!(h("last-modified"), "Sun, 06 Dec 2026 10:00:00 GMT");
        assert_eq!(h("x-content-type-options"), "nosniff");
        // CORS is the gateway's own, for its configured origin only.
        assert_eq!(h("access-control-allow-origin"), "https://signage.example");
        assert_eq!(h("access-control-allow-credentials"), "");
        // A screen's script can read when to come back after a 429 or a 502.
        assert!(h("access-control-expose-headers").contains("retry-after"));
        for dropped in [
            "strict-transport-security",
            "alt-svc",
            "clear-site-data",
            "www-authenticate",
            "x-powered-by",
            "content-security-policy",
            "link",
        ] {
            assert!(
                !a.headers.contains_key(dropped),
                "{dropped} on a {expected}"
            );
        }
    }
    // The gateway's own refusals are private too, and never stored.
    let refused = e
        .get_url(&session, "https://elsewhere.example/x", &[])
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.headers["cache-control"], "private, no-store");
    assert_eq!(refused.headers["vary"], "Authorization, Origin");
}

fn cli(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = crate::util::lanyard(dir)
        .args(["--secret-store", "file", "--json"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    let raw = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), crate::util::stdout_json(&out), raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sets_and_shows_minimum_refetch_intervals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut add = crate::util::lanyard(&d)
            .args(["--secret-store", "file", "--json", "token", "add"])
            .args(["--url", "https://feeds.example/api", "--key", "apikey"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        {
            use std::io::Write as _;
            let mut input = add.stdin.take().expect("stdin");
            input.write_all(b"value").expect("write");
        }
        let out = add.wait_with_output().expect("wait");
        let token = crate::util::stdout_json(&out)["token"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let (_, shown, raw) = cli(&d, &["token", "show", &token]);
        assert_eq!(shown["min_refetch_secs"], 0, "{raw}");
        let (code, set, raw) = cli(&d, &["token", "set", &token, "--min-refetch", "45"]);
        assert_eq!(code, Some(0), "{raw}");
        assert_eq!(set["min_refetch_secs"], 45);
        assert_eq!(set["id"], token.as_str());
        let (_, list, _) = cli(&d, &["token", "list"]);
        assert_eq!(list[0]["min_refetch_secs"], 45);
        let (code, err, _) = cli(&d, &["token", "set", &token, "--min-refetch", "86401"]);
        assert_eq!(
            (code, err["code"].as_str()),
            (Some(1), Some("invalid_input"))
        );
        let (code, _, _) = cli(&d, &["token", "set", &token, "--min-refetch", "-1"]);
        assert_eq!(code, Some(2));
        let (code, _, _) = cli(&d, &["token", "set", &token]);
        assert_eq!(code, Some(2), "--min-refetch is required");
        let (_, err, _) = cli(&d, &["token", "set", "nope", "--min-refetch", "5"]);
        assert_eq!(err["code"], "not_found");
        let (_, shown, _) = cli(&d, &["token", "show", &token]);
        assert_eq!(shown["min_refetch_secs"], 45, "refusals changed nothing");
        let (code, _, _) = cli(&d, &["channel", "set", "nope"]);
        assert_eq!(code, Some(2), "a setting is required");
        let (_, err, _) = cli(&d, &["channel", "set", "nope", "--min-refetch", "5"]);
        assert_eq!(err["code"], "not_found");
        let (_, list, _) = cli(&d, &["channel", "list"]);
        assert_eq!(list, serde_json::json!([]));
    })
    .await
    .expect("cli");
}
