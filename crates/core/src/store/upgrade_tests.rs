//! Migrations across versions and backends: both backends list the same migrations, and a
//! database an older Lanyard wrote is upgraded with its rows intact.

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use super::audit::{AuditAction, AuditEvent};
use super::{testing, Backend, Location, Store, POSTGRES_MIGRATOR, SQLITE_MIGRATOR};

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |m: &sqlx::migrate::Migrator| {
        m.iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&SQLITE_MIGRATOR), names(&POSTGRES_MIGRATOR));
    assert!(SQLITE_MIGRATOR.iter().count() >= 7);
}

/// Records an audit event with `action`.
async fn audit(store: &Store, id: &str, action: AuditAction) -> crate::error::Result<()> {
    let event = AuditEvent {
        principal_id: Some(id),
        action,
        subject_kind: crate::store::audit::AuditSubject::Principal,
        subject_id: id,
        outcome: crate::store::audit::AuditOutcome::Ok,
        detail: None,
    };
    store.audit_now(1_000, &event).await
}

#[tokio::test]
async fn an_older_database_is_upgraded_with_its_audit_rows_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = testing::database()
        .await
        .expect("database")
        .unwrap_or_else(|| Location::Sqlite(dir.path().join(super::DATABASE_FILE)));
    // The migrations up to 6, as the Lanyard before player_secret_rotated had them.
    let pool = old_schema(dir.path(), &location, "20261123000007").await;
    for (n, action) in ["player_added", "link"].iter().enumerate() {
        sqlx::query(
            "INSERT INTO audit_event (at, principal_id, action, subject_kind, subject_id, \
             outcome) VALUES ($1, 'p', $2, 'principal', 'p', 'ok')",
        )
        .bind(100 + n as i64)
        .bind(*action)
        .execute(&pool)
        .await
        .expect("old row");
    }
    let refused = sqlx::query(
        "INSERT INTO audit_event (at, action, subject_kind, subject_id, outcome) \
         VALUES (1, 'player_secret_rotated', 'principal', 'p', 'ok')",
    )
    .execute(&pool)
    .await;
    assert!(refused.is_err(), "the old schema does not know the action");
    pool.close().await;

    let store = Store::open_at(&location).await.expect("upgrade");
    assert_eq!(
        store.schema_version().await.expect("version"),
        Store::known_schema_version()
    );
    let rows = store.audit_events(None, None, 10).await.expect("rows");
    let kept: Vec<_> = rows.iter().map(|r| (r.id, r.action.as_str())).collect();
    assert_eq!(
        kept,
        vec![(2, "link"), (1, "player_added")],
        "ids and rows kept"
    );
    audit(&store, "p", AuditAction::PlayerSecretRotated)
        .await
        .expect("the new action");
    let unknown = sqlx::query(
        "INSERT INTO audit_event (at, action, subject_kind, subject_id, outcome) \
         VALUES (1, 'no_such_action', 'principal', 'p', 'ok')",
    )
    .execute(store.pool())
    .await;
    assert!(
        unknown.is_err(),
        "the CHECK constraint still refuses unknown actions"
    );
    let newest = store.audit_events(None, None, 1).await.expect("rows");
    // (PostgreSQL's sequence also spent a number on the refused row: ids may skip.)
    assert!(newest[0].id > 2, "ids continue after the rebuild");
    assert_eq!(newest[0].action, AuditAction::PlayerSecretRotated);
}

/// A database at `location` with only the migrations named before `below` applied, as an
/// older Lanyard left it.
async fn old_schema(dir: &std::path::Path, location: &Location, below: &str) -> sqlx::AnyPool {
    let sub = match location.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(sub);
    let old = dir.join("old-migrations");
    std::fs::create_dir(&old).expect("mkdir");
    for entry in std::fs::read_dir(&source).expect("read") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.as_str() < below {
            std::fs::copy(&path, old.join(&name)).expect("copy");
        }
    }
    let url = match location {
        // The store's own URL: a path pasted after `sqlite://` fails on Windows
        // (`C:\…` is not a URL path), with "unable to open database file".
        Location::Sqlite(path) => super::sqlite_url(path),
        Location::Postgres(url) => url.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect_with(AnyConnectOptions::from_str(&url).expect("url"))
        .await
        .expect("connect");
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .expect("old migrator")
        .run(&pool)
        .await
        .expect("old schema");
    pool
}

/// The SQLite audit table rebuilt for its cheaper CHECK keeps its id counter: an id freed
/// at the end before the upgrade is not handed out again.
#[tokio::test]
async fn the_audit_rebuild_keeps_the_id_counter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = Location::Sqlite(dir.path().join(super::DATABASE_FILE));
    let pool = old_schema(dir.path(), &location, "20261207000100").await;
    for n in 0..3 {
        sqlx::query(
            "INSERT INTO audit_event (at, action, subject_kind, subject_id, outcome) \
             VALUES ($1, 'link', 'principal', 'p', 'ok')",
        )
        .bind(n)
        .execute(&pool)
        .await
        .expect("old row");
    }
    sqlx::query("DELETE FROM audit_event WHERE id = 3")
        .execute(&pool)
        .await
        .expect("delete");
    pool.close().await;
    let store = Store::open_at(&location).await.expect("upgrade");
    audit(&store, "p", AuditAction::Grant).await.expect("audit");
    let ids: Vec<i64> = store
        .audit_events(None, None, 10)
        .await
        .expect("rows")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, vec![4, 2, 1], "id 3 is not reused");
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_left_alone_on_either_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = testing::temp_store(dir.path()).await.expect("open");
    let location = store.location().clone();
    let future = Store::known_schema_version() + 1;
    testing::insert_applied_migration(&store, future)
        .await
        .expect("a newer Lanyard's migration");
    let count = |s: &Store| {
        let pool = s.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    let before = count(&store).await;
    let err = Store::open_at(&location).await.expect_err("refused");
    assert_eq!(err.code(), "schema_too_new");
    assert!(err.to_string().contains(&future.to_string()), "{err}");
    assert_eq!(count(&store).await, before, "nothing was migrated");
}
