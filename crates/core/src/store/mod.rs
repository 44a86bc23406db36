//! The SQLite store: opening the database with the pragmas the design requires, running
//! the embedded migrations, refusing a database written by a newer Lanyard, and starting
//! write transactions with `BEGIN IMMEDIATE`. One submodule per table group.
//!
//! Invariants: every write goes through this module; no secret is ever written here.

pub mod audit;
pub mod channels;
pub mod epoch;
pub mod history;
pub mod pending;
pub mod principals;
pub mod providers;
pub mod settings;
pub mod sharing;
pub mod tokens;
pub mod urltokens;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::error::{Error, Result};

/// The migrations compiled into this binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a connection waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "lanyard.db";

/// A write transaction (started with `BEGIN IMMEDIATE`).
pub type WriteTx = Transaction<'static, Sqlite>;

/// The opened, migrated database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    epoch: std::sync::Arc<std::sync::OnceLock<std::fs::File>>,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to
    /// date. A database whose schema is newer than this binary's is refused untouched.
    pub async fn open(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| {
                Error::Storage(format!(
                    "could not open the database {}: {e}",
                    path.display()
                ))
            })?;
        let store = Store {
            pool,
            path: path.to_path_buf(),
            epoch: Default::default(),
        };
        store.refuse_newer_schema().await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The connection pool, for reads.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a write transaction with `BEGIN IMMEDIATE`, so that the write lock is taken
    /// up front (waiting up to the busy timeout) instead of failing at the first write.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The schema version: the latest migration applied to this database.
    pub async fn schema_version(&self) -> Result<i64> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(version.unwrap_or(0))
    }

    /// The newest schema version this binary knows.
    pub fn known_schema_version() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn refuse_newer_schema(&self) -> Result<()> {
        let has_table: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master \
             WHERE type = 'table' AND name = '_sqlx_migrations')",
        )
        .fetch_one(&self.pool)
        .await?;
        if !has_table {
            return Ok(());
        }
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&self.pool)
            .await?;
        let known = Self::known_schema_version();
        if let Some(unknown) = applied
            .iter()
            .copied()
            .find(|v| !MIGRATOR.version_exists(*v))
        {
            let newest = applied.iter().copied().max().unwrap_or(unknown);
            return Err(Error::SchemaTooNew(format!(
                "the database {} has schema version {newest}, written by a newer Lanyard; \
                 this Lanyard knows schema versions up to {known}. Update Lanyard — the \
                 database was left unchanged.",
                self.path.display()
            )));
        }
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        // Two processes starting on a new data directory at once may race to create the
        // schema; the loser sees a busy or "already exists" error and simply tries again.
        match MIGRATOR.run(&self.pool).await {
            Ok(()) => Ok(()),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(MIGRATOR.run(&self.pool).await?)
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
/// installation could reach (e.g. one migrated by a newer Lanyard).
#[doc(hidden)]
pub mod testing {
    use super::Store;
    use crate::error::Result;

    /// Records a migration as applied, as a newer Lanyard would have.
    pub async fn insert_applied_migration(store: &Store, version: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (?, 'from a newer Lanyard', 1, x'00', 0)",
        )
        .bind(version)
        .execute(store.pool())
        .await?;
        Ok(())
    }
}
