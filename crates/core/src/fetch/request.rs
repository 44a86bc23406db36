//! What a preview (and the fetch engine) is asked to do and within which limits, and
//! whether an API base covers a URL: types and rules only, shared by `preview` (which
//! calls the fetch engine), `fetch` and `broker::grant` without a circle between them.

use std::time::Duration;

use url::Url;

use crate::urltokens::prefix::{origin_of, parse_prefix, segments_of};

/// Default response size cap.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// What to fetch.
#[derive(Debug, Clone, Default)]
pub struct PreviewRequest {
    /// The URL.
    pub url: String,
    /// The method (GET when empty).
    pub method: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// A body.
    pub body: Option<Vec<u8>>,
    /// Use this channel (else the one whose API base covers the URL).
    pub channel: Option<String>,
}

/// Limits.
#[derive(Debug, Clone, Copy)]
pub struct PreviewOptions {
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Total timeout per request.
    pub timeout: Duration,
    /// Response body cap.
    pub max_body: usize,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: MAX_BODY,
        }
    }
}

/// Whether the API base `base` covers `url` (same origin, path under the base).
pub(crate) fn covers(base: &str, url: &Url) -> bool {
    let Ok(prefix) = parse_prefix(base) else {
        return false;
    };
    origin_of(url).as_deref() == Some(prefix.origin.as_str())
        && segments_of(url).starts_with(&prefix.segments)
}
