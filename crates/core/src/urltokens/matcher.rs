//! Which tokens apply to a URL: an index by origin, then a trie over path segments, so a
//! lookup walks at most the URL's depth whatever the number of tokens. All tokens of all
//! matching prefixes apply; for the same key the longest prefix wins (ties cannot happen:
//! one prefix holds one token per key).

use std::collections::HashMap;
use std::sync::Arc;

use url::Url;

use super::prefix::{origin_of, parse_prefix, segments_of};
use super::UrlToken;

#[derive(Debug, Default)]
struct Node {
    children: HashMap<String, Node>,
    tokens: Vec<Arc<UrlToken>>,
}

/// The token index.
#[derive(Debug, Default)]
pub struct Index {
    origins: HashMap<String, Node>,
    len: usize,
}

impl Index {
    /// Builds the index (tokens with unparsable prefixes are skipped).
    pub fn build(tokens: impl IntoIterator<Item = UrlToken>) -> Index {
        let mut index = Index::default();
        for token in tokens {
            index.insert(token);
        }
        index
    }

    /// Adds one token.
    pub fn insert(&mut self, token: UrlToken) {
        let Ok(prefix) = parse_prefix(&token.prefix) else {
            return;
        };
        let mut node = self.origins.entry(prefix.origin).or_default();
        for segment in prefix.segments {
            node = node.children.entry(segment).or_default();
        }
        node.tokens.push(Arc::new(token));
        self.len += 1;
    }

    /// How many tokens are indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no token is indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tokens that apply to `url`: shorter prefixes first; for a key present at several
    /// depths only the deepest (longest prefix) is kept.
    pub fn matching(&self, url: &Url) -> Vec<Arc<UrlToken>> {
        self.matching_where(url, |_| true)
    }

    /// [`Index::matching`] among the tokens `keep` accepts (a principal's linked tokens):
    /// the longest prefix wins among those only.
    pub fn matching_where(
        &self,
        url: &Url,
        keep: impl Fn(&UrlToken) -> bool,
    ) -> Vec<Arc<UrlToken>> {
        let Some(origin) = origin_of(url) else {
            return vec![];
        };
        self.matching_at(&origin, &segments_of(url), keep)
    }

    /// [`Index::matching_where`] for a URL already split into its origin and path
    /// segments (see [`crate::urltokens::prefix::origin_of`] and `segments_of`).
    pub fn matching_at(
        &self,
        origin: &str,
        segments: &[String],
        keep: impl Fn(&UrlToken) -> bool,
    ) -> Vec<Arc<UrlToken>> {
        let Some(mut node) = self.origins.get(origin) else {
            return vec![];
        };
        let mut found: Vec<Arc<UrlToken>> = Vec::new();
        let mut take = |node: &Node| {
            for token in node.tokens.iter().filter(|t| keep(t)) {
                found.retain(|t| t.key != token.key);
                found.push(token.clone());
            }
        };
        take(node);
        for segment in segments {
            match node.children.get(segment) {
                Some(child) => {
                    node = child;
                    take(node);
                }
                None => break,
            }
        }
        found
    }
}

/// A linear scan doing the same as [`Index::matching`] — the benchmark's baseline.
pub fn matching_linear<'a>(
    tokens: &'a [(super::prefix::Prefix, UrlToken)],
    url: &Url,
) -> Vec<&'a UrlToken> {
    let (Some(origin), segments) = (origin_of(url), segments_of(url)) else {
        return vec![];
    };
    let mut best: HashMap<&str, (usize, &UrlToken)> = HashMap::new();
    for (prefix, token) in tokens {
        if prefix.origin == origin
            && prefix.segments.len() <= segments.len()
            && prefix.segments.iter().zip(&segments).all(|(a, b)| a == b)
        {
            let depth = prefix.segments.len();
            match best.get(token.key.as_str()) {
                Some((d, _)) if *d >= depth => {}
                _ => {
                    best.insert(&token.key, (depth, token));
                }
            }
        }
    }
    best.into_values().map(|(_, t)| t).collect()
}
