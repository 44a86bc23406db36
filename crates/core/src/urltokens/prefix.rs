//! URL prefixes and request URLs, parsed and normalized the same way so that matching is
//! on structure, never on strings: scheme and host lowercased (hosts IDNA-encoded to
//! punycode by the `url` crate), default ports made explicit, dot-segments resolved, the
//! path split into segments (an encoded `%2F` stays inside its segment).

use url::Url;

use crate::error::{Error, Result};
use crate::oauth::endpoint::is_loopback;

/// A normalized URL prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    /// `scheme://host:port`, the matcher's first index.
    pub origin: String,
    /// Path segments (no empty trailing segment: `/api/` and `/api` are the same prefix).
    pub segments: Vec<String>,
    /// The prefix as stored and shown (normalized).
    pub display: String,
    /// Set when the prefix is plain `http` on a loopback host.
    pub warning: Option<String>,
}

/// The origin of a parsed URL, with its port made explicit.
pub fn origin_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    Some(format!("{}://{}:{}", url.scheme(), host, port))
}

/// The path segments of a parsed URL (trailing empty segment dropped).
pub fn segments_of(url: &Url) -> Vec<String> {
    let mut segments: Vec<String> = url
        .path_segments()
        .map(|s| s.map(str::to_string).collect())
        .unwrap_or_default();
    if segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    segments
}

/// Parses and checks a prefix the user wants to save.
pub fn parse_prefix(raw: &str) -> Result<Prefix> {
    let raw = raw.trim();
    if raw.contains('*') {
        return Err(Error::invalid("a URL prefix cannot contain wildcards (*)"));
    }
    if raw.chars().any(char::is_control) {
        return Err(Error::invalid(
            "a URL prefix cannot contain control characters",
        ));
    }
    // `https:///v1` and `https:/v1` parse with "v1" as the host: refuse what was typed
    // without an authority instead of guessing.
    let authority = raw.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    if authority.is_empty() || authority.starts_with('/') {
        return Err(Error::invalid("a URL prefix needs a host (https://host/…)"));
    }
    let url = Url::parse(raw).map_err(|_| {
        Error::invalid(format!(
            "{raw:?} is not an absolute URL (e.g. https://api.example.com/v1)"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "a URL prefix cannot contain a user name or password",
        ));
    }
    if url.query().is_some() {
        return Err(Error::invalid("a URL prefix cannot contain a query (?…)"));
    }
    if url.fragment().is_some() {
        return Err(Error::invalid(
            "a URL prefix cannot contain a fragment (#…)",
        ));
    }
    if url.host_str().map(str::is_empty).unwrap_or(true) {
        return Err(Error::invalid("a URL prefix needs a host"));
    }
    let warning = match url.scheme() {
        "https" => None,
        "http" if is_loopback(&url) => Some(
            "this prefix uses plain http: tokens for it travel unencrypted (allowed only on \
             this machine)"
                .to_string(),
        ),
        "http" => {
            return Err(Error::invalid(
                "a URL prefix must use https (plain http only for 127.0.0.1, ::1 or localhost)",
            ))
        }
        other => return Err(Error::invalid(format!("{other}: URLs cannot carry tokens"))),
    };
    let origin = origin_of(&url).ok_or_else(|| Error::invalid("a URL prefix needs a host"))?;
    let segments = segments_of(&url);
    let mut display = url.clone();
    display.set_path(&format!("/{}", segments.join("/")));
    Ok(Prefix {
        origin,
        segments,
        display: display.to_string(),
        warning,
    })
}

/// Parses a request URL for matching; URLs with user-info are refused.
pub fn parse_request_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|_| Error::invalid(format!("{raw:?} is not a valid URL")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "URLs with a user name or password are refused (they can disguise the real host)",
        ));
    }
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().map(str::is_empty).unwrap_or(true)
    {
        return Err(Error::invalid(
            "only http and https URLs with a host can be requested",
        ));
    }
    Ok(url)
}
