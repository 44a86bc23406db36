//! A per-process snapshot of what every data request consults — the URL token index, the
//! "Accept all" decisions, and each channel's API bases — rebuilt only when the access
//! epoch (see [`crate::store::epoch`]) changes. Every write to tokens, decisions,
//! providers, channels, players or links bumps the epoch after its commit, so a snapshot
//! read after a change always sees it.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use crate::error::Result;
use crate::store::Store;
use crate::urltokens::matcher::Index;

/// A channel and the API bases its tokens are for.
#[derive(Debug, Clone)]
pub struct ChannelBases {
    /// Channel id.
    pub id: String,
    /// Its account label.
    pub label: String,
    /// Its provider's API base URLs.
    pub bases: Vec<String>,
}

/// What requests consult.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The URL token index.
    pub tokens: Index,
    /// Tokens with a stored "Accept all".
    pub accepted: HashSet<String>,
    /// Channels with their API bases, by provider name and account.
    pub channels: Vec<ChannelBases>,
}

/// The cached snapshot and the epoch it was built under.
#[derive(Debug, Default)]
pub struct SnapshotCache(RwLock<Option<([u8; 16], Arc<Snapshot>)>>);

impl SnapshotCache {
    /// The current snapshot (rebuilt when the epoch moved).
    pub async fn get(&self, store: &Store) -> Result<Arc<Snapshot>> {
        let epoch = store.access_epoch();
        if let Ok(guard) = self.0.read() {
            if let Some((e, snap)) = guard.as_ref() {
                if *e == epoch {
                    return Ok(snap.clone());
                }
            }
        }
        let providers = store.providers().await?;
        let channels = store
            .channels()
            .await?
            .into_iter()
            .map(|c| ChannelBases {
                bases: providers
                    .iter()
                    .find(|p| p.id == c.provider_id)
                    .map(|p| p.api_base_urls.clone())
                    .unwrap_or_default(),
                id: c.id,
                label: c.account_label,
            })
            .collect();
        let snap = Arc::new(Snapshot {
            tokens: Index::build(store.url_tokens().await?),
            accepted: store.accepted_tokens().await?.into_iter().collect(),
            channels,
        });
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((epoch, snap.clone()));
        }
        Ok(snap)
    }
}
