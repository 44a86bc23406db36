//! Screens never go blank (DESIGN §13, issue 28), against the real `lanyard gateway serve`
//! process and a local upstream that can be stopped, made to hang, or answer 503 / 429:
//! the last good answer is served marked stale within the stale deadline, with `Age`,
//! `X-Lanyard-Stale` and `X-Lanyard-Stale-Reason`; the request given up on carries on and
//! replaces the answer; the per-channel "keep showing for" limit (0: never); nothing stale
//! once access is cut (unlink, removal, rotation, disconnect, each); and `needs_reauth`
//! after the real `oidc-provider` answers a refresh with `invalid_grant`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lanyard_core::broker::players::{self, remove_player, rotate_secret};
use lanyard_core::broker::testing::seed_channel_for;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};

use crate::gateway::GatewayProcess;
use crate::gateway_fetch::{fetch, linked_player, serve, Answered};

/// How the upstream answers.
const OK: u8 = 0;
const DOWN_503: u8 = 1;
const BUSY_429: u8 = 2;
const HANG: u8 = 3;
/// Two seconds, then a new answer that may be kept for a minute.
const SLOW: u8 = 4;

/// The gateway's stale deadline in these tests.
const DEADLINE: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Upstream {
    mode: AtomicU8,
    hits: Mutex<HashMap<String, usize>>,
}

impl Upstream {
    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn hits(&self, route: &str) -> usize {
        self.hits
            .lock()
            .expect("hits")
            .get(route)
            .copied()
            .unwrap_or(0)
    }
}

async fn route(State(up): State<Arc<Upstream>>, Path(name): Path<String>) -> Response {
    *up.hits
        .lock()
        .expect("hits")
        .entry(name.clone())
        .or_default() += 1;
    // No keep-alive: once the server is stopped, nothing reaches it.
    let close = [("connection", "close")];
    match up.mode.load(Ordering::SeqCst) {
        DOWN_503 => (StatusCode::SERVICE_UNAVAILABLE, close, "down").into_response(),
        BUSY_429 => (StatusCode::TOO_MANY_REQUESTS, close, "busy").into_response(),
        HANG => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            (close, "late").into_response()
        }
        SLOW => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            (
                close,
                [("cache-control", "max-age=60")],
                format!("{name} v2"),
            )
                .into_response()
        }
        _ => (close, [("cache-control", "no-cache")], format!("{name} v1")).into_response(),
    }
}

struct Env {
    _process: GatewayProcess,
    _dir: tempfile::TempDir,
    l: Lanyard,
    up: Arc<Upstream>,
    server: tokio::task::JoinHandle<()>,
    base: String,
    gateway: String,
    channel: String,
    /// When the channel's access token was seeded, and for how long it is valid.
    seeded: (Instant, i64),
}

/// A gateway process over an installation with a channel whose API base is the local
/// upstream (token endpoint `token_endpoint`, access token valid `valid` seconds).
async fn build(token_endpoint: &str, valid: i64) -> Env {
    build_with(token_endpoint, valid, DEADLINE).await
}

/// [`build`] with another stale deadline.
async fn build_with(token_endpoint: &str, valid: i64, stale_deadline: Duration) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
    let l = Lanyard::open_with(&config, Arc::new(SystemClock), None)
        .await
        .expect("open");
    let up = Arc::new(Upstream::default());
    let app = Router::new()
        .route("/api/{name}", get(route))
        .with_state(up.clone());
    let (base, server) = serve(app).await;
    let seeded = (Instant::now(), valid);
    let channel = seed_channel_for(
        &l,
        token_endpoint,
        "access-token",
        SystemClock.now() + valid,
        "refresh-token",
        vec![format!("{base}/api/")],
    )
    .await
    .expect("seed");
    let mut cmd = crate::util::lanyard(dir.path());
    cmd.args(["--secret-store", "file"]);
    let deadline = format!("{}ms", stale_deadline.as_millis());
    let process = GatewayProcess::start(
        cmd,
        &[
            "--stale-deadline",
            &deadline,
            "--fetch-rate",
            "1000",
            "--fetch-burst",
            "1000",
        ],
    );
    Env {
        gateway: process.url.clone(),
        _process: process,
        _dir: dir,
        l,
        up,
        server,
        base,
        channel,
        seeded,
    }
}

impl Env {
    /// A new player linked to the channel: (id, secret).
    async fn player(&self, name: &str) -> (String, String) {
        linked_player(&self.l, &self.channel, name).await
    }

    async fn get(&self, bearer: &str, route: &str) -> Answered {
        fetch(&self.gateway, bearer, &format!("{}/api/{route}", self.base)).await
    }

    /// `route` fetched by clients/lanyard-player.js under node: `{ body, lanyard }`.
    async fn player_js(&self, secret: &str, route: &str) -> serde_json::Value {
        let client =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/lanyard-player.js");
        let script = r#"
            const { createLanyard } = require(process.argv[1]);
            console.warn = () => {};
            const l = createLanyard({ gateway: process.argv[2], playerSecret: process.argv[3] });
            l.fetch(process.argv[4]).then(async (r) => {
              console.log(JSON.stringify({ body: await r.text(), lanyard: r.lanyard }));
            }, (e) => { console.log(JSON.stringify({ error: String(e) })); });
        "#;
        let out = tokio::process::Command::new("node")
            .arg("-e")
            .arg(script)
            .arg(client)
            .arg(&self.gateway)
            .arg(secret)
            .arg(format!("{}/api/{route}", self.base))
            .output()
            .await
            .expect("node");
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    }

    /// Waits until the seeded access token must be refreshed (its lifetime less the
    /// broker's skew, a quarter of it), and a second more.
    async fn until_refresh_is_due(&self) {
        let (at, valid) = self.seeded;
        let due = Duration::from_secs((valid - valid / 4) as u64 + 1);
        tokio::time::sleep(due.saturating_sub(at.elapsed())).await;
    }

    /// A session token for `secret`.
    async fn session(&self, secret: &str) -> String {
        let r: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/v1/sessions", self.gateway))
            .bearer_auth(secret)
            .send()
            .await
            .expect("sessions")
            .json()
            .await
            .expect("json");
        r["token"].as_str().expect("token").to_string()
    }

    /// `route` answered fresh once.
    async fn warm(&self, bearer: &str, route: &str) {
        let a = self.get(bearer, route).await;
        assert_eq!((a.status, a.body.as_str()), (200, &*format!("{route} v1")));
        assert_eq!(a.header("x-lanyard-stale"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_good_answer_is_served_stale_within_the_deadline() {
    let mut e = build("http://127.0.0.1:9/token", 3600).await;
    let (_, secret) = e.player("screen").await;
    for route in ["busy", "down", "hang", "slow", "gone", "limit"] {
        e.warm(&secret, route).await;
    }
    // 429 and 5xx: the last good answer, marked.
    e.up.set(BUSY_429);
    e.get(&secret, "busy")
        .await
        .assert_stale("busy v1", "upstream_rate_limited");
    // clients/lanyard-player.js exposes it to the content.
    let marked = e.player_js(&secret, "busy").await;
    assert_eq!(marked["body"], "busy v1", "{marked}");
    assert_eq!(marked["lanyard"]["stale"], true, "{marked}");
    assert_eq!(marked["lanyard"]["reason"], "upstream_rate_limited");
    assert_eq!(marked["lanyard"]["cache"], "stale");
    assert!(marked["lanyard"]["staleSeconds"]
        .as_u64()
        .is_some_and(|s| s < 120));
    e.up.set(OK);
    let fresh = e.player_js(&secret, "busy").await;
    assert_eq!(fresh["body"], "busy v1", "{fresh}");
    assert_eq!(fresh["lanyard"]["stale"], false, "{fresh}");
    assert_eq!(fresh["lanyard"]["reason"], serde_json::Value::Null);
    e.up.set(DOWN_503);
    e.get(&secret, "down")
        .await
        .assert_stale("down v1", "upstream_error");
    // A feed that never answered well has nothing to show: the upstream's 503 as today.
    let never = e.get(&secret, "never").await;
    assert_eq!(never.status, 503, "{}", never.body);
    assert_eq!(never.header("x-lanyard-stale"), None);

    // A hanging upstream is given up on at the deadline.
    e.up.set(HANG);
    let hung = e.get(&secret, "hang").await;
    hung.assert_stale("hang v1", "upstream_timeout");
    assert!(
        hung.took >= DEADLINE && hung.took < DEADLINE + Duration::from_millis(900),
        "took {:?}",
        hung.took
    );

    // The request given up on carries on and replaces the answer when it succeeds.
    e.up.set(SLOW);
    let slow = e.get(&secret, "slow").await;
    slow.assert_stale("slow v1", "upstream_timeout");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    e.up.set(DOWN_503);
    let replaced = e.get(&secret, "slow").await;
    assert_eq!((replaced.status, replaced.body.as_str()), (200, "slow v2"));
    assert_eq!(replaced.header("x-lanyard-cache").as_deref(), Some("hit"));
    assert_eq!(replaced.header("x-lanyard-stale"), None);
    assert_eq!(
        e.up.hits("slow"),
        2,
        "the warm-up and the one that carried on"
    );

    // The channel's "keep showing for" limit: 0 serves nothing stale.
    let out = crate::util::run(crate::util::lanyard_for(&e.l).args([
        "--json",
        "channel",
        "set",
        &e.channel,
        "--keep-stale-for",
        "0",
    ]));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(crate::util::stdout_json(&out)["keep_stale_secs"], 0);
    let off = e.get(&secret, "limit").await;
    assert_eq!(off.status, 503, "{}", off.body);
    assert_eq!(off.header("x-lanyard-stale"), None);
    // Back on (2 h), the copy kept all along is served again.
    let out = crate::util::run(crate::util::lanyard_for(&e.l).args([
        "--json",
        "channel",
        "set",
        &e.channel,
        "--keep-stale-for",
        "2h",
    ]));
    assert_eq!(crate::util::stdout_json(&out)["keep_stale_secs"], 7200);
    e.get(&secret, "limit")
        .await
        .assert_stale("limit v1", "upstream_error");
    // A bad limit is refused and changes nothing.
    let out = crate::util::run(crate::util::lanyard_for(&e.l).args([
        "--json",
        "channel",
        "set",
        &e.channel,
        "--keep-stale-for",
        "31d",
    ]));
    assert!(!out.status.success());
    assert_eq!(
        e.l.store()
            .keep_stale(lanyard_core::store::refetch::RefetchOf::Channel, &e.channel)
            .await
            .expect("limit"),
        7200
    );

    // The upstream stopped: nothing answers at its address.
    e.server.abort();
    let _ = (&mut e.server).await;
    e.up.set(OK);
    let gone = e.get(&secret, "gone").await;
    gone.assert_stale("gone v1", "upstream_unreachable");
    assert_eq!(e.up.hits("gone"), 1, "only the warm-up reached it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_stale_is_served_once_access_is_cut() {
    let e = build("http://127.0.0.1:9/token", 3600).await;
    let (unlinked, unlinked_secret) = e.player("unlinked").await;
    let (removed, removed_secret) = e.player("removed").await;
    let (rotated, rotated_secret) = e.player("rotated").await;
    let (_, disconnected_secret) = e.player("disconnected").await;
    let rotated_session = e.session(&rotated_secret).await;
    for (secret, route) in [
        (&unlinked_secret, "u"),
        (&removed_secret, "r"),
        (&rotated_session, "s"),
        (&rotated_secret, "t"),
        (&disconnected_secret, "d"),
    ] {
        e.warm(secret, route).await;
    }
    e.up.set(DOWN_503);
    // Each one is served stale while its access stands…
    for (secret, route) in [
        (&unlinked_secret, "u"),
        (&removed_secret, "r"),
        (&rotated_session, "s"),
        (&rotated_secret, "t"),
        (&disconnected_secret, "d"),
    ] {
        e.get(secret, route)
            .await
            .assert_stale(&format!("{route} v1"), "upstream_error");
    }
    let hits = |e: &Env| ["u", "r", "s", "t", "d"].map(|r| e.up.hits(r));
    let before = hits(&e);

    // …and refused at once after the user's own "no", as without any cache.
    players::unlink(&e.l, &unlinked, &e.channel)
        .await
        .expect("unlink");
    let a = e.get(&unlinked_secret, "u").await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (403, "not_covered"),
        "{}",
        a.body
    );

    remove_player(&e.l, &removed).await.expect("remove");
    let a = e.get(&removed_secret, "r").await;
    assert_eq!(a.status, 401, "{}", a.body);
    assert_eq!(a.header("x-lanyard-stale"), None);

    rotate_secret(&e.l, &rotated).await.expect("rotate");
    for (bearer, route) in [(&rotated_session, "s"), (&rotated_secret, "t")] {
        let a = e.get(bearer, route).await;
        assert_eq!(
            (a.status, a.code().as_str()),
            (401, "unauthenticated"),
            "{}",
            a.body
        );
    }

    lanyard_core::oauth::channels::disconnect(&e.l, &e.channel)
        .await
        .expect("disconnect");
    let a = e.get(&disconnected_secret, "d").await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (403, "not_covered"),
        "{}",
        a.body
    );
    assert_eq!(a.header("x-lanyard-stale"), None);
    assert!(!a.body.contains(" v1"));
    assert_eq!(
        hits(&e),
        before,
        "nothing was fetched for a refused request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_refused_with_invalid_grant_serves_stale_as_needs_reauth() {
    // The real oidc-provider: the seeded refresh token is one it never issued, so the
    // refresh is answered `invalid_grant`.
    let server = crate::oauth_server::OauthServer::start(3600);
    let token_endpoint = format!("{}/token", server.issuer);
    // The access token lives 20 s (refreshed 5 s early).
    let e = build(&token_endpoint, 20).await;
    let provider =
        e.l.store()
            .channel(&e.channel)
            .await
            .expect("c")
            .provider_id;
    sqlx::query("UPDATE provider SET client_id = $1 WHERE id = $2")
        .bind(crate::oauth_server::CLIENT_ID)
        .bind(&provider)
        .execute(e.l.store().pool())
        .await
        .expect("the test server's client");
    let (_, secret) = e.player("screen").await;
    e.warm(&secret, "feed").await;
    e.until_refresh_is_due().await;
    let a = e.get(&secret, "feed").await;
    a.assert_stale("feed v1", "needs_reauth");
    assert!(server.counts().await["errors"].as_u64().unwrap_or(0) >= 1);
    let shown = lanyard_core::oauth::channels::show(&e.l, &e.channel)
        .await
        .expect("channel");
    assert_eq!(shown.status.as_str(), "needs_reauth");
    assert_eq!(e.up.hits("feed"), 1, "no token, no request upstream");
    // And it goes on, without asking the provider again.
    e.get(&secret, "feed")
        .await
        .assert_stale("feed v1", "needs_reauth");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screens_state_is_recorded_and_shown() {
    let e = build("http://127.0.0.1:9/token", 3600).await;
    let (live, live_secret) = e.player("live").await;
    let (stale, stale_secret) = e.player("stale").await;
    let (refused, refused_secret) = e.player("refused").await;
    let (never, _) = e.player("never").await;
    e.warm(&live_secret, "live").await;
    e.warm(&stale_secret, "s").await;
    e.warm(&refused_secret, "r").await;
    e.up.set(DOWN_503);
    e.get(&stale_secret, "s")
        .await
        .assert_stale("s v1", "upstream_error");
    players::unlink(&e.l, &refused, &e.channel)
        .await
        .expect("unlink");
    assert_eq!(e.get(&refused_secret, "r").await.status, 403);

    // The gateway writes the states in its next flush (every 2 s).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let out = crate::util::run(crate::util::lanyard_for(&e.l).args(["--json", "player", "list"]));
    assert!(out.status.success(), "{out:?}");
    let list = crate::util::stdout_json(&out);
    let screen = |id: &str| {
        list.as_array()
            .expect("list")
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["screen"].clone())
            .expect("player")
    };
    let s = screen(&live);
    assert_eq!(s["last_answer"], "fresh", "{s}");
    assert_eq!(s["status"], "showing live data");
    assert_eq!(s["feeds"][0]["url"], format!("{}/api/live", e.base));
    assert!(s["last_request_at"].as_i64().is_some());

    let s = screen(&stale);
    assert_eq!(s["last_answer"], "stale", "{s}");
    assert_eq!(s["last_code"], "upstream_error");
    assert!(s["stale_since"].as_i64().is_some(), "{s}");
    assert!(s["data_from"].as_i64() <= s["stale_since"].as_i64(), "{s}");
    let status = s["status"].as_str().expect("status");
    assert!(
        status.starts_with("showing data from ")
            && status.ends_with("UTC — the data source has an error"),
        "{status}"
    );
    // The feed's last fresh answer is the warm-up's, not the stale one.
    assert!(s["feeds"][0]["last_fresh_at"].as_i64() <= s["data_from"].as_i64());

    let s = screen(&refused);
    assert_eq!(s["last_answer"], "refused", "{s}");
    assert_eq!(s["last_code"], "not_covered");
    assert_eq!(s["status"], "refused: not linked");

    assert_eq!(screen(&never)["status"], "never seen");

    // And /metrics: stale answers by reason, players serving stale, the oldest's age.
    let metrics = reqwest::get(format!("{}/metrics", e.gateway))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("lanyard_gateway_stale_answers_total{reason=\"upstream_error\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("lanyard_gateway_players_serving_stale 1\n"));
    let oldest: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("lanyard_gateway_oldest_stale_seconds "))
        .and_then(|v| v.parse().ok())
        .expect("oldest stale age");
    assert!(oldest < 60, "{oldest}");
    // The stale screen gets fresh data again: no player serves stale.
    e.up.set(OK);
    tokio::time::sleep(Duration::from_millis(5100)).await; // past the negative entry
    let a = e.get(&stale_secret, "s").await;
    assert_eq!(a.header("x-lanyard-stale"), None, "{:?}", a.headers);
    let metrics = reqwest::get(format!("{}/metrics", e.gateway))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("lanyard_gateway_players_serving_stale 0\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_that_is_down_serves_stale_as_provider_unavailable() {
    // Nothing listens at the token endpoint; the access token lives 20 s. The refresh's
    // retries take longer than this file's 1 s deadline (a screen asking then gets
    // `upstream_timeout`): the default deadline's order of magnitude lets them finish.
    let e = build_with("http://127.0.0.1:9/token", 20, Duration::from_secs(10)).await;
    let (_, secret) = e.player("screen").await;
    e.warm(&secret, "feed").await;
    e.until_refresh_is_due().await;
    let a = e.get(&secret, "feed").await;
    a.assert_stale("feed v1", "provider_unavailable");
    assert_eq!(e.up.hits("feed"), 1, "no token, no request upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_tokens_keep_stale_limit_is_set_from_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
    let l = Lanyard::open_with(&config, Arc::new(SystemClock), None)
        .await
        .expect("open");
    let token = lanyard_core::urltokens::tokens::add(
        &l,
        lanyard_core::urltokens::tokens::NewToken {
            prefix: "https://feeds.example.com/menu".into(),
            key: "apikey".into(),
            placement: lanyard_core::urltokens::Placement::Form,
            requires_permission: false,
            prompt: false,
            value: Some(lanyard_core::secrets::SecretValue::new("v")),
        },
    )
    .await
    .expect("token")
    .token
    .id;
    let set = |args: &[&str]| {
        let mut cmd = crate::util::lanyard_for(&l);
        cmd.args(["--json", "token", "set", &token]).args(args);
        crate::util::run(&mut cmd)
    };
    let out = set(&["--keep-stale-for", "90m"]);
    assert!(out.status.success(), "{out:?}");
    let shown = crate::util::stdout_json(&out);
    assert_eq!(shown["keep_stale_secs"], 5400, "{shown}");
    assert_eq!(shown["min_refetch_secs"], 0, "untouched");
    // Both at once, then refusals that change nothing.
    let out = set(&["--keep-stale-for", "0", "--min-refetch", "30"]);
    let shown = crate::util::stdout_json(&out);
    assert_eq!(
        (
            shown["keep_stale_secs"].as_u64(),
            shown["min_refetch_secs"].as_u64()
        ),
        (Some(0), Some(30))
    );
    for bad in [
        vec![],
        vec!["--keep-stale-for", "soon"],
        vec!["--keep-stale-for", "31d"],
    ] {
        assert!(!set(&bad).status.success(), "{bad:?}");
    }
    let of = lanyard_core::store::refetch::RefetchOf::UrlToken;
    assert_eq!(l.store().keep_stale(of, &token).await.expect("limit"), 0);
    assert_eq!(l.store().min_refetch(of, &token).await.expect("floor"), 30);
}
