//! `/v1/fetch` against a direct request to the same local upstream, alternating in one
//! run: what the gateway adds (HTTP in and out, session verification, the fetch engine
//! with its coverage checks, credential placement and redaction). Prints p50s and p99s.
//!
//! Run: `cargo bench -p lanyard-gateway --bench fetch`

#[path = "../../core/benches/support/load.rs"]
mod load;
#[path = "../../core/benches/support/seeded.rs"]
mod seeded;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanyard_core::broker::players;
use lanyard_gateway::limits::LimitPolicy;
use lanyard_gateway::{router, Gateway};

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    seeded::run(async |s| {
        let (l, channel) = (&s.lanyard, &s.channel);
        let data = format!("{}/api/weather?city=geneva", s.base);
        let player = players::add_player(l, "bench", None).await.expect("player");
        players::link(l, &player.player.id, channel)
            .await
            .expect("link");
        // One player asks as fast as it can: no per-player limits here.
        let gateway = Gateway::new(l.clone(), LimitPolicy::default())
            .expect("gateway")
            .with_fetch_policy(lanyard_gateway::quota::FetchPolicy::unlimited());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("addr");
        let app = router(Arc::new(gateway)).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let client = reqwest::Client::new();
        let session: serde_json::Value = client
            .post(format!("http://{address}/v1/sessions"))
            .bearer_auth(player.secret.expose())
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        let session = session["token"].as_str().expect("token").to_string();
        let q: String = url::form_urlencoded::byte_serialize(data.as_bytes()).collect();
        let through = format!("http://{address}/v1/fetch?url={q}");

        const N: usize = 1000;
        let direct = |c: &reqwest::Client| {
            let (c, u) = (c.clone(), data.clone());
            async move {
                let r = c.get(&u).send().await.expect("direct");
                assert_eq!(r.status(), 200);
                r.bytes().await.expect("body");
            }
        };
        let proxied = |c: &reqwest::Client| {
            let (c, u, s) = (c.clone(), through.clone(), session.clone());
            async move {
                let r = c.get(&u).bearer_auth(s).send().await.expect("fetch");
                assert_eq!(r.status(), 200);
                r.bytes().await.expect("body");
            }
        };
        for _ in 0..100 {
            direct(&client).await;
            proxied(&client).await;
        }
        let (mut d, mut g) = (Vec::with_capacity(N), Vec::with_capacity(N));
        for _ in 0..N {
            let t = Instant::now();
            direct(&client).await;
            d.push(t.elapsed());
            let t = Instant::now();
            proxied(&client).await;
            g.push(t.elapsed());
        }
        let (d50, g50) = (pct(&mut d, 0.5), pct(&mut g, 0.5));
        let (d99, g99) = (pct(&mut d, 0.99), pct(&mut g, 0.99));
        println!("== /v1/fetch against a direct request (one run, this machine) ==");
        println!("direct GET to the upstream:  p50 {d50:?}  p99 {d99:?}");
        println!("GET /v1/fetch (session):     p50 {g50:?}  p99 {g99:?}");
        println!(
            "added at p50: {:?}; target ≤ 150 µs",
            g50.saturating_sub(d50)
        );
    });
}
