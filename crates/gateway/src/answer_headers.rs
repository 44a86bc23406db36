//! The caching headers of an answer to a player, rewritten once when the answer comes from
//! the upstream (or back from disk), not on every hit: `Cache-Control` made `private`
//! (the upstream's directives a private cache may use kept), `Vary` always naming
//! `Authorization, Origin` (plus the upstream's own fields). So no shared cache in front
//! of the gateway serves one player's data to another ([`crate::data`]).
//!
//! It also names the gateway's own headers (`X-Lanyard-Attached`, `X-Lanyard-Cache`,
//! `X-Lanyard-Stale`) and puts an answer's headers together as they are sent
//! ([`sent`]): a stored answer keeps that map for its hits, built once.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};

/// The response header naming what was attached (names, never values).
pub const ATTACHED: &str = "x-lanyard-attached";

/// The response header saying how the cache answered: `hit`, `miss`, `revalidated`,
/// `stale`.
pub const CACHE_HEADER: &str = "x-lanyard-cache";

/// Set on a stale answer: how many seconds old the data is.
pub const STALE_HEADER: &str = "x-lanyard-stale";

/// Set on a stale answer: why no fresh one could be had.
pub const STALE_REASON_HEADER: &str = "x-lanyard-stale-reason";

/// The same names, checked once at compile time.
pub const ATTACHED_NAME: HeaderName = HeaderName::from_static(ATTACHED);
/// See [`CACHE_HEADER`].
pub const CACHE_NAME: HeaderName = HeaderName::from_static(CACHE_HEADER);
/// See [`STALE_HEADER`].
pub const STALE_NAME: HeaderName = HeaderName::from_static(STALE_HEADER);
/// See [`STALE_REASON_HEADER`].
pub const STALE_REASON_NAME: HeaderName = HeaderName::from_static(STALE_REASON_HEADER);

/// The headers a player is sent with an answer: its own (already the player's, see
/// [`for_player`]), then `X-Lanyard-Attached` naming what was attached (left out if the
/// names are not a valid header value) and `X-Lanyard-Cache: <cache>`. Room is made for
/// `more` headers the caller adds (`Age`, the stale mark, the gateway's own).
pub fn sent<'a>(
    headers: impl IntoIterator<Item = &'a (HeaderName, HeaderValue)>,
    attached: &str,
    cache: &'static str,
    more: usize,
) -> HeaderMap {
    let headers = headers.into_iter();
    let mut out = HeaderMap::with_capacity(headers.size_hint().0 + 2 + more);
    for (k, v) in headers {
        out.append(k.clone(), v.clone());
    }
    if let Ok(value) = HeaderValue::from_str(attached) {
        out.insert(ATTACHED_NAME, value);
    }
    out.insert(CACHE_NAME, HeaderValue::from_static(cache));
    out
}

/// Upstream `Cache-Control` directives kept for the screen's own (private) cache.
const KEPT_DIRECTIVES: [&str; 6] = [
    "max-age",
    "no-cache",
    "no-store",
    "must-revalidate",
    "no-transform",
    "immutable",
];

/// What every `/v1/fetch` answer varies on, whatever the upstream says.
pub const VARY: &str = "Authorization, Origin";

/// `private`, plus the upstream's directives a private cache may use (`KEPT_DIRECTIVES`;
/// `public`, `s-maxage`, `proxy-revalidate` and the like are for shared caches).
pub fn private_cache_control(upstream: Option<&str>) -> String {
    let mut out = vec!["private".to_string()];
    for directive in upstream.unwrap_or_default().split(',') {
        let directive = directive.trim();
        let name = directive
            .split_once('=')
            .map_or(directive, |(n, _)| n)
            .trim()
            .to_ascii_lowercase();
        // `no-cache="field"` is for shared caches; a bare one is kept.
        let kept = KEPT_DIRECTIVES.contains(&name.as_str())
            && (name == "max-age" || !directive.contains('='));
        if kept && !out.iter().any(|d| d.starts_with(&name)) {
            out.push(if name == "max-age" {
                directive.to_ascii_lowercase().replace(' ', "")
            } else {
                name
            });
        }
    }
    out.join(", ")
}

/// `Authorization, Origin` and the upstream's own `Vary` fields.
pub fn vary(upstream: Option<&str>) -> String {
    let mut fields: Vec<String> = VARY.split(", ").map(str::to_string).collect();
    for field in upstream.unwrap_or_default().split(',') {
        let field = field.trim();
        if !field.is_empty() && !fields.iter().any(|f| f.eq_ignore_ascii_case(field)) {
            fields.push(field.to_string());
        }
    }
    fields.join(", ")
}

/// `headers` (the upstream's, on the pass list) as a player gets them: `Cache-Control`
/// and `Vary` rewritten (and present even when the upstream sent none). Rewriting twice
/// changes nothing, so answers read back from disk in either form come out the same.
pub fn for_player(headers: Vec<(HeaderName, HeaderValue)>) -> Vec<(HeaderName, HeaderValue)> {
    let find = |name: &HeaderName| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.to_str().ok())
    };
    let cache_control = private_cache_control(find(&header::CACHE_CONTROL));
    let varies = vary(find(&header::VARY));
    let mut out: Vec<(HeaderName, HeaderValue)> = headers
        .into_iter()
        .filter(|(k, _)| k != header::CACHE_CONTROL && k != header::VARY)
        .collect();
    for (name, value) in [
        (header::CACHE_CONTROL, cache_control),
        (header::VARY, varies),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.push((name, value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caching_headers_are_made_private() {
        assert_eq!(private_cache_control(None), "private");
        assert_eq!(
            private_cache_control(Some("public, max-age=60, s-maxage=600")),
            "private, max-age=60"
        );
        assert_eq!(
            private_cache_control(Some(
                "no-cache=\"set-cookie\", Max-Age = 5, must-revalidate"
            )),
            "private, max-age=5, must-revalidate"
        );
        assert_eq!(
            private_cache_control(Some("private, no-store")),
            "private, no-store"
        );
        assert_eq!(vary(None), "Authorization, Origin");
        assert_eq!(
            vary(Some("origin, Accept-Language")),
            "Authorization, Origin, Accept-Language"
        );
    }

    #[test]
    fn rewriting_is_done_once_and_twice_changes_nothing() {
        let upstream = vec![
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, s-maxage=60, max-age=10"),
            ),
            (header::VARY, HeaderValue::from_static("Accept-Language")),
        ];
        let once = for_player(upstream);
        let shown: Vec<(&str, &str)> = once
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().expect("text")))
            .collect();
        assert_eq!(
            shown,
            [
                ("content-type", "application/json"),
                ("cache-control", "private, max-age=10"),
                ("vary", "Authorization, Origin, Accept-Language"),
            ]
        );
        assert_eq!(for_player(once.clone()), once);
        let bare = for_player(Vec::new());
        assert_eq!(
            bare.len(),
            2,
            "both headers even when the upstream sent neither"
        );
    }
}
