//! The writer lock under contention, on either backend: many writers in one process queue
//! for its writer slot instead of each holding a pooled connection while waiting, so the
//! one holding the lock can still use the pool (a refresh reads and writes secrets while
//! it holds it).

use std::time::{Duration, Instant};

use super::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_writers_never_starve_the_lock_holder_of_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = testing::temp_store(dir.path()).await.expect("open");
    let started = Instant::now();
    let writers: Vec<_> = (0..24)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin_write().await?;
                // While holding the lock, another pooled connection (a read elsewhere).
                let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM setting")
                    .fetch_one(store.pool())
                    .await?;
                sqlx::query("INSERT INTO setting (key, value, updated_at) VALUES ($1, '1', 0)")
                    .bind(format!("writer-{n}"))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok::<(), crate::error::Error>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("join").expect("write");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "writers waited on each other's connections: {:?}",
        started.elapsed()
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM setting WHERE key LIKE 'writer-%'")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(n, 24);
}
