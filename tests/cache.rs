//! The gateway's shared response cache, end to end (in process, real HTTP, a local
//! upstream that counts what reaches it): never crossing principals with different links,
//! ETag revalidation, the minimum refetch interval, single-flight misses, `no-store`, and
//! an unlink refusing at once even when the answer is cached. Plus the CLI settings.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lanyard_core::broker::players::{self, add_player, remove_player};
use lanyard_core::broker::testing::seed_channel_for;
use lanyard_core::broker::token_links::link_token;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::secrets::{SecretStoreKind, SecretValue, Secrets};
use lanyard_core::store::refetch::RefetchOf;
use lanyard_core::urltokens::tokens::{add, NewToken};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};
use lanyard_gateway::cache::Cache;
use lanyard_gateway::limits::LimitPolicy;
use lanyard_gateway::{router, Gateway};
use serde_json::Value;

const CHANNEL_CANARY: &str = "CANARY-c4a1-channel-token";
const TOKEN_CANARY: &str = "CANARY-5e0b-url-token";

/// An upstream whose every route counts requests and says which credentials it saw.
#[derive(Default)]
struct Upstream {
    hits: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
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
    *up.hits
        .lock()
        .expect("hits")
        .entry(name.clone())
        .or_default() += 1;
    let channel = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {CHANNEL_CANARY}"));
    let token = uri
        .query()
        .is_some_and(|q| q.contains(&format!("apikey={TOKEN_CANARY}")));
    let body = format!("route={name} channel={channel} token={token}");
    let etag = "\"v1\"";
    let cache_control = match name.as_str() {
        "fresh" | "slow" => "max-age=60",
        "etag" => "no-cache",
        "nostore" => "no-store",
        "private" => "private, max-age=60",
        _ => "",
    };
    if name == "slow" {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    if name == "etag" && headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag) {
        return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
    }
    let mut response = body.into_response();
    let h = response.headers_mut();
    if !cache_control.is_empty() {
        h.insert("cache-control", cache_control.parse().expect("cc"));
    }
    if name == "etag" {
        h.insert("etag", etag.parse().expect("etag"));
    }
    if name == "cookie" {
        h.insert("cache-control", "max-age=60".parse().expect("cc"));
        h.insert("set-cookie", "s=1".parse().expect("cookie"));
    }
    response
}

struct Env {
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

async fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
    let l = Lanyard::open_with(&config, Arc::new(SystemClock), Some(Secrets::in_memory()))
        .await
        .expect("open");
    let up = Arc::new(Upstream::default());
    let upstream = Router::new()
        .route("/api/{name}", get(route))
        .with_state(up.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, upstream).await;
    });
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
    let gateway = Gateway::new(l.clone(), LimitPolicy::default())
        .expect("gateway")
        .with_cache(Cache::new(8 * 1024 * 1024));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = router(Arc::new(gateway)).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut p = principals.into_iter();
    Env {
        _dir: dir,
        l,
        up,
        base,
        gateway: format!("http://{address}"),
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
}

impl Answered {
    fn code(&self) -> String {
        crate::util::error_code(&self.body)
    }
}

impl Env {
    async fn get(&self, secret: &str, route: &str, extra: &[(&str, &str)]) -> Answered {
        let url = format!("{}/api/{route}", self.base);
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
        let (status, cache, attached, etag) = (
            r.status().as_u16(),
            header("x-lanyard-cache").unwrap_or_default(),
            header("x-lanyard-attached").unwrap_or_default(),
            header("etag"),
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
        }
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
    let e = env().await;
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
    players::unlink(&e.l, &e.channel_only.0, &e.channel)
        .await
        .expect("unlink");
    let a = e.get(&session, "fresh", &[]).await;
    assert_eq!(a.status, 401, "{}", a.body);
    let a = e.get(&e.channel_only.1, "fresh", &[]).await;
    assert_eq!((a.status, a.code().as_str()), (403, "not_covered"));
    assert_eq!(e.up.hits("fresh"), 1);

    // Removed: the secret itself is refused.
    assert_eq!(e.get(&e.both.1, "fresh", &[]).await.cache, "miss");
    remove_player(&e.l, &e.both.0).await.expect("remove");
    let a = e.get(&e.both.1, "fresh", &[]).await;
    assert_eq!(a.status, 401, "{}", a.body);
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
