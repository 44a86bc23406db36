//! URL token matching: the origin + segment index against a linear scan, with 100,
//! 10 000 and 100 000 tokens over 1 000 origins. Criterion measures the index; a summary
//! prints, from this same run, medians for both and their ratio.
//!
//! Run: `cargo bench -p lanyard-core --bench urltokens`

#[path = "support/load.rs"]
mod load;

use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion};
use lanyard_core::urltokens::matcher::{matching_linear, Index};
use lanyard_core::urltokens::prefix::{parse_prefix, parse_request_url, Prefix};
use lanyard_core::urltokens::{Placement, UrlToken};

/// `n` tokens over 1 000 origins, prefixes 0–3 segments deep, a few keys each (one token
/// per prefix and key, as the store guarantees).
fn tokens(n: usize) -> Vec<UrlToken> {
    let mut seen = std::collections::HashSet::new();
    (0..)
        .map(|i| {
            let origin = i % 1000;
            let depth = (i / 1000) % 4;
            let mut prefix = format!("https://host{origin}.example.com");
            for d in 0..depth {
                prefix.push_str(&format!("/s{}", (i / (1000 * 4) + d) % 25));
            }
            UrlToken {
                id: format!("t{i}"),
                prefix,
                key: format!("k{}", (i / 7) % 5),
                placement: Placement::Form,
                requires_permission: false,
                prompt: false,
                origin: lanyard_core::urltokens::TokenOrigin::Own,
                received_from: None,
                viewable: true,
                created_at: 0,
                updated_at: 0,
            }
        })
        .filter(|t| seen.insert((t.prefix.clone(), t.key.clone())))
        .take(n)
        .collect()
}

const URL: &str = "https://host417.example.com/s3/s4/s5/items?page=2";

fn benches(c: &mut Criterion) {
    let url = parse_request_url(URL).expect("url");
    let mut group = c.benchmark_group("match");
    for n in [100, 10_000, 100_000] {
        let index = Index::build(tokens(n));
        group.bench_with_input(BenchmarkId::new("index", n), &n, |b, _| {
            b.iter(|| index.matching(&url).len())
        });
    }
    group.finish();
}

criterion_group!(group, benches);

fn median_per_op(mut f: impl FnMut(), batch: u32) -> Duration {
    let mut samples: Vec<Duration> = (0..301)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed() / batch
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn summary() {
    let url = parse_request_url(URL).expect("url");
    println!("\n== URL token matching summary (one run, this machine) ==");
    for n in [100usize, 10_000, 100_000] {
        let all = tokens(n);
        let index = Index::build(all.clone());
        let linear: Vec<(Prefix, UrlToken)> = all
            .into_iter()
            .map(|t| (parse_prefix(&t.prefix).expect("prefix"), t))
            .collect();
        let indexed = median_per_op(|| drop(std::hint::black_box(index.matching(&url))), 100);
        let scanned = median_per_op(
            || drop(std::hint::black_box(matching_linear(&linear, &url))),
            if n >= 10_000 { 1 } else { 20 },
        );
        let (a, b) = (
            index.matching(&url).len(),
            matching_linear(&linear, &url).len(),
        );
        assert_eq!(a, b, "index and scan disagree");
        println!(
            "{n:>7} tokens: index median {indexed:?}, linear scan median {scanned:?}, \
             ratio {:.0}×, {a} tokens matched",
            scanned.as_nanos() as f64 / indexed.as_nanos().max(1) as f64
        );
    }
    println!("targets: index median ≤ 2 µs at 100 000 tokens; ≥ 100× faster than the scan");
}

fn main() {
    load::report("before");
    group();
    Criterion::default().configure_from_args().final_summary();
    summary();
    load::report("after");
}
