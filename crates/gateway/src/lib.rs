//! # lanyard-gateway
//!
//! The broker over HTTP for players (DESIGN §3): a player presents its secret and gets a
//! short-lived grant for a channel it is linked to, through the same
//! [`issue_grant`](lanyard_core::broker::grant::issue_grant) the desktop preview uses.
//!
//! ## Contents
//! - [`api`]: the routes — `POST /v1/grants`, `GET /v1/channels`, `GET /healthz`,
//!   `GET /metrics` — and how errors become `{ code, message }` with an HTTP status.
//! - [`data`]: `POST /v1/sessions` (session tokens for screens) and `GET|POST /v1/fetch`
//!   (data through the core's fetch engine, credentials attached inside the gateway).
//! - [`feeds`]: `GET|HEAD /v1/feeds/<id>/<key>`, feed links for no-code widgets: one
//!   player and data URL each, answered like `/v1/fetch` for that player.
//! - [`cache`]: the shared in-memory cache of `GET /v1/fetch` answers, keyed by URL and
//!   the exact credentials attached (moka + http-cache-semantics, single-flight misses).
//! - [`disk_cache`]: the last good answers kept on disk, sealed (ChaCha20-Poly1305 under a
//!   key in the secret store), bounded, and deleted when their access is cut: what a
//!   gateway restarted during an outage serves stale.
//! - [`auth`]: player authentication: argon2id once per secret, then a per-process cache
//!   keyed by HMAC-SHA256 under a random per-process key, revalidated when the access epoch
//!   moves.
//! - [`limits`]: failed-attempt limits per presented secret and per source address.
//! - [`forwarded`]: the client address behind trusted reverse proxies (`X-Forwarded-For`).
//! - [`quota`]: per-player request limits on `/v1/fetch` and the gateway-wide body budget.
//! - [`metrics`]: counters and the grant latency histogram in Prometheus text.
//! - [`background`]: a gateway inside the desktop app, started and stopped from Settings.
//! - [`mod@serve`]: listening (plain HTTP on loopback only unless told otherwise, TLS with
//!   rustls), the audit flush and graceful shutdown.
//!
//! ## Security
//! A player secret is never stored (only its argon2id hash), never logged, never in an
//! error message or a metric. Access tokens leave only in a grant's body, to the player
//! that is linked to the channel.

pub mod api;
pub mod auth;
pub mod background;
pub mod cache;
pub mod data;
pub mod disk_cache;
pub mod feeds;
pub mod forwarded;
pub mod limits;
pub mod metrics;
pub mod quota;
pub mod serve;

pub use api::{router, Gateway};
pub use serve::{serve, Listening, ServeOptions};
