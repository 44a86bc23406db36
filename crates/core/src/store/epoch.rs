//! The access epoch: 16 bytes that change after every committed change that can alter who
//! may use which channel or what a request carries — players, links, channel status,
//! channels, providers, URL tokens, permission decisions. Any process can cache access
//! decisions and revalidate them by comparing epochs instead of querying the database, and
//! still see another process's change on its very next use.
//!
//! - **SQLite**: a file next to the database. The writer rewrites it after its commit
//!   returns, the reader reads it (one `pread`) before it reads the database. A torn read
//!   can only look like a change (a harmless reload), never hide one.
//! - **PostgreSQL** (processes on several machines): the writer sends `NOTIFY
//!   lanyard_access` after its commit; every process keeps one `LISTEN` connection and
//!   counts notifications. While that connection is not listening (not yet started, lost,
//!   reconnecting) every read returns a new random epoch, so nothing cached is trusted;
//!   (re)connecting counts as a change, so nothing missed in between is trusted either.

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

/// How an access change reaches other processes.
#[derive(Debug)]
pub(super) enum Epoch {
    /// A file next to the SQLite database.
    File { path: PathBuf, file: OnceLock<File> },
    /// PostgreSQL notifications.
    Notify(Listener),
}

/// The `LISTEN` side of a PostgreSQL store.
#[derive(Debug)]
pub(super) struct Listener {
    url: String,
    salt: [u8; 8],
    counter: AtomicU64,
    listening: AtomicBool,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Epoch {
    pub(super) fn for_location(location: &Location) -> Epoch {
        match location {
            Location::Sqlite(path) => Epoch::File {
                path: path.with_file_name(EPOCH_FILE),
                file: OnceLock::new(),
            },
            Location::Postgres(url) => Epoch::Notify(Listener {
                url: url.clone(),
                salt: random(),
                counter: AtomicU64::new(0),
                listening: AtomicBool::new(false),
                task: Mutex::new(None),
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
}

impl Drop for Epoch {
    fn drop(&mut self) {
        if let Epoch::Notify(listener) = self {
            if let Some(task) = listener.task.lock().ok().and_then(|mut t| t.take()) {
                task.abort();
            }
        }
    }
}

impl Store {
    /// The current access epoch.
    pub fn access_epoch(&self) -> [u8; LEN] {
        let mut buf = [0u8; LEN];
        match self.epoch.as_ref() {
            Epoch::File { path, file } => {
                if let Some(file) = Epoch::file(path, file) {
                    read_at(file, &mut buf);
                }
            }
            Epoch::Notify(listener) => {
                if !listener.listening.load(Ordering::Acquire) {
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

    /// Announces a committed access change to every process.
    pub async fn bump_access_epoch(&self) -> Result<()> {
        match self.epoch.as_ref() {
            Epoch::File { path, file } => {
                let file = Epoch::file(path, file)
                    .ok_or_else(|| Error::Io("could not open the access epoch file".into()))?;
                let epoch = *uuid::Uuid::new_v4().as_bytes();
                write_at(file, &epoch)
                    .map_err(|e| Error::io("could not record an access change", &e))
            }
            Epoch::Notify(listener) => {
                listener.counter.fetch_add(1, Ordering::AcqRel);
                sqlx::query("SELECT pg_notify($1, '')")
                    .bind(NOTIFY_CHANNEL)
                    .execute(self.pool())
                    .await?;
                Ok(())
            }
        }
    }

    /// Whether this process currently hears other processes' access changes without
    /// asking the database (always for SQLite; for PostgreSQL while `LISTEN` is up).
    pub fn hears_access_changes(&self) -> bool {
        match self.epoch.as_ref() {
            Epoch::File { .. } => true,
            Epoch::Notify(listener) => listener.listening.load(Ordering::Acquire),
        }
    }
}

/// Starts the `LISTEN` task once, from inside a tokio runtime.
fn start_listening(epoch: &Arc<Epoch>, listener: &Listener) {
    let Ok(mut task) = listener.task.lock() else {
        return;
    };
    if task.is_some() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    *task = Some(runtime.spawn(listen(listener.url.clone(), Arc::downgrade(epoch))));
}

/// Keeps one `LISTEN` connection up, counting notifications; reconnects with a pause.
async fn listen(url: String, epoch: Weak<Epoch>) {
    let changed = |listening: bool| -> bool {
        let Some(epoch) = epoch.upgrade() else {
            return false;
        };
        if let Epoch::Notify(l) = epoch.as_ref() {
            l.counter.fetch_add(1, Ordering::AcqRel);
            l.listening.store(listening, Ordering::Release);
        }
        true
    };
    loop {
        if let Ok(mut pg) = sqlx::postgres::PgListener::connect(&url).await {
            pg.ignore_pool_close_event(true);
            if pg.listen(NOTIFY_CHANNEL).await.is_ok() {
                if !changed(true) {
                    return;
                }
                // `try_recv` answers `None` when the connection was lost.
                while let Ok(Some(_)) = pg.try_recv().await {
                    if !changed(true) {
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
            let start = Instant::now();
            while !store.hears_access_changes() {
                store.access_epoch();
                assert!(start.elapsed() < Duration::from_secs(5), "never listening");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
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
}
