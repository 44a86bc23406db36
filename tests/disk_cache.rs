//! The disk copy of the last good answers (issue 28 item 2), against the real `lanyard
//! gateway serve` process and a local upstream that can be stopped: a gateway restarted
//! mid-outage serves its disk copy, marked stale like any stale answer; a tampered, moved
//! or foreign file is refused, logged and deleted, never served; the files are deleted
//! (not merely unreachable) once access is cut — by another process while the gateway
//! runs, or while it was down; `--no-disk-cache` writes nothing; the byte bound evicts the
//! least recently used.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path as Route, State};
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

/// The upstream: `/api/<name>` answers `<name> v1` (`no-cache`), `/api/big<n>` 100 KiB;
/// 503 while down.
#[derive(Default)]
pub(crate) struct Upstream {
    pub(crate) down: AtomicBool,
}

async fn route(State(up): State<Arc<Upstream>>, Route(name): Route<String>) -> Response {
    let close = [("connection", "close")];
    if up.down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, close, "down").into_response();
    }
    let body = if name.starts_with("big") {
        format!("{name} ").repeat(100 * 1024 / (name.len() + 1))
    } else {
        format!("{name} v1")
    };
    (close, [("cache-control", "no-cache")], body).into_response()
}

/// The token endpoint: every refresh succeeds.
async fn token() -> Response {
    axum::Json(serde_json::json!({
        "access_token": "access-token-2",
        "token_type": "Bearer",
        "expires_in": 3600,
    }))
    .into_response()
}

pub(crate) struct Env {
    dir: tempfile::TempDir,
    pub(crate) l: Lanyard,
    pub(crate) up: Arc<Upstream>,
    server: tokio::task::JoinHandle<()>,
    pub(crate) base: String,
    pub(crate) channel: String,
    process: Option<GatewayProcess>,
    gateway: String,
    flags: Vec<String>,
}

/// Refused as without any copy: the upstream's failure, nothing stale.
fn assert_not_stale(a: &Answered) {
    assert_ne!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("x-lanyard-stale"), None, "{:?}", a.headers);
    assert!(!a.body.contains(" v1"), "{}", a.body);
}

/// An installation with a channel whose API base is the local upstream (its token
/// endpoint there too), and a gateway process over it started with `flags`.
pub(crate) async fn build(flags: &[&str]) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
    let l = Lanyard::open_with(&config, Arc::new(SystemClock), None)
        .await
        .expect("open");
    let up = Arc::new(Upstream::default());
    let app = Router::new()
        .route("/api/{name}", get(route))
        .route("/token", axum::routing::post(token))
        .with_state(up.clone());
    let (base, server) = serve(app).await;
    let channel = seed_channel_for(
        &l,
        &format!("{base}/token"),
        "access-token",
        SystemClock.now() + 3600,
        "refresh-token",
        vec![format!("{base}/api/")],
    )
    .await
    .expect("seed");
    let mut env = Env {
        dir,
        l,
        up,
        server,
        base,
        channel,
        process: None,
        gateway: String::new(),
        flags: flags.iter().map(|f| f.to_string()).collect(),
    };
    env.start();
    env
}

impl Env {
    fn start(&mut self) {
        let mut cmd = crate::util::lanyard(self.dir.path());
        cmd.args(["--secret-store", "file"]);
        let mut extra = vec![
            "--stale-deadline",
            "1s",
            "--fetch-rate",
            "1000",
            "--fetch-burst",
            "1000",
        ];
        extra.extend(self.flags.iter().map(String::as_str));
        let process = GatewayProcess::start(cmd, &extra);
        self.gateway = process.url.clone();
        self.process = Some(process);
    }

    /// Stops the gateway (SIGTERM) and returns what it logged.
    fn stop(&mut self) -> String {
        let (_, _, stderr) = self.process.take().expect("running").terminate();
        stderr
    }

    fn restart(&mut self) {
        self.stop();
        self.start();
    }

    /// Nothing answers at the upstream's address any more.
    async fn stop_upstream(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
    }

    fn folder(&self) -> PathBuf {
        self.dir.path().join(lanyard_gateway::disk_cache::DIR)
    }

    /// The cache's files, sorted.
    fn files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(self.folder())
            .map(|d| d.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default();
        out.retain(|p| p.extension().is_some_and(|e| e == "lyc"));
        out.sort();
        out
    }

    /// Waits until the cache holds `n` files (writes are tasks of their own).
    async fn until_files(&self, n: usize) -> Vec<PathBuf> {
        let started = Instant::now();
        loop {
            let files = self.files();
            if files.len() == n {
                return files;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{} files, not {n}: {files:?}",
                files.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new player linked to the channel: (id, secret).
    pub(crate) async fn player(&self, name: &str) -> (String, String) {
        linked_player(&self.l, &self.channel, name).await
    }

    pub(crate) async fn get(&self, bearer: &str, route: &str) -> Answered {
        fetch(&self.gateway, bearer, &format!("{}/api/{route}", self.base)).await
    }

    /// `route` answered fresh once, and its copy written: the new file.
    async fn warm(&self, bearer: &str, route: &str) -> PathBuf {
        let before = self.files();
        let a = self.get(bearer, route).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.header("x-lanyard-stale"), None);
        let after = self.until_files(before.len() + 1).await;
        after
            .into_iter()
            .find(|f| !before.contains(f))
            .expect("a new file")
    }
}

/// Whether `needle` appears in `file`'s bytes.
fn contains(file: &Path, needle: &str) -> bool {
    let bytes = std::fs::read(file).expect("read");
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_restarted_mid_outage_serves_its_disk_copy_stale() {
    let mut e = build(&[]).await;
    let (_, secret) = e.player("screen").await;
    let file = e.warm(&secret, "menu").await;
    // Sealed: neither the data, nor the URL, nor the credential's name can be read.
    for plain in ["menu v1", "/api/menu", "127.0.0.1", &e.channel] {
        assert!(!contains(&file, plain), "{plain:?} in {}", file.display());
        assert!(!file.display().to_string().contains(plain));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&e.folder()), 0o700);
    }
    // The key is in the secret store, not beside the files.
    let key =
        e.l.secrets()
            .get(lanyard_gateway::disk_cache::KEY_NAME)
            .await
            .expect("secrets")
            .expect("the disk cache key");
    for f in walk(e.dir.path()) {
        if f.file_name().is_some_and(|n| n == "secrets") {
            continue;
        }
        assert!(!contains(&f, key.expose()), "the key in {}", f.display());
    }

    // The upstream goes away, then the gateway restarts.
    e.stop_upstream().await;
    e.restart();
    e.get(&secret, "menu")
        .await
        .assert_stale("menu v1", "upstream_unreachable");
    // Kept in memory again: served without the disk, and still marked.
    e.get(&secret, "menu")
        .await
        .assert_stale("menu v1", "upstream_unreachable");
    // A feed never fetched has nothing to show.
    assert_not_stale(&e.get(&secret, "never").await);
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_moved_or_foreign_disk_copy_is_refused_and_logged() {
    let mut e = build(&[]).await;
    let (_, secret) = e.player("screen").await;
    let tampered = e.warm(&secret, "tampered").await;
    let moved = e.warm(&secret, "moved").await;
    let target = e.warm(&secret, "target").await;
    let truncated = e.warm(&secret, "truncated").await;
    e.stop();
    // One bit of the body flipped.
    let mut bytes = std::fs::read(&tampered).expect("read");
    let last = bytes.len() - 20;
    bytes[last] ^= 1;
    std::fs::write(&tampered, bytes).expect("write");
    // One key's file under another key's name.
    std::fs::rename(&moved, &target).expect("move");
    // Cut short.
    let bytes = std::fs::read(&truncated).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    // Shaped like one of its files, named like one, sealed under no key of this
    // installation.
    let foreign = e.folder().join(format!("{}.lyc", "ab".repeat(32)));
    let mut bytes = b"LYDC\x01".to_vec();
    bytes.extend_from_slice(&[0; 12]);
    bytes.extend_from_slice(&64u32.to_le_bytes());
    bytes.extend_from_slice(&[7; 64]);
    bytes.extend_from_slice(&[0; 12]);
    bytes.extend_from_slice(&[1; 32]);
    std::fs::write(&foreign, bytes).expect("write");

    e.up.down.store(true, Ordering::SeqCst);
    e.start();
    // The moved, truncated and foreign files were refused when read at startup; the
    // tampered body when the copy is needed.
    for route in ["tampered", "moved", "target", "truncated"] {
        let a = e.get(&secret, route).await;
        assert_eq!(a.status, 503, "{route}: {}", a.body);
        assert_not_stale(&a);
    }
    let log = e.stop();
    let refused = log
        .lines()
        .filter(|l| l.contains("disk cache file") && l.contains("refused"))
        .count();
    assert_eq!(refused, 4, "{log}");
    for (file, why) in [
        (&target, "under its own name"),
        (&foreign, "from another installation"),
        (&truncated, "truncated"),
        (&tampered, "the body does not open"),
    ] {
        let name = file.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            log.lines().any(|l| l.contains(name) && l.contains(why)),
            "{name}: {why}: {log}"
        );
        assert!(!file.exists(), "{} deleted", file.display());
    }
    // No URL in the log lines.
    assert!(!log.contains("/api/"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_disk_copy_is_deleted_when_access_is_cut() {
    let mut e = build(&[]).await;
    let (unlinked, unlinked_secret) = e.player("unlinked").await;
    let (rotated, rotated_secret) = e.player("rotated").await;
    let (removed, removed_secret) = e.player("removed").await;
    // Each player alone on a channel of its own (a copy is deleted when any screen that
    // could read it loses access: here exactly one).
    let channels: Vec<String> = {
        let mut out = Vec::new();
        for (player, route) in [(&unlinked, "u"), (&rotated, "r"), (&removed, "x")] {
            players::unlink(&e.l, player, &e.channel)
                .await
                .expect("unlink");
            let c = seed_channel_for(
                &e.l,
                "http://127.0.0.1:9/token",
                "access-token",
                SystemClock.now() + 3600,
                "refresh-token",
                vec![format!("{}/api/{route}", e.base)],
            )
            .await
            .expect("seed");
            players::link(&e.l, player, &c).await.expect("link");
            out.push(c);
        }
        out
    };
    let (_, disconnected_secret) = e.player("disconnected").await;
    let u = e.warm(&unlinked_secret, "u").await;
    let r = e.warm(&rotated_secret, "r").await;
    let x = e.warm(&removed_secret, "x").await;
    let d = e.warm(&disconnected_secret, "d").await;

    // Another process cuts access while the gateway runs: the files go.
    let gone = |f: &PathBuf| {
        let f = f.clone();
        async move {
            let started = Instant::now();
            while f.exists() {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "{} still there",
                    f.display()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let out = crate::util::run(crate::util::lanyard_for(&e.l).args([
        "--json",
        "link",
        "remove",
        "--player",
        &unlinked,
        "--channel",
        &channels[0],
    ]));
    assert!(out.status.success(), "{out:?}");
    gone(&u).await;
    assert!(r.exists() && x.exists() && d.exists(), "only that copy");
    rotate_secret(&e.l, &rotated).await.expect("rotate");
    gone(&r).await;
    lanyard_core::oauth::channels::disconnect(&e.l, &e.channel)
        .await
        .expect("disconnect");
    gone(&d).await;
    assert!(x.exists());

    // While the gateway is down: deleted at its start, before it serves.
    e.stop();
    remove_player(&e.l, &removed).await.expect("remove");
    assert!(x.exists());
    e.start();
    assert!(!x.exists(), "deleted at startup");
    assert_eq!(e.files(), Vec::<PathBuf>::new());
    let _ = e.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_disk_cache_writes_nothing() {
    let mut e = build(&["--no-disk-cache"]).await;
    let (_, secret) = e.player("screen").await;
    let a = e.get(&secret, "menu").await;
    assert_eq!((a.status, a.body.as_str()), (200, "menu v1"));
    e.up.down.store(true, Ordering::SeqCst);
    // Stale from memory as before…
    e.get(&secret, "menu")
        .await
        .assert_stale("menu v1", "upstream_error");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // …with nothing on disk, and no key made for it.
    assert!(!e.folder().exists(), "{:?}", walk(e.dir.path()));
    assert!(e
        .l
        .secrets()
        .get(lanyard_gateway::disk_cache::KEY_NAME)
        .await
        .expect("secrets")
        .is_none());
    // So a restart has nothing to show.
    e.restart();
    assert_not_stale(&e.get(&secret, "menu").await);
    // A size of 0 is refused (--no-disk-cache says it).
    let out = crate::util::run(crate::util::lanyard(e.dir.path()).args([
        "--json",
        "gateway",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--disk-cache-size",
        "0",
    ]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-disk-cache"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_byte_bound_evicts_the_least_recently_used() {
    // 1 MiB: ten answers of 100 KiB at most.
    let mut e = build(&["--disk-cache-size", "1"]).await;
    let (_, secret) = e.player("screen").await;
    for i in 0..10 {
        e.warm(&secret, &format!("big{i}")).await;
    }
    // The eleventh answer pushes the least recently used out: big0's.
    let first = e.files();
    let a = e.get(&secret, "big10").await;
    assert_eq!(a.status, 200);
    let started = Instant::now();
    while e.files().len() == 10 && e.files() == first {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nothing written"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let total: u64 = e
        .files()
        .iter()
        .map(|f| std::fs::metadata(f).expect("meta").len())
        .sum();
    assert!(total <= 1024 * 1024, "{total} bytes on disk");
    assert!(e.files().len() < 11);

    // After a restart mid-outage: the newest is there, the oldest was evicted.
    e.stop_upstream().await;
    e.restart();
    let newest = e.get(&secret, "big10").await;
    assert_eq!(newest.header("x-lanyard-cache").as_deref(), Some("stale"));
    assert!(newest.body.starts_with("big10 "));
    assert_not_stale(&e.get(&secret, "big0").await);
    let _ = e.stop();
}
