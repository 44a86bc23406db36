//! Players get data, not credentials: `POST /v1/sessions` trades the player secret for a
//! session token (≤ 15 minutes) that HTML5 content on a screen holds instead of the
//! secret, and `GET|POST /v1/fetch?url=…` fetches a URL through the core's fetch engine
//! with the credentials this player is linked to, attached inside the gateway.
//!
//! `/v1/fetch` is never an open proxy: a URL no linked credential covers is
//! `403 not_covered` and nothing is fetched (the engine checks every redirect hop too);
//! loopback and link-local targets need a linked prefix naming them literally. The answer
//! is the upstream status, body and headers, minus hop-by-hop headers and `Set-Cookie`,
//! plus `X-Lanyard-Attached` naming what was attached (names, never values). Values sent
//! upstream are redacted by value from what comes back.
//!
//! `GET` answers go through the shared cache ([`crate::cache`]) after the same link checks,
//! with `X-Lanyard-Cache: hit|miss|revalidated`; the player's own conditional headers are
//! answered here.
//!
//! CORS is answered only for the origins the gateway was configured with.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lanyard_core::broker::sessions::{self, Claims, SessionKeys};
use lanyard_core::fetch::{fetch, As};
use lanyard_core::preview::{PreviewOptions, PreviewRequest};
use lanyard_core::urltokens::permission::{Answer, Fixed};
use lanyard_core::urltokens::prefix::parse_request_url;
use lanyard_core::{Error, Lanyard, Result};

use crate::api::{error_response, Gateway};
use crate::cache::{self, Outcome, Upstream, CACHE_HEADER};

/// The response header naming what was attached.
pub const ATTACHED: &str = "x-lanyard-attached";

/// Request headers a player may pass on to the upstream.
const FORWARDED: [&str; 5] = [
    "accept",
    "accept-language",
    "content-type",
    "if-none-match",
    "if-modified-since",
];

/// Upstream headers never passed back: hop-by-hop, framing (the gateway sets its own) and
/// cookies.
const DROPPED: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "set-cookie",
    "set-cookie2",
];

/// A player's session generation (`None`: no such active player) as read under an epoch.
type Generation = ([u8; 16], Option<i64>);

/// A token naming a key this gateway does not hold reloads the keys at most this often (a
/// rotation by another gateway arrives with the access epoch anyway).
const FORCED_RELOAD: std::time::Duration = std::time::Duration::from_secs(1);

/// Session verification: the session keys (reloaded when the access epoch moves), and each
/// player's session generation per access epoch.
#[derive(Debug, Default)]
pub struct Sessions {
    keys: tokio::sync::RwLock<Option<([u8; 16], Arc<SessionKeys>)>>,
    forced: std::sync::Mutex<Option<std::time::Instant>>,
    generations: RwLock<HashMap<String, Generation>>,
}

impl Sessions {
    /// The keys in force (created on first use, shared with every gateway on the store).
    /// `wanted`: a key id a token names; if this gateway does not hold it, the keys are
    /// reloaded (at most once per [`FORCED_RELOAD`]).
    async fn keys(&self, l: &Lanyard, wanted: Option<&str>) -> Result<Arc<SessionKeys>> {
        let epoch = l.store().access_epoch();
        let prior = self.keys.read().await.clone();
        if let Some((seen, keys)) = &prior {
            let missing = wanted.is_some_and(|id| keys.get(id).is_none()) && self.may_force();
            if *seen == epoch && !missing {
                return Ok(keys.clone());
            }
        }
        let mut slot = self.keys.write().await;
        let ids = sessions::ensure_keys(l).await?;
        let held = slot.as_ref().map(|(_, k)| k.clone());
        let keys = Arc::new(sessions::load_keys(l, &ids, held.as_deref()).await?);
        *slot = Some((epoch, keys.clone()));
        Ok(keys)
    }

    fn may_force(&self) -> bool {
        let mut last = self.forced.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < FORCED_RELOAD) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// The player a session token belongs to, if it is still valid (MAC, expiry, and the
    /// player's current session generation, re-read when the access epoch moves).
    pub async fn verify(&self, l: &Lanyard, token: &str) -> Result<Arc<str>> {
        let keys = self.keys(l, sessions::key_id(token).as_deref()).await?;
        let claims: Claims = sessions::open(&keys, token, l.clock().now())?;
        let epoch = l.store().access_epoch();
        let cached = self
            .generations
            .read()
            .ok()
            .and_then(|g| g.get(&claims.player_id).copied())
            .filter(|(e, _)| *e == epoch)
            .map(|(_, g)| g);
        let current = match cached {
            Some(g) => g,
            None => {
                let g = l.store().session_generation(&claims.player_id).await?;
                if let Ok(mut all) = self.generations.write() {
                    if all.len() > 100_000 {
                        all.clear();
                    }
                    all.insert(claims.player_id.clone(), (epoch, g));
                }
                g
            }
        };
        if current != Some(claims.generation) {
            return Err(Error::Unauthenticated(
                "the session has ended (the player was removed, unlinked or its secret \
                 rotated): get a new one from POST /v1/sessions"
                    .into(),
            ));
        }
        Ok(claims.player_id.into())
    }
}

/// CORS headers for an allowed `Origin`.
fn cors(g: &Gateway, headers: &HeaderMap, response: &mut Response) {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return;
    };
    let allowed = origin
        .to_str()
        .is_ok_and(|o| g.cors_origins().iter().any(|a| a == o));
    let out = response.headers_mut();
    out.append(header::VARY, HeaderValue::from_static("Origin"));
    if allowed {
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        out.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "x-lanyard-attached, x-lanyard-cache, content-type, etag, last-modified, age",
            ),
        );
    }
}

/// `OPTIONS` (a CORS preflight): answered only for configured origins.
pub async fn preflight(State(g): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    let allowed = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| g.cors_origins().iter().any(|a| a == o));
    if !allowed {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    cors(&g, &headers, &mut response);
    let out = response.headers_mut();
    out.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
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
pub async fn proxy(
    State(g): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = match answer(&g, peer, method, query, &headers, body).await {
        Ok(r) => r,
        Err(r) => r,
    };
    cors(&g, &headers, &mut response);
    response
}

async fn answer(
    g: &Gateway,
    peer: SocketAddr,
    method: Method,
    query: Option<String>,
    headers: &HeaderMap,
    body: Bytes,
) -> std::result::Result<Response, Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::api::bearer);
    let player = match presented {
        Some(t) if t.starts_with(sessions::PREFIX) => {
            g.sessions().verify(g.lanyard(), t).await.map_err(|e| {
                g.metrics().auth_failure();
                error_response(&e)
            })?
        }
        // Checked before any secret work: nothing is verified, nothing counted.
        _ if g.sessions_only() => return Err(error_response(&session_required())),
        _ => g.player(headers, peer).await?,
    };
    let url = target(query.as_deref()).map_err(|e| error_response(&e))?;
    let forwarded: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| FORWARDED.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let who = As::Player(player.to_string());
    let options = g.fetch_options();
    if method == Method::GET {
        return cached(g, &who, url, forwarded, headers).await;
    }
    let request = PreviewRequest {
        url,
        method: method.as_str().to_string(),
        headers: forwarded,
        body: (method == Method::POST).then(|| body.to_vec()),
        channel: None,
    };
    let up = upstream(g, &who, request, options)
        .await
        .map_err(|e| error_response(&e))?;
    g.metrics().fetch("ok");
    Ok(respond(cache::Answer {
        status: up.status,
        headers: up.headers,
        body: up.body,
        attached: up.attached,
        outcome: Outcome::Miss,
    }))
}

/// One request through the fetch engine, as the gateway passes its answer on.
async fn upstream(
    g: &Gateway,
    who: &As,
    request: PreviewRequest,
    options: PreviewOptions,
) -> Result<Upstream> {
    let fetched = fetch(g.lanyard(), who, request, &Fixed(Answer::Deny), options)
        .await
        .inspect_err(|e| g.metrics().fetch(e.code()))?;
    if fetched.truncated {
        return Err(Error::RequestFailed(format!(
            "the upstream answer is larger than {} bytes",
            options.max_body
        )));
    }
    let status = StatusCode::from_u16(fetched.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut raw = HeaderMap::new();
    let mut passed = Vec::new();
    for (k, v) in &fetched.headers {
        let lower = k.to_ascii_lowercase();
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_str(v),
        ) else {
            continue;
        };
        raw.append(name.clone(), value.clone());
        if DROPPED.contains(&lower.as_str()) || lower.starts_with("x-lanyard") {
            continue;
        }
        passed.push((name, value));
    }
    Ok(Upstream {
        status,
        raw,
        headers: passed,
        attached: fetched.attached().join(", "),
        redirected: fetched.hops.len() > 1,
        body: Bytes::from(fetched.body),
    })
}

/// `GET`: through the shared cache, after the same link checks the engine makes (so an
/// unlink refuses at once, cached or not). The player's own conditional headers are
/// answered here, against what the cache serves.
async fn cached(
    g: &Gateway,
    who: &As,
    url: String,
    forwarded: Vec<(String, String)>,
    headers: &HeaderMap,
) -> std::result::Result<Response, Response> {
    let options = g.fetch_options();
    let parsed = parse_request_url(&url).map_err(|e| error_response(&e))?;
    let snapshot = g
        .lanyard()
        .snapshot()
        .await
        .map_err(|e| error_response(&e))?;
    let (key, min_refetch) = cache::key(&snapshot, who, &parsed).map_err(|e| {
        g.metrics().fetch(e.code());
        error_response(&e)
    })?;
    drop(snapshot);
    let negotiation: Vec<(String, String)> = forwarded
        .into_iter()
        .filter(|(k, _)| k != "if-none-match" && k != "if-modified-since")
        .collect();
    let asked = cache::Asked::new(&parsed, &negotiation);
    let answer = g
        .cache()
        .get(key, &asked, min_refetch, |conditional| {
            let mut headers = negotiation.clone();
            headers.extend(conditional);
            let request = PreviewRequest {
                url: url.clone(),
                method: "GET".into(),
                headers,
                body: None,
                channel: None,
            };
            upstream(g, who, request, options)
        })
        .await
        .map_err(|e| error_response(&e))?;
    g.metrics().fetch("ok");
    if answer.status == StatusCode::OK && not_modified(headers, &answer.headers) {
        let mut r = respond(cache::Answer {
            status: StatusCode::NOT_MODIFIED,
            body: Bytes::new(),
            ..answer
        });
        r.headers_mut().remove(header::CONTENT_TYPE);
        return Ok(r);
    }
    Ok(respond(answer))
}

/// The player's `If-None-Match` (or, without one, `If-Modified-Since`) matches the answer.
fn not_modified(request: &HeaderMap, answer: &[(HeaderName, HeaderValue)]) -> bool {
    let get = |name: &HeaderName| {
        answer
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.to_str().ok())
    };
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

/// The answer as an HTTP response, with `X-Lanyard-Attached` and `X-Lanyard-Cache`.
fn respond(answer: cache::Answer) -> Response {
    let mut response = Response::builder().status(answer.status);
    for (k, v) in answer.headers {
        response = response.header(k, v);
    }
    if let Ok(value) = HeaderValue::from_str(&answer.attached) {
        response = response.header(ATTACHED, value);
    }
    response = response.header(
        CACHE_HEADER,
        HeaderValue::from_static(answer.outcome.as_str()),
    );
    response
        .body(Body::from(answer.body))
        .unwrap_or_else(|_| error_response(&Error::Internal("could not build the answer".into())))
}

/// The fetch limits of a gateway: the preview's.
pub fn default_options() -> PreviewOptions {
    PreviewOptions::default()
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
