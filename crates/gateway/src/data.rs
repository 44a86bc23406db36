//! Players get data, not credentials: `POST /v1/sessions` trades the player secret for a
//! session token (≤ 15 minutes) that HTML5 content on a screen holds instead of the
//! secret, and `GET|POST /v1/fetch?url=…` fetches a URL through the core's fetch engine
//! with the credentials this player is linked to, attached inside the gateway.
//!
//! `/v1/fetch` is never an open proxy: a URL no linked credential covers is
//! `403 not_covered` and nothing is fetched (the engine checks every redirect hop too);
//! loopback and link-local targets need a linked prefix naming them literally. The answer
//! is the upstream status and body, the upstream headers on an allow-list ([`PASSED`]:
//! the representation, its validators, `Location`, `Retry-After`), plus
//! `X-Lanyard-Attached` naming what was attached (names, never values). Values sent
//! upstream are redacted by value from what comes back.
//!
//! **Safe behind a reverse proxy or CDN**: every answer is `Cache-Control: private` (the
//! upstream's `max-age`, `no-cache`, `no-store`, `must-revalidate` kept for the screen's
//! own cache, `public` and `s-maxage` dropped) and `Vary: Authorization, Origin` (plus the
//! upstream's own `Vary`), so no shared cache in front of the gateway serves one player's
//! data to another; the upstream's `Access-Control-*`, `Strict-Transport-Security`,
//! `Alt-Svc`, `Clear-Site-Data`, cookies and challenges never speak for the gateway's
//! origin.
//!
//! **Limits** ([`crate::quota`]): a URL over [`MAX_URL`] bytes is `414` before anything
//! else; each player's requests pass its token bucket and concurrency cap (`429` with
//! `Retry-After`); each upstream request holds its answer-size cap of the gateway's body
//! budget while it runs.
//!
//! `GET` answers go through the shared cache ([`crate::cache`]) after the same link checks,
//! with `X-Lanyard-Cache: hit|miss|revalidated`; the player's own conditional headers are
//! answered here.
//!
//! `answer_as` is the whole path after authentication, for any caller that has already
//! established the player (`/v1/fetch` itself; feed links through `get_as`).
//!
//! CORS is answered only for the origins the gateway was configured with.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lanyard_core::broker::sessions;
use lanyard_core::fetch::As;
use lanyard_core::preview::PreviewRequest;
use lanyard_core::screens::Served;
use lanyard_core::urltokens::prefix::parse_request_url;
use lanyard_core::{Error, Result};

use crate::answer_headers::{STALE_NAME, STALE_REASON_NAME};
use crate::cache::{self, Failure, Outcome};
use crate::errors::error_response;
use crate::plans::Plan;
use crate::state::Gateway;

pub use crate::answer_headers::ATTACHED;

/// Request headers a player may pass on to the upstream.
const FORWARDED: [&str; 5] = [
    "accept",
    "accept-language",
    "content-type",
    "if-none-match",
    "if-modified-since",
];

/// The longest request URL `/v1/fetch` takes (`414` beyond): the data URL is part of every
/// cache key.
pub const MAX_URL: usize = 8 * 1024;

pub use crate::upstream::PASSED;

use crate::answer_headers::VARY;

/// CORS headers for an allowed `Origin`.
fn cors(g: &Gateway, headers: &HeaderMap, response: &mut Response) {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return;
    };
    let allowed = origin
        .to_str()
        .is_ok_and(|o| g.cors_origins().iter().any(|a| a == o));
    let out = response.headers_mut();
    let varies = out
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("origin"));
    if !varies {
        out.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if allowed {
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        out.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "x-lanyard-attached, x-lanyard-cache, x-lanyard-stale, x-lanyard-stale-reason, \
                 content-type, etag, last-modified, age, retry-after",
            ),
        );
    }
}

/// `OPTIONS` (a CORS preflight): answered only for configured origins.
pub async fn preflight(State(g): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    preflight_for(&g, &headers, "GET, POST")
}

/// A CORS preflight allowing `methods`, for configured origins only (feed links too).
pub(crate) fn preflight_for(g: &Gateway, headers: &HeaderMap, methods: &'static str) -> Response {
    let allowed = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| g.cors_origins().iter().any(|a| a == o));
    if !allowed {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    cors(g, headers, &mut response);
    let out = response.headers_mut();
    out.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    out.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "authorization, content-type, accept, accept-language, if-none-match, \
             if-modified-since",
        ),
    );
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// The refusal of a player secret where only sessions are taken (`--sessions-only`).
fn session_required() -> Error {
    Error::SessionRequired(
        "this gateway serves data to session tokens only (--sessions-only): the player's \
         firmware or a local agent trades the player secret for one at POST /v1/sessions, \
         and screen content uses that (lanyard-player.js: sessionUrl or getSession)"
            .into(),
    )
}

/// `POST /v1/sessions`: the player secret (never a session token) buys a session token.
/// With `--sessions-only`, not from web content (a request with an `Origin`): a page must
/// never hold the player secret.
pub async fn create(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let authenticated = if g.sessions_only() && headers.contains_key(header::ORIGIN) {
        Err(error_response(&session_required()))
    } else {
        g.player(&headers, peer).await
    };
    let mut response = match authenticated {
        Err(response) => response,
        Ok(player) => match g.sessions().keys(g.lanyard(), None).await {
            Err(e) => error_response(&e),
            Ok(keys) => {
                let (l, seconds) = (g.lanyard(), g.session_seconds());
                match sessions::mint_for(l, &keys.current, &player, seconds).await {
                    Ok(s) => {
                        let mut r = Json(serde_json::json!({
                            "token": s.token.expose(),
                            "expires_at": s.expires_at,
                            "expires_in": s.expires_at - g.lanyard().clock().now(),
                        }))
                        .into_response();
                        r.headers_mut()
                            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                        r
                    }
                    Err(e) => error_response(&e),
                }
            }
        },
    };
    cors(&g, &headers, &mut response);
    response
}

/// The `url` parameter of the query string.
fn target(query: Option<&str>) -> Result<String> {
    let query = query.unwrap_or_default();
    let mut urls = url::form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k == "url");
    match (urls.next(), urls.next()) {
        (Some((_, u)), None) if !u.trim().is_empty() => Ok(u.into_owned()),
        (Some(_), Some(_)) => Err(Error::invalid("give exactly one url parameter")),
        _ => Err(Error::invalid(
            "give the data URL as ?url=<percent-encoded URL>",
        )),
    }
}

/// `GET|POST /v1/fetch?url=…`.
///
/// The request is taken whole: its headers are borrowed, not copied, and only a `POST`'s
/// body is read (with axum's default limit and refusal, as the `Bytes` extractor reads it).
pub async fn proxy(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = if parts.method == Method::POST {
        match Bytes::from_request(Request::new(body), &()).await {
            Ok(bytes) => bytes,
            Err(rejection) => return rejection.into_response(),
        }
    } else {
        Bytes::new()
    };
    let query = parts.uri.query();
    let mut response =
        match answer(&g, peer, parts.method.clone(), query, &parts.headers, body).await {
            Ok(r) => r,
            Err(r) => r,
        };
    cors(&g, &parts.headers, &mut response);
    response
}

async fn answer(
    g: &Gateway,
    peer: SocketAddr,
    method: Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Bytes,
) -> std::result::Result<Response, Response> {
    // Too long a URL is refused before anything is spent on it.
    if query.map_or(0, str::len) > MAX_URL {
        return Err(finish(too_long()));
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::state::bearer);
    let player = match presented {
        Some(t) if t.starts_with(sessions::PREFIX) => {
            g.sessions().verify(g.lanyard(), t).await.map_err(|e| {
                g.metrics().auth_failure();
                finish(error_response(&e))
            })?
        }
        // Checked before any secret work: nothing is verified, nothing counted.
        _ if g.sessions_only() => return Err(finish(error_response(&session_required()))),
        _ => g.player(headers, peer).await.map_err(finish)?,
    };
    let who = As::Player(player.to_string());
    // A plan is remembered under the query as it came: a hit decodes nothing.
    let raw = query.unwrap_or_default();
    let target = match Target::planned(g, &who, raw, &method) {
        Ok(planned) => planned,
        Err(epoch) => {
            let url = target(query).map_err(|e| finish(error_response(&e)))?;
            Target::parsed(epoch, raw, url)
        }
    };
    Ok(answer_as(g, &who, target, method, headers, body).await)
}

/// What `/v1/fetch` answers `who` (an authenticated player) for `url`: the per-player
/// limits, the shared cache for `GET`, the fetch engine, and the answer's headers. `headers`
/// are the request's; only content negotiation and conditionals are passed on.
async fn answer_as(
    g: &Gateway,
    who: &As,
    target: Target<'_>,
    method: Method,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let response = match limited_answer(g, who, &target, method, headers, body).await {
        Ok(r) => r,
        Err(r) => r,
    };
    if let As::Player(id) = who {
        seen(g, id, target.url(), &response);
    }
    finish(response)
}

/// The data URL of a request, under the access epoch read before anything else of it.
struct Target<'a> {
    epoch: [u8; 16],
    /// What the request's plan is remembered under: `/v1/fetch`'s query as it came, or a
    /// feed link's URL.
    plan_key: &'a str,
    found: Found,
}

/// A plan made earlier under the same epoch, or the URL parsed now (never one over
/// [`MAX_URL`], refused before anything is spent on it).
enum Found {
    Planned(Arc<Plan>),
    Parsed {
        url: String,
        parsed: Result<url::Url>,
    },
    TooLong,
}

impl<'a> Target<'a> {
    /// The plan of a `GET` the player made before under the current epoch (read first,
    /// before anything this request reads), or that epoch when there is none.
    fn planned(
        g: &Gateway,
        who: &As,
        plan_key: &'a str,
        method: &Method,
    ) -> std::result::Result<Target<'a>, [u8; 16]> {
        let epoch = g.lanyard().store().access_epoch();
        match (*method == Method::GET)
            .then(|| g.plans().get(&epoch, who.id(), plan_key))
            .flatten()
        {
            Some(plan) => Ok(Target {
                epoch,
                plan_key,
                found: Found::Planned(plan),
            }),
            None => Err(epoch),
        }
    }

    /// `url` parsed now, under `epoch`.
    fn parsed(epoch: [u8; 16], plan_key: &'a str, url: String) -> Target<'a> {
        let found = if url.len() > MAX_URL {
            Found::TooLong
        } else {
            let parsed = parse_request_url(&url);
            Found::Parsed { url, parsed }
        };
        Target {
            epoch,
            plan_key,
            found,
        }
    }

    fn url(&self) -> Option<&url::Url> {
        match &self.found {
            Found::Planned(plan) => Some(&plan.url),
            Found::Parsed {
                parsed: Ok(url), ..
            } => Some(url),
            _ => None,
        }
    }

    /// The data URL as the player asked for it.
    fn requested(&self) -> &str {
        match &self.found {
            Found::Planned(plan) => &plan.requested,
            Found::Parsed { url, .. } => url,
            Found::TooLong => "",
        }
    }
}

/// Records what a screen was served ([`lanyard_core::screens`], and the gauges of
/// `/metrics`): stale with its reason, a refusal with its code (`upstream_<status>` for an
/// upstream's error passed on), or fresh data.
fn seen(g: &Gateway, player: &str, url: Option<&url::Url>, response: &Response) {
    let now = g.lanyard().clock().now();
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
    let served = if let (Some(secs), Some(reason)) = (
        header(&STALE_NAME).and_then(|s| s.parse::<i64>().ok()),
        header(&STALE_REASON_NAME),
    ) {
        Served::Stale {
            reason: reason.to_string(),
            data_from: now - secs,
        }
    } else if let Some(code) = response.extensions().get::<crate::errors::RefusalCode>() {
        Served::Refused {
            code: code.0.to_string(),
        }
    } else if response.status().is_client_error() || response.status().is_server_error() {
        Served::Refused {
            code: format!("upstream_{}", response.status().as_u16()),
        }
    } else {
        Served::Fresh
    };
    let data_from = match &served {
        Served::Stale { data_from, .. } => Some(*data_from),
        _ => None,
    };
    g.metrics().serving(player, data_from);
    let url = url.filter(|_| matches!(served, Served::Fresh));
    g.lanyard()
        .broker()
        .screens()
        .record(player, now, served, url);
}

async fn limited_answer(
    g: &Gateway,
    who: &As,
    target: &Target<'_>,
    method: Method,
    headers: &HeaderMap,
    body: Bytes,
) -> std::result::Result<Response, Response> {
    if matches!(target.found, Found::TooLong) {
        return Err(too_long());
    }
    let _admitted = g.quota().admit(who.id()).map_err(|wait| {
        g.metrics().fetch_limited();
        refused(
            &Error::RateLimited(format!(
                "this player is making too many requests at once or too fast; try again in \
                 {} s",
                wait.as_secs().max(1)
            )),
            None,
            Some(wait),
        )
    })?;
    let forwarded: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| FORWARDED.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
        .collect();
    if method == Method::GET {
        let plan = match &target.found {
            Found::Planned(plan) => plan.clone(),
            // Worked out once an epoch: boxed, so a request served from its plan does not
            // carry (and move) the snapshot's state.
            _ => Box::pin(plan(g, who, target)).await?,
        };
        return cached(g, who, plan, forwarded, headers).await;
    }
    Box::pin(passed_through(g, who, target, method, forwarded, body)).await
}

/// A `POST` (or any method but `GET`): through the engine, never cached.
async fn passed_through(
    g: &Gateway,
    who: &As,
    target: &Target<'_>,
    method: Method,
    forwarded: Vec<(String, String)>,
    body: Bytes,
) -> std::result::Result<Response, Response> {
    let request = PreviewRequest {
        url: target.requested().to_string(),
        method: method.as_str().to_string(),
        headers: forwarded,
        body: (method == Method::POST).then(|| body.to_vec()),
        channel: None,
    };
    let up = g
        .upstreamer(who.clone())
        .fetch(request)
        .await
        .map_err(|e| failure_response(&e.into()))?;
    g.metrics().fetch("ok");
    Ok(respond(cache::Answer {
        reply: up.reply,
        outcome: Outcome::Miss,
        stale: None,
    }))
}

/// `414`: the URL is longer than [`MAX_URL`].
fn too_long() -> Response {
    refused(
        &Error::InvalidInput {
            field: Some(lanyard_core::error::InputField::Url),
            message: format!("the request URL is longer than {MAX_URL} bytes"),
        },
        Some(StatusCode::URI_TOO_LONG),
        None,
    )
}

/// An error answer, with another status than the code's and `Retry-After` when given.
fn refused(
    e: &Error,
    status: Option<StatusCode>,
    retry_after: Option<std::time::Duration>,
) -> Response {
    let mut r = error_response(e);
    if let Some(status) = status {
        *r.status_mut() = status;
    }
    if let Some(wait) = retry_after {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    r
}

fn failure_response(f: &Failure) -> Response {
    let busy = matches!(*f.error, Error::RateLimited(_));
    refused(
        &f.error,
        None,
        f.retry_after
            .or(busy.then_some(std::time::Duration::from_secs(1))),
    )
}

/// The plan of `who`'s `GET url`: the one [`Target::of`] found, or worked out now from
/// the request snapshot (the same link checks the engine makes, so an unlink refuses at
/// once, cached or not) and kept for the rest of the target's epoch.
async fn plan(
    g: &Gateway,
    who: &As,
    target: &Target<'_>,
) -> std::result::Result<Arc<Plan>, Response> {
    let (url, parsed) = match &target.found {
        Found::Planned(plan) => return Ok(plan.clone()),
        Found::Parsed {
            url,
            parsed: Ok(parsed),
        } => (url, parsed),
        Found::Parsed { parsed: Err(e), .. } => return Err(error_response(e)),
        Found::TooLong => return Err(too_long()),
    };
    let snapshot = g
        .lanyard()
        .snapshot()
        .await
        .map_err(|e| error_response(&e))?;
    let (key, min_refetch) = cache::key(&snapshot, who, parsed).map_err(|e| {
        g.metrics().fetch(e.code());
        error_response(&e)
    })?;
    let keep = cache::keep_stale(&snapshot, &key);
    drop(snapshot);
    let plan = Arc::new(Plan {
        url: parsed.clone(),
        requested: url.clone(),
        key,
        min_refetch,
        keep,
    });
    g.plans()
        .put(target.epoch, who.id(), target.plan_key, plan.clone());
    Ok(plan)
}

/// `GET`: through the shared cache, under the plan's key. The player's own conditional
/// headers are answered here, against what the cache serves.
async fn cached(
    g: &Gateway,
    who: &As,
    plan: Arc<Plan>,
    forwarded: Vec<(String, String)>,
    headers: &HeaderMap,
) -> std::result::Result<Response, Response> {
    let policy = cache::StalePolicy {
        keep: plan.keep,
        deadline: g.stale_deadline(),
    };
    let negotiation: Vec<(String, String)> = forwarded
        .into_iter()
        .filter(|(k, _)| k != "if-none-match" && k != "if-modified-since")
        .collect();
    let asked = cache::Asked::new(&plan.url, &negotiation);
    // A fresh stored answer: nothing else is built.
    if let Some(hit) = g.cache().hit(&plan.key, &asked, plan.min_refetch).await {
        g.metrics().fetch("ok");
        return Ok(sent_hit(hit, headers));
    }
    let upstreamer = g.upstreamer(who.clone());
    let asked_with = negotiation.clone();
    let requested = plan.clone();
    // Boxed: a hit's future does not carry (and move) the cache's miss path.
    let answer = Box::pin(g.cache().serve(
        plan.key.clone(),
        &asked,
        who.id(),
        plan.min_refetch,
        policy,
        move |conditional| {
            let mut headers = asked_with.clone();
            headers.extend(conditional);
            let request = PreviewRequest {
                url: requested.requested.clone(),
                method: "GET".into(),
                headers,
                body: None,
                channel: None,
            };
            upstreamer.clone().fetch(request)
        },
    ))
    .await
    .map_err(|f| failure_response(&f))?;
    match answer.stale {
        Some(stale) => g.metrics().stale(stale.reason),
        None => g.metrics().fetch("ok"),
    }
    let answered = |name: &HeaderName| {
        (answer.reply.headers.iter())
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.to_str().ok())
    };
    if answer.reply.status == StatusCode::OK && not_modified(headers, answered) {
        let mut answer = answer;
        answer.reply.status = StatusCode::NOT_MODIFIED;
        answer.reply.body = Bytes::new();
        let mut r = respond(answer);
        r.headers_mut().remove(header::CONTENT_TYPE);
        return Ok(r);
    }
    Ok(respond(answer))
}

/// A cache hit as sent: its headers as they were put together when it was stored, or a
/// `304` when the player's conditional headers match it.
fn sent_hit(hit: cache::Hit, request: &HeaderMap) -> Response {
    let answered = |name: &HeaderName| hit.headers.get(name).and_then(|v| v.to_str().ok());
    let unchanged = hit.status == StatusCode::OK && not_modified(request, answered);
    let mut response = if unchanged {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(hit.body));
        *r.status_mut() = hit.status;
        r
    };
    *response.headers_mut() = hit.headers;
    if unchanged {
        response.headers_mut().remove(header::CONTENT_TYPE);
    }
    response
}

/// The player's `If-None-Match` (or, without one, `If-Modified-Since`) matches the answer,
/// whose headers `get` reads.
fn not_modified<'a>(request: &HeaderMap, get: impl Fn(&HeaderName) -> Option<&'a str>) -> bool {
    if let Some(wanted) = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let Some(etag) = get(&header::ETAG) else {
            return false;
        };
        let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
        return wanted
            .split(',')
            .any(|t| t.trim() == "*" || bare(t) == bare(etag));
    }
    match (
        request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok()),
        get(&header::LAST_MODIFIED),
    ) {
        (Some(since), Some(modified)) => since.trim() == modified.trim(),
        _ => false,
    }
}

/// The answer as an HTTP response, with `X-Lanyard-Attached` and `X-Lanyard-Cache`. Its
/// headers are already the player's ([`crate::answer_headers::for_player`]: made private
/// when the answer came from the upstream or from disk), so a hit only copies them.
fn respond(answer: cache::Answer) -> Response {
    let reply = answer.reply;
    let mut out =
        crate::answer_headers::sent(&reply.headers, &reply.attached, answer.outcome.as_str(), 5);
    if let Some(stale) = answer.stale {
        out.insert(STALE_NAME, HeaderValue::from(stale.seconds()));
        out.insert(STALE_REASON_NAME, HeaderValue::from_static(stale.reason));
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = reply.status;
    *response.headers_mut() = out;
    response
}

/// Every `/v1/fetch` answer, the gateway's own refusals included: private to the
/// requester (`no-store` for refusals), varying on who asks, never sniffed.
fn finish(mut response: Response) -> Response {
    let out = response.headers_mut();
    if !out.contains_key(header::CACHE_CONTROL) {
        out.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    if !out.contains_key(header::VARY) {
        out.insert(header::VARY, HeaderValue::from_static(VARY));
    }
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// CORS headers for an allowed `Origin` (feed links answer CORS like `/v1/fetch`).
pub(crate) fn cors_for(g: &Gateway, headers: &HeaderMap, response: &mut Response) {
    cors(g, headers, response)
}

/// A `GET` of `url` as `player`, answered exactly as `/v1/fetch` answers it — the player's
/// limits, the engine's checks, the shared cache, the player's conditional headers, the
/// private caching headers — for feed links
/// ([`crate::feeds`]), whose caller has already checked the link.
pub(crate) async fn get_as(
    g: &Gateway,
    player: &str,
    url: String,
    headers: &HeaderMap,
) -> Response {
    let who = As::Player(player.to_string());
    let target = match Target::planned(g, &who, &url, &Method::GET) {
        Ok(planned) => planned,
        Err(epoch) => Target::parsed(epoch, &url, url.clone()),
    };
    answer_as(g, &who, target, Method::GET, headers, Bytes::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_one_url_parameter() {
        assert_eq!(
            target(Some("url=https%3A%2F%2Fa.example%2Fx%3Fk%3D1")).expect("url"),
            "https://a.example/x?k=1"
        );
        for bad in [
            None,
            Some(""),
            Some("u=x"),
            Some("url="),
            Some("url=a&url=b"),
        ] {
            assert_eq!(target(bad).expect_err("refused").code(), "invalid_input");
        }
    }
}
