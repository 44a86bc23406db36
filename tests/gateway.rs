//! The player gateway as players see it: the real `lanyard gateway serve` process, real
//! HTTP, the real `oidc-provider` behind it. Authentication (missing, wrong, rotated
//! secrets, an unknown player taking as long as a wrong secret), link checks,
//! `needs_reauth`, failed-attempt limits, TLS and the plain-HTTP rule, graceful shutdown
//! writing the audit buffer, two gateways on one store refreshing once per expiry, and a
//! gateway killed mid-refresh losing no account.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanyard_core::clock::FixedClock;
use lanyard_core::oauth::channel::keys;
use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};
use serde_json::{json, Value};

use crate::oauth_server::{connect_alice, OauthServer, TestTls};

/// Feed links through this gateway process (`tests/gateway/feeds.rs`).
mod feeds;
use crate::util::{lanyard, lanyard_for, stdout_json};

/// A running `lanyard gateway serve`; killed on drop.
pub(crate) struct GatewayProcess {
    child: Child,
    pub(crate) url: String,
}

impl GatewayProcess {
    pub(crate) fn start(mut cmd: std::process::Command, extra: &[&str]) -> GatewayProcess {
        let mut child = cmd
            .args(["--json", "gateway", "serve"])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the gateway");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the gateway did not start ({e}): {line:?}"));
        let url = ready["listening"].as_str().expect("url").to_string();
        GatewayProcess { child, url }
    }

    /// SIGTERM, then the exit status and everything printed after the listening line.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, String, String) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let child = std::mem::replace(
            &mut self.child,
            std::process::Command::new("true").spawn().expect("true"),
        );
        let out = child.wait_with_output().expect("wait");
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An installation (file secret store, shared with the gateway processes) with a channel.
struct Setup {
    dir: tempfile::TempDir,
    server: OauthServer,
    lanyard: Lanyard,
    channel: String,
    /// `--secret-store …` (and its key file) for every process of this installation.
    secret_args: Vec<String>,
}

async fn setup(access_ttl: u64) -> Setup {
    let database = lanyard_core::store::testing::database()
        .await
        .expect("database");
    setup_with(access_ttl, database, false).await
}

/// On PostgreSQL (`LANYARD_TEST_POSTGRES`), an installation whose secrets are sealed in the
/// shared database, so that gateways on other machines (here: other data directories)
/// reach them with the key file alone. `None` on SQLite.
async fn setup_shared(access_ttl: u64) -> Option<Setup> {
    let database = lanyard_core::store::testing::database()
        .await
        .expect("database")?;
    Some(setup_with(access_ttl, Some(database), true).await)
}

async fn setup_with(
    access_ttl: u64,
    database: Option<lanyard_core::store::Location>,
    shared_secrets: bool,
) -> Setup {
    let server = OauthServer::start(access_ttl);
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("gateway.key");
    let mut secret_args = vec!["--secret-store".to_string(), "file".to_string()];
    if shared_secrets {
        write_key(&key_file, &[7u8; 32]);
        secret_args = vec![
            "--secret-store".into(),
            "database".into(),
            "--secret-key-file".into(),
            key_file.display().to_string(),
        ];
    }
    let mut config = Config {
        database,
        ..Config::new(dir.path().to_path_buf(), SecretStoreKind::File)
    };
    if shared_secrets {
        config.secret_store = SecretStoreKind::Database;
        config.secret_key_files = vec![key_file];
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let lanyard = Lanyard::open_with(&config, Arc::new(FixedClock::at(now)), None)
        .await
        .expect("open");
    let channel = connect_alice(&lanyard, &server).await;
    // These tests are about /v1/grants: the channel hands out its token (new channels
    // are `proxy`; tests/fetch.rs covers that mode).
    lanyard_core::broker::token_links::set_handout(
        &lanyard,
        &channel,
        lanyard_core::oauth::channel::Handout::Token,
    )
    .await
    .expect("token mode");
    Setup {
        dir,
        server,
        lanyard,
        channel,
        secret_args,
    }
}

/// Writes a key file (base64, mode 0600) for `--secret-store database`.
fn write_key(path: &Path, key: &[u8]) {
    use base64::Engine as _;
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, base64::engine::general_purpose::STANDARD.encode(key)).expect("key");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

impl Setup {
    /// `lanyard` on this installation: its data directory, database and secret store.
    fn cmd(&self) -> std::process::Command {
        let mut cmd = lanyard_for(&self.lanyard);
        cmd.args(&self.secret_args);
        cmd
    }

    fn cli(&self, args: &[&str]) -> Value {
        let out = self
            .cmd()
            .args(["--json"])
            .args(args)
            .output()
            .expect("run lanyard");
        assert!(
            out.status.success(),
            "lanyard {args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        stdout_json(&out)
    }

    /// Registers a player and returns (id, secret).
    fn player(&self, name: &str) -> (String, String) {
        let p = self.cli(&["player", "add", name]);
        (
            p["id"].as_str().expect("id").to_string(),
            p["secret"].as_str().expect("secret").to_string(),
        )
    }

    fn link(&self, player: &str) {
        self.cli(&[
            "link",
            "add",
            "--player",
            player,
            "--channel",
            &self.channel,
        ]);
    }

    fn gateway(&self, extra: &[&str]) -> GatewayProcess {
        GatewayProcess::start(self.cmd(), extra)
    }

    /// The channel's master token, as this installation's secret store holds it.
    async fn master_token(&self) -> lanyard_core::secrets::SecretValue {
        self.lanyard
            .secrets()
            .get(&keys::refresh(&self.channel))
            .await
            .expect("read")
            .expect("master token")
    }

    async fn refreshes(&self) -> i64 {
        self.server.counts().await["refresh_token"]
            .as_i64()
            .expect("count")
    }
}

/// `POST /v1/grants` with an optional secret: (status, body).
/// A grant right after another process changed access, repeated until it answers `want`
/// for as long as the change may take to reach a gateway: no time at all on SQLite (the
/// epoch file), on PostgreSQL until its notification arrives, within the 1 s trust window
/// (ARCHITECTURE.md) plus delivery.
async fn grant_after_change(s: &Setup, url: &str, secret: &str, want: u16) -> (u16, Value) {
    let postgres = matches!(
        s.lanyard.store().location(),
        lanyard_core::store::Location::Postgres(_)
    );
    let deadline = Instant::now() + Duration::from_secs(if postgres { 2 } else { 0 });
    loop {
        let (status, body) = grant(url, Some(secret), &s.channel).await;
        if status == want || Instant::now() >= deadline {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn grant(url: &str, secret: Option<&str>, channel: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}/v1/grants"))
        .json(&json!({ "channel": channel }));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

async fn get(url: &str, path: &str, secret: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{url}{path}"));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    let response = request.send().await.expect("request");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_authenticate_players_and_rotation_ends_the_old_one_at_once() {
    let s = setup(3600).await;
    let (pid, secret) = s.player("Lobby screen");
    assert!(secret.starts_with("lyp_"), "{secret}");
    s.link(&pid);
    let gw = s.gateway(&[]);

    let backend = match s.lanyard.store().backend() {
        lanyard_core::store::Backend::Sqlite => "sqlite",
        lanyard_core::store::Backend::Postgres => "postgres",
    };
    let mut health = Value::Null;
    for _ in 0..100 {
        let (status, body) = get(&gw.url, "/healthz", None).await;
        assert_eq!(status, 200);
        health = serde_json::from_str(&body).expect("health json");
        if health["hears_access_changes"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(health["database"], backend, "{health}");
    assert_eq!(health["hears_access_changes"], true, "{health}");
    let (status, body) = grant(&gw.url, None, &s.channel).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
    let (status, body) = grant(&gw.url, Some("lyp_nonsense"), &s.channel).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
    // The right player id with the wrong random part.
    let forged = format!("{}{}", &secret[..secret.len() - 4], "AAAA");
    let (status, body) = grant(&gw.url, Some(&forged), &s.channel).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));

    let (status, body) = grant(&gw.url, Some(&secret), &s.channel).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["principal_id"], pid.as_str());
    assert_eq!(body["channel_id"], s.channel.as_str());
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().expect("token").to_string();
    assert!(s.server.introspect(&token).await, "a real provider token");
    assert!(
        body["expires_at"].as_i64().expect("exp")
            <= body["provider_expires_at"].as_i64().expect("pexp")
    );

    let (status, channels) = get(&gw.url, "/v1/channels", Some(&secret)).await;
    assert_eq!(status, 200);
    let channels: Value = serde_json::from_str(&channels).expect("json");
    assert_eq!(channels["channels"][0]["channel_id"], s.channel.as_str());
    assert_eq!(channels["channels"][0]["status"], "active");

    // Rotation in another process: the cached old secret fails on its very next use.
    let rotated = s.cli(&["player", "rotate-secret", &pid]);
    let new_secret = rotated["secret"].as_str().expect("secret").to_string();
    assert_ne!(new_secret, secret);
    let (status, body) = grant_after_change(&s, &gw.url, &secret, 401).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"), "{body}");
    let (status, body) = grant(&gw.url, Some(&new_secret), &s.channel).await;
    assert_eq!(status, 200, "{body}");
    let audit = s.cli(&["audit"]);
    let rotations: Vec<_> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["action"] == "player_secret_rotated")
        .collect();
    assert_eq!(rotations.len(), 1, "{audit}");
    assert_eq!(rotations[0]["subject_id"], pid.as_str());
    let audit = audit.to_string();
    assert!(!audit.contains(&secret) && !audit.contains(&new_secret));

    let (_, metrics) = get(&gw.url, "/metrics", None).await;
    // On PostgreSQL the old secret may have been let in until the gateway heard the
    // rotation (grant_after_change): those grants count too.
    let grants: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("lanyard_gateway_grants_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("grants counter");
    if backend == "postgres" {
        assert!(grants >= 2, "{metrics}");
    } else {
        assert_eq!(grants, 2, "{metrics}");
    }
    assert!(
        metrics.contains("lanyard_gateway_auth_failures_total 4\n"),
        "{metrics}"
    );

    let (status, stdout, stderr) = gw.terminate();
    // Under Wine (the Windows pass) SIGTERM ends the Windows process outright: Windows
    // has no SIGTERM, so the graceful exit is checked on Linux only.
    assert!(status.success() || crate::util::under_wine(), "{stderr}");
    // No secret anywhere on disk in the database, nor in the gateway's output.
    for file in ["lanyard.db", "lanyard.db-wal"] {
        if let Ok(bytes) = std::fs::read(s.dir.path().join(file)) {
            let text = String::from_utf8_lossy(&bytes);
            for value in [&secret, &new_secret, &token] {
                assert!(!text.contains(value.as_str()), "a secret in {file}");
            }
        }
    }
    for value in [&secret, &new_secret, &token] {
        assert!(!stdout.contains(value.as_str()) && !stderr.contains(value.as_str()));
    }
    if crate::util::under_wine() {
        // What follows is what a graceful shutdown writes; Wine ends the process instead.
        return;
    }
    // Graceful shutdown wrote the buffered grant records and the last-seen time.
    let audit = s.cli(&["audit", "--channel", &s.channel]);
    let grants = audit
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["action"] == "grant" && e["outcome"] == "ok" && e["principal_id"] == pid.as_str()
        })
        .count();
    assert_eq!(grants, 2, "{audit}");
    let players = s.cli(&["player", "list"]);
    let me = players
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["id"] == pid.as_str())
        .expect("player");
    assert!(me["last_seen_at"].as_i64().is_some(), "{me}");
    assert!(me.get("secret").is_none() && me.get("secret_hash").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_player_takes_as_long_as_a_wrong_secret() {
    let s = setup(3600).await;
    let (_, secret) = s.player("Screen");
    let gw = s.gateway(&[
        "--max-failures-per-secret",
        "100",
        "--max-failures-per-address",
        "100",
    ]);
    let wrong = format!("{}{}", &secret[..secret.len() - 4], "AAAA");
    // Same shape, a player id nobody has.
    let unknown = format!("lyp_{}{}", "0".repeat(32), &secret[36..]);
    let once = |secret: &str| {
        let (url, channel, secret) = (gw.url.clone(), s.channel.clone(), secret.to_string());
        async move {
            let started = Instant::now();
            let (status, body) = grant(&url, Some(&secret), &channel).await;
            assert_eq!((status, code(&body)), (401, "unauthenticated"), "{body}");
            started.elapsed()
        }
    };
    // Paired and interleaved (alternating which goes first), so a machine getting busier
    // or quieter shifts both alike; the median of the per-pair ratios is what is judged.
    let mut ratios = Vec::new();
    for round in 0..15 {
        let (w, u) = if round % 2 == 0 {
            let w = once(&wrong).await;
            (w, once(&unknown).await)
        } else {
            let u = once(&unknown).await;
            (once(&wrong).await, u)
        };
        ratios.push(u.as_secs_f64() / w.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    // Timing-safe means one argon2id verification either way (the unknown id against a
    // decoy hash with the same parameters): skipping it answers ten times faster or more,
    // a second one takes twice as long. The band leaves room for a busy shared machine.
    assert!(
        (0.55..=1.8).contains(&ratio),
        "unknown player vs wrong secret: median ratio {ratio:.2} (all: {ratios:.2?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_checked_on_every_grant_and_a_refused_master_token_is_needs_reauth() {
    let s = setup(4).await;
    let (pid, secret) = s.player("Screen");
    let gw = s.gateway(&[]);
    let (status, body) = grant(&gw.url, Some(&secret), &s.channel).await;
    assert_eq!((status, code(&body)), (403, "not_linked"), "{body}");
    let (_, channels) = get(&gw.url, "/v1/channels", Some(&secret)).await;
    assert_eq!(channels, r#"{"channels":[]}"#);

    s.link(&pid);
    let (status, body) = grant_after_change(&s, &gw.url, &secret, 200).await;
    assert_eq!(status, 200, "{body}");
    s.cli(&["link", "remove", "--player", &pid, "--channel", &s.channel]);
    let (status, body) = grant_after_change(&s, &gw.url, &secret, 403).await;
    assert_eq!(
        (status, code(&body)),
        (403, "not_linked"),
        "unlinking denies at once (on PostgreSQL: within the trust window)"
    );
    s.link(&pid);

    // The provider revokes the master token; once the access token expires, the refresh
    // is refused: 409 needs_reauth, and the channel says so.
    let refresh = s.master_token().await;
    s.server.revoke(refresh.expose()).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, body) = grant(&gw.url, Some(&secret), &s.channel).await;
    assert_eq!((status, code(&body)), (409, "needs_reauth"), "{body}");
    let (_, channels) = get(&gw.url, "/v1/channels", Some(&secret)).await;
    let channels: Value = serde_json::from_str(&channels).expect("json");
    assert_eq!(channels["channels"][0]["status"], "needs_reauth");

    // A removed player is refused as unauthenticated: its secret went with it.
    s.cli(&["player", "remove", &pid]);
    let (status, body) = grant_after_change(&s, &gw.url, &secret, 401).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_limited_per_secret_and_per_address_never_per_player() {
    let s = setup(3600).await;
    let (a, secret_a) = s.player("A");
    let (b, secret_b) = s.player("B");
    let (c, secret_c) = s.player("C");
    for player in [&a, &b, &c] {
        s.link(player);
    }
    let gw = s.gateway(&[
        "--max-failures-per-secret",
        "3",
        "--max-failures-per-address",
        "5",
    ]);
    assert_eq!(grant(&gw.url, Some(&secret_a), &s.channel).await.0, 200);

    // B's id is public (audit log, the secret's prefix): wrong secrets naming it…
    let wrong_b = format!("{}{}", &secret_b[..secret_b.len() - 4], "AAAA");
    for _ in 0..3 {
        assert_eq!(grant(&gw.url, Some(&wrong_b), &s.channel).await.0, 401);
    }
    // …lock that wrong secret out…
    let response = reqwest::Client::new()
        .post(format!("{}/v1/grants", gw.url))
        .bearer_auth(&wrong_b)
        .json(&json!({ "channel": s.channel }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(code(&body), "rate_limited");
    // …never B itself.
    let (status, body) = grant(&gw.url, Some(&secret_b), &s.channel).await;
    assert_eq!(
        status, 200,
        "B was locked out by someone else's failures: {body}"
    );

    // Two more failures from this address: now it is over its limit, and what cannot be
    // a known player's secret waits…
    assert_eq!(grant(&gw.url, None, &s.channel).await.0, 401);
    assert_eq!(grant(&gw.url, Some("garbage"), &s.channel).await.0, 401);
    let (status, body) = grant(&gw.url, Some("garbage"), &s.channel).await;
    assert_eq!((status, code(&body)), (429, "rate_limited"));
    let unknown = format!("lyp_{}_{}", "0".repeat(32), "A".repeat(43));
    let (status, body) = grant(&gw.url, Some(&unknown), &s.channel).await;
    assert_eq!((status, code(&body)), (429, "rate_limited"));
    // …while a well-formed secret of a known player is still checked (screens behind one
    // NAT or proxy): C, never verified here, gets in…
    let (status, body) = grant(&gw.url, Some(&secret_c), &s.channel).await;
    assert_eq!(
        status, 200,
        "C was locked out by its address's failures: {body}"
    );
    // …and players already verified here keep their access.
    assert_eq!(grant(&gw.url, Some(&secret_a), &s.channel).await.0, 200);
    assert_eq!(grant(&gw.url, Some(&secret_b), &s.channel).await.0, 200);
    let (_, metrics) = get(&gw.url, "/metrics", None).await;
    assert!(
        metrics.contains("lanyard_gateway_rate_limited_total 3\n"),
        "{metrics}"
    );
}

/// `POST /v1/grants` with `secret`, as relayed for `forwarded_for` (`X-Forwarded-For`).
async fn grant_via(url: &str, secret: &str, channel: &str, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{url}/v1/grants"))
        .bearer_auth(secret)
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "channel": channel }))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_token_where_the_secret_belongs_is_refused_but_not_a_failure() {
    let s = setup(3600).await;
    let (a, secret_a) = s.player("A");
    s.link(&a);
    let gw = s.gateway(&["--max-failures-per-address", "3"]);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/sessions", gw.url))
        .bearer_auth(&secret_a)
        .send()
        .await
        .expect("session");
    let session: Value = response.json().await.expect("json");
    let session = session["token"].as_str().expect("token").to_string();
    // A screen that sends its session to the secret's endpoints: told so, every time…
    for _ in 0..10 {
        let (status, body) = grant(&gw.url, Some(&session), &s.channel).await;
        assert_eq!((status, code(&body)), (401, "unauthenticated"));
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("session token"),
            "{body}"
        );
    }
    // …and its address is not over any limit for it.
    let unknown = format!("lyp_{}_{}", "0".repeat(32), "A".repeat(43));
    assert_eq!(grant(&gw.url, Some(&unknown), &s.channel).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let s = setup(3600).await;
    let unknown = format!("lyp_{}_{}", "0".repeat(32), "B".repeat(43));
    // The tests connect from 127.0.0.1: here that is the site's reverse proxy.
    let behind = s.gateway(&[
        "--max-failures-per-address",
        "3",
        "--trusted-proxy",
        "127.0.0.0/8",
        "--trusted-proxy",
        "::1",
    ]);
    for _ in 0..3 {
        assert_eq!(
            grant_via(&behind.url, &unknown, &s.channel, "203.0.113.7").await,
            401
        );
    }
    assert_eq!(
        grant_via(&behind.url, &unknown, &s.channel, "203.0.113.7").await,
        429
    );
    // Another screen of the site is its own address; a client's own left-hand entries do
    // not change which address it is.
    assert_eq!(
        grant_via(&behind.url, &unknown, &s.channel, "203.0.113.8").await,
        401
    );
    assert_eq!(
        grant_via(
            &behind.url,
            &unknown,
            &s.channel,
            "198.51.100.1, 203.0.113.7"
        )
        .await,
        429
    );
    // From peers that are not trusted proxies the header is the client's own words:
    // ignored, so every request counts against the one peer address.
    for trusted in [None, Some("10.0.0.0/8")] {
        let mut extra = vec!["--max-failures-per-address", "3"];
        if let Some(cidr) = trusted {
            extra.extend(["--trusted-proxy", cidr]);
        }
        let plain = s.gateway(&extra);
        for i in 0..3 {
            let forged = format!("203.0.113.{i}");
            assert_eq!(
                grant_via(&plain.url, &unknown, &s.channel, &forged).await,
                401
            );
        }
        assert_eq!(
            grant_via(&plain.url, &unknown, &s.channel, "203.0.113.200").await,
            429,
            "trusted: {trusted:?}"
        );
    }
    // A block that is not one is refused at start.
    let out = s
        .cmd()
        .args(["--json", "gateway", "serve", "--listen", "127.0.0.1:0"])
        .args(["--trusted-proxy", "10.0.0.0/33"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(code(&stdout_json(&out)), "invalid_input");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_off_loopback_is_refused_and_tls_serves() {
    let s = setup(3600).await;
    let out = lanyard_for(&s.lanyard)
        .args([
            "--secret-store",
            "file",
            "--json",
            "gateway",
            "serve",
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["code"], "invalid_input");

    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    let tls_dir = tempfile::tempdir().expect("tls dir");
    let tls = TestTls::create(tls_dir.path());
    let gw = s.gateway(&[
        "--tls-cert",
        tls.cert.to_str().expect("path"),
        "--tls-key",
        tls.key.to_str().expect("path"),
    ]);
    assert!(gw.url.starts_with("https://127.0.0.1:"), "{}", gw.url);
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&tls.ca).expect("ca")).expect("pem");
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .expect("client");
    let response = client
        .post(format!("{}/v1/grants", gw.url))
        .bearer_auth(&secret)
        .json(&json!({ "channel": s.channel }))
        .send()
        .await
        .expect("https request");
    assert_eq!(response.status().as_u16(), 200);
    // Plain HTTP to the TLS port gets nothing useful.
    let plain = gw.url.replace("https://", "http://");
    let refused = reqwest::Client::new()
        .get(format!("{plain}/healthz"))
        .send()
        .await;
    assert!(refused.map(|r| !r.status().is_success()).unwrap_or(true));
}

/// For 16 s, four grants every 100 ms alternating between two gateways, every one granted;
/// with 8 s tokens (refreshed 2 s before expiry) that is one refresh per ~6 s at most, and
/// each refresh's token is the one both gateways hand out. Returns the refreshes.
async fn grants_across(s: &Setup, secret: &str, gateways: [&GatewayProcess; 2]) -> i64 {
    let initial = s
        .lanyard
        .secrets()
        .get(&keys::access(&s.channel))
        .await
        .expect("read")
        .expect("the first access token")
        .expose()
        .to_string();
    let started = Instant::now();
    let mut tokens = std::collections::HashSet::new();
    while started.elapsed() < Duration::from_secs(16) {
        let calls: Vec<_> = [gateways[0], gateways[1], gateways[0], gateways[1]]
            .into_iter()
            .map(|g| {
                let (url, secret, channel) = (g.url.clone(), secret.to_string(), s.channel.clone());
                tokio::spawn(async move { grant(&url, Some(&secret), &channel).await })
            })
            .collect();
        for call in calls {
            let (status, body) = call.await.expect("join");
            assert_eq!(status, 200, "{body}");
            tokens.insert(body["access_token"].as_str().expect("token").to_string());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let refreshes = s.refreshes().await;
    assert!(refreshes >= 2, "{refreshes} refreshes in {elapsed:.1} s");
    assert!(
        refreshes as f64 <= elapsed / 6.0 + 1.0,
        "{refreshes} refreshes in {elapsed:.1} s: more than one per expiry"
    );
    // The first token (from setting up) is handed out too, unless it was already within
    // the refresh margin when the first grant came: under Wine, starting two gateways
    // takes longer than the 6 s it is fresh for, so the first grant refreshes at once.
    let first_handed_out = tokens.contains(&initial);
    assert!(first_handed_out || crate::util::under_wine());
    assert_eq!(
        tokens.len() as i64,
        refreshes + i64::from(first_handed_out),
        "every refresh's token is shared by both gateways"
    );
    refreshes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_gateways_on_one_store_refresh_once_per_expiry() {
    // 8 s tokens are refreshed 2 s before expiry: one refresh every ~6 s at most.
    let s = setup(8).await;
    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    let (g1, g2) = (s.gateway(&[]), s.gateway(&[]));
    let refreshes = grants_across(&s, &secret, [&g1, &g2]).await;
    let (_, m1) = get(&g1.url, "/metrics", None).await;
    let (_, m2) = get(&g2.url, "/metrics", None).await;
    let count = |m: &str| -> i64 {
        m.lines()
            .find_map(|l| l.strip_prefix("lanyard_gateway_refreshes_total "))
            .and_then(|v| v.parse().ok())
            .expect("refreshes metric")
    };
    assert_eq!(count(&m1) + count(&m2), refreshes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_mid_refresh_loses_no_account() {
    // Under Wine (the Windows pass) this is the Windows rule: the gateway is killed as
    // Task Manager would, and the next one must see from the dead holder's lease mark
    // (core broker::lease_mark) that nobody holds the lease, not wait it out (60 s).
    let s = setup(4).await;
    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    tokio::time::sleep(Duration::from_secs(4)).await; // the token has expired
    s.server.set_token_endpoint_down(true).await;
    let mut doomed = s.gateway(&[]);
    let url = doomed.url.clone();
    let (secret2, channel) = (secret.clone(), s.channel.clone());
    // The refresh retries a 503 with backoff while holding the lease; kill it then.
    let in_flight = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{url}/v1/grants"))
            .bearer_auth(&secret2)
            .json(&json!({ "channel": channel }))
            .send()
            .await
    });
    // Kill it while it holds the refresh lease (its pid is in the lease owner; under
    // Wine the Windows process id, which is not the child's Linux pid, but it is the only
    // gateway running).
    let pid = doomed.child.id().to_string();
    let ours = |owner: &str| crate::util::under_wine() || owner.starts_with(&format!("{pid}:"));
    let started = Instant::now();
    loop {
        let st = s
            .lanyard
            .store()
            .token_state(&s.channel)
            .await
            .expect("state");
        if st.lease_owner.as_deref().is_some_and(ours) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the gateway never took the lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    doomed.child.kill().expect("kill");
    let _ = doomed.child.wait();
    assert!(
        in_flight.await.expect("join").is_err(),
        "the request died with it"
    );
    s.server.set_token_endpoint_down(false).await;

    // Another gateway takes over the dead lease at once and the channel still works.
    let gw = s.gateway(&[]);
    let started = Instant::now();
    let (status, body) = grant(&gw.url, Some(&secret), &s.channel).await;
    assert_eq!(status, 200, "{body}");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(30),
        "the dead gateway's lease was waited out ({waited:?}), not taken over"
    );
    assert!(
        s.server
            .introspect(body["access_token"].as_str().expect("token"))
            .await
    );
    let (_, channels) = get(&gw.url, "/v1/channels", Some(&secret)).await;
    assert!(channels.contains(r#""status":"active""#), "{channels}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_simulator_gets_grants_until_it_is_unlinked() {
    if !crate::util::have("curl") {
        panic!("curl is required for the player simulator (scripts/install-deps installs it)");
    }
    let s = setup(3600).await;
    let (pid, secret) = s.player("Simulated screen");
    s.link(&pid);
    let gw = s.gateway(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/player-sim.sh");
    let sim = |count: &str| {
        let out = std::process::Command::new("bash")
            .arg(&script)
            .args([gw.url.as_str(), "", "0", count])
            .env("LANYARD_PLAYER_SECRET", &secret)
            .output()
            .expect("run the simulator");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = sim("2");
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(stdout.matches(" grant 200 ").count(), 2, "{stdout}");
    assert!(stdout.contains(&s.channel));
    assert!(
        !stdout.contains(&secret),
        "the simulator never prints the secret"
    );

    // Once unlinked it has no channel left: the simulator says so and fails.
    s.cli(&["link", "remove", "--player", &pid, "--channel", &s.channel]);
    let (ok, stdout, stderr) = sim("1");
    assert!(!ok);
    assert!(
        stdout.contains(r#"channels (200): {"channels":[]}"#),
        "{stdout}"
    );
    assert!(stderr.contains("linked to no channel"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gateways_on_other_machines_share_master_tokens_sealed_in_the_database() {
    // Rotating refresh tokens (the provider revokes the whole grant when a rotated-out one
    // is used again): a machine refreshing with a stale master token would end the channel.
    let Some(s) = setup_shared(8).await else {
        lanyard_core::store::testing::skip(
            "gateway::gateways_on_other_machines_share_master_tokens_sealed_in_the_database",
            "PostgreSQL (secrets sealed in a shared database)",
            Some(lanyard_core::store::testing::POSTGRES_LATER_ENV),
        );
        return;
    };
    let lanyard_core::store::Location::Postgres(url) = s.lanyard.store().location().clone() else {
        unreachable!("setup_shared is PostgreSQL only");
    };
    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    // Two more machines: their own data directories; only the database and the key file
    // in common.
    let machine = |dir: &Path| {
        let mut cmd = lanyard(dir);
        cmd.args(["--database", &url]).args(&s.secret_args);
        cmd
    };
    let (d2, d3) = (
        tempfile::tempdir().expect("d2"),
        tempfile::tempdir().expect("d3"),
    );
    let g2 = GatewayProcess::start(machine(d2.path()), &[]);
    let g3 = GatewayProcess::start(machine(d3.path()), &[]);
    grants_across(&s, &secret, [&g2, &g3]).await;
    assert_eq!(
        s.server.counts().await["errors"],
        0,
        "no stale refresh token used"
    );
    let status = s.cli(&["channel", "show", &s.channel]);
    assert_eq!(status["status"], "active", "{status}");

    // The database holds ciphertext: the current master token is in no sealed row.
    let master = s.master_token().await;
    let sealed: Vec<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM secret")
        .fetch_all(s.lanyard.store().pool())
        .await
        .expect("rows");
    assert!(
        sealed.len() >= 2,
        "master and access tokens are sealed rows"
    );
    let needle = master.expose().as_bytes();
    assert!(sealed
        .iter()
        .all(|row| !row.windows(needle.len()).any(|w| w == needle)));

    // A fourth machine, given its key files.
    let d4 = tempfile::tempdir().expect("d4");
    let fourth = |key_files: &[&str]| {
        let mut cmd = lanyard(d4.path());
        cmd.args(["--database", &url, "--secret-store", "database", "--json"]);
        for file in key_files {
            cmd.args(["--secret-key-file", file]);
        }
        cmd
    };
    // With another key it opens nothing and changes nothing.
    let wrong = d4.path().join("wrong.key");
    write_key(&wrong, &[9u8; 32]);
    let out = fourth(&[&wrong.display().to_string()])
        .args(["grant", "--license", "--channel", &s.channel])
        .output()
        .expect("run lanyard");
    assert_eq!(out.status.code(), Some(1));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "secret_store_unavailable", "{err}");
    assert!(!err.to_string().contains(master.expose()));
    let status = s.cli(&["channel", "show", &s.channel]);
    assert_eq!(status["status"], "active", "{status}");

    // Rotating the key: the new file first, the old after it, reseal; then the old can go.
    let old_key = s.secret_args[3].clone();
    let new_key = d4.path().join("new.key");
    write_key(&new_key, &[11u8; 32]);
    let new_key = new_key.display().to_string();
    let out = fourth(&[&new_key, &old_key])
        .args(["secret-key", "reseal"])
        .output()
        .expect("run lanyard");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let done = stdout_json(&out);
    assert!(done["resealed"].as_u64().expect("resealed") >= 2, "{done}");
    let out = fourth(&[&new_key])
        .args(["grant", "--license", "--channel", &s.channel])
        .output()
        .expect("run lanyard");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stdout_json(&out)["access_token"].is_string());
}

/// `lanyard gateway serve` runs the same upkeep as the desktop app
/// (`lanyard_core::upkeep`): a headless gateway keeps a channel nobody used for a day
/// alive (the keep-alive refresh, at start and hourly) and writes grant audit records
/// while it runs, not only when it stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_gateway_keeps_idle_channels_alive_and_writes_the_audit_log() {
    let s = setup(3600).await;
    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    // The channel was last refreshed 25 hours ago: idle for more than a day.
    sqlx::query(
        "UPDATE channel SET connected_at = connected_at - 90000, \
         last_refreshed_at = COALESCE(last_refreshed_at, connected_at) - 90000 WHERE id = $1",
    )
    .bind(&s.channel)
    .execute(s.lanyard.store().pool())
    .await
    .expect("age the channel");
    let before = s.refreshes().await;

    let gw = s.gateway(&[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.refreshes().await == before {
        assert!(
            Instant::now() < deadline,
            "the gateway never refreshed the idle channel"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(s.refreshes().await, before + 1, "one keep-alive refresh");
    let channel = lanyard_core::oauth::channels::show(&s.lanyard, &s.channel)
        .await
        .expect("channel");
    assert_eq!(channel.status.as_str(), "active");

    // A grant's audit record is buffered, then written within the flush interval (2 s)
    // while the gateway keeps running.
    let (status, body) = grant_after_change(&s, &gw.url, &secret, 200).await;
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let events = s
            .lanyard
            .store()
            .audit_events(Some(&s.channel), None, 50)
            .await
            .expect("audit");
        if events.iter().any(|e| {
            e.action.as_str() == "grant"
                && e.principal_id.as_deref() == Some(pid.as_str())
                && e.outcome.as_str() == "ok"
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the running gateway never wrote the grant's audit record"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(gw);
}

/// `GET /v1/fetch` of a URL no link covers, with `bearer` (and an `Origin` when given):
/// (status, code). Authenticated, it is `403 not_covered` and nothing is fetched.
async fn fetch_uncovered(client: &reqwest::Client, gateway: &str, bearer: &str) -> (u16, String) {
    let response = client
        .get(format!(
            "{gateway}/v1/fetch?url=https%3A%2F%2Fdata.example%2Fx"
        ))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    (status, crate::util::error_code(&body))
}

/// `POST /v1/sessions` with the player secret, from web content (`origin`) or not:
/// (status, token or error code).
async fn session_of(
    client: &reqwest::Client,
    gateway: &str,
    secret: &str,
    origin: Option<&str>,
) -> (u16, String) {
    let mut request = client
        .post(format!("{gateway}/v1/sessions"))
        .bearer_auth(secret);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    let out = body["token"]
        .as_str()
        .or(body["code"].as_str())
        .unwrap_or_default()
        .to_string();
    (status, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_only_keeps_the_player_secret_out_of_screen_content() {
    let s = setup(3600).await;
    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    let tls_dir = tempfile::tempdir().expect("tls dir");
    let tls = TestTls::create(tls_dir.path());
    let (cert, key) = (
        tls.cert.to_str().expect("path"),
        tls.key.to_str().expect("path"),
    );
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&tls.ca).expect("ca")).expect("pem");
    let https = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .expect("client");
    let plain = reqwest::Client::new();

    // With TLS, sessions only by default: the secret buys no data, and web content (an
    // Origin) cannot trade it; the player itself (no Origin) gets a session, which works.
    let gw = s.gateway(&["--tls-cert", cert, "--tls-key", key]);
    assert_eq!(
        fetch_uncovered(&https, &gw.url, &secret).await,
        (401, "session_required".to_string())
    );
    let from_page = session_of(&https, &gw.url, &secret, Some("https://screen.example")).await;
    assert_eq!(from_page, (401, "session_required".to_string()));
    let (status, session) = session_of(&https, &gw.url, &secret, None).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(
        fetch_uncovered(&https, &gw.url, &session).await,
        (403, "not_covered".to_string()),
        "the session is accepted"
    );
    // Turned off explicitly (the last flag wins, as in the systemd unit's
    // `--sessions-only $LANYARD_GATEWAY_ARGS`): the secret buys data again.
    let off = s.gateway(&[
        "--tls-cert",
        cert,
        "--tls-key",
        key,
        "--sessions-only",
        "--sessions-only=false",
    ]);
    assert_eq!(
        fetch_uncovered(&https, &off.url, &secret).await,
        (403, "not_covered".to_string())
    );
    assert_eq!(
        session_of(&https, &off.url, &secret, Some("https://screen.example"))
            .await
            .0,
        200
    );

    // On loopback without TLS (development, the desktop app) secrets work unless told.
    let dev = s.gateway(&[]);
    assert_eq!(
        fetch_uncovered(&plain, &dev.url, &secret).await,
        (403, "not_covered".to_string())
    );
    let strict = s.gateway(&["--sessions-only"]);
    assert_eq!(
        fetch_uncovered(&plain, &strict.url, &secret).await,
        (401, "session_required".to_string())
    );
    let (status, session) = session_of(&plain, &strict.url, &secret, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        fetch_uncovered(&plain, &strict.url, &session).await,
        (403, "not_covered".to_string())
    );
    // Refusing the secret did no secret work: nothing counted as a failed attempt.
    let (_, metrics) = get(&strict.url, "/metrics", None).await;
    assert!(
        metrics.contains("lanyard_gateway_auth_failures_total 0"),
        "{metrics}"
    );
}

/// The key id a session token names (its payload's second line).
fn key_of(token: &str) -> String {
    use base64::Engine as _;
    let payload = token
        .strip_prefix("lyg_")
        .and_then(|t| t.split_once('.'))
        .expect("a session token")
        .0;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    String::from_utf8(text)
        .expect("utf8")
        .split('\n')
        .nth(1)
        .expect("key id")
        .to_string()
}

/// Two gateways minting at once for the first time (no key yet): one key is made
/// (insert-if-absent) and each accepts every session the other minted. Then
/// `lanyard gateway rotate-session-key`: new sessions name the new key, the old ones keep
/// working on both, and a second rotation ends them on both.
async fn sessions_across(s: &Setup, secret: &str, gateways: [&GatewayProcess; 2]) {
    let client = reqwest::Client::new();
    let calls: Vec<_> = (0..16)
        .map(|i| {
            let (url, secret, client) = (
                gateways[i % 2].url.clone(),
                secret.to_string(),
                client.clone(),
            );
            tokio::spawn(async move { session_of(&client, &url, &secret, None).await })
        })
        .collect();
    let mut minted = Vec::new();
    for (i, call) in calls.into_iter().enumerate() {
        let (status, token) = call.await.expect("join");
        assert_eq!(status, 200, "{token}");
        minted.push((i % 2, token));
    }
    let first_key = key_of(&minted[0].1);
    for (made_by, token) in &minted {
        assert_eq!(key_of(token), first_key, "one key for both gateways");
        let other = gateways[1 - made_by];
        assert_eq!(
            fetch_uncovered(&client, &other.url, token).await,
            (403, "not_covered".to_string()),
            "a session minted by one gateway works on the other"
        );
    }

    let rotated = s.cli(&["gateway", "rotate-session-key"]);
    assert_eq!(rotated["previous"], first_key.as_str(), "{rotated}");
    assert!(rotated["retired"].is_null(), "{rotated}");
    let second_key = rotated["current"].as_str().expect("current").to_string();
    assert_ne!(second_key, first_key);
    // Each gateway hears the rotation (at once on SQLite, within about a second on
    // PostgreSQL) and signs with the new key.
    let mut fresh = Vec::new();
    for g in gateways {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let (status, token) = session_of(&client, &g.url, secret, None).await;
            assert_eq!(status, 200, "{token}");
            if key_of(&token) == second_key {
                fresh.push(token);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} still signs with the old key",
                g.url
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for g in gateways {
        for token in fresh.iter().chain([&minted[0].1, &minted[1].1]) {
            assert_eq!(
                fetch_uncovered(&client, &g.url, token).await,
                (403, "not_covered".to_string()),
                "current and previous keys are both accepted"
            );
        }
    }

    let again = s.cli(&["gateway", "rotate-session-key"]);
    assert_eq!(again["retired"], first_key.as_str(), "{again}");
    for g in gateways {
        let deadline = Instant::now() + Duration::from_secs(3);
        while fetch_uncovered(&client, &g.url, &minted[0].1).await.0 != 401 {
            assert!(
                Instant::now() < deadline,
                "{} still accepts a retired key",
                g.url
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            fetch_uncovered(&client, &g.url, &fresh[0]).await,
            (403, "not_covered".to_string()),
            "the previous key still opens"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_gateways_on_one_data_directory_share_and_rotate_the_session_key() {
    let s = setup(3600).await;
    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    let (g1, g2) = (s.gateway(&[]), s.gateway(&[]));
    sessions_across(&s, &secret, [&g1, &g2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_gateways_on_other_machines_share_and_rotate_the_session_key() {
    let Some(s) = setup_shared(3600).await else {
        lanyard_core::store::testing::skip(
            "gateway::two_gateways_on_other_machines_share_and_rotate_the_session_key",
            "PostgreSQL (secrets sealed in a shared database)",
            Some(lanyard_core::store::testing::POSTGRES_LATER_ENV),
        );
        return;
    };
    let lanyard_core::store::Location::Postgres(url) = s.lanyard.store().location().clone() else {
        unreachable!("setup_shared is PostgreSQL only");
    };
    let (pid, secret) = s.player("Screen");
    s.link(&pid);
    let machine = |dir: &Path| {
        let mut cmd = lanyard(dir);
        cmd.args(["--database", &url]).args(&s.secret_args);
        cmd
    };
    let (d2, d3) = (
        tempfile::tempdir().expect("d2"),
        tempfile::tempdir().expect("d3"),
    );
    let g2 = GatewayProcess::start(machine(d2.path()), &[]);
    let g3 = GatewayProcess::start(machine(d3.path()), &[]);
    sessions_across(&s, &secret, [&g2, &g3]).await;
    // The keys are sealed secrets: two in force, none in the clear in the database.
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM secret WHERE name LIKE '%session-key%'")
            .fetch_all(s.lanyard.store().pool())
            .await
            .expect("rows");
    assert_eq!(names.len(), 2, "{names:?}");
}
