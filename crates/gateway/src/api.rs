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
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use lanyard_core::broker::token_links::hand_out;
use lanyard_core::broker::{players, sessions};
use lanyard_core::preview::PreviewOptions;
use lanyard_core::{Error, Lanyard, Result};
use serde::Deserialize;

use crate::auth::{Authenticator, Refusal};
use crate::cache::Cache;
use crate::data::{self, Sessions};
use crate::forwarded::{self, Cidr};
use crate::limits::LimitPolicy;
use crate::metrics::Metrics;
use crate::quota::{Budget, FetchPolicy, Quota};

/// One gateway's state: the installation, the authenticator and the metrics.
#[derive(Debug)]
pub struct Gateway {
    lanyard: Lanyard,
    auth: Authenticator,
    metrics: Arc<Metrics>,
    sessions: Sessions,
    cors_origins: Vec<String>,
    fetch_options: PreviewOptions,
    cache: Cache,
    session_seconds: i64,
    trusted_proxies: Vec<Cidr>,
    quota: Quota,
    feeds: crate::feeds::Feeds,
    budget: Arc<Budget>,
    stale_deadline: std::time::Duration,
    sessions_only: bool,
}

impl Gateway {
    /// A gateway over an opened installation.
    pub fn new(lanyard: Lanyard, limits: LimitPolicy) -> Result<Self> {
        Ok(Gateway {
            lanyard,
            auth: Authenticator::new(limits)?,
            metrics: Arc::default(),
            sessions: Sessions::default(),
            cors_origins: Vec::new(),
            fetch_options: data::default_options(),
            cache: Cache::default(),
            session_seconds: sessions::SESSION_SECONDS,
            trusted_proxies: Vec::new(),
            quota: Quota::new(FetchPolicy::default()),
            feeds: crate::feeds::Feeds::default(),
            budget: Arc::new(Budget::new(FetchPolicy::default().body_budget)),
            stale_deadline: crate::cache::DEFAULT_STALE_DEADLINE,
            sessions_only: false,
        })
    }

    /// Per-player limits on `/v1/fetch` and the gateway-wide body budget.
    pub fn with_fetch_policy(mut self, policy: FetchPolicy) -> Self {
        self.quota = Quota::new(policy);
        self.budget = Arc::new(Budget::new(policy.body_budget));
        self
    }

    /// Per-player limits on `/v1/fetch`.
    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The gateway-wide budget of answer bytes being read.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// How long a `GET /v1/fetch` waits for the upstream when a stale answer exists
    /// (5 s by default): past it the stale answer is served and the request carries on.
    pub fn with_stale_deadline(mut self, deadline: std::time::Duration) -> Self {
        self.stale_deadline = deadline;
        self
    }

    /// The stale deadline.
    pub fn stale_deadline(&self) -> std::time::Duration {
        self.stale_deadline
    }

    /// What a request upstream needs, owned (it may outlive the request that started it).
    pub(crate) fn upstreamer(&self, who: lanyard_core::fetch::As) -> crate::data::Upstreamer {
        crate::data::Upstreamer {
            lanyard: self.lanyard.clone(),
            budget: self.budget.clone(),
            metrics: self.metrics.clone(),
            who,
            options: self.fetch_options,
        }
    }

    /// Reverse proxies whose `X-Forwarded-For` names the client ([`crate::forwarded`]).
    pub fn with_trusted_proxies(mut self, proxies: Vec<Cidr>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The address a request counts against: the peer, or behind a trusted proxy the
    /// client it names.
    pub fn client_address(&self, headers: &HeaderMap, peer: SocketAddr) -> std::net::IpAddr {
        forwarded::client(peer.ip(), headers, &self.trusted_proxies)
    }

    /// Feed links answer at most `per_minute` requests per feed per minute.
    pub fn with_feed_limit(mut self, per_minute: u32) -> Self {
        self.feeds = crate::feeds::Feeds::new(per_minute);
        self
    }

    /// Feed-link state (hasher, feeds per access epoch, request windows).
    pub(crate) fn feeds(&self) -> &crate::feeds::Feeds {
        &self.feeds
    }

    /// `/v1/fetch` takes session tokens only (`401 session_required` for a player secret),
    /// and `POST /v1/sessions` refuses secrets sent by web content (an `Origin` header):
    /// the player's firmware or a local agent trades the secret, screen content never holds
    /// it.
    pub fn with_sessions_only(mut self, on: bool) -> Self {
        self.sessions_only = on;
        self
    }

    /// Whether only session tokens buy data.
    pub fn sessions_only(&self) -> bool {
        self.sessions_only
    }

    /// The shared response cache of `GET /v1/fetch` (64 MiB by default).
    pub fn with_cache(mut self, cache: Cache) -> Self {
        self.cache = cache;
        self
    }

    /// The shared response cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Session tokens live this long (clamped to 1 s ..= 15 minutes).
    pub fn with_session_seconds(mut self, seconds: i64) -> Self {
        self.session_seconds = seconds.clamp(1, sessions::SESSION_SECONDS);
        self
    }

    /// How long session tokens live.
    pub fn session_seconds(&self) -> i64 {
        self.session_seconds
    }

    /// Answers CORS for these origins (`https://signage.example.com`), and no others.
    pub fn with_cors_origins(mut self, origins: Vec<String>) -> Self {
        self.cors_origins = origins;
        self
    }

    /// The limits of `/v1/fetch` (the preview's by default).
    pub fn with_fetch_options(mut self, options: PreviewOptions) -> Self {
        self.fetch_options = options;
        self
    }

    /// The origins CORS is answered for.
    pub fn cors_origins(&self) -> &[String] {
        &self.cors_origins
    }

    /// The limits of `/v1/fetch`.
    pub fn fetch_options(&self) -> PreviewOptions {
        self.fetch_options
    }

    /// Session verification.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The installation.
    pub fn lanyard(&self) -> &Lanyard {
        &self.lanyard
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The player whose secret the request carries.
    pub(crate) async fn player(
        &self,
        headers: &HeaderMap,
        peer: SocketAddr,
    ) -> std::result::Result<Arc<str>, Response> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        match self
            .auth
            .authenticate(&self.lanyard, bearer, self.client_address(headers, peer))
            .await
        {
            Ok(player) => Ok(player),
            Err(Refusal::Unauthenticated(e)) => {
                self.metrics.auth_failure();
                Err(error_response(&e))
            }
            Err(Refusal::Limited(e, secs)) => {
                self.metrics.rate_limited();
                let mut response = error_response(&e);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                Err(response)
            }
            Err(Refusal::Failed(e)) => Err(error_response(&e)),
        }
    }
}

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

/// The secret of an `Authorization: Bearer …` header value (scheme case-insensitive).
pub(crate) fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRequest {
    channel: String,
    /// The data URL the grant is for (Microsoft: another resource gets its own token).
    #[serde(default)]
    url: Option<String>,
}

async fn grant(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let player = match g.player(&headers, peer).await {
        Ok(player) => player,
        Err(response) => return response,
    };
    lanyard_core::failpoint::hit("gateway-grant");
    let request: GrantRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return error_response(&Error::invalid(
            "the body must be JSON: { \"channel\": \"<channel id>\", \"url\": optional data URL }",
        )),
    };
    match hand_out(
        &g.lanyard,
        &player,
        &request.channel,
        request.url.as_deref(),
    )
    .await
    {
        Ok(grant) => {
            g.metrics.grant(started.elapsed());
            let mut response = Json(grant).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            g.metrics.denial(e.code(), started.elapsed());
            error_response(&e)
        }
    }
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
    match players::linked_channels(&g.lanyard, &player).await {
        Ok(channels) => Json(serde_json::json!({ "channels": channels })).into_response(),
        Err(e) => error_response(&e),
    }
}

/// Liveness, and how this gateway hears access changes: `database` is `sqlite` or
/// `postgres`; `hears_access_changes` is false while a PostgreSQL gateway's notification
/// connection is down (it then checks the database on every grant).
async fn health(State(g): State<Arc<Gateway>>) -> Response {
    let store = g.lanyard.store();
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
    let text = g.metrics.render(
        g.lanyard.broker().refreshes(),
        g.auth.verified_count(),
        g.cache.weighted_size().await,
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

/// The HTTP status of an error code.
pub fn status_of(err: &Error) -> StatusCode {
    match err {
        Error::Unauthenticated(_) | Error::SessionRequired(_) => StatusCode::UNAUTHORIZED,
        Error::NotLinked(_)
        | Error::UnknownPrincipal(_)
        | Error::NotCovered(_)
        | Error::ProxyOnly(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::NeedsReauth(_) | Error::NeedsPrompt(_) | Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Revoked(_) => StatusCode::GONE,
        Error::InvalidInput { .. } => StatusCode::BAD_REQUEST,
        Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::ProviderError(_) | Error::RequestFailed(_) | Error::ReflectedCredential(_) => {
            StatusCode::BAD_GATEWAY
        }
        Error::ProviderUnavailable(_) | Error::SecretStoreUnavailable(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `{ code, message }` with its status.
/// The error code of a gateway refusal, carried in the response's extensions (for the
/// screen states, [`crate::data::answer_as`]).
#[derive(Debug, Clone, Copy)]
pub struct RefusalCode(pub &'static str);

pub fn error_response(err: &Error) -> Response {
    let mut response = (status_of(err), Json(err)).into_response();
    response.extensions_mut().insert(RefusalCode(err.code()));
    if matches!(err, Error::Unauthenticated(_) | Error::SessionRequired(_)) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"lanyard\""),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_needs_the_scheme_and_a_value() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer"), None);
    }

    #[test]
    fn codes_map_to_the_statuses_clients_act_on() {
        let cases = [
            (Error::Unauthenticated(String::new()), 401),
            (Error::NotLinked(String::new()), 403),
            (Error::NeedsReauth(String::new()), 409),
            (Error::RateLimited(String::new()), 429),
            (Error::ProviderUnavailable(String::new()), 503),
            (Error::Revoked(String::new()), 410),
            (Error::Storage(String::new()), 500),
            (Error::NotCovered(String::new()), 403),
            (Error::ProxyOnly(String::new()), 403),
            (Error::NeedsPrompt(String::new()), 409),
            (Error::RequestFailed(String::new()), 502),
            (Error::ReflectedCredential(String::new()), 502),
            (Error::SessionRequired(String::new()), 401),
        ];
        for (err, status) in cases {
            assert_eq!(status_of(&err).as_u16(), status, "{}", err.code());
        }
        let r = error_response(&Error::Unauthenticated("x".into()));
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
