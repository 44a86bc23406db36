//! The cost of signing: a preview through the fetch engine (channel lookup and grant, URL
//! token matching and placement, redaction, the report; connection timings taken from the
//! request's own connection) against a bare reqwest GET to the same local server,
//! alternating in the same run. Prints p50s and the difference per request.
//!
//! Run: `cargo bench -p lanyard-core --bench preview`

#[path = "support/load.rs"]
mod load;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lanyard_core::broker::testing::seed_channel_for;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::preview::{preview, PreviewOptions, PreviewRequest};
use lanyard_core::secrets::{SecretStoreKind, SecretValue, Secrets};
use lanyard_core::urltokens::permission::{Answer, Fixed};
use lanyard_core::urltokens::tokens::{add, NewToken};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    load::report("before");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let base = lanyard_core::testing::json_upstream().await;
        let url = format!("{base}/api/weather?city=geneva");
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
        let l = Lanyard::open_with(&config, Arc::new(SystemClock), Some(Secrets::in_memory()))
            .await
            .expect("open");
        seed_channel_for(
            &l,
            "http://127.0.0.1:9/token",
            "access",
            SystemClock.now() + 3600,
            "refresh",
            vec![format!("{base}/api/")],
        )
        .await
        .expect("seed");
        add(
            &l,
            NewToken {
                prefix: format!("{base}/api"),
                key: "apikey".into(),
                placement: Placement::Form,
                requires_permission: false,
                prompt: false,
                value: Some(SecretValue::new("k")),
            },
        )
        .await
        .expect("token");
        let bare = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        const N: usize = 400;
        // Warm up both paths (connections, caches).
        for _ in 0..50 {
            bare.get(&url)
                .send()
                .await
                .expect("bare")
                .bytes()
                .await
                .expect("body");
            preview(
                &l,
                PreviewRequest {
                    url: url.clone(),
                    ..Default::default()
                },
                &Fixed(Answer::Deny),
                PreviewOptions::default(),
            )
            .await
            .expect("preview");
        }
        // `PREVIEW_PROFILE=<seconds>`: previews only, for that long, for a profiler
        // (`perf record`) to see where a preview's time goes; nothing is measured.
        if let Some(secs) = std::env::var("PREVIEW_PROFILE")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        {
            let until = Instant::now() + Duration::from_secs(secs);
            let mut n = 0u64;
            while Instant::now() < until {
                preview(
                    &l,
                    PreviewRequest {
                        url: url.clone(),
                        ..Default::default()
                    },
                    &Fixed(Answer::Deny),
                    PreviewOptions::default(),
                )
                .await
                .expect("preview");
                n += 1;
            }
            println!("{n} previews in {secs} s");
            return;
        }
        let mut bare_t = Vec::with_capacity(N);
        let mut engine_t = Vec::with_capacity(N);
        for _ in 0..N {
            let t = Instant::now();
            bare.get(&url)
                .send()
                .await
                .expect("bare")
                .bytes()
                .await
                .expect("body");
            bare_t.push(t.elapsed());
            let t = Instant::now();
            preview(
                &l,
                PreviewRequest {
                    url: url.clone(),
                    ..Default::default()
                },
                &Fixed(Answer::Deny),
                PreviewOptions::default(),
            )
            .await
            .expect("preview");
            engine_t.push(t.elapsed());
        }
        let (b, e) = (median(bare_t), median(engine_t));
        println!("== preview signing cost (one run, this machine) ==");
        println!("bare reqwest GET, p50:            {b:?}");
        println!("preview through the engine, p50:  {e:?}");
        println!(
            "added per request at p50: {:?} ({:.0} %); target ≤ 25 µs (issue #30)",
            e.saturating_sub(b),
            (e.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0
        );
        let _ = l.broker().flush(l.store()).await;
    });
    load::report("after");
}
