//! Broker benchmarks. Criterion measures the cached grant against a bare
//! `RwLock<HashMap>` lookup; a summary then prints, from this same run, the ratio between
//! them, grants per second with 64 concurrent tasks, and a stampede of 1 000 callers on an
//! expired token against a local token endpoint (refreshes seen, p50/p99 latency).
//!
//! Run: `cargo bench -p lanyard-core --bench broker`

#[path = "support/load.rs"]
mod load;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use lanyard_core::broker::grant::issue_grant;
use lanyard_core::broker::players::LICENSE;
use lanyard_core::broker::testing::seed_channel;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::secrets::{SecretStoreKind, Secrets};
use lanyard_core::{Config, Lanyard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Fixture {
    _dir: tempfile::TempDir,
    lanyard: Lanyard,
    channel: String,
}

async fn fixture(token_endpoint: &str, expires_in: i64) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
    let lanyard = Lanyard::open_with(&config, Arc::new(SystemClock), Some(Secrets::in_memory()))
        .await
        .expect("open");
    let now = SystemClock.now();
    let channel = seed_channel(
        &lanyard,
        token_endpoint,
        "access-1",
        now + expires_in,
        "refresh-1",
    )
    .await
    .expect("seed");
    Fixture {
        _dir: dir,
        lanyard,
        channel,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt")
}

fn baseline_map() -> RwLock<HashMap<String, String>> {
    let mut map = HashMap::new();
    for i in 0..1000 {
        map.insert(format!("channel-{i}"), format!("token-{i}"));
    }
    RwLock::new(map)
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let f = rt.block_on(fixture("http://127.0.0.1:9/token", 3600));
    let map = baseline_map();
    c.bench_function("baseline: RwLock<HashMap> lookup", |b| {
        b.iter(|| {
            map.read()
                .expect("lock")
                .get("channel-500")
                .map(String::len)
        })
    });
    c.bench_function("cached grant (link check included)", |b| {
        b.to_async(&rt)
            .iter(|| issue_grant(&f.lanyard, LICENSE, &f.channel))
    });
}

criterion_group!(group, benches);

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)]
}

/// A token endpoint on 127.0.0.1 that counts requests and answers slowly (20 ms), like a
/// real provider.
async fn token_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = s.read(&mut buf).await;
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                let body = r#"{"access_token":"access-2","token_type":"Bearer","expires_in":3600,"refresh_token":"refresh-2"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(response.as_bytes()).await;
            });
        }
    });
    (format!("http://127.0.0.1:{port}/token"), hits)
}

fn summary() {
    let rt = runtime();
    let f = rt.block_on(fixture("http://127.0.0.1:9/token", 3600));
    let map = baseline_map();
    const N: usize = 20_000;

    let mut base = Vec::with_capacity(N);
    for _ in 0..N {
        let t = Instant::now();
        std::hint::black_box(
            map.read()
                .expect("lock")
                .get("channel-500")
                .map(String::len),
        );
        base.push(t.elapsed());
    }
    let grants: Vec<Duration> = rt.block_on(async {
        let mut samples = Vec::with_capacity(N);
        for _ in 0..N {
            let t = Instant::now();
            std::hint::black_box(
                issue_grant(&f.lanyard, LICENSE, &f.channel)
                    .await
                    .expect("grant"),
            );
            samples.push(t.elapsed());
        }
        samples
    });
    let (b, g) = (median(base), median(grants));
    println!("\n== broker summary (one run, this machine) ==");
    println!("baseline RwLock<HashMap> lookup, median: {b:?}");
    println!("cached grant incl. link check, median:  {g:?}  (target ≤ 20 µs)");
    println!(
        "ratio cached grant / baseline:          {:.1}×  (target ≤ 20×)",
        g.as_nanos() as f64 / b.as_nanos().max(1) as f64
    );

    let per_task = 2_000;
    let elapsed = rt.block_on(async {
        let t = Instant::now();
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let (l, c) = (f.lanyard.clone(), f.channel.clone());
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        issue_grant(&l, LICENSE, &c).await.expect("grant");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("join");
        }
        t.elapsed()
    });
    let rate = (64 * per_task) as f64 / elapsed.as_secs_f64();
    println!("grants/s, 64 concurrent tasks, cached: {rate:.0}  (target ≥ 50 000)");

    let (mut latencies, refreshes) = rt.block_on(async {
        let (endpoint, hits) = token_endpoint().await;
        // Expired an hour ago: every caller needs the refresh.
        let s = fixture(&endpoint, -3600).await;
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let (l, c) = (s.lanyard.clone(), s.channel.clone());
                tokio::spawn(async move {
                    let t = Instant::now();
                    let grant = issue_grant(&l, LICENSE, &c).await.expect("grant");
                    assert_eq!(grant.access_token, "access-2");
                    t.elapsed()
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.push(task.await.expect("join"));
        }
        (latencies, hits.load(Ordering::SeqCst))
    });
    let p50 = percentile(&mut latencies, 0.50);
    let p99 = percentile(&mut latencies, 0.99);
    println!("stampede, 1 000 callers on an expired token: {refreshes} refresh(es) at the endpoint, p50 {p50:?}, p99 {p99:?}");
    rt.block_on(f.lanyard.broker().flush(f.lanyard.store()))
        .expect("flush");
}

fn main() {
    load::report("before");
    group();
    Criterion::default().configure_from_args().final_summary();
    summary();
    load::report("after");
}
