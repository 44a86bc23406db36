//! Feed links end to end (issue 31, DESIGN §14): the real `lanyard gateway serve` process,
//! the real `oidc-provider` behind a channel, a URL token, and an upstream that counts
//! every request and says which credentials it saw. Links are made with the CLI
//! (`lanyard feed add --json`), as a user would, and fetched with no header at all.
//!
//! Under `LANYARD_TEST_POSTGRES` the same tests run on PostgreSQL (module `gateway::`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lanyard_core::broker::players::{self, add_player, remove_player};
use lanyard_core::broker::token_links::{link_token, unlink_token};
use lanyard_core::clock::SystemClock;
use lanyard_core::oauth::provider::{ProviderSpec, RedirectStyle};
use lanyard_core::oauth::{flow, providers};
use lanyard_core::secrets::{SecretStoreKind, SecretValue};
use lanyard_core::urltokens::tokens::{add, NewToken};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};
use serde_json::Value;

use crate::oauth_server::{sign_in, Answer, OauthServer, CLIENT_ID};
use crate::util::lanyard_for;

const TOKEN_A: &str = "CANARY-feed-token-a-1b7e";
const TOKEN_B: &str = "CANARY-feed-token-b-9c2d";

/// Counts requests and answers with what it saw: the channel's bearer (yes/no) and which
/// URL token value (`a`, `b`, none).
#[derive(Default)]
struct Upstream {
    total: AtomicUsize,
    bearers: Mutex<Vec<String>>,
    queries: Mutex<Vec<String>>,
}

async fn answer(
    State(up): State<Arc<Upstream>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    up.total.fetch_add(1, Ordering::SeqCst);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let query = uri.query().unwrap_or_default().to_string();
    up.bearers.lock().expect("lock").push(bearer.clone());
    up.queries.lock().expect("lock").push(query.clone());
    let token = if query.contains(TOKEN_A) {
        "a"
    } else if query.contains(TOKEN_B) {
        "b"
    } else {
        "none"
    };
    let page = query
        .split('&')
        .find_map(|p| p.strip_prefix("page="))
        .unwrap_or("-");
    let seen = format!(
        "channel={} token={token} page={page}",
        bearer.starts_with("Bearer ")
    );
    let (content_type, body) = match name.rsplit('.').next().unwrap_or_default() {
        "json" => ("application/json", format!("{{\"seen\":\"{seen}\"}}")),
        "rss" => (
            "application/rss+xml; charset=utf-8",
            format!("<rss version=\"2.0\"><channel><title>{seen}</title></channel></rss>"),
        ),
        "csv" => ("text/csv", format!("seen\n{seen}\n")),
        "ics" => (
            "text/calendar",
            format!("BEGIN:VCALENDAR\nX-SEEN:{seen}\nEND:VCALENDAR\n"),
        ),
        _ => ("application/xml", format!("<seen>{seen}</seen>")),
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert("content-type", content_type.parse().expect("ct"));
    h.insert("cache-control", "max-age=60".parse().expect("cc"));
    h.insert(
        "content-disposition",
        "attachment; filename=\"data\"".parse().expect("cd"),
    );
    r
}

/// `lanyard gateway serve` with `LANYARD_LOG=trace`, its log written to a file (a pipe
/// nobody reads would fill up and stall it); killed on drop.
struct Served {
    child: std::process::Child,
    url: String,
    log: tempfile::TempDir,
}

impl Served {
    fn start(mut cmd: std::process::Command, extra: &[&str]) -> Served {
        use std::io::BufRead;
        let log = tempfile::tempdir().expect("log dir");
        let file = std::fs::File::create(log.path().join("gateway.log")).expect("log");
        let mut child = cmd
            .env("LANYARD_LOG", "trace")
            .args(["--json", "gateway", "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(file)
            .spawn()
            .expect("start the gateway");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the gateway did not start ({e}): {line:?}"));
        let url = ready["listening"].as_str().expect("url").to_string();
        Served { child, url, log }
    }

    /// SIGTERM, then (stdout after the listening line, the whole log).
    fn terminate(mut self) -> (String, Vec<u8>) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            std::io::Read::read_to_string(&mut out, &mut stdout).expect("stdout");
        }
        self.child.wait().expect("wait");
        let log = std::fs::read(self.log.path().join("gateway.log")).expect("log");
        (stdout, log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Env {
    _dir: tempfile::TempDir,
    _server: OauthServer,
    l: Lanyard,
    up: Arc<Upstream>,
    base: String,
    channel: String,
    token_a: String,
    /// Linked to the channel and token A.
    lobby: String,
    /// Linked to token B only (a longer prefix under token A's).
    kiosk: String,
    gateway: Served,
}

/// The installation (file secret store shared with the processes), a channel connected at
/// the real `oidc-provider` whose API base is the upstream's `/api/`, URL tokens under
/// `/feed`, two players and a running gateway.
async fn env(extra: &[&str]) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        database: lanyard_core::store::testing::database()
            .await
            .expect("database"),
        ..Config::new(dir.path().to_path_buf(), SecretStoreKind::File)
    };
    let l = Lanyard::open_with(&config, Arc::new(SystemClock), None)
        .await
        .expect("open");
    let up = Arc::new(Upstream::default());
    let app = Router::new()
        .route("/api/{name}", get(answer))
        .route("/feed/{name}", get(answer))
        .route("/feed/kiosk/{name}", get(answer))
        .with_state(up.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let server = OauthServer::start(3600);
    let provider = providers::add(
        &l,
        ProviderSpec {
            discovery_url: Some(server.issuer.clone()),
            client_id: Some(CLIENT_ID.into()),
            redirect_style: Some(RedirectStyle::DeepLink),
            api_base_urls: vec![format!("{base}/api/")],
            ..Default::default()
        },
        None,
    )
    .await
    .expect("provider");
    let started = flow::begin(&l, &provider.id, None, flow::deep_link_redirect_uri())
        .await
        .expect("begin");
    let callback = sign_in(&started.authorization_url, "alice", Answer::Consent).await;
    let channel = flow::complete(&l, &callback)
        .await
        .expect("connect")
        .channel
        .id;
    let token = |prefix: String, value: &str| NewToken {
        prefix,
        key: "apikey".into(),
        placement: Placement::Form,
        requires_permission: false,
        prompt: false,
        value: Some(SecretValue::new(value)),
    };
    let token_a = add(&l, token(format!("{base}/feed"), TOKEN_A))
        .await
        .expect("token a")
        .token
        .id;
    let token_b = add(&l, token(format!("{base}/feed/kiosk"), TOKEN_B))
        .await
        .expect("token b")
        .token
        .id;
    let lobby = add_player(&l, "Lobby", None)
        .await
        .expect("lobby")
        .player
        .id;
    players::link(&l, &lobby, &channel).await.expect("link");
    link_token(&l, &lobby, &token_a).await.expect("link a");
    let kiosk = add_player(&l, "Kiosk", None)
        .await
        .expect("kiosk")
        .player
        .id;
    link_token(&l, &kiosk, &token_b).await.expect("link b");

    let mut cmd = lanyard_for(&l);
    cmd.args(["--secret-store", "file"]);
    let gateway = Served::start(cmd, extra);
    Env {
        _dir: dir,
        _server: server,
        l,
        up,
        base,
        channel,
        token_a,
        lobby,
        kiosk,
        gateway,
    }
}

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn code(&self) -> String {
        crate::util::error_code(&self.body)
    }
}

impl Env {
    /// `lanyard --json ARGS…` on this installation: (exit code, stdout JSON, stderr).
    fn cli(&self, args: &[&str]) -> (Option<i32>, Value, String) {
        let out = lanyard_for(&self.l)
            .args(["--secret-store", "file", "--json"])
            .args(args)
            .output()
            .expect("lanyard");
        let value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code(),
            value,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `feed add` through the CLI, links pointing at this test's gateway.
    fn add_feed(&self, player: &str, url: &str, extra: &[&str]) -> Value {
        let mut args = vec![
            "feed",
            "add",
            "--player",
            player,
            "--url",
            url,
            "--gateway",
            &self.gateway.url,
        ];
        args.extend_from_slice(extra);
        let (code, v, stderr) = self.cli(&args);
        assert_eq!(code, Some(0), "feed add failed: {v} {stderr}");
        v
    }

    fn hits(&self) -> usize {
        self.up.total.load(Ordering::SeqCst)
    }

    async fn call(&self, method: &str, link: &str) -> Got {
        let r = reqwest::Client::new()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                link,
            )
            .send()
            .await
            .expect("gateway answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.expect("body");
        for secret in [TOKEN_A, TOKEN_B] {
            assert!(
                !body.contains(secret),
                "a credential reached the widget: {body}"
            );
        }
        Got {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, link: &str) -> Got {
        self.call("GET", link).await
    }

    /// After another process changed access: on PostgreSQL, waits (at most 2 s) until the
    /// gateway's notification arrived, i.e. `link` answers `want`; on SQLite nothing — the
    /// very next request must see the change (ARCHITECTURE.md, the access epoch).
    async fn settle(&self, link: &str, want: u16) {
        let postgres = matches!(
            self.l.store().location(),
            lanyard_core::store::Location::Postgres(_)
        );
        if !postgres {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while self.get(link).await.status != want && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Asserts `method link` is refused with `status`/`code` and reaches no upstream.
    async fn refused(&self, what: &str, method: &str, link: &str, status: u16, code: &str) {
        let before = self.hits();
        let got = self.call(method, link).await;
        assert_eq!(
            (got.status, got.code().as_str()),
            (status, code),
            "{what}: {}",
            got.body
        );
        assert_eq!(self.hits(), before, "{what}: something was fetched");
        let key = link.rsplit('/').next().unwrap_or_default();
        assert!(!got.body.contains(key), "{what}: the key is in the body");
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing from {v}"))
}

#[tokio::test]
async fn a_feed_link_serves_the_channels_and_a_url_tokens_data_with_no_header() {
    let e = env(&["--cors-origin", "https://screen.example"]).await;
    let menu = e.add_feed(
        &e.lobby,
        &format!("{}/api/menu.json", e.base),
        &["--name", "Menu"],
    );
    assert_eq!(
        (s(&menu, "name"), s(&menu, "player_id")),
        ("Menu", e.lobby.as_str())
    );
    assert_eq!(s(&menu, "url"), format!("{}/api/menu.json", e.base));
    let link = s(&menu, "link");
    let prefix = format!("{}/v1/feeds/{}/", e.gateway.url, s(&menu, "id"));
    assert!(link.starts_with(&prefix), "{link}");
    assert_eq!(link.len() - prefix.len(), 43, "256 bits, base64url");

    let got = e.get(link).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.body, r#"{"seen":"channel=true token=none page=-"}"#);
    assert_eq!(got.header("content-disposition"), None);
    assert_eq!(got.header("set-cookie"), None);
    let bearer =
        e.up.bearers
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("seen");
    assert!(
        bearer.starts_with("Bearer ") && bearer.len() > 20,
        "the channel's token was attached"
    );

    // The URL token's data, and each content type as it came.
    for (file, content_type, body_has) in [
        (
            "news.rss",
            "application/rss+xml; charset=utf-8",
            "<rss version",
        ),
        ("rows.csv", "text/csv", "seen\n"),
        ("week.ics", "text/calendar", "BEGIN:VCALENDAR"),
        ("data.xml", "application/xml", "<seen>"),
    ] {
        let f = e.add_feed(&e.lobby, &format!("{}/feed/{file}", e.base), &[]);
        let got = e.get(s(&f, "link")).await;
        assert_eq!(got.status, 200, "{file}: {}", got.body);
        assert_eq!(got.header("content-type"), Some(content_type), "{file}");
        assert!(got.body.contains(body_has), "{file}: {}", got.body);
        assert!(
            got.body.contains("channel=false token=a"),
            "{file}: {}",
            got.body
        );
        assert_eq!(got.header("content-disposition"), None, "{file}");
    }

    // HEAD answers the headers only; a second GET comes from the shared cache.
    let before = e.hits();
    let head = e.call("HEAD", link).await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-type"), Some("application/json"));
    let again = e.get(link).await;
    assert_eq!(again.status, 200);
    assert_eq!(e.hits(), before, "served from the shared cache");
    assert_eq!(again.header("x-lanyard-cache"), Some("hit"));

    // CORS as configured: a page on the allowed origin may read it, another may not.
    let client = reqwest::Client::new();
    for (origin, allowed) in [
        ("https://screen.example", true),
        ("https://evil.example", false),
    ] {
        let r = client
            .get(link)
            .header("origin", origin)
            .send()
            .await
            .expect("cors");
        assert_eq!(r.status().as_u16(), 200);
        let acao = r
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or("").to_string());
        assert_eq!(acao.as_deref() == Some(origin), allowed, "{origin}");
        let pre = client
            .request(reqwest::Method::OPTIONS, link)
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .expect("preflight");
        assert_eq!(
            pre.status().as_u16(),
            if allowed { 204 } else { 403 },
            "{origin}"
        );
        if allowed {
            assert_eq!(
                pre.headers()
                    .get("access-control-allow-methods")
                    .and_then(|v| v.to_str().ok()),
                Some("GET, HEAD")
            );
        }
    }
    assert_eq!(e.hits(), before, "CORS and preflights fetched nothing new");
}

#[tokio::test]
async fn every_refusal_holds_and_fetches_nothing() {
    let e = env(&[]).await;
    let url = format!("{}/feed/list.json", e.base);
    let f = e.add_feed(&e.lobby, &url, &["--allow-query", "page"]);
    let (id, link) = (s(&f, "id").to_string(), s(&f, "link").to_string());
    let key = link.rsplit('/').next().expect("key").to_string();
    let gw = &e.gateway.url;

    // Allowed by name: passed on (and a cache key of its own).
    let before = e.hits();
    let got = e.get(&format!("{link}?page=2")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(got.body.contains("page=2"), "{}", got.body);
    assert_eq!(e.hits(), before + 1);

    let mut wrong = key.clone();
    wrong.replace_range(0..1, if key.starts_with('A') { "B" } else { "A" });
    e.refused(
        "a wrong key",
        "GET",
        &format!("{gw}/v1/feeds/{id}/{wrong}"),
        404,
        "not_found",
    )
    .await;
    e.refused(
        "an unknown id",
        "GET",
        &format!("{gw}/v1/feeds/0000/{key}"),
        404,
        "not_found",
    )
    .await;
    let other = e.add_feed(&e.lobby, &format!("{}/api/other.json", e.base), &[]);
    let other_key = s(&other, "link")
        .rsplit('/')
        .next()
        .expect("key")
        .to_string();
    e.refused(
        "another feed's key",
        "GET",
        &format!("{gw}/v1/feeds/{id}/{other_key}"),
        404,
        "not_found",
    )
    .await;
    e.refused(
        "a query not allowed",
        "GET",
        &format!("{link}?limit=5"),
        403,
        "not_covered",
    )
    .await;
    let q: String =
        url::form_urlencoded::byte_serialize(format!("{}/api/other.json", e.base).as_bytes())
            .collect();
    e.refused(
        "another URL",
        "GET",
        &format!("{link}?url={q}"),
        403,
        "not_covered",
    )
    .await;
    e.refused(
        "a cache buster",
        "GET",
        &format!("{link}?page=1&_=123"),
        403,
        "not_covered",
    )
    .await;
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let before = e.hits();
        let got = e.call(method, &link).await;
        assert_eq!(got.status, 405, "{method}");
        assert_eq!(got.header("allow"), Some("GET, HEAD"));
        assert_eq!(e.hits(), before, "{method}: something was fetched");
    }

    // Rotation: the old key dies at once, the new one works.
    let (code, rotated, err) = e.cli(&["feed", "rotate", &id, "--gateway", gw]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(s(&rotated, "id"), id);
    let new_link = s(&rotated, "link").to_string();
    assert_ne!(new_link, link);
    e.settle(&link, 404).await;
    e.refused("the rotated-out key", "GET", &link, 404, "not_found")
        .await;
    assert_eq!(e.get(&new_link).await.status, 200);

    // The player unlinked from what the URL needs: 403 even though the answer is cached.
    unlink_token(&e.l, &e.lobby, &e.token_a)
        .await
        .expect("unlink");
    e.settle(&new_link, 403).await;
    e.refused("an unlinked player", "GET", &new_link, 403, "not_covered")
        .await;
    link_token(&e.l, &e.lobby, &e.token_a)
        .await
        .expect("relink");
    e.settle(&new_link, 200).await;
    assert_eq!(e.get(&new_link).await.status, 200);

    // The feed removed: 403 (a tombstone), not 404.
    let (code, removed, err) = e.cli(&["feed", "remove", &id]);
    assert_eq!(
        (code, s(&removed, "removed")),
        (Some(0), id.as_str()),
        "{err}"
    );
    e.settle(&new_link, 403).await;
    e.refused("a removed feed", "GET", &new_link, 403, "not_linked")
        .await;
    e.refused("a removed feed, wrong key", "GET", &link, 404, "not_found")
        .await;

    // The player removed: its other feed is refused.
    let menu = e.add_feed(&e.lobby, &format!("{}/api/menu.json", e.base), &[]);
    assert_eq!(e.get(s(&menu, "link")).await.status, 200);
    remove_player(&e.l, &e.lobby).await.expect("remove player");
    e.settle(s(&menu, "link"), 403).await;
    e.refused(
        "a removed player",
        "GET",
        s(&menu, "link"),
        403,
        "unknown_principal",
    )
    .await;
}

#[tokio::test]
async fn two_screens_links_never_share_an_answer_they_are_not_both_entitled_to() {
    let e = env(&[]).await;
    // One URL, under token A's prefix and token B's longer one: the lobby is linked to A,
    // the kiosk to B; a second lobby screen has the lobby's very links.
    let url = format!("{}/feed/kiosk/board.json", e.base);
    let lobby2 = add_player(&e.l, "Lobby 2", None)
        .await
        .expect("p")
        .player
        .id;
    players::link(&e.l, &lobby2, &e.channel)
        .await
        .expect("link");
    link_token(&e.l, &lobby2, &e.token_a).await.expect("link a");
    let lobby = e.add_feed(&e.lobby, &url, &[]);
    let kiosk = e.add_feed(&e.kiosk, &url, &[]);
    let twin = e.add_feed(&lobby2, &url, &[]);

    let a = e.get(s(&lobby, "link")).await;
    assert!(a.body.contains("token=a"), "{}", a.body);
    let b = e.get(s(&kiosk, "link")).await;
    assert!(
        b.body.contains("token=b"),
        "the kiosk got another screen's answer: {}",
        b.body
    );
    assert_eq!(b.header("x-lanyard-cache"), Some("miss"));
    assert_eq!(e.hits(), 2);
    let twin = e.get(s(&twin, "link")).await;
    assert!(twin.body.contains("token=a"), "{}", twin.body);
    assert_eq!(
        twin.header("x-lanyard-cache"),
        Some("hit"),
        "same links, one answer"
    );
    assert_eq!(e.hits(), 2);
}

#[tokio::test]
async fn each_feed_is_rate_limited_on_its_own() {
    let e = env(&["--feed-requests-per-minute", "3"]).await;
    let one = e.add_feed(&e.lobby, &format!("{}/api/a.json", e.base), &[]);
    let two = e.add_feed(&e.lobby, &format!("{}/api/b.json", e.base), &[]);
    for _ in 0..3 {
        assert_eq!(e.get(s(&one, "link")).await.status, 200);
    }
    let before = e.hits();
    let limited = e.get(s(&one, "link")).await;
    assert_eq!(
        (limited.status, limited.code().as_str()),
        (429, "rate_limited")
    );
    let after: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&after));
    assert_eq!(e.hits(), before);
    assert_eq!(
        e.get(s(&two, "link")).await.status,
        200,
        "another feed is not limited"
    );
}

#[tokio::test]
async fn the_cli_lists_rotates_and_removes_and_the_key_is_only_in_its_one_output() {
    let e = env(&[]).await;
    let url = format!("{}/api/menu.json", e.base);
    let f = e.add_feed(&e.lobby, &url, &["--name", "Menu", "--allow-query", "page"]);
    let k = e.add_feed(&e.kiosk, &format!("{}/feed/kiosk/x.json", e.base), &[]);
    let key = s(&f, "link").rsplit('/').next().expect("key").to_string();

    let (code, all, _) = e.cli(&["feed", "list"]);
    assert_eq!(code, Some(0));
    assert_eq!(all.as_array().expect("array").len(), 2);
    let (_, mine, _) = e.cli(&["feed", "list", "--player", &e.lobby]);
    let mine = mine.as_array().expect("array");
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (
            s(&mine[0], "id"),
            s(&mine[0], "name"),
            mine[0]["covered"].as_bool()
        ),
        (s(&f, "id"), "Menu", Some(true))
    );
    assert_eq!(mine[0]["allow_query"], serde_json::json!(["page"]));
    assert!(mine[0].get("link").is_none() && !mine[0].to_string().contains(&key));

    // Refusals: non-zero exit, a JSON code, nothing stored.
    for (args, want) in [
        (
            vec!["feed", "add", "--player", "nobody", "--url", url.as_str()],
            "unknown_principal",
        ),
        (
            vec![
                "feed",
                "add",
                "--player",
                e.lobby.as_str(),
                "--url",
                "ftp://x/y",
            ],
            "invalid_input",
        ),
        (
            vec![
                "feed",
                "add",
                "--player",
                e.lobby.as_str(),
                "--url",
                url.as_str(),
                "--gateway",
                "http://gw.example.com",
            ],
            "invalid_input",
        ),
        (vec!["feed", "remove", "nope"], "not_found"),
        (vec!["feed", "rotate", "nope"], "not_found"),
    ] {
        let (code, v, _) = e.cli(&args);
        assert_eq!((code, s(&v, "code")), (Some(1), want), "{args:?}");
    }
    let (_, all, _) = e.cli(&["feed", "list"]);
    assert_eq!(all.as_array().expect("array").len(), 2);

    // The public address: saved, used, cleared.
    let (_, g, _) = e.cli(&["feed", "gateway", "https://signage-gw.example.com/"]);
    assert_eq!(
        (s(&g, "url"), s(&g, "source")),
        ("https://signage-gw.example.com", "setting")
    );
    let (_, r, _) = e.cli(&["feed", "rotate", s(&k, "id")]);
    assert!(s(&r, "link").starts_with("https://signage-gw.example.com/v1/feeds/"));
    let (_, g, _) = e.cli(&["feed", "gateway", "--clear"]);
    assert_eq!(
        (s(&g, "url"), s(&g, "source")),
        ("http://127.0.0.1:7443", "default")
    );

    // Fetched (right key, wrong key, a refused query), then searched for everywhere but
    // the one `feed add` output: the gateway's trace log, metrics, audit log, the data
    // directory's files.
    assert_eq!(e.get(s(&f, "link")).await.status, 200);
    e.refused(
        "a query",
        "GET",
        &format!("{}?x=1", s(&f, "link")),
        403,
        "not_covered",
    )
    .await;
    let wrong = format!("{}/v1/feeds/{}/{key}", e.gateway.url, s(&k, "id"));
    e.refused("a key on another id", "GET", &wrong, 404, "not_found")
        .await;
    let metrics = reqwest::get(format!("{}/metrics", e.gateway.url))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let (_, audit, _) = e.cli(&["audit", "--limit", "5000"]);
    let actions: Vec<&str> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|a| a["subject_kind"] == "feed")
        .filter_map(|a| a["action"].as_str())
        .collect();
    for want in ["feed_added", "feed_rotated"] {
        assert!(actions.contains(&want), "{want} not audited: {actions:?}");
    }
    let Env {
        gateway,
        l,
        _dir: dir,
        ..
    } = e;
    drop(l);
    let (stdout, log) = gateway.terminate();
    assert!(
        log.len() > 1000,
        "LANYARD_LOG=trace wrote {} bytes",
        log.len()
    );
    let mut places = vec![
        ("gateway stdout".to_string(), stdout.into_bytes()),
        ("gateway log".to_string(), log),
        ("metrics".to_string(), metrics.into_bytes()),
        ("audit".to_string(), audit.to_string().into_bytes()),
    ];
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(
                std::fs::read_dir(&p)
                    .expect("dir")
                    .map(|e| e.expect("e").path()),
            );
        } else {
            places.push((p.display().to_string(), std::fs::read(&p).expect("read")));
        }
    }
    for (place, bytes) in &places {
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "the feed key is in {place}"
        );
    }
}
