//! The shared response cache of `GET /v1/fetch`: many screens, one upstream request.
//!
//! - **Keyed by the URL and the exact set of credentials** the principal would attach to
//!   it (the channel whose API base covers it, with the audience for per-resource
//!   providers, and every linked URL token whose prefix matches it; ids, never values).
//!   A principal linked to fewer or other credentials computes another key, so it is never
//!   served an answer fetched with credentials it is not linked to. The key is computed
//!   from the request snapshot after the session and link checks, so an unlink or a
//!   removal cuts access at once, cached or not.
//! - **An answer is kept only under its own key.** The fetch engine reads the links again
//!   when it fetches; a link added or removed in between would otherwise store an answer
//!   fetched with other credentials under the old key. So every answer carries the
//!   credentials the engine actually matched ([`Upstream::credentials`]), and one whose
//!   set differs from its key's is neither stored nor handed to anyone but the principal
//!   that asked.
//! - **Caching rules** are `http-cache-semantics` (RFC 7234/9111) as a shared cache:
//!   `Cache-Control`, `Expires`, `Vary`, heuristics, `ETag`/`Last-Modified` revalidation.
//!   `private`, `no-store`, `Set-Cookie`, redirected answers and anything but `GET` are
//!   never stored. The key replaces the shared-cache rule about `Authorization`: an entry
//!   is only ever served to principals holding the very credentials it was fetched with.
//! - **A minimum refetch interval** per channel and per URL token (the largest of the
//!   key's) keeps a stored answer at least that long, for APIs that send no caching
//!   headers.
//! - **One flight per key and variant.** Requests that find no fresh answer while another
//!   request for the same key (and content-negotiation headers) is already upstream wait
//!   for that request and share its result — answer or failure — instead of queueing for
//!   their own (a `no-cache` feed polled by N screens at once costs one upstream round
//!   trip, a hanging upstream one timeout). A result is shared with every waiter only when
//!   it was fetched with exactly the key's credentials, was not redirected and sets no
//!   cookie; otherwise each waiter of another principal makes its own request. A waiter
//!   whose leader goes away (its client hung up) takes over.
//! - **A short negative entry** ([`NEGATIVE_TTL`]) after an upstream failure (a transport
//!   error or timeout, or a 5xx answer): requests for that key get the same failure at
//!   once, with `Retry-After`, instead of queueing behind a dead upstream.
//! - **The last good answer, marked stale** (DESIGN §13, [`Cache::serve`]): every 2xx
//!   answer fetched with exactly its key's credentials (not redirected, no cookie, not
//!   `no-store`; `private` is kept, since the key names the very credentials) is also kept
//!   as the key's last good copy. When a fresh answer cannot be had — the upstream is
//!   unreachable or times out, answers 5xx or 429, the channel's refresh fails
//!   transiently (`provider_unavailable`) or the channel awaits re-authorization
//!   (`needs_reauth`) — that copy is served with its [`Stale`] mark, up to the key's "keep
//!   showing for" limit ([`keep_stale`]: the smallest of its credentials'). While a copy
//!   exists a request waits at most the stale deadline for the upstream: the request
//!   upstream runs in its own task, so it carries on past the deadline and replaces the
//!   answer when it succeeds. The copy is looked up only under the key, computed after
//!   the session and link checks: once access is cut nothing stale is served.
//! - **The store** is a `moka` cache bounded by key, body and header bytes, in memory. A
//!   key whose answer may not be stored is remembered as such, so its requests go
//!   upstream without waiting for one another.
//! - **The last good copies survive a restart** ([`Cache::with_disk`],
//!   [`crate::disk_cache`]): each one kept is also written to disk, sealed, by a task of
//!   its own; a key with no good copy in memory looks on disk before asking the upstream.
//!   Nothing else of the cache is written to disk, and with `--no-disk-cache` nothing at
//!   all.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_cache_semantics::{AfterResponse, BeforeRequest, CacheOptions, CachePolicy};
use lanyard_core::fetch::{credentials, As};
use lanyard_core::snapshot::Snapshot;
use lanyard_core::{Error, Result};

pub use crate::reply::Reply;
use tokio::sync::watch;
use url::Url;

pub use crate::answer_headers::{CACHE_HEADER, STALE_HEADER, STALE_REASON_HEADER};

/// The default "keep showing for" limit of a credential: a day.
pub const DEFAULT_KEEP_STALE: Duration =
    Duration::from_secs(lanyard_core::store::stale::DEFAULT_KEEP_STALE_SECS);

/// How long a request waits for the upstream when a stale answer exists, by default.
pub const DEFAULT_STALE_DEADLINE: Duration = Duration::from_secs(5);

/// Stale reasons (`X-Lanyard-Stale-Reason`): the upstream could not be reached.
pub const UPSTREAM_UNREACHABLE: &str = "upstream_unreachable";
/// The upstream did not answer within the stale deadline (or the fetch timeout).
pub const UPSTREAM_TIMEOUT: &str = "upstream_timeout";
/// The upstream answered 5xx.
pub const UPSTREAM_ERROR: &str = "upstream_error";
/// The upstream answered 429.
pub const UPSTREAM_RATE_LIMITED: &str = "upstream_rate_limited";
/// The channel's token could not be refreshed (the provider is unavailable).
pub const PROVIDER_UNAVAILABLE: &str = "provider_unavailable";
/// The channel awaits re-authorization (`invalid_grant` and the like).
pub const NEEDS_REAUTH: &str = "needs_reauth";

/// The default bound of the cache: 64 MiB of keys, bodies and headers.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How long an upstream failure is answered from memory for its key.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(5);

/// What an entry costs besides its key, body and headers.
const OVERHEAD: usize = 256;

/// How a request that waited for others may go on before making its own request.
const MAX_JOINS: usize = 3;

/// How the cache answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served from the cache (or another request's flight) without asking the upstream.
    Hit,
    /// Fetched from the upstream.
    Miss,
    /// The upstream confirmed the stored answer (304) and it was served.
    Revalidated,
    /// No fresh answer could be had: the last good one was served ([`Answer::stale`]).
    Stale,
}

impl Outcome {
    /// The `X-Lanyard-Cache` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Miss => "miss",
            Outcome::Revalidated => "revalidated",
            Outcome::Stale => "stale",
        }
    }
}

/// A cache key: the URL and the credentials it would be fetched with (sorted names like
/// `channel:<id>` and `url_token:<id>`).
///
/// Its hash is worked out once, when it is made (with this process's random keys, so
/// nobody outside can choose URLs that collide): a lookup hashes eight bytes, not the URL
/// and every name. Equality still compares the URL and the names.
#[derive(Debug, Clone)]
pub struct Key {
    url: Arc<str>,
    credentials: Arc<[String]>,
    hash: u64,
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.hash == other.hash && self.url == other.url && self.credentials == other.credentials
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl Key {
    /// The key of `url` fetched with `credentials` (sorted, deduplicated names).
    pub(crate) fn new(url: Arc<str>, credentials: Arc<[String]>) -> Key {
        use std::hash::BuildHasher;
        static KEYS: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
        let hash = KEYS
            .get_or_init(std::hash::RandomState::new)
            .hash_one((&*url, &*credentials));
        Key {
            url,
            credentials,
            hash,
        }
    }

    /// A key for unit tests of other modules.
    #[cfg(test)]
    pub(crate) fn for_tests(url: &str, credentials: &[&str]) -> Key {
        Key::new(
            url.into(),
            credentials.iter().map(|c| c.to_string()).collect(),
        )
    }

    /// The credential names of the key.
    pub fn credentials(&self) -> &[String] {
        &self.credentials
    }

    /// What the key itself costs in the cache's bound: its URL and credential names.
    pub fn weight(&self) -> usize {
        self.url.len() + self.credentials.iter().map(|c| c.len() + 16).sum::<usize>() + 64
    }

    /// Whether `used` (sorted `channel:<id>` / `url_token:<id>` names: what the engine
    /// matched) is exactly this key's set. A per-resource channel's `@<origin>` is part of
    /// the URL already.
    pub fn fetched_with(&self, used: &[String]) -> bool {
        let mut mine: Vec<&str> = self
            .credentials
            .iter()
            .map(|c| c.split_once('@').map_or(c.as_str(), |(name, _)| name))
            .collect();
        mine.sort_unstable();
        mine.dedup();
        mine.len() == used.len() && mine.iter().zip(used).all(|(a, b)| *a == b.as_str())
    }
}

/// The key of `who`'s `GET url`, and the minimum refetch interval that applies, after the
/// checks the fetch engine makes first (an active player; a URL a linked credential
/// covers).
pub fn key(snapshot: &Snapshot, who: &As, url: &Url) -> Result<(Key, Duration)> {
    if let As::Player(id) = who {
        if !snapshot.active_players.contains(id) {
            return Err(Error::UnknownPrincipal(format!(
                "no active player with id {id:?}"
            )));
        }
    }
    credentials::require_covered(snapshot, who, url)?;
    let linked = snapshot.linked(who.id());
    let mut names: Vec<String> = Vec::new();
    let mut min_refetch = 0;
    let mut floor = |name: &str| {
        if let Some(secs) = snapshot.min_refetch.get(name) {
            min_refetch = min_refetch.max(*secs);
        }
    };
    if let Some(c) = credentials::channel_for(snapshot, who, url, None)? {
        let name = format!("channel:{}", c.id);
        floor(&name);
        names.push(if c.per_resource {
            format!("{name}@{}", url.origin().ascii_serialization())
        } else {
            name
        });
    }
    for t in snapshot
        .tokens
        .matching_where(url, |t| linked.tokens.contains(&t.id))
    {
        let name = format!("url_token:{}", t.id);
        floor(&name);
        names.push(name);
    }
    names.sort();
    names.dedup();
    Ok((
        Key::new(url.as_str().into(), names.into()),
        Duration::from_secs(min_refetch),
    ))
}

/// The "keep showing for" limit of `key`: the smallest of its credentials' (a day unless
/// set with `channel set` / `token set --keep-stale-for`; 0: nothing stale is served).
pub fn keep_stale(snapshot: &Snapshot, key: &Key) -> Duration {
    key.credentials
        .iter()
        .map(|c| c.split_once('@').map_or(c.as_str(), |(name, _)| name))
        .map(|name| {
            snapshot
                .keep_stale
                .get(name)
                .map_or(DEFAULT_KEEP_STALE, |secs| Duration::from_secs(*secs))
        })
        .min()
        .unwrap_or(DEFAULT_KEEP_STALE)
}

/// An answer from the upstream, as the gateway passes it on.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// What the player is sent.
    pub reply: Reply,
    /// Every upstream header (for the caching rules).
    pub raw: HeaderMap,
    /// The request was redirected (such answers are never stored).
    pub redirected: bool,
    /// The credentials the engine matched on any hop, sent or not (sorted
    /// `channel:<id>` / `url_token:<id>`): the answer is stored and shared only under a key
    /// with exactly these.
    pub credentials: Vec<String>,
}

/// The mark of a stale answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    /// When it was fetched (or last confirmed by the upstream).
    pub fetched_at: SystemTime,
    /// Why no fresh answer could be had (one of the reason constants).
    pub reason: &'static str,
}

impl Stale {
    /// Whole seconds since it was fetched.
    pub fn seconds(&self) -> u64 {
        SystemTime::now()
            .duration_since(self.fetched_at)
            .map_or(0, |d| d.as_secs())
    }
}

/// What the gateway answers a player.
#[derive(Debug, Clone)]
pub struct Answer {
    /// What the player is sent.
    pub reply: Reply,
    /// How the cache answered.
    pub outcome: Outcome,
    /// Set when this is the last good answer served because no fresh one could be had.
    pub stale: Option<Stale>,
}

impl Answer {
    fn passed(up: Upstream, outcome: Outcome) -> Answer {
        Answer {
            reply: up.reply,
            outcome,
            stale: None,
        }
    }
}

/// A refusal from the cache: the error, and when the same request may be worth repeating
/// (an upstream failure remembered for its key).
#[derive(Debug, Clone)]
pub struct Failure {
    /// The error.
    pub error: Arc<Error>,
    /// `Retry-After`, for upstream failures.
    pub retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error: Arc::new(error),
            retry_after: None,
        }
    }
}

/// Whether an error is the upstream's (remembered for [`NEGATIVE_TTL`] and shared with
/// every waiter): it carries no data, only that the upstream could not be had.
fn upstream_failure(e: &Error) -> bool {
    matches!(e, Error::RequestFailed(_))
}

/// A stored answer.
#[derive(Debug)]
struct Stored {
    policy: CachePolicy,
    /// The content-negotiation headers of the request that stored it.
    negotiation: Vec<(String, String)>,
    /// The answer names request headers it varies on (`Vary`).
    varies: bool,
    /// Until when it is fresh for requests with those same headers (computed once: no
    /// request directive ever reaches the cache, so freshness only runs out with time).
    fresh_until: Instant,
    reply: Reply,
    stored_at: Instant,
    /// The answer's age when it was stored (`stored_at`): its age now is that plus the
    /// time since, with no header parsed and no wall clock read on a hit.
    age_then: Duration,
    /// The headers of a hit, as sent but for `Age` ([`crate::answer_headers::sent`]),
    /// built once here.
    sent: HeaderMap,
}

/// A fresh stored answer as the player is sent it ([`Cache::hit`]).
#[derive(Debug)]
pub struct Hit {
    /// The status.
    pub status: StatusCode,
    /// Its headers with `Age` and `X-Lanyard-Cache: hit`.
    pub headers: HeaderMap,
    /// The body (shared with the stored answer).
    pub body: axum::body::Bytes,
}

impl Stored {
    /// This answer renewed by a 304 to its revalidation: the new policy, and the 304's
    /// values for the headers it keeps.
    fn renewed(
        &self,
        policy: CachePolicy,
        headers: &HeaderMap,
        request: &Request<()>,
        now: SystemTime,
    ) -> Stored {
        // The 304's values for the headers kept, its caching headers made private again.
        let headers = crate::answer_headers::for_player(
            headers
                .iter()
                .filter(|(k, _)| self.reply.headers.iter().any(|(kept, _)| kept == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        let reply = Reply {
            headers,
            ..self.reply.clone()
        };
        Stored::new(
            policy,
            request,
            self.negotiation.clone(),
            self.varies,
            reply,
            now,
        )
    }

    /// `reply`, stored for `request` (its content negotiation `negotiation`) under
    /// `policy`, made at `now`.
    fn new(
        policy: CachePolicy,
        request: &Request<()>,
        negotiation: Vec<(String, String)>,
        varies: bool,
        reply: Reply,
        now: SystemTime,
    ) -> Stored {
        let sent = crate::answer_headers::sent(
            reply
                .headers
                .iter()
                .filter(|(k, _)| k != axum::http::header::AGE),
            &reply.attached,
            Outcome::Hit.as_str(),
            1,
        );
        Stored {
            fresh_until: fresh_until(&policy, request, now),
            age_then: policy.age(now),
            negotiation,
            varies,
            policy,
            reply,
            stored_at: Instant::now(),
            sent,
        }
    }

    fn weight(&self) -> usize {
        // The hit headers share their values with the reply's; their map is counted.
        self.reply.weight()
            + self.sent.len() * 64
            + self
                .negotiation
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
            + OVERHEAD
    }

    /// Whether it may be served for `request` without asking the upstream: fresh by the
    /// caching rules, or younger than the minimum refetch interval (for the same variant).
    /// Requests matching the stored variant (no `Vary`, or the storing request's own
    /// headers) take the freshness computed at store time.
    fn fresh(&self, request: &Asked, min_refetch: Duration, now: Instant) -> bool {
        let young =
            !min_refetch.is_zero() && now.saturating_duration_since(self.stored_at) < min_refetch;
        if !self.varies || request.negotiation == self.negotiation.as_slice() {
            return now < self.fresh_until || young;
        }
        match self
            .policy
            .before_request(request.request(), SystemTime::now())
        {
            BeforeRequest::Fresh(_) => true,
            BeforeRequest::Stale { matches, .. } => matches && young,
        }
    }

    /// Its age in whole seconds at `now`.
    fn age(&self, now: Instant) -> u64 {
        (self.age_then + now.saturating_duration_since(self.stored_at)).as_secs()
    }

    fn answer(&self, now: Instant, outcome: Outcome) -> Answer {
        Answer {
            reply: self.reply.aged(self.age(now)),
            outcome,
            stale: None,
        }
    }

    /// A hit at `now`: the headers built when it was stored, with its `Age`.
    fn hit(&self, now: Instant) -> Hit {
        let mut headers = self.sent.clone();
        headers.insert(axum::http::header::AGE, HeaderValue::from(self.age(now)));
        Hit {
            status: self.reply.status,
            headers,
            body: self.reply.body.clone(),
        }
    }
}

/// The last good answer of a key (DESIGN §13).
#[derive(Debug)]
struct Good {
    /// What is sent, its headers without `Age`.
    reply: Reply,
    /// The upstream's `Age` when it was fetched.
    age: u64,
    /// The content-negotiation headers of the request that fetched it, when the answer
    /// varies on request headers (it is then served only to that same variant).
    variant: Option<Vec<(String, String)>>,
    fetched_at: SystemTime,
}

impl Good {
    fn weight(&self) -> usize {
        self.reply.weight() + OVERHEAD
    }

    /// Served for `asked`, fetched at most `keep` ago.
    fn serves(&self, asked: &Asked, keep: Duration) -> bool {
        let young = SystemTime::now()
            .duration_since(self.fetched_at)
            .map_or(true, |age| age <= keep);
        young
            && self
                .variant
                .as_deref()
                .is_none_or(|v| v == asked.negotiation)
    }

    /// As written to disk under `key`.
    fn on_disk(&self, key: &Key) -> crate::disk_cache::Entry {
        crate::disk_cache::Entry {
            url: key.url.to_string(),
            credentials: key.credentials.to_vec(),
            variant: self.variant.clone(),
            status: self.reply.status.as_u16(),
            headers: self
                .reply
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
                .collect(),
            age: self.age,
            attached: self.reply.attached.clone(),
            fetched_at: self.fetched_at,
            body: self.reply.body.clone(),
        }
    }

    /// As read back from disk (headers that no longer parse are left out).
    fn from_disk(e: crate::disk_cache::Entry) -> Good {
        Good {
            reply: Reply {
                status: StatusCode::from_u16(e.status).unwrap_or(StatusCode::OK),
                // Written by an older gateway, the caching headers may be the upstream's.
                headers: crate::answer_headers::for_player(
                    e.headers
                        .into_iter()
                        .filter_map(|(k, v)| {
                            Some((
                                HeaderName::from_bytes(k.as_bytes()).ok()?,
                                HeaderValue::from_bytes(&v).ok()?,
                            ))
                        })
                        .collect(),
                ),
                body: e.body,
                attached: e.attached,
            },
            age: e.age,
            variant: e.variant,
            fetched_at: e.fetched_at,
        }
    }

    fn answer(&self, reason: &'static str) -> Answer {
        let stale = Stale {
            fetched_at: self.fetched_at,
            reason,
        };
        Answer {
            reply: self.reply.aged(self.age + stale.seconds()),
            outcome: Outcome::Stale,
            stale: Some(stale),
        }
    }
}

/// Why `error` (from the fetch engine) leaves a stale answer to serve, if it does: never
/// for a refusal of access (not linked, not covered, revoked, unknown player).
pub fn stale_reason_of_error(error: &Error) -> Option<&'static str> {
    match error {
        Error::RequestFailed(m) if m.contains("timed out") => Some(UPSTREAM_TIMEOUT),
        Error::RequestFailed(_) => Some(UPSTREAM_UNREACHABLE),
        Error::ProviderUnavailable(_) => Some(PROVIDER_UNAVAILABLE),
        Error::NeedsReauth(_) => Some(NEEDS_REAUTH),
        _ => None,
    }
}

/// Why an upstream answer with `status` leaves a stale answer to serve, if it does.
pub fn stale_reason_of_status(status: StatusCode) -> Option<&'static str> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        Some(UPSTREAM_RATE_LIMITED)
    } else if status.is_server_error() {
        Some(UPSTREAM_ERROR)
    } else {
        None
    }
}

/// How stale answers are served for one request: the key's "keep showing for" limit (0:
/// never) and how long to wait for the upstream when a stale answer exists.
#[derive(Debug, Clone, Copy)]
pub struct StalePolicy {
    /// Served at most this long after it was fetched.
    pub keep: Duration,
    /// The wait for a fresh answer when a stale one exists.
    pub deadline: Duration,
}

/// A cache slot: an answer, or "this key's answers may not be stored".
#[derive(Debug, Clone)]
enum Slot {
    Stored(Arc<Stored>),
    Pass,
}

/// An upstream failure remembered for a key until `until`.
#[derive(Debug, Clone)]
struct Negative {
    until: Instant,
    outcome: std::result::Result<Answer, Arc<Error>>,
}

impl Negative {
    fn weight(&self) -> usize {
        OVERHEAD
            + match &self.outcome {
                Ok(a) => a.reply.weight(),
                Err(_) => 256,
            }
    }

    fn replay(&self) -> Option<std::result::Result<Answer, Failure>> {
        let left = self.until.checked_duration_since(Instant::now())?;
        Some(match &self.outcome {
            Ok(a) => Ok(Answer {
                outcome: Outcome::Hit,
                stale: None,
                ..a.clone()
            }),
            Err(e) => Err(Failure {
                error: e.clone(),
                retry_after: Some(left),
            }),
        })
    }
}

/// What a flight hands to the requests that waited for it.
#[derive(Debug)]
struct Flown {
    result: std::result::Result<Answer, Failure>,
    /// The principal whose request it was.
    principal: String,
    /// Whether every waiter may have it (else only the same principal's).
    shareable: bool,
}

/// One flight: the key and the content-negotiation headers.
type FlightKey = (Key, Vec<(String, String)>);

/// The flights under way, each with the receiver its waiters clone.
type Flights = Mutex<HashMap<FlightKey, watch::Receiver<Option<Arc<Flown>>>>>;

/// Removes a flight from the table when its leader is done or goes away.
struct Landing<'a> {
    flights: &'a Flights,
    key: FlightKey,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.remove(&self.key);
    }
}

/// The shared cache.
#[derive(Debug, Clone)]
pub struct Cache {
    store: Option<moka::future::Cache<Key, Slot>>,
    good: Option<moka::future::Cache<Key, Arc<Good>>>,
    negative: Option<moka::future::Cache<Key, Negative>>,
    flights: Arc<Flights>,
    max_entry: usize,
    disk: Option<crate::disk_cache::DiskCache>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::new(DEFAULT_MAX_BYTES)
    }
}

fn options() -> CacheOptions {
    CacheOptions {
        shared: true,
        ..CacheOptions::default()
    }
}

/// A `GET` as the cache sees it: the URL and the player's content-negotiation headers
/// (never a credential, never a conditional header); the request the caching rules see is
/// built only when needed.
#[derive(Debug)]
pub struct Asked<'a> {
    url: &'a Url,
    negotiation: &'a [(String, String)],
    request: std::sync::OnceLock<Request<()>>,
}

impl<'a> Asked<'a> {
    /// `GET url` with these headers.
    pub fn new(url: &'a Url, negotiation: &'a [(String, String)]) -> Self {
        Asked {
            url,
            negotiation,
            request: std::sync::OnceLock::new(),
        }
    }

    fn request(&self) -> &Request<()> {
        self.request
            .get_or_init(|| policy_request(self.url, self.negotiation))
    }
}

fn fresh_until(policy: &CachePolicy, request: &Request<()>, now: SystemTime) -> Instant {
    match policy.before_request(request, now) {
        BeforeRequest::Fresh(_) => Instant::now() + policy.time_to_live(now),
        BeforeRequest::Stale { .. } => Instant::now(),
    }
}

/// The request the caching rules see: `GET url` with the player's content-negotiation
/// headers (never a credential, never a conditional header).
pub fn policy_request(url: &Url, headers: &[(String, String)]) -> Request<()> {
    let mut builder = Request::builder().method(Method::GET).uri(url.as_str());
    for (k, v) in headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder.body(()).unwrap_or_else(|_| Request::new(()))
}

fn sets_cookie(raw: &HeaderMap) -> bool {
    raw.contains_key(axum::http::header::SET_COOKIE) || raw.contains_key("set-cookie2")
}

fn weight(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

impl Cache {
    /// A cache of at most `max_bytes` (0: no cache; every request goes upstream).
    pub fn new(max_bytes: u64) -> Cache {
        if max_bytes == 0 {
            return Cache {
                store: None,
                good: None,
                negative: None,
                flights: Arc::default(),
                max_entry: 0,
                disk: None,
            };
        }
        let store = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &Key, v: &Slot| {
                weight(
                    k.weight()
                        + match v {
                            Slot::Stored(s) => s.weight(),
                            Slot::Pass => OVERHEAD,
                        },
                )
            })
            .build();
        let negative = moka::future::Cache::builder()
            .max_capacity((max_bytes / 8).max(64 * 1024))
            .time_to_live(NEGATIVE_TTL)
            .weigher(|k: &Key, v: &Negative| weight(k.weight() + v.weight()))
            .build();
        // The last good copies: as many bytes again (their bodies are mostly the stored
        // answers' own, shared).
        let good = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &Key, v: &Arc<Good>| weight(k.weight() + v.weight()))
            .build();
        Cache {
            store: Some(store),
            good: Some(good),
            negative: Some(negative),
            flights: Arc::default(),
            // One answer never takes more than an eighth of the cache.
            max_entry: usize::try_from(max_bytes / 8).unwrap_or(usize::MAX),
            disk: None,
        }
    }

    /// Also keeps the last good copies on `disk`, and looks there for a key whose good copy
    /// is not in memory (nothing happens without a memory cache: there are no good copies).
    pub fn with_disk(mut self, disk: crate::disk_cache::DiskCache) -> Cache {
        if self.good.is_some() {
            self.disk = Some(disk);
        }
        self
    }

    /// The disk cache, if there is one.
    pub fn disk(&self) -> Option<&crate::disk_cache::DiskCache> {
        self.disk.as_ref()
    }

    /// Whether answers are cached at all.
    pub fn enabled(&self) -> bool {
        self.store.is_some()
    }

    /// Bytes held (approximate; for tests and metrics): keys, answers and negative entries.
    pub async fn weighted_size(&self) -> u64 {
        let mut total = 0;
        if let Some(s) = &self.store {
            s.run_pending_tasks().await;
            total += s.weighted_size();
        }
        if let Some(n) = &self.negative {
            n.run_pending_tasks().await;
            total += n.weighted_size();
        }
        total
    }

    /// Requests waiting on another request's flight or leading one, by flight.
    pub fn flights(&self) -> usize {
        self.flights.lock().map(|f| f.len()).unwrap_or(0)
    }

    fn storable(&self, policy: &CachePolicy, key: &Key, up: &Upstream) -> bool {
        policy.is_storable()
            && !up.redirected
            && !sets_cookie(&up.raw)
            && key.fetched_with(&up.credentials)
            && up.reply.body.len() + key.weight() <= self.max_entry
    }

    fn stored(&self, key: &Key, asked: &Asked, up: &Upstream, now: SystemTime) -> Option<Stored> {
        let request = asked.request();
        let response = response_like(up.reply.status, &up.raw);
        let policy = CachePolicy::new_options(request, &response, now, options());
        if !self.storable(&policy, key, up) {
            return None;
        }
        Some(Stored::new(
            policy,
            request,
            asked.negotiation.to_vec(),
            up.raw.contains_key(axum::http::header::VARY),
            up.reply.clone(),
            now,
        ))
    }

    /// Keeps `up` as `key`'s last good answer when it is one: 2xx, fetched with exactly
    /// the key's credentials, not redirected, no cookie, not `no-store`, not too large.
    async fn keep_good(&self, key: &Key, asked: &Asked<'_>, up: &Upstream) {
        if self.good.is_none() {
            return;
        }
        let no_store = up
            .raw
            .get_all(axum::http::header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|d| d.trim().eq_ignore_ascii_case("no-store"));
        if !up.reply.status.is_success()
            || no_store
            || up.redirected
            || sets_cookie(&up.raw)
            || !key.fetched_with(&up.credentials)
            || up.reply.body.len() + key.weight() > self.max_entry
        {
            return;
        }
        let varies = up.raw.contains_key(axum::http::header::VARY);
        self.put_good(key, asked, &up.reply, varies).await;
    }

    async fn put_good(&self, key: &Key, asked: &Asked<'_>, reply: &Reply, varies: bool) {
        let Some(good) = &self.good else { return };
        let age = reply
            .headers
            .iter()
            .find(|(k, _)| k == axum::http::header::AGE)
            .and_then(|(_, v)| v.to_str().ok()?.trim().parse().ok())
            .unwrap_or(0);
        let entry = Good {
            reply: Reply {
                headers: reply
                    .headers
                    .iter()
                    .filter(|(k, _)| k != axum::http::header::AGE)
                    .cloned()
                    .collect(),
                ..reply.clone()
            },
            age,
            variant: varies.then(|| asked.negotiation.to_vec()),
            fetched_at: SystemTime::now(),
        };
        if let Some(disk) = &self.disk {
            disk.keep(entry.on_disk(key));
        }
        good.insert(key.clone(), Arc::new(entry)).await;
    }

    /// `key`'s good copy from disk, if the memory holds none: kept in memory again.
    async fn good_from_disk(
        &self,
        key: &Key,
        asked: &Asked<'_>,
        keep: Duration,
    ) -> Option<Arc<Good>> {
        let (disk, good) = (self.disk.as_ref()?, self.good.as_ref()?);
        if keep.is_zero() {
            return None;
        }
        let entry = disk
            .find(&key.url, &key.credentials, asked.negotiation, keep)
            .await?;
        let copy = Arc::new(Good::from_disk(entry));
        good.insert(key.clone(), copy.clone()).await;
        Some(copy)
    }

    /// `key`'s last good answer for `asked`, if one was fetched at most `keep` ago.
    async fn good_for(&self, key: &Key, asked: &Asked<'_>, keep: Duration) -> Option<Arc<Good>> {
        if keep.is_zero() {
            return None;
        }
        self.good
            .as_ref()?
            .get(key)
            .await
            .filter(|g| g.serves(asked, keep))
    }

    /// Whether a last good answer is kept for `key` (for tests).
    pub async fn has_good(&self, key: &Key) -> bool {
        match &self.good {
            Some(g) => g.get(key).await.is_some(),
            None => false,
        }
    }

    /// The fresh stored answer of `key` for `asked`, as the player is sent it, if there is
    /// one: the whole of a cache hit, one lookup and one clock read (its headers were put
    /// together when it was stored; only `Age` is new). Nothing stored, or nothing fresh for
    /// this request, is `None`: [`Cache::serve`] answers those.
    pub async fn hit(&self, key: &Key, asked: &Asked<'_>, min_refetch: Duration) -> Option<Hit> {
        let Some(Slot::Stored(s)) = self.store.as_ref()?.get(key).await else {
            return None;
        };
        let now = Instant::now();
        s.fresh(asked, min_refetch, now).then(|| s.hit(now))
    }

    /// Answers `GET` like [`Cache::get`], and when no fresh answer can be had serves the
    /// key's last good answer marked stale (see the module docs), waiting at most
    /// `policy.deadline` for the upstream when one exists: the request then carries on in
    /// its own task and stores what it gets.
    pub async fn serve<F, Fut>(
        &self,
        key: Key,
        asked: &Asked<'_>,
        who: &str,
        min_refetch: Duration,
        policy: StalePolicy,
        fetch: F,
    ) -> std::result::Result<Answer, Failure>
    where
        F: Fn(Vec<(String, String)>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Upstream>> + Send + 'static,
    {
        // A fresh answer is served whether or not a good copy exists: looked up first, so a
        // hit costs one lookup.
        if let Some(Slot::Stored(s)) = match &self.store {
            Some(store) => store.get(&key).await,
            None => None,
        } {
            let now = Instant::now();
            if s.fresh(asked, min_refetch, now) {
                return Ok(s.answer(now, Outcome::Hit));
            }
        }
        let good = match self.good_for(&key, asked, policy.keep).await {
            Some(good) => good,
            None => match self.good_from_disk(&key, asked, policy.keep).await {
                Some(good) => good,
                // Boxed: a hit's future does not carry (and move) a fetch's state.
                None => return Box::pin(self.get(key, asked, who, min_refetch, fetch)).await,
            },
        };
        let cache = self.clone();
        let (url, negotiation, who) = (
            asked.url.clone(),
            asked.negotiation.to_vec(),
            who.to_string(),
        );
        let flight = tokio::spawn(async move {
            let asked = Asked::new(&url, &negotiation);
            cache.get(key, &asked, &who, min_refetch, fetch).await
        });
        let result = match tokio::time::timeout(policy.deadline, flight).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => {
                return Err(Error::Internal("the request upstream stopped".into()).into());
            }
            // Given up on; the request carries on and stores what it gets.
            Err(_) => return Ok(good.answer(UPSTREAM_TIMEOUT)),
        };
        let reason = match &result {
            Ok(a) => stale_reason_of_status(a.reply.status),
            Err(f) => stale_reason_of_error(&f.error),
        };
        match reason {
            Some(reason) => Ok(good.answer(reason)),
            None => result,
        }
    }

    /// Remembers an upstream failure for `key` (an error, or a 5xx answer fetched with the
    /// key's own credentials).
    async fn remember_failure(&self, key: &Key, outcome: std::result::Result<Answer, Arc<Error>>) {
        if let Some(negative) = &self.negative {
            let entry = Negative {
                until: Instant::now() + NEGATIVE_TTL,
                outcome,
            };
            negative.insert(key.clone(), entry).await;
        }
    }

    /// An error from `fetch`, remembered when it is the upstream's.
    async fn failed(&self, key: &Key, e: Error) -> Failure {
        let error = Arc::new(e);
        if upstream_failure(&error) {
            self.remember_failure(key, Err(error.clone())).await;
            return Failure {
                error,
                retry_after: Some(NEGATIVE_TTL),
            };
        }
        Failure {
            error,
            retry_after: None,
        }
    }

    /// Answers `GET` `asked` for principal `who` under `key`: from the cache when fresh,
    /// else from the flight already under way for it, else through `fetch` (given the
    /// revalidation headers to send) as the flight others wait for.
    pub async fn get<F, Fut>(
        &self,
        key: Key,
        asked: &Asked<'_>,
        who: &str,
        min_refetch: Duration,
        fetch: F,
    ) -> std::result::Result<Answer, Failure>
    where
        F: Fn(Vec<(String, String)>) -> Fut,
        Fut: Future<Output = Result<Upstream>>,
    {
        let (Some(store), Some(negative)) = (&self.store, &self.negative) else {
            return match fetch(Vec::new()).await {
                Ok(up) => Ok(Answer::passed(up, Outcome::Miss)),
                Err(e) => Err(e.into()),
            };
        };
        let flight: FlightKey = (key.clone(), asked.negotiation.to_vec());
        for _ in 0..MAX_JOINS {
            let slot = store.get(&key).await;
            if let Some(Slot::Stored(s)) = &slot {
                let now = Instant::now();
                if s.fresh(asked, min_refetch, now) {
                    return Ok(s.answer(now, Outcome::Hit));
                }
            }
            if let Some(replayed) = negative.get(&key).await.and_then(|n| n.replay()) {
                return replayed;
            }
            // Not storable last time: no waiting on one another.
            if let Some(Slot::Pass) = slot {
                return self.alone(&key, asked, &fetch).await;
            }
            let (sender, waiting) = {
                let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
                match flights.get(&flight) {
                    Some(waiting) => (None, Some(waiting.clone())),
                    None => {
                        let (sender, receiver) = watch::channel(None);
                        flights.insert(flight.clone(), receiver);
                        (Some(sender), None)
                    }
                }
            };
            if let Some(mut waiting) = waiting {
                let flown = match waiting.wait_for(Option::is_some).await {
                    Ok(v) => v.clone(),
                    // The leader went away (its client hung up): try again.
                    Err(_) => continue,
                };
                let Some(flown) = flown else { continue };
                if flown.shareable || flown.principal == who {
                    return flown.result.clone().map(|a| Answer {
                        outcome: Outcome::Hit,
                        ..a
                    });
                }
                // Fetched with other credentials than the key's, or redirected: this
                // principal asks for itself.
                return self.alone(&key, asked, &fetch).await;
            }
            let Some(sender) = sender else { continue };
            let landing = Landing {
                flights: &self.flights,
                key: flight.clone(),
            };
            let flown = Arc::new(
                self.lead(store, &key, asked, who, min_refetch, &fetch)
                    .await,
            );
            let _ = sender.send(Some(flown.clone()));
            drop(landing);
            return flown.result.clone();
        }
        self.alone(&key, asked, &fetch).await
    }

    /// One request upstream outside any flight (a key that is not stored, or a principal
    /// that could not share the flight it waited for); stored if it may be now.
    async fn alone<F, Fut>(
        &self,
        key: &Key,
        asked: &Asked<'_>,
        fetch: &F,
    ) -> std::result::Result<Answer, Failure>
    where
        F: Fn(Vec<(String, String)>) -> Fut,
        Fut: Future<Output = Result<Upstream>>,
    {
        let up = match fetch(Vec::new()).await {
            Ok(up) => up,
            Err(e) => return Err(self.failed(key, e).await),
        };
        self.keep_good(key, asked, &up).await;
        if let (Some(store), Some(s)) =
            (&self.store, self.stored(key, asked, &up, SystemTime::now()))
        {
            store.insert(key.clone(), Slot::Stored(Arc::new(s))).await;
        }
        Ok(Answer::passed(up, Outcome::Miss))
    }

    /// Stores an answer renewed by a 304: as the last good answer, and in `store` when
    /// its policy lets it be stored (else the key passes).
    async fn store_renewed(
        &self,
        store: &moka::future::Cache<Key, Slot>,
        key: &Key,
        asked: &Asked<'_>,
        renewed: Stored,
    ) {
        self.put_good(key, asked, &renewed.reply, renewed.varies)
            .await;
        let slot = if renewed.policy.is_storable() {
            Slot::Stored(Arc::new(renewed))
        } else {
            Slot::Pass
        };
        store.insert(key.clone(), slot).await;
    }

    /// The request a flight makes: revalidates a stale answer or fetches anew, and stores
    /// what may be stored under `key`.
    async fn lead<F, Fut>(
        &self,
        store: &moka::future::Cache<Key, Slot>,
        key: &Key,
        asked: &Asked<'_>,
        who: &str,
        min_refetch: Duration,
        fetch: &F,
    ) -> Flown
    where
        F: Fn(Vec<(String, String)>) -> Fut,
        Fut: Future<Output = Result<Upstream>>,
    {
        let flown = |result, shareable| Flown {
            result,
            principal: who.to_string(),
            shareable,
        };
        let now = SystemTime::now();
        let request = asked.request();
        let previous = match store.get(key).await {
            Some(Slot::Stored(s)) => {
                let at = Instant::now();
                if s.fresh(asked, min_refetch, at) {
                    // Another flight refreshed it a moment ago.
                    return flown(Ok(s.answer(at, Outcome::Hit)), true);
                }
                Some(s)
            }
            _ => None,
        };
        let conditional = conditional_headers(previous.as_deref(), request, now);
        let up = match fetch(conditional.clone()).await {
            Ok(up) => up,
            Err(e) => {
                let failure = self.failed(key, e).await;
                let shareable = failure.retry_after.is_some();
                return flown(Err(failure), shareable);
            }
        };
        let own = key.fetched_with(&up.credentials);
        let shareable = own && !up.redirected && !sets_cookie(&up.raw);
        let now = SystemTime::now();
        if let (Some(s), false, StatusCode::NOT_MODIFIED) =
            (&previous, conditional.is_empty(), up.reply.status)
        {
            let response = response_like(up.reply.status, &up.raw);
            match s.policy.after_response(request, &response, now) {
                AfterResponse::NotModified(policy, parts) if shareable => {
                    let renewed = s.renewed(policy, &parts.headers, request, now);
                    let answer = renewed.answer(renewed.stored_at, Outcome::Revalidated);
                    self.store_renewed(store, key, asked, renewed).await;
                    return flown(Ok(answer), true);
                }
                // A 304 for something else (or from a redirect): pass it on, forget the
                // stored answer.
                _ => {
                    store.invalidate(key).await;
                    return flown(Ok(Answer::passed(up, Outcome::Miss)), shareable);
                }
            }
        }
        if shareable {
            self.keep_good(key, asked, &up).await;
        }
        if own {
            match self.stored(key, asked, &up, now) {
                Some(s) => store.insert(key.clone(), Slot::Stored(Arc::new(s))).await,
                // A failing upstream keeps the answer stored before it (to revalidate
                // later) and is not taken for a key that is never stored.
                None if up.reply.status.is_server_error() => {}
                None => store.insert(key.clone(), Slot::Pass).await,
            }
            if shareable && up.reply.status.is_server_error() {
                self.remember_failure(key, Ok(Answer::passed(up.clone(), Outcome::Hit)))
                    .await;
            }
        }
        flown(Ok(Answer::passed(up, Outcome::Miss)), shareable)
    }
}

/// The validators (`If-None-Match`, `If-Modified-Since`) to send for `previous` when it is
/// stale and may be revalidated; none otherwise.
fn conditional_headers(
    previous: Option<&Stored>,
    request: &Request<()>,
    now: SystemTime,
) -> Vec<(String, String)> {
    match previous.map(|s| s.policy.before_request(request, now)) {
        Some(BeforeRequest::Stale {
            request: revalidation,
            matches: true,
        }) => revalidation
            .headers
            .iter()
            .filter(|(k, _)| {
                *k == axum::http::header::IF_NONE_MATCH
                    || *k == axum::http::header::IF_MODIFIED_SINCE
            })
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        _ => Vec::new(),
    }
}

fn response_like(status: StatusCode, headers: &HeaderMap) -> axum::http::Response<()> {
    let mut response = axum::http::Response::new(());
    *response.status_mut() = status;
    *response.headers_mut() = headers.clone();
    response
}

#[cfg(test)]
mod tests;
