//! The cost of signing: a preview through the fetch engine (channel lookup and grant, URL
//! token matching and placement, redaction, the report; connection timings taken from the
//! request's own connection) against a bare reqwest GET to the same local server,
//! alternating in the same run. Prints p50s and the difference per request.
//!
//! Run: `cargo bench -p lanyard-core --bench preview`

#[path = "support/load.rs"]
mod load;
#[path = "support/seeded.rs"]
mod seeded;

use std::time::{Duration, Instant};

use lanyard_core::preview::{preview, PreviewOptions, PreviewRequest};
use lanyard_core::secrets::SecretValue;
use lanyard_core::urltokens::permission::{Answer, Fixed};
use lanyard_core::urltokens::tokens::{add, NewToken};
use lanyard_core::urltokens::Placement;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    seeded::run(async |s| {
        let l = &s.lanyard;
        let base = &s.base;
        let url = format!("{base}/api/weather?city=geneva");
        add(
            l,
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
        // The two requests timed against each other.
        let bare_get = async || {
            let response = bare.get(&url).send().await.expect("bare");
            response.bytes().await.expect("body");
        };
        let signed = async || {
            let request = PreviewRequest {
                url: url.clone(),
                ..Default::default()
            };
            let options = PreviewOptions::default();
            preview(l, request, &Fixed(Answer::Deny), options)
                .await
                .expect("preview");
        };
        const N: usize = 400;
        // Warm up both paths (connections, caches).
        for _ in 0..50 {
            bare_get().await;
            signed().await;
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
                    l,
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
            bare_get().await;
            bare_t.push(t.elapsed());
            let t = Instant::now();
            signed().await;
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
    });
}
