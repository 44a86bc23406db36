//! What a `GET /v1/fetch` works out before the cache is asked — the URL parsed, the access
//! checks passed (an active player, a URL a linked credential covers), the cache key with
//! its minimum refetch interval and its "keep showing for" limit — remembered per player
//! and request (`/v1/fetch`'s query as it came, so a hit decodes nothing; a feed link's
//! URL) **for one access epoch**. All of it is a function of the request snapshot, the
//! player and the URL, and the snapshot is a function of the epoch; so a plan is served
//! only while the epoch reads as it did when the plan was made, and the first request after
//! any access change (an unlink, a removal, a token edited, in this process or another)
//! works it out again from a fresh snapshot. A screen polling the same feeds therefore
//! pays for the parse, the coverage check and the key once per access change, not per
//! request. Refusals are never remembered.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use url::Url;

use crate::cache::Key;
use crate::FastMap;

/// Plans kept at most (all are dropped when the bound is reached; screens re-make theirs).
const MAX_PLANS: usize = 20_000;

/// A `GET`'s checks and cache key, as worked out under one access epoch.
#[derive(Debug)]
pub struct Plan {
    /// The data URL, parsed.
    pub url: Url,
    /// The data URL as the player asked for it (what the engine is given on a miss).
    pub requested: String,
    /// The cache key (the URL and the exact credentials it would be fetched with).
    pub key: Key,
    /// The minimum refetch interval of the key's credentials.
    pub min_refetch: Duration,
    /// The key's "keep showing for" limit.
    pub keep: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    epoch: [u8; 16],
    by_player: FastMap<Arc<str>, FastMap<Box<str>, Arc<Plan>>>,
    count: usize,
}

/// The plans of the current access epoch.
#[derive(Debug, Default)]
pub struct Plans {
    inner: RwLock<Inner>,
}

impl Plans {
    /// `player`'s plan for `url`, if one was made under `epoch` (the epoch read before
    /// anything else of this request).
    pub fn get(&self, epoch: &[u8; 16], player: &str, url: &str) -> Option<Arc<Plan>> {
        let inner = self.inner.read().ok()?;
        if inner.epoch != *epoch {
            return None;
        }
        inner.by_player.get(player)?.get(url).cloned()
    }

    /// Keeps `plan`, made from a snapshot taken after `epoch` was read. A plan of another
    /// epoch than the kept ones replaces them all.
    pub fn put(&self, epoch: [u8; 16], player: &str, url: &str, plan: Arc<Plan>) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        if inner.epoch != epoch || inner.count >= MAX_PLANS {
            inner.by_player.clear();
            inner.count = 0;
            inner.epoch = epoch;
        }
        let plans = inner.by_player.entry(player.into()).or_default();
        if plans.insert(url.into(), plan).is_none() {
            inner.count += 1;
        }
    }

    /// How many plans are kept (for tests).
    pub fn len(&self) -> usize {
        self.inner.read().map_or(0, |i| i.count)
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(url: &str) -> Arc<Plan> {
        let parsed = Url::parse(url).expect("url");
        Arc::new(Plan {
            key: Key::for_tests(url, &["url_token:t"]),
            url: parsed,
            requested: url.to_string(),
            min_refetch: Duration::ZERO,
            keep: Duration::from_secs(60),
        })
    }

    #[test]
    fn a_plan_is_served_only_under_the_epoch_it_was_made_in() {
        let plans = Plans::default();
        let (e1, e2) = ([1u8; 16], [2u8; 16]);
        let url = "https://api.example/feed";
        plans.put(e1, "p1", url, plan(url));
        assert!(plans.get(&e1, "p1", url).is_some());
        assert!(
            plans.get(&e2, "p1", url).is_none(),
            "another epoch: made again"
        );
        assert!(
            plans.get(&e1, "p2", url).is_none(),
            "another player's is not shared"
        );
        assert!(plans.get(&e1, "p1", "https://api.example/other").is_none());
        // A plan of a new epoch drops every plan of the old one.
        plans.put(e2, "p2", url, plan(url));
        assert!(plans.get(&e1, "p1", url).is_none());
        assert_eq!(plans.len(), 1);
    }

    #[test]
    fn the_bound_drops_every_plan() {
        let plans = Plans::default();
        let epoch = [3u8; 16];
        for i in 0..MAX_PLANS {
            let url = format!("https://api.example/{i}");
            plans.put(epoch, "p", &url, plan(&url));
        }
        assert_eq!(plans.len(), MAX_PLANS);
        plans.put(
            epoch,
            "p",
            "https://api.example/x",
            plan("https://api.example/x"),
        );
        assert_eq!(plans.len(), 1);
    }
}
