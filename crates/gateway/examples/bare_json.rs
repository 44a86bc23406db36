//! The baseline of the gateway load tests: a bare axum 0.8 handler answering every
//! `POST /v1/grants` (and every `GET /v1/fetch`, with the feed body of
//! `benches/fetch-load.sh`) with a fixed small JSON body, on the same kind of runtime and
//! listener as the gateway. `benches/gateway-load.sh` and `benches/fetch-load.sh` drive
//! it with the same `wrk` command as the gateway, in the same run, and print the ratio.
//!
//! It runs on the same allocator as the `lanyard` executable (mimalloc), so the ratio
//! compares request handling, not allocators.
//!
//! Run: `bare_json` (prints `{"listening":"http://127.0.0.1:PORT"}` and serves until killed).

use axum::routing::{get, post};
use axum::{Json, Router};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The body `benches/fetch-load.sh`'s upstream serves.
const FEED: &str =
    r#"{"feed":"load","items":[{"title":"Lobby","value":21.5},{"title":"Hall","value":19.0}]}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route(
            "/v1/grants",
            post(|| async {
                Json(serde_json::json!({
                    "principal_id": "0b0e5c1e-0000-4000-8000-000000000000",
                    "channel_id": "9f1d2b7a-0000-4000-8000-000000000000",
                    "access_token": "load-access-0",
                    "token_type": "Bearer",
                    "expires_at": 1_800_000_000,
                    "provider_expires_at": 1_800_003_600,
                    "scopes": []
                }))
            }),
        )
        .route(
            "/v1/fetch",
            get(|| async {
                (
                    [
                        ("content-type", "application/json"),
                        ("cache-control", "max-age=10"),
                    ],
                    FEED,
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("{{\"listening\":\"http://{}\"}}", listener.local_addr()?);
    axum::serve(listener, app).await
}
