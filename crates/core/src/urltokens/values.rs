//! Stored URL-token values kept in memory between requests, so a preview or a screen's
//! `/v1/fetch` does not call the secret store (a blocking-pool hop, a D-Bus round trip on
//! the keyring) for every value of every request.
//!
//! Entries are valid only under the access epoch they were read under (see
//! [`crate::store::epoch`]): adding, editing or removing a token moves the epoch, and an
//! edit that replaces a value moves it once more after the secret store has the new value,
//! so a value read between the row's commit and the secret's write is never served again.
//! A different epoch empties the whole cache; values are wiped from memory on drop.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::secrets::SecretValue;

type Entries = ([u8; 16], HashMap<String, Arc<SecretValue>>);

/// Token id → value, under one epoch.
#[derive(Debug, Default)]
pub struct ValueCache(RwLock<Option<Entries>>);

impl ValueCache {
    /// The value of `token_id` read under `epoch`, if it was.
    pub fn get(&self, epoch: &[u8; 16], token_id: &str) -> Option<SecretValue> {
        let guard = self.0.read().ok()?;
        let (e, values) = guard.as_ref()?;
        if e != epoch {
            return None;
        }
        values
            .get(token_id)
            .map(|v| SecretValue::new(v.expose().to_string()))
    }

    /// Remembers the value of `token_id`, read from the secret store after `epoch` was read.
    pub fn remember(&self, epoch: &[u8; 16], token_id: &str, value: &SecretValue) {
        let Ok(mut guard) = self.0.write() else {
            return;
        };
        let entries = guard.get_or_insert_with(|| (*epoch, HashMap::new()));
        if entries.0 != *epoch {
            *entries = (*epoch, HashMap::new());
        }
        entries.1.insert(
            token_id.to_string(),
            Arc::new(SecretValue::new(value.expose().to_string())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_only_under_the_epoch_it_was_read_under() {
        let cache = ValueCache::default();
        let (a, b) = ([1u8; 16], [2u8; 16]);
        assert!(cache.get(&a, "t").is_none());
        cache.remember(&a, "t", &SecretValue::new("v1"));
        assert_eq!(cache.get(&a, "t").expect("hit").expose(), "v1");
        assert!(cache.get(&b, "t").is_none(), "another epoch: a miss");
        cache.remember(&b, "u", &SecretValue::new("v2"));
        assert!(
            cache.get(&b, "t").is_none(),
            "a new epoch empties the cache"
        );
        assert!(cache.get(&a, "t").is_none());
        assert_eq!(cache.get(&b, "u").expect("hit").expose(), "v2");
    }
}
