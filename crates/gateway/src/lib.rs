//! # lanyard-gateway
//!
//! The broker over HTTP for players (DESIGN §3, §11): a screen trades its player secret for
//! a short session (`POST /v1/sessions`) and gets data through the core's fetch engine
//! (`/v1/fetch`, feed links), credentials attached inside the gateway; a channel in
//! hand-out mode `token` may also hand a short-lived grant out (`POST /v1/grants`, through
//! the same [`issue_grant`](lanyard_core::broker::grant::issue_grant) the preview uses).
//!
//! ## Contents
//! - [`state`]: [`Gateway`], one gateway's state and options, and who a request's
//!   `Authorization` names.
//! - [`api`]: the routes — `POST /v1/grants`, `GET /v1/channels`, `GET /healthz`,
//!   `GET /metrics` — and the table of error codes to HTTP statuses.
//! - [`errors`]: how an error becomes `{ code, message }` with its HTTP status.
//! - [`data`]: `POST /v1/sessions` (session tokens for screens) and `GET|POST /v1/fetch`
//!   (data through the core's fetch engine, credentials attached inside the gateway).
//! - [`sessions`]: session-token verification (keys and generations per access epoch).
//! - [`upstream`]: one request upstream through the core's fetch engine, as `/v1/fetch`
//!   passes its answer on.
//! - [`feeds`]: `GET|HEAD /v1/feeds/<id>/<key>`, feed links for no-code widgets: one
//!   player and data URL each, answered like `/v1/fetch` for that player.
//! - [`feed_state`]: the feed links' hasher, feeds per access epoch and request windows.
//! - [`cache`]: the shared in-memory cache of `GET /v1/fetch` answers, keyed by URL and
//!   the exact credentials attached (moka + http-cache-semantics, single-flight misses).
//! - [`disk_cache`]: the last good answers kept on disk, sealed (ChaCha20-Poly1305 under a
//!   key in the secret store), bounded, and deleted when their access is cut: what a
//!   gateway restarted during an outage serves stale.
//! - [`auth`]: player authentication: argon2id once per secret, then a per-process cache
//!   keyed by HMAC-SHA256 under a random per-process key, revalidated when the access epoch
//!   moves.
//! - [`limits`]: failed-attempt limits per presented secret and per source address (an
//!   IPv6 address by its /64) — never per player id, which anyone can name.
//! - [`forwarded`]: the client address behind trusted reverse proxies (`X-Forwarded-For`).
//! - [`quota`]: the only per-player limits, on `/v1/fetch` (and feed links) alone: a token
//!   bucket and a cap on requests under way, every session and feed link of a player
//!   counting together; and the gateway-wide body budget.
//! - [`metrics`]: counters and the grant latency histogram in Prometheus text.
//! - [`background`]: a gateway inside the desktop app, started and stopped from Settings.
//! - [`mod@serve`]: listening (plain HTTP on loopback only unless told otherwise, TLS with
//!   rustls), the background upkeep and graceful shutdown.
//!
//! ## Security
//! A player secret is never stored (only its argon2id hash), never logged, never in an
//! error message or a metric. Access tokens leave only in a `/v1/grants` body, to a player
//! linked to a channel whose hand-out mode allows it; `/v1/fetch` answers carry data, and
//! an answer that reflects a sent credential is refused.

pub mod answer_headers;
pub mod api;
pub mod auth;
pub mod background;
pub mod cache;
pub mod data;
pub mod disk_cache;
pub mod errors;
pub mod feed_state;
pub mod feeds;
pub mod forwarded;
pub mod limits;
pub mod metrics;
pub mod plans;
pub mod quota;
pub mod reply;
pub mod serve;
pub mod sessions;
pub mod state;
pub mod upstream;

/// The maps every request reads: foldhash with a per-process random seed (not SipHash:
/// their keys are player ids, tokens and URLs, hashed on every request).
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub use api::router;
pub use serve::{serve, Listening, ServeOptions};
pub use state::Gateway;
