//! The baseline of the gateway load test: a bare axum 0.8 handler answering every
//! `POST /v1/grants` with a fixed small JSON body, on the same kind of runtime and
//! listener as the gateway. `benches/gateway-load.sh` drives it with the same `wrk`
//! command as the gateway, in the same run, and prints the ratio.
//!
//! Run: `bare_json` (prints `{"listening":"http://127.0.0.1:PORT"}` and serves until killed).

use axum::routing::post;
use axum::{Json, Router};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new().route(
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
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("{{\"listening\":\"http://{}\"}}", listener.local_addr()?);
    axum::serve(listener, app).await
}
