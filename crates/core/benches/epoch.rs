//! How fast an access change reaches another process's cache. Two stores on one database
//! stand in for two processes: one bumps the access epoch, the other spins until its epoch
//! moves. On SQLite that is the epoch file; on PostgreSQL (`LANYARD_TEST_POSTGRES` names a
//! cluster, e.g. from `scripts/postgres start DIR`) the `NOTIFY` travelling to the other
//! store's `LISTEN` connection, measured against the baseline of one `SELECT 1` round
//! trip on the same cluster — what a query per grant would cost instead.
//!
//! Run: `LANYARD_TEST_POSTGRES=postgres://… cargo bench -p lanyard-core --bench epoch`

#[path = "support/load.rs"]
mod load;

use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use lanyard_core::store::{testing, Location, Store, DATABASE_FILE};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn pair(location: &Location) -> (Store, Store) {
    let a = Store::open_at(location).await.expect("a");
    let b = Store::open_at(location).await.expect("b");
    for s in [&a, &b] {
        testing::hearing(s, Duration::from_secs(10))
            .await
            .expect("listening");
    }
    (a, b)
}

/// One change, from the writer's bump to the reader seeing a new epoch.
async fn propagate(a: &Store, b: &Store) -> Duration {
    let before = b.access_epoch();
    let start = Instant::now();
    a.bump_access_epoch().await.expect("bump");
    while b.access_epoch() == before {
        tokio::task::yield_now().await;
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Location::Sqlite(dir.path().join(DATABASE_FILE));
    let (sa, sb) = rt.block_on(pair(&sqlite));
    c.bench_function("sqlite: bump → seen by another store", |b| {
        b.to_async(&rt).iter_custom(|n| {
            let (sa, sb) = (&sa, &sb);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += propagate(sa, sb).await;
                }
                total
            }
        })
    });
    let Some(pg) = rt.block_on(testing::database()).expect("database") else {
        eprintln!("LANYARD_TEST_POSTGRES is not set: PostgreSQL not measured");
        return;
    };
    let (pa, pb) = rt.block_on(pair(&pg));
    c.bench_function("baseline: postgres SELECT 1 round trip", |b| {
        b.to_async(&rt).iter(|| async {
            sqlx::query("SELECT 1")
                .execute(pa.pool())
                .await
                .expect("select")
        })
    });
    c.bench_function("postgres: bump → heard by another store (NOTIFY)", |b| {
        b.to_async(&rt).iter_custom(|n| {
            let (pa, pb) = (&pa, &pb);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += propagate(pa, pb).await;
                }
                total
            }
        })
    });
    // A summary from this same run: percentiles of 2 000 changes against the baseline.
    let (select, notify) = rt.block_on(async {
        let mut select = Vec::new();
        let mut notify = Vec::new();
        for _ in 0..2_000 {
            let start = Instant::now();
            sqlx::query("SELECT 1")
                .execute(pa.pool())
                .await
                .expect("select");
            select.push(start.elapsed());
            notify.push(propagate(&pa, &pb).await);
        }
        (select, notify)
    });
    let pct = |v: &[Duration], p: f64| {
        let mut v = v.to_vec();
        v.sort();
        v[((v.len() - 1) as f64 * p) as usize]
    };
    println!(
        "\nsummary (2 000 changes): SELECT 1 p50 {:?} p99 {:?}; NOTIFY heard p50 {:?} p99 {:?} \
         max {:?}; ratio p50 {:.2}×",
        pct(&select, 0.5),
        pct(&select, 0.99),
        pct(&notify, 0.5),
        pct(&notify, 0.99),
        pct(&notify, 1.0),
        pct(&notify, 0.5).as_secs_f64() / pct(&select, 0.5).as_secs_f64()
    );
}

criterion_group!(benches, bench);

fn main() {
    load::report("before");
    benches();
    Criterion::default().configure_from_args().final_summary();
    load::report("after");
}
