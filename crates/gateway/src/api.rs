//! The HTTP API. Every error is `{ "code", "message" }` (the core's [`Error`]) with the
//! status a client can act on:
//!
//! | code | status |
//! |---|---|
//! | `unauthenticated`, `session_required` | 401 (with `WWW-Authenticate: Bearer`) |
//! | `not_linked`, `unknown_principal`, `not_covered`, `proxy_only` | 403 |
//! | `not_found` | 404 |
//! | `needs_reauth`, `needs_prompt`, `conflict` | 409 |
//! | `revoked` | 410 |
//! | `invalid_input` | 400 |
//! | `rate_limited` | 429 (with `Retry-After`) |
//! | `provider_error`, `request_failed`, `reflected_credential` | 502 |
//! | `provider_unavailable`, `secret_store_unavailable` | 503 |
//! | anything else | 500 |

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use lanyard_core::broker::players;
use lanyard_core::broker::token_links::hand_out;
use lanyard_core::Error;
use serde::Deserialize;

use crate::data;
use crate::errors::error_response;
use crate::state::Gateway;

/// The routes over `gateway`. Serve with connect info (`SocketAddr`): limits need the peer.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/grants", post(grant))
        .route("/v1/sessions", post(data::create).options(data::preflight))
        .route(
            "/v1/fetch",
            get(data::proxy).post(data::proxy).options(data::preflight),
        )
        .route("/v1/feeds/{id}/{key}", any(crate::feeds::serve))
        .route("/v1/channels", get(channels))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .with_state(gateway)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRequest {
    channel: String,
    /// The data URL the grant is for (Microsoft: another resource gets its own token).
    #[serde(default)]
    url: Option<String>,
}

/// `POST /v1/grants`. The request is taken whole: its headers are borrowed, not copied,
/// and the body is read (with axum's default limit and refusal) once the player is known.
async fn grant(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let player = match g.player(&parts.headers, peer).await {
        Ok(player) => player,
        Err(response) => return response,
    };
    let body = match Bytes::from_request(Request::new(body), &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    lanyard_core::failpoint::hit("gateway-grant");
    let request: GrantRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return error_response(&Error::invalid(
            "the body must be JSON: { \"channel\": \"<channel id>\", \"url\": optional data URL }",
        )),
    };
    match hand_out(
        g.lanyard(),
        &player,
        &request.channel,
        request.url.as_deref(),
    )
    .await
    {
        Ok(grant) => {
            g.metrics().grant(started.elapsed());
            grant_response(&grant)
        }
        Err(e) => {
            g.metrics().denial(e.code(), started.elapsed());
            error_response(&e)
        }
    }
}

/// A grant as JSON, `Cache-Control: no-store`. Written into a buffer sized for a grant
/// (~400 bytes; `Json` starts at 128 and grows twice).
fn grant_response(grant: &lanyard_core::broker::grant::Grant) -> Response {
    let mut body = Vec::with_capacity(512);
    if let Err(e) = serde_json::to_writer(&mut body, grant) {
        return error_response(&Error::Internal(format!(
            "the grant did not serialize: {e}"
        )));
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

async fn channels(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let player = match g.player(&headers, peer).await {
        Ok(player) => player,
        Err(response) => return response,
    };
    match players::linked_channels(g.lanyard(), &player).await {
        Ok(channels) => Json(serde_json::json!({ "channels": channels })).into_response(),
        Err(e) => error_response(&e),
    }
}

/// Liveness, and how this gateway hears access changes: `database` is `sqlite` or
/// `postgres`; `hears_access_changes` is false while a PostgreSQL gateway's notification
/// connection is down (it then checks the database on every grant).
async fn health(State(g): State<Arc<Gateway>>) -> Response {
    let store = g.lanyard().store();
    store.access_epoch();
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "database": store.backend(),
        "hears_access_changes": store.hears_access_changes(),
    }))
    .into_response()
}

async fn metrics(State(g): State<Arc<Gateway>>) -> Response {
    let text = g.metrics().render(
        g.lanyard().broker().refreshes(),
        g.auth().verified_count(),
        g.cache().weighted_size().await,
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}
