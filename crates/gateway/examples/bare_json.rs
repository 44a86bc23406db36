//! The baseline of the gateway load tests: a bare axum 0.8 handler answering every
//! `POST /v1/grants` (and every `GET /v1/fetch`, with the feed body of
//! `benches/fetch-load.sh`) with a fixed small JSON body, on the same kind of runtime and
//! listener as the gateway. `benches/gateway-load.sh` and `benches/fetch-load.sh` drive
//! it with the same `wrk` command as the gateway, in the same run, and print the ratio.
//!
//! It runs on the same allocator as the `lanyard` executable (mimalloc), so the ratio
//! compares request handling, not allocators.
//!
//! With `BARE_ANSWER=gateway`, `GET /v1/fetch` answers what the gateway answers a cached
//! fetch of `benches/feed-upstream.mjs`'s feed, byte for byte in size: the same body
//! length and the same headers (`ETag`, `Cache-Control: private, …`, `Vary`, `Age`,
//! `X-Lanyard-Attached`, `X-Lanyard-Cache`, `X-Content-Type-Options`). `fetch-load.sh`
//! drives it as a second baseline: what a bare handler costs when it sends what the
//! gateway must send (the issue's ratio stays against the first).
//!
//! With the same `BARE_ANSWER=gateway`, `POST /v1/grants` also does what the gateway's
//! HTTP layer must before its own work: it reads the `Authorization` header and the whole
//! body, parses the body's JSON (`{ "channel", "url"? }`) and answers the same grant. The
//! difference between the two baselines is the cost of taking a POST body at all;
//! `benches/gateway-load.sh` drives this one too, as its second baseline.
//!
//! Run: `bare_json` (prints `{"listening":"http://127.0.0.1:PORT"}` and serves until killed).

use axum::routing::{get, post};
use axum::{Json, Router};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The body `benches/fetch-load.sh`'s upstream serves.
const FEED: &str =
    r#"{"feed":"load","items":[{"title":"Lobby","value":21.5},{"title":"Hall","value":19.0}]}"#;

/// The body of a cached gateway answer: the feed upstream's, 104 bytes.
const FEED_AS_GATEWAY: &str = r#"{"feed":"lobby","window":179660893,"items":[{"title":"Lobby","value":21.5},{"title":"Hall","value":19}]}"#;

/// The headers the gateway answers a cached fetch with (besides `content-length` and
/// `date`, which hyper adds to both).
const GATEWAY_HEADERS: [(&str, &str); 8] = [
    ("etag", "\"lobby-179660893\""),
    ("content-type", "application/json"),
    ("cache-control", "private, max-age=10"),
    ("vary", "Authorization, Origin"),
    ("age", "3"),
    (
        "x-lanyard-attached",
        "url_token:b5102466-f28e-4ae4-ac52-0ea177771fe2:apikey",
    ),
    ("x-lanyard-cache", "hit"),
    ("x-content-type-options", "nosniff"),
];

/// A grant's answer (the same for every request).
fn grant_body() -> serde_json::Value {
    serde_json::json!({
        "principal_id": "0b0e5c1e-0000-4000-8000-000000000000",
        "channel_id": "9f1d2b7a-0000-4000-8000-000000000000",
        "access_token": "load-access-0",
        "token_type": "Bearer",
        "expires_at": 1_800_000_000,
        "provider_expires_at": 1_800_003_600,
        "scopes": []
    })
}

async fn grant() -> Json<serde_json::Value> {
    Json(grant_body())
}

/// The body a grant request carries.
#[derive(serde::Deserialize)]
struct GrantRequest {
    channel: String,
    #[serde(default)]
    url: Option<String>,
}

async fn grant_as_gateway(
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let authorized = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    match serde_json::from_slice::<GrantRequest>(&body) {
        Ok(request) if authorized && !request.channel.is_empty() && request.url.is_none() => {
            Json(grant_body()).into_response()
        }
        _ => axum::http::StatusCode::BAD_REQUEST.into_response(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route(
            "/v1/grants",
            if std::env::var("BARE_ANSWER").as_deref() == Ok("gateway") {
                post(grant_as_gateway)
            } else {
                post(grant)
            },
        )
        .route(
            "/v1/fetch",
            if std::env::var("BARE_ANSWER").as_deref() == Ok("gateway") {
                get(|| async { (GATEWAY_HEADERS, FEED_AS_GATEWAY) })
            } else {
                get(|| async {
                    (
                        [
                            ("content-type", "application/json"),
                            ("cache-control", "max-age=10"),
                        ],
                        FEED,
                    )
                })
            },
        );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("{{\"listening\":\"http://{}\"}}", listener.local_addr()?);
    axum::serve(listener, app).await
}
