//! Per-gateway state of feed links ([`crate::feeds`]): the key hasher, the feeds read
//! under the current access epoch (every feed write moves it, so a rotation or removal is
//! seen by the very next request in every process), and each feed's request window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use lanyard_core::feeds::{key, FeedHasher, StoredFeed};
use lanyard_core::{Lanyard, Result};

/// Requests per feed per minute, by default: a widget polls every few seconds at most.
pub const DEFAULT_PER_MINUTE: u32 = 120;

/// Feeds read under an access epoch.
type Known = ([u8; 16], HashMap<String, Option<Arc<StoredFeed>>>);

/// Per-gateway feed state: the hasher, feeds per access epoch, per-feed request windows.
#[derive(Debug)]
pub struct Feeds {
    hasher: tokio::sync::OnceCell<FeedHasher>,
    known: RwLock<Known>,
    windows: Mutex<HashMap<String, (i64, u32)>>,
    per_minute: u32,
}

impl Default for Feeds {
    fn default() -> Self {
        Feeds::new(DEFAULT_PER_MINUTE)
    }
}

impl Feeds {
    /// At most `per_minute` requests per feed in each one-minute window (at least 1).
    pub fn new(per_minute: u32) -> Self {
        Feeds {
            hasher: tokio::sync::OnceCell::new(),
            known: RwLock::new(([0; 16], HashMap::new())),
            windows: Mutex::new(HashMap::new()),
            per_minute: per_minute.max(1),
        }
    }

    pub(crate) async fn hasher(&self, l: &Lanyard) -> Result<&FeedHasher> {
        self.hasher.get_or_try_init(|| key::hasher(l)).await
    }

    /// The feed `id` as stored (`None`: no such id), re-read when the access epoch moves.
    pub(crate) async fn stored(&self, l: &Lanyard, id: &str) -> Result<Option<Arc<StoredFeed>>> {
        let epoch = l.store().access_epoch();
        if let Ok(known) = self.known.read() {
            if known.0 == epoch {
                if let Some(found) = known.1.get(id) {
                    return Ok(found.clone());
                }
            }
        }
        let found = l.store().stored_feed(id).await?.map(Arc::new);
        if let Ok(mut known) = self.known.write() {
            if known.0 != epoch || known.1.len() > 10_000 {
                *known = (epoch, HashMap::new());
            }
            known.1.insert(id.to_string(), found.clone());
        }
        Ok(found)
    }

    /// Counts a request against the feed's window; `Err(seconds)` when over budget.
    pub(crate) fn admit(&self, id: &str, now: i64) -> std::result::Result<(), i64> {
        let window = now - now.rem_euclid(60);
        let Ok(mut windows) = self.windows.lock() else {
            return Ok(());
        };
        if windows.len() > 10_000 {
            windows.retain(|_, (w, _)| *w == window);
        }
        let entry = windows.entry(id.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= self.per_minute {
            return Err((window + 60 - now).max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_feed_has_its_own_budget_per_minute() {
        let f = Feeds::new(2);
        assert!(f.admit("a", 120).is_ok());
        assert!(f.admit("a", 130).is_ok());
        assert_eq!(f.admit("a", 150), Err(30));
        assert!(f.admit("b", 150).is_ok(), "another feed is not limited");
        assert!(f.admit("a", 180).is_ok(), "a new window");
    }
}
