//! The access epoch: 16 bytes that change after every committed change that can alter who
//! may use which channel or what a request carries — players, links, channel status,
//! channels, providers, URL tokens, permission decisions. Any process can cache access
//! decisions and revalidate them by comparing epochs instead of querying the database, and
//! still see another process's change on its very next use.
//!
//! - **SQLite**: a file next to the database. The writer marks it "changing" (a marker
//!   naming the writer) inside its transaction, before the commit, and replaces the marker
//!   with a new random epoch after the commit returns; the reader reads it before it reads
//!   the database (on Unix from a shared mapping of the file, two atomic loads:
//!   `store/epoch_map.rs`; on Windows one `pread`), and trusts nothing while it holds a
//!   marker. A crash between the commit and the new epoch therefore leaves the marker:
//!   every process revalidates on every use (slower, never wrong) until the next access
//!   change. Marking and settling take the file's lock, and a writer settles only its own
//!   marker, so a slow writer never replaces a later writer's marker. A torn read can only look like a
//!   change (a harmless reload), never hide one.
//! - **PostgreSQL** (processes on several machines): the writer sends `NOTIFY
//!   lanyard_access` after its commit; every process keeps one `LISTEN` connection and
//!   counts notifications. While that connection is not listening (not yet started, lost,
//!   reconnecting) every read returns a new random epoch, so nothing cached is trusted;
//!   (re)connecting counts as a change, so nothing missed in between is trusted either.
//!   A connection can also die silently (a partition, a stalled proxy): so the process
//!   sends itself a heartbeat notification every [`HEARTBEAT`] from another connection,
//!   stamped with its send time. PostgreSQL delivers notifications in commit order, so a
//!   heartbeat's arrival proves every change committed before it was sent has arrived
//!   too; the counted epoch is trusted only until [`TRUST`] after the last heartbeat's
//!   send time. A change therefore reaches a process's caches when its notification
//!   arrives, and in any case within about [`TRUST`].

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use super::{Location, Store};
use crate::error::{Error, Result};

/// The file's name in the data directory (SQLite).
pub const EPOCH_FILE: &str = "access.epoch";

/// The PostgreSQL notification channel.
pub const NOTIFY_CHANNEL: &str = "lanyard_access";

/// Size of an epoch.
const LEN: usize = 16;
#[cfg(unix)]
const _: () = assert!(LEN == super::epoch_map::LEN);

/// The first byte of a "changing" marker; a settled epoch never starts with it.
const MARK: u8 = 0xFF;

/// How often a PostgreSQL store sends itself a heartbeat notification.
pub const HEARTBEAT: Duration = Duration::from_millis(250);

/// How long after a heartbeat's send time the counted epoch is trusted.
pub const TRUST: Duration = Duration::from_millis(1_000);

/// How an access change reaches other processes.
#[derive(Debug)]
pub(super) enum Epoch {
    /// A file next to the SQLite database, and (Unix) its mapping once made.
    File {
        path: PathBuf,
        file: OnceLock<File>,
        #[cfg(unix)]
        map: OnceLock<Option<super::epoch_map::EpochMap>>,
    },
    /// PostgreSQL notifications.
    Notify(Listener),
}

/// The `LISTEN` side of a PostgreSQL store. (No `Debug`: `url` may hold a password.)
pub(super) struct Listener {
    url: String,
    salt: [u8; 8],
    counter: AtomicU64,
    listening: AtomicBool,
    /// Milliseconds since `base` until which the counted epoch is trusted.
    trusted_until: AtomicU64,
    base: std::time::Instant,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("counter", &self.counter)
            .field("listening", &self.listening)
            .finish_non_exhaustive()
    }
}

impl Listener {
    fn now_ms(&self) -> u64 {
        self.base.elapsed().as_millis() as u64
    }

    /// This process's heartbeat channel.
    fn heartbeat_channel(&self) -> String {
        let hex: String = self.salt.iter().map(|b| format!("{b:02x}")).collect();
        format!("lanyard_heartbeat_{hex}")
    }

    fn trusted(&self) -> bool {
        self.listening.load(Ordering::Acquire)
            && self.now_ms() < self.trusted_until.load(Ordering::Acquire)
    }
}

impl Epoch {
    pub(super) fn for_location(location: &Location) -> Epoch {
        match location {
            Location::Sqlite(path) => Epoch::File {
                path: path.with_file_name(EPOCH_FILE),
                file: OnceLock::new(),
                #[cfg(unix)]
                map: OnceLock::new(),
            },
            Location::Postgres(url) => Epoch::Notify(Listener {
                url: url.clone(),
                salt: random(),
                counter: AtomicU64::new(0),
                listening: AtomicBool::new(false),
                trusted_until: AtomicU64::new(0),
                base: std::time::Instant::now(),
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }

    fn file<'a>(path: &PathBuf, cell: &'a OnceLock<File>) -> Option<&'a File> {
        if let Some(file) = cell.get() {
            return Some(file);
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .ok()?;
        Some(cell.get_or_init(|| file))
    }

    /// The epoch file's bytes now: from its mapping where one could be made (Unix), else
    /// with one `pread`. All zeros when the file cannot be opened.
    fn read_file(&self) -> [u8; LEN] {
        let mut buf = [0u8; LEN];
        let Epoch::File { path, file, .. } = self else {
            return buf;
        };
        let Some(opened) = Epoch::file(path, file) else {
            return buf;
        };
        #[cfg(unix)]
        if let Epoch::File { map, .. } = self {
            if let Some(map) = map.get_or_init(|| super::epoch_map::EpochMap::new(opened)) {
                return map.read();
            }
        }
        read_at(opened, &mut buf);
        buf
    }
}

impl Drop for Epoch {
    fn drop(&mut self) {
        if let Epoch::Notify(listener) = self {
            if let Ok(mut tasks) = listener.tasks.lock() {
                tasks.drain(..).for_each(|task| task.abort());
            }
        }
    }
}

impl Store {
    /// The current access epoch.
    pub fn access_epoch(&self) -> [u8; LEN] {
        let mut buf = [0u8; LEN];
        match self.epoch.as_ref() {
            epoch @ Epoch::File { .. } => {
                buf = epoch.read_file();
                if buf[0] == MARK {
                    // A change is being committed (or its writer died after committing):
                    // trust nothing cached.
                    buf[..8].copy_from_slice(&random());
                    buf[8..].copy_from_slice(&random());
                    buf[0] = MARK;
                }
            }
            Epoch::Notify(listener) => {
                if !listener.trusted() {
                    start_listening(&self.epoch, listener);
                    buf[..8].copy_from_slice(&random());
                    buf[8..].copy_from_slice(&random());
                    return buf;
                }
                let n = listener.counter.load(Ordering::Acquire);
                buf[..8].copy_from_slice(&n.to_le_bytes());
                buf[8..].copy_from_slice(&listener.salt);
            }
        }
        buf
    }

    /// Records an access change in this process's epoch only (the other processes are
    /// told by the file itself on SQLite, by the notification on PostgreSQL).
    pub(super) fn bump_access_epoch_locally(&self) -> Result<()> {
        match self.epoch.as_ref() {
            Epoch::File { .. } => self.write_epoch_file(),
            Epoch::Notify(listener) => {
                listener.counter.fetch_add(1, Ordering::AcqRel);
                Ok(())
            }
        }
    }

    fn write_epoch_file(&self) -> Result<()> {
        self.with_epoch_file(|file| write_at(file, &settled()))
    }

    fn with_epoch_file(&self, f: impl FnOnce(&File) -> std::io::Result<()>) -> Result<()> {
        let Epoch::File { path, file, .. } = self.epoch.as_ref() else {
            return Ok(());
        };
        let file = Epoch::file(path, file)
            .ok_or_else(|| Error::Io("could not open the access epoch file".into()))?;
        // The file lock orders processes; threads of one process share the open file (and
        // so its lock), so they take turns here first.
        static IN_PROCESS: Mutex<()> = Mutex::new(());
        let _turn = IN_PROCESS.lock().unwrap_or_else(|p| p.into_inner());
        file.lock()
            .map_err(|e| Error::io("could not record an access change", &e))?;
        let out = f(file);
        let _ = file.unlock();
        out.map_err(|e| Error::io("could not record an access change", &e))
    }

    /// Marks the epoch file "changing" (SQLite, inside the writing transaction); returns
    /// the marker for [`Store::settle_access_change`].
    pub(super) fn mark_access_change(&self) -> Result<[u8; LEN]> {
        let mut mark = *uuid::Uuid::new_v4().as_bytes();
        mark[0] = MARK;
        self.with_epoch_file(|file| write_at(file, &mark))?;
        Ok(mark)
    }

    /// After the commit: replaces this writer's marker with a new epoch. A later writer's
    /// marker is left alone (its own settle replaces it).
    pub(super) fn settle_access_change(&self, mark: &[u8; LEN]) -> Result<()> {
        self.with_epoch_file(|file| {
            let mut now = [0u8; LEN];
            read_at(file, &mut now);
            if now == *mark {
                write_at(file, &settled())?;
            }
            Ok(())
        })
    }

    /// Announces an access change to every process, outside any transaction (prefer
    /// [`Store::commit_access_change`], which cannot lose the announcement).
    pub async fn bump_access_epoch(&self) -> Result<()> {
        if let Epoch::Notify(_) = self.epoch.as_ref() {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(NOTIFY_CHANNEL)
                .execute(self.pool())
                .await?;
        }
        self.bump_access_epoch_locally()
    }

    /// Whether this process currently hears other processes' access changes without
    /// asking the database (always for SQLite; for PostgreSQL while `LISTEN` is up and
    /// its heartbeats arrive).
    pub fn hears_access_changes(&self) -> bool {
        match self.epoch.as_ref() {
            Epoch::File { .. } => true,
            Epoch::Notify(listener) => listener.trusted(),
        }
    }
}

/// Starts the `LISTEN` and heartbeat tasks once, from inside a tokio runtime.
fn start_listening(epoch: &Arc<Epoch>, listener: &Listener) {
    let Ok(mut tasks) = listener.tasks.lock() else {
        return;
    };
    if !tasks.is_empty() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let channel = listener.heartbeat_channel();
    tasks.push(runtime.spawn(listen(
        listener.url.clone(),
        channel.clone(),
        Arc::downgrade(epoch),
    )));
    tasks.push(runtime.spawn(heartbeat(
        listener.url.clone(),
        channel,
        Arc::downgrade(epoch),
    )));
}

/// Runs `f` on the listener of a live store; `false` once the store is gone.
fn with_listener(epoch: &Weak<Epoch>, f: impl FnOnce(&Listener)) -> bool {
    let Some(epoch) = epoch.upgrade() else {
        return false;
    };
    if let Epoch::Notify(listener) = epoch.as_ref() {
        f(listener);
    }
    true
}

/// Keeps one `LISTEN` connection up: counts access notifications, extends trust on this
/// process's heartbeats; reconnects with a pause.
async fn listen(url: String, heartbeats: String, epoch: Weak<Epoch>) {
    let changed = |listening: bool| {
        with_listener(&epoch, |l| {
            l.counter.fetch_add(1, Ordering::AcqRel);
            l.listening.store(listening, Ordering::Release);
        })
    };
    loop {
        if let Ok(mut pg) = sqlx::postgres::PgListener::connect(&url).await {
            pg.ignore_pool_close_event(true);
            if pg
                .listen_all([NOTIFY_CHANNEL, heartbeats.as_str()])
                .await
                .is_ok()
            {
                if !changed(true) {
                    return;
                }
                // `try_recv` answers `None` (or an error) when the connection was lost.
                while let Ok(Some(n)) = pg.try_recv().await {
                    let alive = if n.channel() == heartbeats {
                        let sent: u64 = n.payload().parse().unwrap_or(0);
                        with_listener(&epoch, |l| {
                            let until = sent + TRUST.as_millis() as u64;
                            l.trusted_until.fetch_max(until, Ordering::AcqRel);
                        })
                    } else {
                        changed(true)
                    };
                    if !alive {
                        return;
                    }
                }
            }
        }
        if !changed(false) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Sends this process a notification stamped with its send time every [`HEARTBEAT`],
/// over a connection of its own.
async fn heartbeat(url: String, channel: String, epoch: Weak<Epoch>) {
    use sqlx::Connection as _;
    let mut conn: Option<sqlx::postgres::PgConnection> = None;
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        let mut sent = 0;
        if !with_listener(&epoch, |l| sent = l.now_ms()) {
            return;
        }
        if conn.is_none() {
            conn = tokio::time::timeout(TRUST, sqlx::postgres::PgConnection::connect(&url))
                .await
                .ok()
                .and_then(Result::ok);
        }
        let Some(c) = conn.as_mut() else {
            continue;
        };
        let notify = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&channel)
            .bind(sent.to_string())
            .execute(&mut *c);
        if !matches!(tokio::time::timeout(TRUST, notify).await, Ok(Ok(_))) {
            conn = None;
        }
    }
}

/// A new settled epoch: random, never starting with [`MARK`].
fn settled() -> [u8; LEN] {
    let mut epoch = *uuid::Uuid::new_v4().as_bytes();
    epoch[0] &= 0x7F;
    epoch
}

fn random() -> [u8; 8] {
    let mut buf = [0u8; 8];
    getrandom::getrandom(&mut buf).expect("the OS random source failed");
    buf
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8]) {
    use std::os::unix::fs::FileExt;
    let _ = file.read_at(buf, 0);
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(buf, 0)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8]) {
    use std::os::windows::fs::FileExt;
    let _ = file.seek_read(buf, 0);
}

#[cfg(windows)]
fn write_at(file: &File, buf: &[u8]) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    file.seek_write(buf, 0).map(|_| ())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::store::{testing, Location, Store, DATABASE_FILE};

    /// Two stores on one database (with `LANYARD_TEST_POSTGRES`, on PostgreSQL).
    async fn two_stores(dir: &std::path::Path) -> (Store, Store) {
        let location = testing::database()
            .await
            .expect("database")
            .unwrap_or_else(|| Location::Sqlite(dir.join(DATABASE_FILE)));
        let a = Store::open_at(&location).await.expect("a");
        let b = Store::open_at(&location).await.expect("b");
        for store in [&a, &b] {
            testing::hearing(store, Duration::from_secs(5))
                .await
                .expect("listening");
        }
        (a, b)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bump_is_heard_by_another_store_on_the_same_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = two_stores(dir.path()).await;
        for _ in 0..20 {
            let before = b.access_epoch();
            assert_eq!(b.access_epoch(), before, "stable while nothing changes");
            let sent = Instant::now();
            a.bump_access_epoch().await.expect("bump");
            while b.access_epoch() == before {
                assert!(sent.elapsed() < Duration::from_secs(2), "never heard");
                tokio::task::yield_now().await;
            }
            assert_ne!(a.access_epoch(), before);
        }
    }

    /// Waits until `store`'s epoch differs from `old` (panics after `limit`).
    async fn moves_from(store: &Store, old: [u8; 16], limit: Duration) {
        testing::epoch_moves_from(store, old, limit)
            .await
            .expect("the epoch moves");
    }

    /// Waits until `store` hears access changes again (panics after 10 s).
    async fn trusted_again(store: &Store) {
        testing::hearing(store, Duration::from_secs(10))
            .await
            .expect("back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lost_listen_connection_trusts_nothing_until_it_is_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = two_stores(dir.path()).await;
        if a.backend() != crate::store::Backend::Postgres {
            return; // The epoch file has no connection to lose.
        }
        let cached = b.access_epoch();
        // The server ends every LISTEN connection (a restart, a failover).
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .execute(a.pool())
        .await
        .expect("terminate");
        a.bump_access_epoch().await.expect("bump");
        moves_from(&b, cached, super::TRUST * 3).await;
        trusted_again(&b).await;
        let now = b.access_epoch();
        assert_ne!(now, cached);
        a.bump_access_epoch().await.expect("bump");
        moves_from(&b, now, Duration::from_secs(2)).await;
    }

    /// A TCP proxy to `target` that can be frozen: it then passes no byte either way but
    /// keeps every connection open, as a stalled network or proxy does.
    async fn proxy(
        target: std::net::SocketAddr,
    ) -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
        use std::sync::atomic::{AtomicBool, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let frozen = std::sync::Arc::new(AtomicBool::new(false));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let flag = frozen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                    continue;
                };
                let (c, s) = (client.into_split(), server.into_split());
                for (mut from, mut to) in [(c.0, s.1), (s.0, c.1)] {
                    let flag = flag.clone();
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            while flag.load(Ordering::Acquire) {
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            }
                            let n = match from.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            while flag.load(Ordering::Acquire) {
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            }
                            if to.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            }
        });
        (port, frozen)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_silently_stalled_connection_stops_being_trusted_within_the_trust_window() {
        let Some(Location::Postgres(url)) = testing::postgres_or_skip(
            "store::epoch::a_silently_stalled_connection_stops_being_trusted_within_the_trust_window",
        )
        .await
        .expect("database") else {
            return;
        };
        let mut through = url::Url::parse(&url).expect("url");
        let target = format!(
            "{}:{}",
            through.host_str().expect("host"),
            through.port().unwrap_or(5432)
        );
        let target = tokio::net::lookup_host(target)
            .await
            .expect("resolve")
            .next()
            .expect("address");
        let (port, frozen) = proxy(target).await;
        through.set_port(Some(port)).expect("port");
        let a = Store::open_at(&Location::Postgres(url)).await.expect("a");
        let b = Store::open_at(&Location::Postgres(through.to_string()))
            .await
            .expect("b");
        trusted_again(&a).await;
        trusted_again(&b).await;
        let cached = b.access_epoch();

        frozen.store(true, std::sync::atomic::Ordering::Release);
        a.bump_access_epoch().await.expect("bump");
        // b's LISTEN connection never hears of it, nor of anything else: within the trust
        // window b stops trusting its epoch, and keeps not trusting it.
        moves_from(&b, cached, super::TRUST + Duration::from_secs(1)).await;
        for _ in 0..20 {
            assert_ne!(b.access_epoch(), cached);
            assert!(!b.hears_access_changes());
            tokio::time::sleep(Duration::from_millis(25)).await;
        }

        frozen.store(false, std::sync::atomic::Ordering::Release);
        trusted_again(&b).await;
        assert_ne!(b.access_epoch(), cached, "the change made meanwhile counts");
    }
}
