//! Helpers for tests in other crates that need to put a database in a state a real
//! installation could reach (e.g. one migrated by a newer Lanyard), and to run the same
//! tests on either backend. Only in tests and with the `testing` feature.

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
    let mut url =
        url::Url::parse(&admin).map_err(|e| Error::invalid(format!("{TEST_POSTGRES_ENV}: {e}")))?;
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
