//! One hop's URL, parsed once: its origin (port explicit) and path segments, which every
//! coverage rule compares against (a channel's API base, a URL token's prefix, a prefix
//! that names a host literally). Shared by the fetch engine and `broker::grant` without a
//! circle between them.

use url::Url;

use crate::urltokens::prefix::{origin_of, parse_prefix, segments_of, Prefix};

/// A URL with its origin and path segments computed once.
#[derive(Debug, Clone)]
pub struct Target<'u> {
    /// The URL.
    pub url: &'u Url,
    /// `scheme://host:port` (empty for a URL without a host).
    pub origin: String,
    /// The path segments (trailing empty segment dropped).
    pub segments: Vec<String>,
}

impl<'u> Target<'u> {
    /// Parses `url`'s origin and segments.
    pub fn of(url: &'u Url) -> Target<'u> {
        Target {
            url,
            origin: origin_of(url).unwrap_or_default(),
            segments: segments_of(url),
        }
    }

    /// Whether the prefix covers this URL (same origin, path under the prefix).
    pub fn under(&self, prefix: &Prefix) -> bool {
        !self.origin.is_empty()
            && self.origin == prefix.origin
            && self.segments.starts_with(&prefix.segments)
    }

    /// Whether this URL has the same (non-empty) origin as `other`.
    pub fn same_origin(&self, other: &str) -> bool {
        !self.origin.is_empty() && self.origin == other
    }
}

/// Whether the API base (or prefix) `base` covers `target` (same origin, path under the
/// base).
pub fn covers(base: &str, target: &Target<'_>) -> bool {
    parse_prefix(base).is_ok_and(|prefix| target.under(&prefix))
}
