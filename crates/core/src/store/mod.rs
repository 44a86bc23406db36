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
#[cfg(unix)]
mod epoch_map;
pub mod feeds;
pub mod flag;
pub mod history;
mod location;
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
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
pub mod tokens;
pub mod urltokens;

#[cfg(test)]
mod upgrade_tests;

#[cfg(test)]
mod screens_tests;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tls_tests;

#[cfg(test)]
mod writer_tests;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};

use crate::error::{Error, Result};
pub use flag::Flag;
pub(crate) use location::sqlite_url;
pub use location::{Backend, Location};

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
        tracing::debug!(target: "lanyard_core::startup", "database connected");
        let epoch = epoch::Epoch::for_location(location);
        let store = Store {
            pool,
            location: location.clone(),
            epoch: Arc::new(epoch),
            writer: Arc::default(),
        };
        store.refuse_newer_schema().await?;
        tracing::debug!(target: "lanyard_core::startup", "schema version checked");
        store.migrate().await?;
        tracing::debug!(target: "lanyard_core::startup", "database migrated");
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
