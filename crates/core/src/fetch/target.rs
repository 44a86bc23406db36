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

/// A channel's API base as the snapshot holds it: the text, and the prefix parsed once
/// when the snapshot is built — a request checks coverage against it without parsing the
/// base again (two parses a preview before, measured in docs/benchmarks.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// As the provider lists it.
    pub text: String,
    /// Parsed (`None`: not a valid prefix, so it covers nothing).
    prefix: Option<Prefix>,
}

impl Base {
    /// `text`, parsed.
    pub fn new(text: impl Into<String>) -> Base {
        let text = text.into();
        let prefix = parse_prefix(&text).ok();
        Base { text, prefix }
    }

    /// Whether this base covers `target`, as [`covers`] says.
    pub fn covers(&self, target: &Target<'_>) -> bool {
        self.prefix.as_ref().is_some_and(|p| target.under(p))
    }
}
