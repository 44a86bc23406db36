//! The broker against the real `oidc-provider` (refresh-token rotation with reuse
//! detection): single-flight refresh in one process and across processes, denials the
//! moment a link, a player or a channel goes, a provider that is down, a refresh token
//! revoked at the provider, and a crash between the token response and the secret write.

use std::sync::Arc;

use lanyard_core::broker::grant::issue_grant;
use lanyard_core::broker::players::LICENSE;
use lanyard_core::clock::{Clock, FixedClock};
use lanyard_core::oauth::channel::keys;
use lanyard_core::oauth::channels;
use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};
use serde_json::Value;

use crate::oauth_server::{connect_alice, OauthServer, CLIENT_ID};
use crate::util::{lanyard_for, stdout_json};

/// An installation (file secret store, so CLI processes share it) with one channel.
struct Setup {
    _dir: tempfile::TempDir,
    server: OauthServer,
    lanyard: Lanyard,
    clock: Arc<FixedClock>,
    channel: String,
}

async fn setup(access_ttl: u64) -> Setup {
    let server = OauthServer::start(access_ttl);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::at(now()));
    let config = Config {
        database: lanyard_core::store::testing::database()
            .await
            .expect("database"),
        ..Config::new(dir.path().to_path_buf(), SecretStoreKind::File)
    };
    let lanyard = Lanyard::open_with(&config, clock.clone(), None)
        .await
        .expect("open");
    let channel = connect_alice(&lanyard, &server).await;
    Setup {
        _dir: dir,
        server,
        lanyard,
        clock,
        channel,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64
}

impl Setup {
    async fn refreshes(&self) -> i64 {
        self.server.counts().await["refresh_token"]
            .as_i64()
            .expect("count")
    }

    async fn refresh_token(&self) -> String {
        self.lanyard
            .secrets()
            .get(&keys::refresh(&self.channel))
            .await
            .expect("secret")
            .expect("stored")
            .expose()
            .to_string()
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        lanyard_for(&self.lanyard)
            .args(["--secret-store", "file", "--json"])
            .args(args)
            .output()
            .expect("run lanyard")
    }

    /// Runs a CLI command that changes access and waits until this process has heard of
    /// it: at once on SQLite (the epoch file), when the notification arrives on PostgreSQL.
    async fn cli_change(&self, args: &[&str]) -> std::process::Output {
        use lanyard_core::store::testing;
        let store = self.lanyard.store();
        testing::hearing(store, std::time::Duration::from_secs(5))
            .await
            .expect("listening");
        let before = store.access_epoch();
        let out = self.cli(args);
        testing::epoch_moves_from(store, before, std::time::Duration::from_secs(1))
            .await
            .unwrap_or_else(|e| panic!("this process never heard of `lanyard {args:?}`: {e}"));
        out
    }

    async fn status(&self) -> String {
        channels::show(&self.lanyard, &self.channel)
            .await
            .expect("channel")
            .status
            .as_str()
            .into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_grants_on_an_expired_token_share_one_refresh() {
    let s = setup(3600).await;
    let first = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect("grant");
    assert!(first.expires_at <= s.clock.now() + 15 * 60);
    assert!(first.expires_at <= first.provider_expires_at - 60);
    assert_eq!(s.refreshes().await, 0, "a fresh token needs no refresh");

    s.clock.advance(3600); // every cached token is now expired
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (l, c) = (s.lanyard.clone(), s.channel.clone());
            tokio::spawn(async move { issue_grant(&l, LICENSE, &c).await })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for task in tasks {
        let grant = task.await.expect("join").expect("grant");
        assert!(!grant.access_token.is_empty());
        tokens.insert(grant.access_token);
    }
    assert_eq!(tokens.len(), 1, "every caller gets the same token");
    assert!(
        !tokens.contains(&first.access_token),
        "a new token after expiry"
    );
    assert_eq!(
        s.refreshes().await,
        1,
        "exactly one refresh at the provider"
    );
    assert_eq!(s.status().await, "active");
    // Grants are audited (flushed in a batch), refreshes too; never a token.
    assert_eq!(
        s.lanyard
            .broker()
            .flush(s.lanyard.store())
            .await
            .expect("flush"),
        51
    );
    let events = s
        .lanyard
        .store()
        .audit_events(Some(&s.channel), None, 500)
        .await
        .expect("audit");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action.as_str() == "grant" && e.outcome.as_str() == "ok")
            .count(),
        51
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action.as_str() == "refresh" && e.outcome.as_str() == "ok")
            .count(),
        1
    );
    let dump = format!("{events:?}");
    assert!(!dump.contains(&first.access_token) && !dump.contains(&s.refresh_token().await));
}

/// A TCP proxy to `upstream` that holds the first connection until `release` is
/// notified; counts connections.
async fn holding_proxy(
    upstream: String,
) -> (
    u16,
    Arc<tokio::sync::Notify>,
    Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (release, seen) = (
        Arc::new(tokio::sync::Notify::new()),
        Arc::new(AtomicUsize::new(0)),
    );
    let (gate, count) = (release.clone(), seen.clone());
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let first = count.fetch_add(1, Ordering::SeqCst) == 0;
            let (gate, upstream) = (gate.clone(), upstream.clone());
            tokio::spawn(async move {
                if first {
                    gate.notified().await;
                }
                let mut outbound = tokio::net::TcpStream::connect(&upstream)
                    .await
                    .expect("upstream");
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (port, release, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_racing_on_an_expired_token_refresh_once() {
    use std::io::BufRead;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    // The provider's tokens live two minutes, so the slower process still finds the
    // refreshed one fresh however busy the machine is; the cached token is made to look
    // expired instead of waiting for it.
    let s = setup(120).await;
    sqlx::query("UPDATE channel SET access_token_expires_at = $1 WHERE id = $2")
        .bind(now() - 1)
        .bind(&s.channel)
        .execute(s.lanyard.store().pool())
        .await
        .expect("expire the cached token");
    // The token endpoint goes through a proxy that holds the first refresh request, so
    // the process that took the lease stays inside its refresh until released.
    let endpoint: String = sqlx::query_scalar(
        "SELECT p.token_endpoint FROM provider p JOIN channel c ON c.provider_id = p.id \
         WHERE c.id = $1",
    )
    .bind(&s.channel)
    .fetch_one(s.lanyard.store().pool())
    .await
    .expect("token endpoint");
    let mut url = url::Url::parse(&endpoint).expect("url");
    let upstream = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port_or_known_default().expect("port")
    );
    let (port, release, requests) = holding_proxy(upstream).await;
    url.set_port(Some(port)).expect("port");
    sqlx::query(
        "UPDATE provider SET token_endpoint = $1 WHERE id = \
         (SELECT provider_id FROM channel WHERE id = $2)",
    )
    .bind(url.as_str())
    .bind(&s.channel)
    .execute(s.lanyard.store().pool())
    .await
    .expect("proxy the token endpoint");

    // Each process logs its SQL; the channel's token state is read twice per attempt at
    // the lease, so a process that keeps reading it is waiting for a peer's lease.
    let reads = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let spawn = |i: usize| {
        let mut child = lanyard_for(&s.lanyard)
            .env("LANYARD_LOG", "sqlx::query=debug")
            .args([
                "--secret-store",
                "file",
                "--json",
                "grant",
                "--license",
                "--channel",
                &s.channel,
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let stderr = child.stderr.take().expect("stderr");
        let reads = reads.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                if line.is_ok_and(|l| l.contains("token_generation")) {
                    reads[i].fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        child
    };
    let (a, b) = (spawn(0), spawn(1));

    // The barrier: one process holds the lease with its refresh request held at the
    // provider, while the other is seen retrying the lease (not merely started).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = reads.iter().any(|r| r.load(Ordering::SeqCst) >= 20);
        if requests.load(Ordering::SeqCst) == 1 && waiting {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the two processes never overlapped: {} token requests, token-state reads {:?}",
            requests.load(Ordering::SeqCst),
            reads
                .iter()
                .map(|r| r.load(Ordering::SeqCst))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    release.notify_one();

    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    for out in [&a, &b] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let (ga, gb) = (stdout_json(&a), stdout_json(&b));
    assert_eq!(
        ga["access_token"], gb["access_token"],
        "both processes use one refresh"
    );
    assert!(ga.get("refresh_token").is_none());
    assert_eq!(requests.load(Ordering::SeqCst), 1, "one token request");
    assert_eq!(s.refreshes().await, 1);
    assert_eq!(s.server.counts().await["errors"], 0, "no invalid_grant");
    assert_eq!(s.status().await, "active");
}

#[tokio::test]
async fn unlink_remove_player_and_disconnect_deny_the_next_grant() {
    let s = setup(3600).await;
    let ok = |out: std::process::Output| -> Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        stdout_json(&out)
    };
    let denied = |out: std::process::Output, code: &str| {
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(stdout_json(&out)["code"], code);
    };
    let player = ok(s.cli(&["player", "add", "Lobby screen", "--serial", "SN-001"]));
    let pid = player["id"].as_str().expect("id").to_string();
    denied(
        s.cli(&["grant", "--player", &pid, "--channel", &s.channel]),
        "not_linked",
    );
    denied(
        s.cli(&["player", "add", "Twin", "--serial", "SN-001"]),
        "conflict",
    );
    ok(
        s.cli_change(&["link", "add", "--player", &pid, "--channel", &s.channel])
            .await,
    );
    let links = ok(s.cli(&["link", "list"]));
    assert_eq!(
        links.as_array().expect("links").len(),
        2,
        "license + player"
    );

    // This process (think: the app) holds a warm cache; the CLI changes links.
    issue_grant(&s.lanyard, &pid, &s.channel)
        .await
        .expect("grant");
    ok(
        s.cli_change(&["link", "remove", "--player", &pid, "--channel", &s.channel])
            .await,
    );
    let err = issue_grant(&s.lanyard, &pid, &s.channel)
        .await
        .expect_err("unlinked");
    assert_eq!(err.code(), "not_linked");

    ok(
        s.cli_change(&["link", "add", "--player", &pid, "--channel", &s.channel])
            .await,
    );
    issue_grant(&s.lanyard, &pid, &s.channel)
        .await
        .expect("relinked");
    ok(s.cli_change(&["player", "remove", &pid]).await);
    let err = issue_grant(&s.lanyard, &pid, &s.channel)
        .await
        .expect_err("removed");
    assert_eq!(err.code(), "unknown_principal");
    denied(
        s.cli(&["grant", "--player", &pid, "--channel", &s.channel]),
        "unknown_principal",
    );

    issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect("license grant");
    ok(s.cli_change(&["channel", "disconnect", &s.channel]).await);
    let err = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect_err("disconnected");
    assert_eq!(err.code(), "revoked");

    let audit = ok(s.cli(&["audit", "--channel", &s.channel]));
    let actions: Vec<_> = audit
        .as_array()
        .expect("audit")
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["action"].as_str().unwrap_or(""),
                e["outcome"].as_str().unwrap_or("")
            )
        })
        .collect();
    for expected in [
        "link:ok",
        "unlink:ok",
        "grant:denied",
        "disconnect:ok",
        "connect:ok",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn provider_down_serves_cached_grants_then_recovers() {
    let s = setup(3600).await;
    let first = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect("grant");
    s.server.set_token_endpoint_down(true).await;
    let cached = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect("cached grant");
    assert_eq!(cached.access_token, first.access_token);

    s.clock.advance(3600);
    let err = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect_err("down");
    assert_eq!(err.code(), "provider_unavailable", "{err}");
    assert_eq!(
        s.status().await,
        "active",
        "a provider outage never changes the status"
    );
    let channel = channels::show(&s.lanyard, &s.channel)
        .await
        .expect("channel");
    assert!(channel.last_error.expect("last error").contains("503"));

    s.server.set_token_endpoint_down(false).await;
    let recovered = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect("recovered");
    assert_ne!(recovered.access_token, first.access_token);
    assert!(channels::show(&s.lanyard, &s.channel)
        .await
        .expect("c")
        .last_error
        .is_none());
}

#[tokio::test]
async fn a_refresh_token_revoked_at_the_provider_means_needs_reauth() {
    let s = setup(3600).await;
    s.server.revoke(&s.refresh_token().await).await;
    s.clock.advance(3600);
    let err = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect_err("revoked");
    assert_eq!(err.code(), "needs_reauth");
    assert_eq!(s.status().await, "needs_reauth");
    // The tray's next check (the reminder schedule) lists it at once.
    let schedule = lanyard_core::reminders::current(&s.lanyard)
        .await
        .expect("schedule");
    assert_eq!(schedule.reminders.len(), 1);
    assert_eq!(schedule.reminders[0].channel_id, s.channel);
    assert_eq!(
        schedule.reminders[0].level,
        lanyard_core::reminders::Level::NeedsReauth
    );
    let errors = s.server.counts().await["errors"].as_i64().expect("errors");
    // No loop of failed refreshes: later grants are denied without asking the provider.
    for _ in 0..3 {
        let err = issue_grant(&s.lanyard, LICENSE, &s.channel)
            .await
            .expect_err("still");
        assert_eq!(err.code(), "needs_reauth");
    }
    assert_eq!(s.server.counts().await["errors"].as_i64(), Some(errors));
}

#[tokio::test]
async fn a_crash_between_token_response_and_secret_write_never_loops() {
    let s = setup(3600).await;
    // A process refreshed (the provider rotated the token) and died before saving the
    // new one, holding the lease: simulate both.
    let stale = s.refresh_token().await;
    let rotated = reqwest::Client::new()
        .post(format!("{}/token", s.server.issuer))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &stale),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await
        .expect("refresh");
    assert!(rotated.status().is_success());
    // No such pid, in this process's pid space (the lease is timed by the database's
    // clock on PostgreSQL, so only the dead owner lets it be taken over at once).
    let dead_owner = format!("4194303:{}:deadbeef", lanyard_core::broker::lease_host());
    s.lanyard
        .store()
        .take_lease(&s.channel, &dead_owner, s.clock.now(), 60, |_| true)
        .await
        .expect("lease");

    s.clock.advance(3600);
    let err = issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect_err("stale token");
    assert_eq!(err.code(), "needs_reauth", "{err}");
    assert_eq!(s.status().await, "needs_reauth");
    let before = s.server.counts().await;
    for _ in 0..3 {
        assert_eq!(
            issue_grant(&s.lanyard, LICENSE, &s.channel)
                .await
                .expect_err("denied")
                .code(),
            "needs_reauth"
        );
    }
    assert_eq!(
        s.server.counts().await,
        before,
        "no further refresh attempts"
    );
}

#[tokio::test]
async fn idle_channels_get_a_keep_alive_refresh() {
    let s = setup(3600).await;
    assert_eq!(
        lanyard_core::broker::refresh::keep_alive(&s.lanyard)
            .await
            .expect("ka"),
        0
    );
    s.clock.advance(25 * 3600);
    assert_eq!(
        lanyard_core::broker::refresh::keep_alive(&s.lanyard)
            .await
            .expect("ka"),
        1
    );
    assert_eq!(s.refreshes().await, 1);
    assert_eq!(
        lanyard_core::broker::refresh::keep_alive(&s.lanyard)
            .await
            .expect("ka"),
        0
    );
    assert_eq!(s.status().await, "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_shared_database_a_process_without_the_master_token_flips_nothing() {
    let s = setup(3600).await;
    let lanyard_core::store::Location::Postgres(url) = s.lanyard.store().location().clone() else {
        lanyard_core::store::testing::skip(
            "broker::on_a_shared_database_a_process_without_the_master_token_flips_nothing",
            "PostgreSQL (on SQLite a missing master token means re-authorize, tested elsewhere)",
            Some(lanyard_core::store::testing::POSTGRES_LATER_ENV),
        );
        return;
    };
    // A second machine's gateway whose secret store was never given the master token.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let out = crate::util::lanyard(elsewhere.path())
        .args(["--secret-store", "file", "--json", "--database", &url])
        .args(["grant", "--license", "--channel", &s.channel])
        .output()
        .expect("run lanyard");
    assert_eq!(out.status.code(), Some(1));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "secret_store_unavailable", "{err}");
    assert!(!err.to_string().contains("postgres://"), "{err}");
    assert_eq!(s.status().await, "active", "the shared status is untouched");
    // The installation that holds it still gets grants.
    issue_grant(&s.lanyard, LICENSE, &s.channel)
        .await
        .expect("grant where the master token is");
}

#[tokio::test]
async fn on_postgres_a_lease_is_timed_by_the_database_clock() {
    use lanyard_core::store::tokens::Lease;
    let s = setup(3600).await;
    if s.lanyard.store().backend() != lanyard_core::store::Backend::Postgres {
        eprintln!("SQLite: one machine, one clock");
        return;
    }
    let store = s.lanyard.store();
    let taken = store
        .take_lease(&s.channel, "1:another-machine:abc", now(), 60, |_| true)
        .await
        .expect("lease");
    assert!(matches!(taken, Lease::Taken(_)));
    // This machine's clock runs an hour ahead: by its clock the lease ran out long ago,
    // by the database's it holds for a minute more.
    let again = store
        .take_lease(&s.channel, "2:this-machine:def", now() + 3600, 60, |_| true)
        .await
        .expect("lease");
    assert!(
        matches!(again, Lease::Held(_)),
        "a skewed clock took a live lease"
    );
}
