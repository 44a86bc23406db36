//! The shared response cache of `GET /v1/fetch`: many screens, one upstream request.
//!
//! - **Keyed by the URL and the exact set of credentials** the principal would attach to
//!   it (the channel whose API base covers it, with the audience for per-resource
//!   providers, and every linked URL token whose prefix matches it; ids, never values).
//!   A principal linked to fewer or other credentials computes another key, so it is never
//!   served an answer fetched with credentials it is not linked to. The key is computed
//!   from the request snapshot after the session and link checks, so an unlink or a
//!   removal cuts access at once, cached or not.
//! - **Caching rules** are `http-cache-semantics` (RFC 7234/9111) as a shared cache:
//!   `Cache-Control`, `Expires`, `Vary`, heuristics, `ETag`/`Last-Modified` revalidation.
//!   `private`, `no-store`, `Set-Cookie`, redirected answers and anything but `GET` are
//!   never stored. The key replaces the shared-cache rule about `Authorization`: an entry
//!   is only ever served to principals holding the very credentials it was fetched with.
//! - **A minimum refetch interval** per channel and per URL token (the largest of the
//!   key's) keeps a stored answer at least that long, for APIs that send no caching
//!   headers.
//! - **The store** is a `moka` cache bounded by body and header bytes, in memory only: no
//!   copy of the user's data is ever written to disk. Concurrent misses for one key make
//!   one upstream request (moka's per-key `and_compute_with`); a key whose answer may not
//!   be stored is remembered as such, so its requests go upstream without queueing.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_cache_semantics::{AfterResponse, BeforeRequest, CacheOptions, CachePolicy};
use lanyard_core::fetch::{credentials, As};
use lanyard_core::snapshot::Snapshot;
use lanyard_core::{Error, Result};
use moka::ops::compute::Op;
use url::Url;

/// The response header saying how the cache answered: `hit`, `miss` or `revalidated`.
pub const CACHE_HEADER: &str = "x-lanyard-cache";

/// The default bound of the cache: 64 MiB of bodies and headers.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How the cache answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served from the cache without asking the upstream.
    Hit,
    /// Fetched from the upstream.
    Miss,
    /// The upstream confirmed the stored answer (304) and it was served.
    Revalidated,
}

impl Outcome {
    /// The `X-Lanyard-Cache` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Miss => "miss",
            Outcome::Revalidated => "revalidated",
        }
    }
}

/// A cache key: the URL and the credentials it would be fetched with (sorted names like
/// `channel:<id>` and `url_token:<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    url: String,
    credentials: Arc<[String]>,
}

impl Key {
    /// The credential names of the key.
    pub fn credentials(&self) -> &[String] {
        &self.credentials
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
        Key {
            url: url.to_string(),
            credentials: names.into(),
        },
        Duration::from_secs(min_refetch),
    ))
}

/// An answer from the upstream, as the gateway passes it on.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Status.
    pub status: StatusCode,
    /// Every upstream header (for the caching rules).
    pub raw: HeaderMap,
    /// The headers passed on to the player.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Bytes,
    /// `X-Lanyard-Attached`: what was attached, by name.
    pub attached: String,
    /// The request was redirected (such answers are never stored).
    pub redirected: bool,
}

/// What the gateway answers a player.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers passed on.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Bytes,
    /// `X-Lanyard-Attached`.
    pub attached: String,
    /// How the cache answered.
    pub outcome: Outcome,
}

impl Answer {
    fn passed(up: Upstream, outcome: Outcome) -> Answer {
        Answer {
            status: up.status,
            headers: up.headers,
            body: up.body,
            attached: up.attached,
            outcome,
        }
    }
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
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    attached: String,
    stored_at: Instant,
}

impl Stored {
    fn weight(&self) -> u32 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .sum();
        u32::try_from(self.body.len() + headers + 256).unwrap_or(u32::MAX)
    }

    /// Whether it may be served for `request` without asking the upstream: fresh by the
    /// caching rules, or younger than the minimum refetch interval (for the same variant).
    /// Requests matching the stored variant (no `Vary`, or the storing request's own
    /// headers) take the freshness computed at store time.
    fn fresh(&self, request: &Asked, min_refetch: Duration) -> bool {
        let young = !min_refetch.is_zero() && self.stored_at.elapsed() < min_refetch;
        if !self.varies || request.negotiation == self.negotiation.as_slice() {
            return Instant::now() < self.fresh_until || young;
        }
        match self
            .policy
            .before_request(request.request(), SystemTime::now())
        {
            BeforeRequest::Fresh(_) => true,
            BeforeRequest::Stale { matches, .. } => matches && young,
        }
    }

    fn answer(&self, now: SystemTime, outcome: Outcome) -> Answer {
        let mut headers: Vec<(HeaderName, HeaderValue)> = self
            .headers
            .iter()
            .filter(|(k, _)| k != axum::http::header::AGE)
            .cloned()
            .collect();
        headers.push((
            axum::http::header::AGE,
            HeaderValue::from(self.policy.age(now).as_secs()),
        ));
        Answer {
            status: self.status,
            headers,
            body: self.body.clone(),
            attached: self.attached.clone(),
            outcome,
        }
    }
}

/// A cache slot: an answer, or "this key's answers may not be stored".
#[derive(Debug, Clone)]
enum Slot {
    Stored(Arc<Stored>),
    Pass,
}

/// The shared cache.
#[derive(Debug, Clone)]
pub struct Cache {
    store: Option<moka::future::Cache<Key, Slot>>,
    max_entry: usize,
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

impl Cache {
    /// A cache of at most `max_bytes` (0: no cache; every request goes upstream).
    pub fn new(max_bytes: u64) -> Cache {
        if max_bytes == 0 {
            return Cache {
                store: None,
                max_entry: 0,
            };
        }
        let store = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_k: &Key, v: &Slot| match v {
                Slot::Stored(s) => s.weight(),
                Slot::Pass => 64,
            })
            .build();
        Cache {
            store: Some(store),
            // One answer never takes more than an eighth of the cache.
            max_entry: usize::try_from(max_bytes / 8).unwrap_or(usize::MAX),
        }
    }

    /// Whether answers are cached at all.
    pub fn enabled(&self) -> bool {
        self.store.is_some()
    }

    /// Bytes held (approximate; for tests and metrics).
    pub async fn weighted_size(&self) -> u64 {
        match &self.store {
            Some(s) => {
                s.run_pending_tasks().await;
                s.weighted_size()
            }
            None => 0,
        }
    }

    fn storable(&self, policy: &CachePolicy, up: &Upstream) -> bool {
        policy.is_storable()
            && !up.redirected
            && !up.raw.contains_key(axum::http::header::SET_COOKIE)
            && !up.raw.contains_key("set-cookie2")
            && up.body.len() <= self.max_entry
    }

    fn stored(&self, asked: &Asked, up: &Upstream, now: SystemTime) -> Option<Stored> {
        let request = asked.request();
        let response = response_like(up.status, &up.raw);
        let policy = CachePolicy::new_options(request, &response, now, options());
        self.storable(&policy, up).then(|| Stored {
            fresh_until: fresh_until(&policy, request, now),
            negotiation: asked.negotiation.to_vec(),
            varies: up.raw.contains_key(axum::http::header::VARY),
            policy,
            status: up.status,
            headers: up.headers.clone(),
            body: up.body.clone(),
            attached: up.attached.clone(),
            stored_at: Instant::now(),
        })
    }

    /// Answers `GET` `request` under `key`: from the cache when fresh, else through
    /// `fetch` (given the revalidation headers to send), one upstream request per key at a
    /// time.
    pub async fn get<F, Fut>(
        &self,
        key: Key,
        asked: &Asked<'_>,
        min_refetch: Duration,
        fetch: F,
    ) -> Result<Answer>
    where
        F: Fn(Vec<(String, String)>) -> Fut,
        Fut: Future<Output = Result<Upstream>>,
    {
        let Some(store) = &self.store else {
            return Ok(Answer::passed(fetch(Vec::new()).await?, Outcome::Miss));
        };
        match store.get(&key).await {
            Some(Slot::Stored(s)) if s.fresh(asked, min_refetch) => {
                return Ok(s.answer(SystemTime::now(), Outcome::Hit));
            }
            Some(Slot::Pass) => {
                // Not storable last time: no queueing, but store it if it is now.
                let up = fetch(Vec::new()).await?;
                if let Some(s) = self.stored(asked, &up, SystemTime::now()) {
                    store.insert(key, Slot::Stored(Arc::new(s))).await;
                }
                return Ok(Answer::passed(up, Outcome::Miss));
            }
            _ => {}
        }
        let mut out: Option<Result<Answer>> = None;
        store
            .entry(key)
            .and_compute_with(|existing| async {
                let existing = existing.map(|e| e.into_value());
                let now = SystemTime::now();
                let request = asked.request();
                let previous = match existing {
                    Some(Slot::Stored(s)) => {
                        if s.fresh(asked, min_refetch) {
                            // Another request refreshed it while this one waited.
                            out = Some(Ok(s.answer(now, Outcome::Hit)));
                            return Op::Nop;
                        }
                        Some(s)
                    }
                    _ => None,
                };
                let conditional: Vec<(String, String)> = match &previous {
                    Some(s) => match s.policy.before_request(request, now) {
                        BeforeRequest::Stale {
                            request: revalidation,
                            matches: true,
                        } => revalidation
                            .headers
                            .iter()
                            .filter(|(k, _)| {
                                *k == axum::http::header::IF_NONE_MATCH
                                    || *k == axum::http::header::IF_MODIFIED_SINCE
                            })
                            .filter_map(|(k, v)| {
                                Some((k.to_string(), v.to_str().ok()?.to_string()))
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                    None => Vec::new(),
                };
                let up = match fetch(conditional.clone()).await {
                    Ok(up) => up,
                    Err(e) => {
                        out = Some(Err(e));
                        return Op::Nop;
                    }
                };
                let now = SystemTime::now();
                if let (Some(s), false, StatusCode::NOT_MODIFIED) =
                    (&previous, conditional.is_empty(), up.status)
                {
                    let response = response_like(up.status, &up.raw);
                    if let AfterResponse::NotModified(policy, parts) =
                        s.policy.after_response(request, &response, now)
                    {
                        let headers = parts
                            .headers
                            .iter()
                            .filter(|(k, _)| s.headers.iter().any(|(kept, _)| kept == *k))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        let renewed = Stored {
                            fresh_until: fresh_until(&policy, request, now),
                            negotiation: s.negotiation.clone(),
                            varies: s.varies,
                            policy,
                            status: s.status,
                            headers,
                            body: s.body.clone(),
                            attached: s.attached.clone(),
                            stored_at: Instant::now(),
                        };
                        out = Some(Ok(renewed.answer(now, Outcome::Revalidated)));
                        return if renewed.policy.is_storable() {
                            Op::Put(Slot::Stored(Arc::new(renewed)))
                        } else {
                            Op::Put(Slot::Pass)
                        };
                    }
                    // A 304 for something else: pass it on, forget the stored answer.
                    out = Some(Ok(Answer::passed(up, Outcome::Miss)));
                    return Op::Remove;
                }
                match self.stored(asked, &up, now) {
                    Some(s) => {
                        out = Some(Ok(Answer::passed(up, Outcome::Miss)));
                        Op::Put(Slot::Stored(Arc::new(s)))
                    }
                    None => {
                        out = Some(Ok(Answer::passed(up, Outcome::Miss)));
                        Op::Put(Slot::Pass)
                    }
                }
            })
            .await;
        out.unwrap_or_else(|| Err(Error::Internal("the cache gave no answer".into())))
    }
}

fn response_like(status: StatusCode, headers: &HeaderMap) -> axum::http::Response<()> {
    let mut response = axum::http::Response::new(());
    *response.status_mut() = status;
    *response.headers_mut() = headers.clone();
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn up(headers: &[(&str, &str)], body: &str) -> Upstream {
        let mut raw = HeaderMap::new();
        let mut kept = Vec::new();
        for (k, v) in headers {
            let name = HeaderName::from_bytes(k.as_bytes()).expect("name");
            let value = HeaderValue::from_str(v).expect("value");
            raw.append(name.clone(), value.clone());
            kept.push((name, value));
        }
        Upstream {
            status: StatusCode::OK,
            raw,
            headers: kept,
            body: Bytes::from(body.to_string()),
            attached: String::new(),
            redirected: false,
        }
    }

    fn key(url: &str, creds: &[&str]) -> Key {
        Key {
            url: url.into(),
            credentials: creds.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[tokio::test]
    async fn a_fresh_answer_is_served_once_fetched_and_no_store_never() {
        let cache = Cache::default();
        let url = Url::parse("https://a.example/feed").expect("url");
        let request = Asked::new(&url, &[]);
        let calls = AtomicUsize::new(0);
        let fetch = |headers: &[(&str, &str)]| {
            let u = up(headers, "data");
            let calls = &calls;
            move |_c: Vec<(String, String)>| {
                calls.fetch_add(1, Ordering::SeqCst);
                let u = u.clone();
                async move { Ok(u) }
            }
        };
        let cached = fetch(&[("cache-control", "max-age=60")]);
        let a = cache
            .get(
                key(url.as_str(), &["channel:c"]),
                &request,
                Duration::ZERO,
                &cached,
            )
            .await
            .expect("a");
        let b = cache
            .get(
                key(url.as_str(), &["channel:c"]),
                &request,
                Duration::ZERO,
                &cached,
            )
            .await
            .expect("b");
        assert_eq!((a.outcome, b.outcome), (Outcome::Miss, Outcome::Hit));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another credential set is another key.
        let c = cache
            .get(key(url.as_str(), &[]), &request, Duration::ZERO, &cached)
            .await
            .expect("c");
        assert_eq!(c.outcome, Outcome::Miss);
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        for header in [
            ("cache-control", "no-store, max-age=60"),
            ("cache-control", "private, max-age=60"),
            ("set-cookie", "a=b"),
        ] {
            let before = calls.load(Ordering::SeqCst);
            let f = fetch(&[("cache-control", "max-age=60"), header]);
            let k = key("https://a.example/other", &[header.1]);
            for _ in 0..2 {
                let a = cache
                    .get(k.clone(), &request, Duration::ZERO, &f)
                    .await
                    .expect("x");
                assert_eq!(a.outcome, Outcome::Miss, "{header:?}");
            }
            assert_eq!(calls.load(Ordering::SeqCst), before + 2, "{header:?}");
        }
    }

    #[tokio::test]
    async fn the_minimum_refetch_interval_keeps_an_answer_without_caching_headers() {
        let cache = Cache::default();
        let url = Url::parse("https://a.example/feed").expect("url");
        let request = Asked::new(&url, &[]);
        let calls = AtomicUsize::new(0);
        let f = |_c: Vec<(String, String)>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(up(&[("cache-control", "no-cache")], "x")) }
        };
        let k = key(url.as_str(), &["url_token:t"]);
        let floor = Duration::from_secs(30);
        for _ in 0..3 {
            cache
                .get(k.clone(), &request, floor, &f)
                .await
                .expect("answer");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Without the floor, no-cache asks the upstream every time.
        cache
            .get(k.clone(), &request, Duration::ZERO, &f)
            .await
            .expect("answer");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_varying_answer_is_served_only_to_its_own_variant() {
        let cache = Cache::default();
        let url = Url::parse("https://a.example/feed").expect("url");
        let en = vec![("accept-language".to_string(), "en".to_string())];
        let de = vec![("accept-language".to_string(), "de".to_string())];
        let calls = AtomicUsize::new(0);
        let f = |_c: Vec<(String, String)>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                Ok(up(
                    &[("cache-control", "max-age=60"), ("vary", "accept-language")],
                    "x",
                ))
            }
        };
        let k = key(url.as_str(), &["channel:c"]);
        let outcome = |h: &'static [(String, String)]| {
            let (cache, k, f, url) = (&cache, k.clone(), &f, &url);
            async move {
                cache
                    .get(k, &Asked::new(url, h), Duration::ZERO, f)
                    .await
                    .expect("answer")
                    .outcome
            }
        };
        let en: &'static [(String, String)] = Box::leak(en.into_boxed_slice());
        let de: &'static [(String, String)] = Box::leak(de.into_boxed_slice());
        assert_eq!(outcome(en).await, Outcome::Miss);
        assert_eq!(outcome(en).await, Outcome::Hit);
        assert_eq!(outcome(de).await, Outcome::Miss);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_answer_without_vary_serves_any_negotiation() {
        let cache = Cache::default();
        let url = Url::parse("https://a.example/feed").expect("url");
        let accept = vec![("accept".to_string(), "*/*".to_string())];
        let calls = AtomicUsize::new(0);
        let f = |_c: Vec<(String, String)>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(up(&[("cache-control", "max-age=60")], "x")) }
        };
        let k = key(url.as_str(), &[]);
        let a = cache
            .get(k.clone(), &Asked::new(&url, &accept), Duration::ZERO, &f)
            .await
            .expect("a");
        let b = cache
            .get(k, &Asked::new(&url, &[]), Duration::ZERO, &f)
            .await
            .expect("b");
        assert_eq!((a.outcome, b.outcome), (Outcome::Miss, Outcome::Hit));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
