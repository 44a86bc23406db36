//! The store's own tests: opening, settings, the writer lock, locations.

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
    let l = Location::parse("postgres://lanyard:s3cr3t@db.internal:5432/lanyard?sslmode=require")
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
