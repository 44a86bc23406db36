//! One gateway's state ([`Gateway`]): the installation, the authenticator, the session
//! keys, the response cache, the per-player limits, the feed-link state and the metrics,
//! with the options `lanyard gateway serve` sets; and who a request's `Authorization`
//! names (`Gateway::player`). The routes that use it are in [`crate::api`],
//! [`crate::data`] and [`crate::feeds`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use lanyard_core::broker::sessions;
use lanyard_core::preview::PreviewOptions;
use lanyard_core::{Lanyard, Result};

use crate::auth::{Authenticator, Refusal};
use crate::cache::Cache;
use crate::errors::error_response;
use crate::feed_state::Feeds;
use crate::forwarded::{self, Cidr};
use crate::limits::LimitPolicy;
use crate::metrics::Metrics;
use crate::quota::{Budget, FetchPolicy, Quota};
use crate::sessions::Sessions;
use crate::upstream::Upstreamer;

/// One gateway's state: the installation, the authenticator and the metrics.
#[derive(Debug)]
pub struct Gateway {
    lanyard: Lanyard,
    auth: Authenticator,
    metrics: Arc<Metrics>,
    sessions: Sessions,
    plans: crate::plans::Plans,
    cors_origins: Vec<String>,
    fetch_options: PreviewOptions,
    cache: Cache,
    session_seconds: i64,
    trusted_proxies: Vec<Cidr>,
    quota: Quota,
    feeds: Feeds,
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
            plans: crate::plans::Plans::default(),
            cors_origins: Vec::new(),
            fetch_options: crate::upstream::default_options(),
            cache: Cache::default(),
            session_seconds: sessions::SESSION_SECONDS,
            trusted_proxies: Vec::new(),
            quota: Quota::new(FetchPolicy::default()),
            feeds: Feeds::default(),
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
    pub(crate) fn upstreamer(&self, who: lanyard_core::fetch::As) -> Upstreamer {
        Upstreamer {
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
        self.feeds = Feeds::new(per_minute);
        self
    }

    /// Feed-link state (hasher, feeds per access epoch, request windows).
    pub(crate) fn feeds(&self) -> &Feeds {
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

    /// The `GET /v1/fetch` plans of the current access epoch.
    pub fn plans(&self) -> &crate::plans::Plans {
        &self.plans
    }

    /// The installation.
    pub fn lanyard(&self) -> &Lanyard {
        &self.lanyard
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Player authentication.
    pub(crate) fn auth(&self) -> &Authenticator {
        &self.auth
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

/// The secret of an `Authorization: Bearer …` header value (scheme case-insensitive).
pub(crate) fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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
}
