//! `GET|HEAD /v1/feeds/<id>/<key>`: feed links (DESIGN §14), the data address a no-code
//! widget fetches on a timer with no header set. The link is a capability for one
//! (player, data URL) pair, answered exactly as `/v1/fetch` answers that player — the same
//! engine, coverage rules, linked credentials and shared cache ([`crate::data`]) — for
//! that one URL only.
//!
//! In order, each refusal before anything is fetched:
//! 1. a method other than `GET`/`HEAD` → `405` (`OPTIONS`: a CORS preflight, answered
//!    for the configured origins only);
//! 2. an unknown id or a wrong key → `404 not_found`, the same words for both;
//! 3. a removed feed → `403 not_linked`;
//! 4. over the feed's request budget → `429 rate_limited` with `Retry-After`;
//! 5. a query parameter the feed does not allow by name → `403 not_covered`;
//! 6. the engine's own checks as the player (removed, unlinked, not covered) → `403`.
//!
//! The key is the path's last segment and is never logged, counted or echoed: nothing here
//! logs, metrics carry outcome codes only, error bodies never name the path, and
//! [`lanyard_core::feeds::redact_path`] is what any access log must print. Feeds are read
//! once per access epoch (every feed write moves it), so a rotation or removal is seen by
//! the very next request in every process.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use lanyard_core::feeds;
use lanyard_core::Error;

use crate::errors::error_response;
pub use crate::feed_state::DEFAULT_PER_MINUTE;
use crate::state::Gateway;

/// The id and key of `/v1/feeds/<id>/<key>`.
fn id_and_key(uri: &Uri) -> Option<(&str, &str)> {
    let rest = uri.path().strip_prefix("/v1/feeds/")?;
    let (id, key) = rest.split_once('/')?;
    (!id.is_empty() && !key.is_empty() && !key.contains('/')).then_some((id, key))
}

/// The route's handler (any method: the refusal order is ours, see the module docs).
pub async fn serve(
    State(g): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if method == Method::OPTIONS {
        return crate::data::preflight_for(&g, &headers, "GET, HEAD");
    }
    let mut response = match answer(&g, &method, &uri, query.as_deref(), &headers).await {
        Ok(r) | Err(r) => r,
    };
    // A widget shows the data; it must not be told to save it as a file.
    response.headers_mut().remove(header::CONTENT_DISPOSITION);
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    crate::data::cors_for(&g, &headers, &mut response);
    if method == Method::HEAD {
        let (mut parts, body) = response.into_parts();
        if let Some(n) = axum::body::HttpBody::size_hint(&body).exact() {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        return Response::from_parts(parts, Body::empty());
    }
    response
}

async fn answer(
    g: &Gateway,
    method: &Method,
    uri: &Uri,
    query: Option<&str>,
    headers: &HeaderMap,
) -> std::result::Result<Response, Response> {
    if method != Method::GET && method != Method::HEAD {
        let mut r = error_response(&Error::invalid("a feed link answers GET and HEAD only"));
        *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Err(r);
    }
    let refuse = |e: &Error| {
        g.metrics().fetch(e.code());
        error_response(e)
    };
    let Some((id, presented)) = id_and_key(uri) else {
        return Err(refuse(&Error::NotFound(feeds::NO_SUCH_LINK.into())));
    };
    let l = g.lanyard();
    let hasher = g.feeds().hasher(l).await.map_err(|e| error_response(&e))?;
    let stored = g
        .feeds()
        .stored(l, id)
        .await
        .map_err(|e| error_response(&e))?;
    let feed =
        feeds::authorize(stored.as_deref(), hasher, id, presented).map_err(|e| refuse(&e))?;
    if let Err(seconds) = g.feeds().admit(&feed.id, l.clock().now()) {
        let mut r = refuse(&Error::RateLimited(format!(
            "this feed link was asked too often: try again in {seconds} s"
        )));
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return Err(r);
    }
    let url = feeds::target(feed, query).map_err(|e| refuse(&e))?;
    Ok(crate::data::get_as(g, &feed.player_id, url, headers).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_gives_one_id_and_one_key() {
        let uri = |s: &str| s.parse::<Uri>().expect("uri");
        assert_eq!(
            id_and_key(&uri("/v1/feeds/abc/KEY?x=1")),
            Some(("abc", "KEY"))
        );
        for bad in [
            "/v1/feeds/abc",
            "/v1/feeds//KEY",
            "/v1/feeds/abc/",
            "/v1/fetch",
        ] {
            assert_eq!(id_and_key(&uri(bad)), None, "{bad}");
        }
    }
}
