//! The store: one SQL database behind `sqlx::Any` — an SQLite file in the data directory
//! (the default) or a PostgreSQL database shared by several processes (`--database
//! postgres://…`). Opening applies the settings the design requires, runs the embedded
//! migrations of that backend (the same versions exist for both), refuses a database
//! written by a newer Lanyard, and starts write transactions that hold the one writer
//! lock: `BEGIN IMMEDIATE` on SQLite, a transaction-level advisory lock on PostgreSQL. One
//! submodule per table group.
//!
//! Invariants: every write goes through this module; no secret is ever written here; SQL
//! is written once, in the dialect both backends accept (`$N` parameters, `ON CONFLICT`,
//! `TRUE`/`FALSE` for flags, read back through [`Flag`]).

pub mod access;
pub mod audit;
pub mod channels;
pub mod epoch;
pub mod feeds;
pub mod flag;
pub mod history;
pub mod pending;
pub mod principals;
pub mod providers;
pub mod refetch;
pub mod revocations;
pub mod secrets;
pub mod session_keys;
pub mod settings;
pub mod sharing;
pub mod stale;
pub mod tokens;
pub mod urltokens;

#[cfg(test)]
mod upgrade_tests;

#[cfg(test)]
mod screens_tests;

#[cfg(test)]
mod tls_tests;

#[cfg(test)]
mod writer_tests;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};

use crate::error::{Error, Result};
pub use flag::Flag;

/// The SQLite migrations compiled into this binary.
pub static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The PostgreSQL migrations compiled into this binary: the same versions, in PostgreSQL.
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "lanyard.db";

/// The advisory lock every PostgreSQL write transaction holds (ASCII "lanyard!").
const WRITER_LOCK: i64 = 0x6c61_6e79_6172_6421;

/// A write transaction, holding the writer lock — and this process's writer slot, so that
/// writers queue here instead of each holding a pooled connection while they wait for the
/// lock (the holder may need another connection, e.g. to write a sealed secret). Derefs
/// to the connection: `&mut *tx` / `&mut **tx` run queries in it.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _slot: tokio::sync::OwnedMutexGuard<()>,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteTx")
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl WriteTx {
    /// Commits.
    pub async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls back.
    pub async fn rollback(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

/// Which database a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "DatabaseBackend")
)]
pub enum Backend {
    /// An SQLite file in the data directory.
    Sqlite,
    /// A PostgreSQL database, possibly shared by several processes and machines.
    Postgres,
}

/// Where the database is: an SQLite file, or a PostgreSQL URL. `Debug` shows it as
/// [`Location::display`] does, without a password.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL (it may hold a password: never display it;
    /// use [`Location::display`]).
    Postgres(String),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({})", self.display())
    }
}

impl Location {
    /// Parses `--database`: a `postgres://` URL, a `sqlite://` URL or a file path.
    pub fn parse(raw: &str) -> Result<Location> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Error::invalid("the database is empty"));
        }
        if raw.contains(['\r', '\n', '\0']) {
            return Err(Error::invalid(
                "the database location contains a control character",
            ));
        }
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let url = url::Url::parse(raw)
                .map_err(|e| Error::invalid(format!("the PostgreSQL URL is not valid: {e}")))?;
            if url.host_str().unwrap_or("").is_empty()
                && !url.query_pairs().any(|(k, _)| k == "host")
            {
                return Err(Error::invalid(
                    "the PostgreSQL URL names no host (postgres://USER@HOST:PORT/DATABASE)",
                ));
            }
            return Ok(Location::Postgres(raw.to_string()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if lower.contains("://") {
            return Err(Error::invalid(
                "the database must be a postgres:// URL or an SQLite file path",
            ));
        }
        Ok(Location::Sqlite(PathBuf::from(raw)))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }

    /// For messages and status: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(k, v)| {
                            let hide = k.eq_ignore_ascii_case("password");
                            (
                                k.into_owned(),
                                if hide { "***".into() } else { v.into_owned() },
                            )
                        })
                        .collect();
                    if !pairs.is_empty() {
                        url.query_pairs_mut().clear().extend_pairs(pairs);
                    }
                    url.to_string()
                }
                Err(_) => "postgres://(invalid URL)".into(),
            },
        }
    }
}

/// The `sqlite://` URL of the file at `path`, created if missing. Every byte but the
/// unreserved ones and `/` is percent-encoded: sqlx decodes the whole path, so a `%`, `?`,
/// `#`, `:` or `\\` in a directory name must reach it encoded.
pub(crate) fn sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=rwc");
    url
}

/// The opened, migrated database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    location: Location,
    epoch: Arc<epoch::Epoch>,
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// Opens (creating if missing) the SQLite database at `path` and brings its schema up
    /// to date. A database whose schema is newer than this binary's is refused untouched.
    pub async fn open(path: &Path) -> Result<Store> {
        Self::open_at(&Location::Sqlite(path.to_path_buf())).await
    }

    /// Opens the database at `location` (see [`Store::open`]).
    pub async fn open_at(location: &Location) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let could_not = |e: &dyn std::fmt::Display| {
            Error::Storage(format!(
                "could not open the database {}: {e}",
                location.display()
            ))
        };
        let pool = match location {
            Location::Sqlite(path) => {
                let options =
                    AnyConnectOptions::from_str(&sqlite_url(path)).map_err(|e| could_not(&e))?;
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(sqlx::AssertSqlSafe(format!(
                                "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                                BUSY_TIMEOUT.as_millis()
                            )))
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(|e| could_not(&e))?
            }
            Location::Postgres(url) => {
                let options = AnyConnectOptions::from_str(url).map_err(|e| could_not(&e))?;
                // One connection first, so that a refused connection, a wrong password or
                // a missing database is told as such, not as a pool timing out.
                let probe =
                    tokio::time::timeout(BUSY_TIMEOUT, AnyConnection::connect_with(&options))
                        .await
                        .map_err(|_| {
                            could_not(&format!("no answer in {} s", BUSY_TIMEOUT.as_secs()))
                        })?
                        .map_err(|e| could_not(&e))?;
                let _ = probe.close().await;
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(BUSY_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(|e| could_not(&e))?
            }
        };
        let epoch = epoch::Epoch::for_location(location);
        let store = Store {
            pool,
            location: location.clone(),
            epoch: Arc::new(epoch),
            writer: Arc::default(),
        };
        store.refuse_newer_schema().await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The connection pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.location.backend()
    }

    /// Where the database is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The SQLite file, if this store is one.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }

    /// Starts a write transaction holding the one writer lock, taken up front (waiting up
    /// to [`BUSY_TIMEOUT`]) instead of at the first write: `BEGIN IMMEDIATE` on SQLite, a
    /// transaction-level advisory lock on PostgreSQL. Read-then-write transactions (leases,
    /// generations, settings created once) are therefore as safe on PostgreSQL, across
    /// processes and machines, as they are on SQLite.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let slot = tokio::time::timeout(BUSY_TIMEOUT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| {
                Error::Storage(format!(
                    "another write in this process has held the database for over {} s",
                    BUSY_TIMEOUT.as_secs()
                ))
            })?;
        let tx = match self.backend() {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                // READ COMMITTED whatever the server's default: the snapshot of each
                // statement is then taken after the lock is granted, so what a writer
                // reads includes the previous writer's commit.
                let mut tx = self
                    .pool
                    .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SET LOCAL lock_timeout = '{}ms'",
                    BUSY_TIMEOUT.as_millis()
                )))
                .execute(&mut *tx)
                .await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITER_LOCK)
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(WriteTx { tx, _slot: slot })
    }

    /// Commits a write that changes access, and announces it (see [`epoch`]): on
    /// PostgreSQL the notification is sent inside the transaction, so it goes out exactly
    /// when the change commits (never a change without its notification); on SQLite the
    /// epoch file is rewritten after the commit.
    pub async fn commit_access_change(&self, mut tx: WriteTx) -> Result<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(epoch::NOTIFY_CHANNEL)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return self.bump_access_epoch_locally();
        }
        // SQLite: the epoch file says "changing" before the commit, so a crash between
        // the commit and the new epoch leaves readers distrusting their caches.
        let mark = self.mark_access_change()?;
        tx.commit().await?;
        crate::failpoint::hit("access-change-committed");
        self.settle_access_change(&mark)
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// The schema version: the latest migration applied to this database.
    pub async fn schema_version(&self) -> Result<i64> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        Ok(version.unwrap_or(0))
    }

    /// The newest schema version this binary knows.
    pub fn known_schema_version() -> i64 {
        SQLITE_MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn refuse_newer_schema(&self) -> Result<()> {
        let exists = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master \
                 WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM pg_catalog.pg_tables \
                 WHERE schemaname = current_schema() AND tablename = '_sqlx_migrations'"
            }
        };
        let has_table: i64 = sqlx::query_scalar(exists).fetch_one(&self.pool).await?;
        if has_table == 0 {
            return Ok(());
        }
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&self.pool)
            .await?;
        let known = Self::known_schema_version();
        let migrator = self.migrator();
        if let Some(unknown) = applied
            .iter()
            .copied()
            .find(|v| !migrator.version_exists(*v))
        {
            let newest = applied.iter().copied().max().unwrap_or(unknown);
            return Err(Error::SchemaTooNew(format!(
                "the database {} has schema version {newest}, written by a newer Lanyard; \
                 this Lanyard knows schema versions up to {known}. Update Lanyard — the \
                 database was left unchanged.",
                self.location.display()
            )));
        }
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        // Two processes starting on a new SQLite file at once may race to create the
        // schema; the loser sees a busy or "already exists" error and simply tries again.
        // (On PostgreSQL the migrator holds an advisory lock while it runs.)
        match self.migrator().run(&self.pool).await {
            Ok(()) => Ok(()),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(self.migrator().run(&self.pool).await?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join(DATABASE_FILE))
            .await
            .expect("open");
        (dir, store)
    }

    #[tokio::test]
    async fn applies_pragmas_the_design_requires() {
        let (_dir, store) = temp_store().await;
        let mut conn = store.pool().acquire().await.expect("conn");
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .expect("q");
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .expect("q");
        assert_eq!(sync, 2, "synchronous=FULL");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .expect("q");
        assert_eq!(fk, 1);
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .expect("q");
        assert!(busy >= 5_000, "busy timeout {busy} ms");
    }

    #[tokio::test]
    async fn migrates_to_the_known_version_and_creates_the_license() {
        let (_dir, store) = temp_store().await;
        assert_eq!(
            store.schema_version().await.expect("v"),
            Store::known_schema_version()
        );
        let kind: String = sqlx::query_scalar("SELECT kind FROM principal WHERE id = 'license'")
            .fetch_one(store.pool())
            .await
            .expect("license");
        assert_eq!(kind, "license");
        let second = sqlx::query(
            "INSERT INTO principal (id, kind, name, created_at) VALUES ('x', 'license', 'x', 0)",
        )
        .execute(store.pool())
        .await;
        assert!(
            second.is_err(),
            "a second license principal must be refused"
        );
    }

    #[tokio::test]
    async fn a_directory_name_with_url_characters_is_used_as_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Windows refuses `?`, `:` and `\` in a name; every other URL character (and a
        // non-ASCII one) is still there.
        let odd = dir.path().join(if cfg!(windows) {
            "100%41 sure #1; a&b=c+d Zoë"
        } else {
            "100%41 sure? #1: a\\b"
        });
        std::fs::create_dir(&odd).expect("mkdir");
        let path = odd.join(DATABASE_FILE);
        Store::open(&path).await.expect("open").close().await;
        assert!(path.exists(), "the database is where it was asked to be");
        Store::open(&path).await.expect("reopen");
    }

    #[test]
    fn a_postgres_password_never_shows() {
        let l =
            Location::parse("postgres://lanyard:s3cr3t@db.internal:5432/lanyard?sslmode=require")
                .expect("parse");
        for shown in [l.display(), format!("{l:?}")] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
            assert!(shown.contains("db.internal"), "{shown}");
        }
        let q = Location::parse("postgres://db.internal/lanyard?password=s3cr3t").expect("parse");
        assert!(!format!("{q:?}").contains("s3cr3t"));
    }

    /// What `lanyard status` and the Settings page show for a shared database: the address
    /// without its password (the page shows what it is given).
    #[tokio::test]
    async fn the_status_of_a_postgres_installation_shows_no_password() {
        let Some(Location::Postgres(url)) = testing::postgres_or_skip(
            "store::tests::the_status_of_a_postgres_installation_shows_no_password",
        )
        .await
        .expect("database") else {
            return;
        };
        // The throwaway cluster trusts loopback, so any password connects.
        let mut with_password = url::Url::parse(&url).expect("url");
        with_password
            .set_password(Some("CANARY-pw"))
            .expect("password");
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::Config {
            database: Some(Location::Postgres(with_password.to_string())),
            ..crate::Config::new(dir.path(), crate::secrets::SecretStoreKind::Memory)
        };
        let l = crate::Lanyard::open_with(
            &config,
            std::sync::Arc::new(crate::clock::SystemClock),
            Some(crate::secrets::Secrets::in_memory()),
        )
        .await
        .expect("open");
        let status = l.status().await.expect("status");
        assert!(
            status.database_path.contains("127.0.0.1"),
            "{}",
            status.database_path
        );
        let json = serde_json::to_string(&status).expect("json");
        assert!(!json.contains("CANARY-pw"), "{json}");
    }

    #[tokio::test]
    async fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(DATABASE_FILE);
        let first = Store::open(&path).await.expect("open");
        first.close().await;
        let again = Store::open(&path).await.expect("reopen");
        assert_eq!(
            again.schema_version().await.expect("v"),
            Store::known_schema_version()
        );
    }

    #[tokio::test]
    async fn refuses_a_newer_schema_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(DATABASE_FILE);
        let store = Store::open(&path).await.expect("open");
        let future = Store::known_schema_version() + 1;
        testing::insert_applied_migration(&store, future)
            .await
            .expect("insert");
        store.close().await;
        let before = std::fs::read(&path).expect("read");

        let err = Store::open(&path).await.expect_err("must refuse");
        assert_eq!(err.code(), "schema_too_new");
        assert!(err.to_string().contains(&future.to_string()), "{err}");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            before,
            "database changed"
        );
    }

    #[tokio::test]
    async fn write_transactions_take_the_lock_up_front() {
        let (_dir, store) = temp_store().await;
        let tx = store.begin_write().await.expect("begin");
        // A second BEGIN IMMEDIATE must wait (here: fail fast) while the first holds the
        // lock, which proves the first one took it at BEGIN.
        let mut other = store.pool().acquire().await.expect("conn");
        sqlx::query("PRAGMA busy_timeout = 50")
            .execute(&mut *other)
            .await
            .expect("pragma");
        let blocked = sqlx::query("BEGIN IMMEDIATE").execute(&mut *other).await;
        assert!(blocked.is_err(), "second writer must not get the lock");
        tx.rollback().await.expect("rollback");
        other
            .close()
            .await
            .expect("close the connection with the short timeout");
    }
}

/// Helpers for tests in other crates that need to put a database in a state a real
/// installation could reach (e.g. one migrated by a newer Lanyard), and to run the same
/// tests on either backend. Only in tests and with the `testing` feature.
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing {
    use sqlx::{Connection, Executor};

    use super::{Location, Store};
    use crate::error::{Error, Result};

    /// Names a PostgreSQL cluster's admin URL (`scripts/postgres start` prints one): tests
    /// that call [`database`] then run on a fresh database of their own in it.
    pub const TEST_POSTGRES_ENV: &str = "LANYARD_TEST_POSTGRES";

    /// Set by `scripts/check` on its first `cargo test` pass: a pass on PostgreSQL follows,
    /// so a PostgreSQL-only test may skip there even under `CI`.
    pub const POSTGRES_LATER_ENV: &str = "LANYARD_TEST_POSTGRES_LATER";

    /// Says that `test` did not run because it needs `what`, where `cargo test` shows it
    /// (straight to stderr, past the test harness's capture). Under `CI` it fails instead
    /// (a check that cannot run must not pass), unless `later` names an environment
    /// variable that is set because another pass will run it.
    pub fn skip(test: &str, what: &str, later: Option<&str>) {
        use std::io::Write;
        let deferred = later.is_some_and(|v| std::env::var_os(v).is_some());
        if std::env::var_os("CI").is_some() && !deferred {
            panic!("{test} needs {what}, which is missing, and CI is set: it must run here");
        }
        let _ = writeln!(std::io::stderr(), "skipped: {test} needs {what}");
    }

    /// For tests that only mean something on PostgreSQL: a new database, or `None` after
    /// [`skip`] said so.
    pub async fn postgres_or_skip(test: &str) -> Result<Option<Location>> {
        let database = database().await?;
        if database.is_none() {
            skip(
                test,
                &format!(
                    "PostgreSQL ({TEST_POSTGRES_ENV}=<admin URL from scripts/postgres start DIR>)"
                ),
                Some(POSTGRES_LATER_ENV),
            );
        }
        Ok(database)
    }

    /// The database a test should use: `None` (SQLite in its data directory) unless
    /// [`TEST_POSTGRES_ENV`] is set, then a new, empty PostgreSQL database.
    pub async fn database() -> Result<Option<Location>> {
        let admin = match std::env::var(TEST_POSTGRES_ENV) {
            Ok(admin) if !admin.is_empty() => admin,
            _ => return Ok(None),
        };
        let name = format!("lanyard_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::postgres::PgConnection::connect(&admin)
            .await
            .map_err(|e| Error::Storage(format!("{TEST_POSTGRES_ENV}: {e}")))?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        conn.close().await?;
        let mut url = url::Url::parse(&admin)
            .map_err(|e| Error::invalid(format!("{TEST_POSTGRES_ENV}: {e}")))?;
        url.set_path(&format!("/{name}"));
        Ok(Some(Location::Postgres(url.to_string())))
    }

    /// Waits up to `limit` until `store` hears other processes' access changes: at once on
    /// SQLite; on PostgreSQL once `LISTEN` is up and a heartbeat has arrived.
    pub async fn hearing(store: &Store, limit: std::time::Duration) -> Result<()> {
        let start = std::time::Instant::now();
        // Reading the epoch starts listening.
        store.access_epoch();
        while !store.hears_access_changes() {
            if start.elapsed() >= limit {
                return Err(Error::Internal(format!(
                    "not hearing access changes after {limit:?}"
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            store.access_epoch();
        }
        Ok(())
    }

    /// Waits up to `limit` until `store`'s access epoch differs from `old`.
    pub async fn epoch_moves_from(
        store: &Store,
        old: [u8; 16],
        limit: std::time::Duration,
    ) -> Result<()> {
        let start = std::time::Instant::now();
        while store.access_epoch() == old {
            if start.elapsed() >= limit {
                return Err(Error::Internal(format!(
                    "the access epoch stayed put for {limit:?}"
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        Ok(())
    }

    /// A store for a test in `dir`: SQLite there, or a fresh PostgreSQL database.
    pub async fn temp_store(dir: &std::path::Path) -> Result<Store> {
        let location = database()
            .await?
            .unwrap_or_else(|| Location::Sqlite(dir.join(super::DATABASE_FILE)));
        Store::open_at(&location).await
    }

    /// Records a migration as applied, as a newer Lanyard would have.
    pub async fn insert_applied_migration(store: &Store, version: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES ($1, 'from a newer Lanyard', TRUE, $2, 0)",
        )
        .bind(version)
        .bind(vec![0u8])
        .execute(store.pool())
        .await?;
        Ok(())
    }
}
