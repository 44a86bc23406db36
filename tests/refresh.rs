//! Refresh under slow and failing providers and secret stores (issue 17): a rotated
//! refresh token the secret store refuses is kept and saved later; a slow token endpoint
//! never lets a second process refresh with the same token; callers waiting for a failed
//! refresh share its answer; a blocked keyring never holds another process's writes.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use lanyard_core::broker::grant::issue_grant;
use lanyard_core::broker::lease::RefreshTimings;
use lanyard_core::broker::players::LICENSE;
use lanyard_core::clock::{Clock, FixedClock, SystemClock};
use lanyard_core::error::Result;
use lanyard_core::oauth::channel::keys;
use lanyard_core::oauth::channels;
use lanyard_core::secrets::memory::MemoryStore;
use lanyard_core::secrets::{SecretStore, SecretStoreKind, SecretValue, Secrets};
use lanyard_core::{Config, Lanyard};

use crate::oauth_server::{connect_alice, OauthServer};

/// A memory store whose next `n` writes of a refresh token fail (a keyring that refuses).
#[derive(Debug, Default)]
struct Flaky {
    inner: MemoryStore,
    refresh_failures: AtomicU32,
    refresh_read_failures: AtomicU32,
}

/// A memory store whose refresh-token writes block while the gate is closed (a keyring showing an unlock
/// prompt); `blocked` tells that a write is waiting.
#[derive(Debug, Default)]
struct Gated {
    inner: MemoryStore,
    closed: Mutex<bool>,
    opened: Condvar,
    blocked: AtomicBool,
}

impl Gated {
    fn close(&self) {
        *self.closed.lock().expect("gate") = true;
    }

    fn open(&self) {
        *self.closed.lock().expect("gate") = false;
        self.opened.notify_all();
    }
}

macro_rules! delegate {
    () => {
        fn kind(&self) -> SecretStoreKind {
            SecretStoreKind::Memory
        }
        fn delete(&self, key: &str) -> Result<()> {
            self.inner.delete(key)
        }
        fn check(&self) -> Result<()> {
            self.inner.check()
        }
        fn describe(&self) -> String {
            "test store".into()
        }
    };
}

fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok()
}

impl SecretStore for Flaky {
    delegate!();
    fn get(&self, key: &str) -> Result<Option<SecretValue>> {
        if key.ends_with("/refresh") && take_one(&self.refresh_read_failures) {
            return Err(lanyard_core::Error::SecretStoreUnavailable(
                "the keyring is locked (test)".into(),
            ));
        }
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        let failing = key.ends_with("/refresh")
            && self
                .refresh_failures
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok();
        if failing {
            return Err(lanyard_core::Error::SecretStoreUnavailable(
                "the keyring is locked (test)".into(),
            ));
        }
        self.inner.set(key, value)
    }
}

impl SecretStore for Gated {
    delegate!();
    fn get(&self, key: &str) -> Result<Option<SecretValue>> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        let mut closed = self.closed.lock().expect("gate");
        while *closed && key.ends_with("/refresh") {
            self.blocked.store(true, Ordering::Release);
            closed = self.opened.wait(closed).expect("gate");
        }
        drop(closed);
        self.inner.set(key, value)
    }
}

async fn open(dir: &std::path::Path, clock: Arc<dyn Clock>, secrets: Option<Secrets>) -> Lanyard {
    let config = Config::new(dir.to_path_buf(), SecretStoreKind::File);
    Lanyard::open_with(&config, clock, secrets)
        .await
        .expect("open")
}

fn now() -> i64 {
    SystemClock.now()
}

async fn expire_access_token(l: &Lanyard, channel: &str) {
    sqlx::query("UPDATE channel SET access_token_expires_at = $1 WHERE id = $2")
        .bind(now() - 1)
        .bind(channel)
        .execute(l.store().pool())
        .await
        .expect("expire the cached token");
}

async fn count(server: &OauthServer, what: &str) -> i64 {
    server.counts().await[what].as_i64().expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_refresh_token_survives_a_secret_store_that_fails_twice() {
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::at(now()));
    let flaky = Arc::new(Flaky::default());
    let secrets = Secrets::new(flaky.clone(), "t");
    let l = open(dir.path(), clock.clone(), Some(secrets)).await;
    l.broker().set_timings(RefreshTimings {
        save_retry: Duration::from_millis(100),
        ..RefreshTimings::default()
    });
    let channel = connect_alice(&l, &server).await;
    let before = l
        .secrets()
        .get(&keys::refresh(&channel))
        .await
        .expect("get")
        .expect("stored");

    flaky.refresh_failures.store(2, Ordering::Release);
    clock.advance(3600);
    let grant = issue_grant(&l, LICENSE, &channel)
        .await
        .expect("the new access token is served although its refresh token is unsaved");
    let shown = channels::show(&l, &channel).await.expect("channel");
    assert_eq!(shown.status.as_str(), "active");
    // Saved on the retries (the second fails, the third lands).
    let started = std::time::Instant::now();
    loop {
        let stored = l
            .secrets()
            .get(&keys::refresh(&channel))
            .await
            .expect("get");
        if stored.is_some_and(|s| s.expose() != before.expose()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the rotated token never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(flaky.refresh_failures.load(Ordering::Acquire), 0);
    // The warning clears once it is saved (the lease is released with it).
    let started = std::time::Instant::now();
    while channels::show(&l, &channel)
        .await
        .expect("c")
        .last_error
        .is_some()
    {
        assert!(started.elapsed() < Duration::from_secs(5), "warning stays");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(l.broker().unsaved_channels().is_empty());

    // The next refresh uses the saved, rotated token: no reuse at the provider.
    clock.advance(3600);
    let next = issue_grant(&l, LICENSE, &channel).await.expect("next");
    assert_ne!(next.access_token, grant.access_token);
    assert_eq!(count(&server, "refresh_token").await, 2);
    assert_eq!(count(&server, "errors").await, 0, "no invalid_grant");
    let shown = channels::show(&l, &channel).await.expect("channel");
    assert_eq!(shown.status.as_str(), "active");
    assert_eq!(shown.last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_a_rotated_token_is_unsaved_the_store_warns_and_peers_wait() {
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::at(now()));
    let flaky = Arc::new(Flaky::default());
    let l = open(
        dir.path(),
        clock.clone(),
        Some(Secrets::new(flaky.clone(), "t")),
    )
    .await;
    let channel = connect_alice(&l, &server).await;
    flaky.refresh_failures.store(u32::MAX, Ordering::Release);
    clock.advance(3600);
    issue_grant(&l, LICENSE, &channel).await.expect("served");
    let shown = channels::show(&l, &channel).await.expect("channel");
    assert_eq!(shown.status.as_str(), "active");
    let warning = shown.last_error.expect("a warning");
    assert!(warning.contains("could not save"), "{warning}");
    assert_eq!(l.broker().unsaved_channels(), vec![channel.clone()]);
    // The status the app's Settings page and tray read says so too.
    assert_eq!(
        l.status().await.expect("status").unsaved_master_tokens,
        vec![channel.clone()]
    );
    // This process keeps the lease, so no other process refreshes with the stale token.
    let st = l.store().token_state(&channel).await.expect("state");
    assert_eq!(st.lease_owner.as_deref(), Some(l.broker().owner()));
    // And its own next refresh uses the unsaved token: no reuse at the provider.
    clock.advance(3600);
    issue_grant(&l, LICENSE, &channel).await.expect("again");
    assert_eq!(count(&server, "refresh_token").await, 2);
    assert_eq!(count(&server, "errors").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_token_endpoint_never_lets_a_second_process_refresh() {
    // Scaled down: a 4 s lease, a token endpoint answering after 7 s (the real ones: 60 s
    // and a provider taking 70 s). Leases count whole seconds, so a 4 s lease renewed every
    // 1.3 s keeps over a second of slack on a busy machine. Two installations on one data directory stand for two
    // processes (each has its own lease owner and connections).
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open(dir.path(), Arc::new(SystemClock), None).await;
    let b = open(dir.path(), Arc::new(SystemClock), None).await;
    let timings = RefreshTimings {
        lease: Duration::from_secs(4),
        ..RefreshTimings::default()
    };
    a.broker().set_timings(timings);
    b.broker().set_timings(timings);
    let channel = connect_alice(&a, &server).await;
    expire_access_token(&a, &channel).await;
    server.set_token_delay(7_000).await;
    let calls = count(&server, "token_calls").await;

    let first = {
        let (a, c) = (a.clone(), channel.clone());
        tokio::spawn(async move { issue_grant(&a, LICENSE, &c).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = issue_grant(&b, LICENSE, &channel).await.expect("b's grant");
    let first = first.await.expect("join").expect("a's grant");
    assert_eq!(
        first.access_token, second.access_token,
        "one refresh for both"
    );
    assert_eq!(
        count(&server, "token_calls").await - calls,
        1,
        "one call at the provider"
    );
    assert_eq!(
        count(&server, "errors").await,
        0,
        "no reuse of a rotated token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_callers_against_a_failing_endpoint_make_at_most_three_calls() {
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::at(now()));
    let l = open(dir.path(), clock.clone(), None).await;
    let channel = connect_alice(&l, &server).await;
    server.set_token_endpoint_down(true).await;
    let calls = count(&server, "token_calls").await;
    clock.advance(3600);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (l, c) = (l.clone(), channel.clone());
            tokio::spawn(async move { issue_grant(&l, LICENSE, &c).await })
        })
        .collect();
    for task in tasks {
        let err = task.await.expect("join").expect_err("down");
        assert_eq!(err.code(), "provider_unavailable", "{err}");
    }
    let made = count(&server, "token_calls").await - calls;
    assert!(made <= 3, "{made} calls at a provider that is down");
    // A caller that comes later tries again (and the provider is back).
    server.set_token_endpoint_down(false).await;
    issue_grant(&l, LICENSE, &channel).await.expect("recovered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_blocked_keyring_never_holds_another_process_writes() {
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let gated = Arc::new(Gated::default());
    let a = open(
        dir.path(),
        Arc::new(SystemClock),
        Some(Secrets::new(gated.clone(), "t")),
    )
    .await;
    let b = open(dir.path(), Arc::new(SystemClock), None).await;
    let channel = connect_alice(&a, &server).await;
    expire_access_token(&a, &channel).await;

    // A refresh whose secret write waits on an unlock prompt…
    gated.close();
    let refresh = {
        let (a, c) = (a.clone(), channel.clone());
        tokio::spawn(async move { issue_grant(&a, LICENSE, &c).await })
    };
    let started = std::time::Instant::now();
    while !gated.blocked.load(Ordering::Acquire) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // …while another process writes: it must not wait for the prompt.
    let write = tokio::time::timeout(
        Duration::from_secs(3),
        lanyard_core::broker::players::add_player(&b, "lobby", None),
    )
    .await;
    gated.open();
    write
        .expect("the other process's write waited for the keyring")
        .expect("player added");
    refresh.await.expect("join").expect("grant");

    // The same for a sign-in (re-authorization) whose secret write blocks.
    gated.close();
    gated.blocked.store(false, Ordering::Release);
    let reconnect = {
        let (a, s) = (a.clone(), server.issuer.clone());
        tokio::spawn(async move { reauthorize(&a, &s).await })
    };
    let started = std::time::Instant::now();
    while !gated.blocked.load(Ordering::Acquire) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let write = tokio::time::timeout(
        Duration::from_secs(3),
        lanyard_core::broker::players::add_player(&b, "hall", None),
    )
    .await;
    gated.open();
    write
        .expect("the other process's write waited for the keyring")
        .expect("player added");
    reconnect.await.expect("join");
}

/// Signs alice in again through the provider `connect_alice` added.
async fn reauthorize(l: &Lanyard, issuer: &str) {
    use lanyard_core::oauth::flow;
    let provider = l
        .store()
        .providers()
        .await
        .expect("providers")
        .into_iter()
        .find(|p| p.issuer.as_deref() == Some(issuer))
        .expect("provider");
    let started = flow::begin(l, &provider.id, None, flow::deep_link_redirect_uri())
        .await
        .expect("begin");
    let callback = crate::oauth_server::sign_in(
        &started.authorization_url,
        "alice",
        crate::oauth_server::Answer::Consent,
    )
    .await;
    let connected = flow::complete(l, &callback).await.expect("reconnect");
    assert!(connected.reauthorized);
}

/// A TCP proxy to `upstream` that loses the answers on its first `lose` connections: the
/// request reaches the server, the connection is closed once the server has answered,
/// and the answer never reaches the client.
async fn lossy_proxy(upstream: std::net::SocketAddr, lose: usize) -> String {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut client, _)) = listener.accept().await {
            n += 1;
            let lost = n <= lose;
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if !lost {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    return;
                }
                let (mut from_client, _to_client) = client.split();
                let (mut from_server, mut to_server) = server.split();
                let forward = tokio::io::copy(&mut from_client, &mut to_server);
                let mut answer = [0u8; 1];
                tokio::select! {
                    _ = forward => {}
                    _ = from_server.read(&mut answer) => {}
                }
                // Both sockets close here: the answer is lost.
            });
        }
    });
    format!("http://{address}/token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_token_response_then_invalid_grant_asks_for_reauthorization_once() {
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::at(now()));
    let l = open(dir.path(), clock.clone(), None).await;
    let channel = connect_alice(&l, &server).await;
    let upstream: std::net::SocketAddr = server
        .issuer
        .trim_start_matches("http://")
        .parse()
        .expect("issuer address");
    let provider = l.store().channel(&channel).await.expect("c").provider_id;
    sqlx::query("UPDATE provider SET token_endpoint = $1 WHERE id = $2")
        .bind(lossy_proxy(upstream, 1).await)
        .bind(&provider)
        .execute(l.store().pool())
        .await
        .expect("route the token endpoint through the proxy");

    // The provider rotates the refresh token, its answer is lost; the retry presents the
    // rotated-out token and is refused.
    clock.advance(3600);
    let err = issue_grant(&l, LICENSE, &channel)
        .await
        .expect_err("the rotated token is gone");
    assert_eq!(err.code(), "needs_reauth", "{err}");
    assert_eq!(count(&server, "refresh_token").await, 1, "the lost one");
    assert!(count(&server, "errors").await >= 1, "the retry was refused");
    let shown = channels::show(&l, &channel).await.expect("channel");
    assert_eq!(shown.status.as_str(), "needs_reauth");
    assert!(shown
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("re-authorize")));
    // And no loop: later grants are refused without asking the provider.
    let calls = count(&server, "token_calls").await;
    for _ in 0..3 {
        let err = issue_grant(&l, LICENSE, &channel).await.expect_err("still");
        assert_eq!(err.code(), "needs_reauth");
    }
    assert_eq!(count(&server, "token_calls").await, calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_fails_early_releases_its_lease() {
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::at(now()));
    let flaky = Arc::new(Flaky::default());
    let l = open(
        dir.path(),
        clock.clone(),
        Some(Secrets::new(flaky.clone(), "t")),
    )
    .await;
    let channel = connect_alice(&l, &server).await;
    // The master token cannot be read (a locked keyring): the refresh stops early…
    flaky.refresh_read_failures.store(1, Ordering::Release);
    clock.advance(3600);
    let err = issue_grant(&l, LICENSE, &channel)
        .await
        .expect_err("locked");
    assert_eq!(err.code(), "secret_store_unavailable", "{err}");
    // …and gives the lease up at once (no peer waits for it to run out).
    let st = l.store().token_state(&channel).await.expect("state");
    assert_eq!(
        st.lease_owner, None,
        "the lease outlived the failed refresh"
    );
    assert_eq!(
        st.status,
        lanyard_core::oauth::channel::ChannelStatus::Active
    );
    issue_grant(&l, LICENSE, &channel)
        .await
        .expect("unlocked again");
}
