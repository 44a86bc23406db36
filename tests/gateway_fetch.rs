//! What the tests of a gateway's `/v1/fetch` share: serving a local upstream (or an
//! in-process gateway) on a loopback port, a player linked to a channel, and one GET
//! through `/v1/fetch` with its answer and the marks of a stale one (`stale.rs`,
//! `disk_cache.rs`, `cache.rs`, `fetch.rs`, `player_fetch.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanyard_core::broker::players::{self, add_player};
use lanyard_core::Lanyard;

/// Serves `app` on a loopback port: its base address (`http://127.0.0.1:PORT`) and the
/// server's task (abort it to stop answering).
pub(crate) async fn serve(app: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, server)
}

/// Serves an in-process gateway's router on a loopback port, with the peer address its
/// limits need: its base address.
pub(crate) async fn serve_gateway(gateway: lanyard_gateway::Gateway) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    let app = lanyard_gateway::router(Arc::new(gateway))
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

/// A new player linked to `channel`: (id, secret).
pub(crate) async fn linked_player(l: &Lanyard, channel: &str, name: &str) -> (String, String) {
    let new = add_player(l, name, None).await.expect("player");
    players::link(l, &new.player.id, channel)
        .await
        .expect("link");
    (new.player.id.clone(), new.secret.expose().to_string())
}

/// One answer of `/v1/fetch`.
pub(crate) struct Answered {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) headers: reqwest::header::HeaderMap,
    /// From sending the request to the end of the body.
    pub(crate) took: Duration,
}

impl Answered {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The error body's stable code ("" when there is none).
    pub(crate) fn code(&self) -> String {
        crate::util::error_code(&self.body)
    }

    /// Served stale for `reason`: the last good `body`, with the marks of any stale answer
    /// (`X-Lanyard-Cache: stale`, the reason, `X-Lanyard-Stale` seconds within `Age`).
    pub(crate) fn assert_stale(&self, body: &str, reason: &str) {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.body, body);
        assert_eq!(self.header("x-lanyard-cache").as_deref(), Some("stale"));
        assert_eq!(
            self.header("x-lanyard-stale-reason").as_deref(),
            Some(reason),
            "{:?}",
            self.headers
        );
        let secs: u64 = self
            .header("x-lanyard-stale")
            .and_then(|v| v.parse().ok())
            .expect("X-Lanyard-Stale: seconds");
        let age: u64 = self
            .header("age")
            .and_then(|v| v.parse().ok())
            .expect("Age");
        assert!(age >= secs && secs < 120, "age {age}, stale {secs}");
    }
}

/// GET `url` through the gateway at `gateway` with `bearer` (a player secret or a session
/// token), waiting a minute at most.
pub(crate) async fn fetch(gateway: &str, bearer: &str, url: &str) -> Answered {
    let q: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    let started = Instant::now();
    let r = reqwest::Client::new()
        .get(format!("{gateway}/v1/fetch?url={q}"))
        .bearer_auth(bearer)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("gateway answers");
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    let body = r.text().await.expect("body");
    Answered {
        status,
        body,
        headers,
        took: started.elapsed(),
    }
}
