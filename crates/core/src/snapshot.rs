//! A per-process snapshot of what every data request consults — the URL token index, the
//! "Accept all" decisions, and each channel's API bases — rebuilt only when the access
//! epoch (see [`crate::store::epoch`]) changes. Every write to tokens, decisions,
//! providers, channels, players or links bumps the epoch after its commit, so a snapshot
//! read after a change always sees it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// The snapshot's maps read on every grant and fetch (by principal, channel and token id):
/// foldhash with a per-process random seed instead of SipHash.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// See [`FastMap`].
pub type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

use crate::error::Result;
use crate::fetch::target::Base;
use crate::oauth::channel::{ChannelStatus, Handout};
use crate::store::Store;
use crate::urltokens::matcher::Index;

/// A channel and the API bases its tokens are for.
#[derive(Debug, Clone)]
pub struct ChannelBases {
    /// Channel id.
    pub id: String,
    /// Its account label.
    pub label: String,
    /// Its provider's API base URLs, parsed once.
    pub bases: Arc<[Base]>,
    /// How players get its data.
    pub handout: Handout,
    /// Its status.
    pub status: ChannelStatus,
    /// Its provider mints one token per resource (Microsoft): grants need the URL.
    pub per_resource: bool,
}

/// What one principal is linked to.
#[derive(Debug, Default, Clone)]
pub struct Linked {
    /// Channel ids.
    pub channels: FastSet<String>,
    /// URL token ids.
    pub tokens: FastSet<String>,
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
    /// The ids of the channels whose hand-out mode is `proxy` (data only, no grants): a
    /// grant asks this set, not the list.
    pub proxy_only: FastSet<String>,
    /// Each principal's links (channels and URL tokens), by principal id.
    pub links: FastMap<String, Linked>,
    /// Active players, by id.
    pub active_players: FastSet<String>,
    /// Non-zero minimum refetch intervals in seconds, keyed `channel:<id>` and
    /// `url_token:<id>`.
    pub min_refetch: HashMap<String, u64>,
    /// "Keep showing for" limits other than the default
    /// ([`crate::store::stale::DEFAULT_KEEP_STALE_SECS`]), keyed like `min_refetch`.
    pub keep_stale: HashMap<String, u64>,
}

impl Snapshot {
    /// What `principal_id` is linked to (nothing for an unknown principal).
    pub fn linked(&self, principal_id: &str) -> &Linked {
        static NONE: std::sync::OnceLock<Linked> = std::sync::OnceLock::new();
        self.links
            .get(principal_id)
            .unwrap_or_else(|| NONE.get_or_init(Linked::default))
    }
}

/// The cached snapshot and the epoch it was built under.
#[derive(Debug, Default)]
pub struct SnapshotCache(RwLock<Option<([u8; 16], Arc<Snapshot>)>>);

impl SnapshotCache {
    /// The current snapshot (rebuilt when the epoch moved).
    pub async fn get(&self, store: &Store) -> Result<Arc<Snapshot>> {
        self.at(store, store.access_epoch()).await
    }

    /// The snapshot for `epoch`, read by the caller before anything else of its operation
    /// (so the operation reads the epoch once, and passes it on).
    pub async fn at(&self, store: &Store, epoch: [u8; 16]) -> Result<Arc<Snapshot>> {
        if let Ok(guard) = self.0.read() {
            if let Some((e, snap)) = guard.as_ref() {
                if *e == epoch {
                    return Ok(snap.clone());
                }
            }
        }
        let providers = store.providers().await?;
        let channels: Vec<ChannelBases> = store
            .channels()
            .await?
            .into_iter()
            .map(|c| ChannelBases {
                bases: providers
                    .iter()
                    .find(|p| p.id == c.provider_id)
                    .map(|p| p.api_base_urls.iter().map(Base::new).collect())
                    .unwrap_or_else(|| Arc::from([])),
                per_resource: providers
                    .iter()
                    .find(|p| p.id == c.provider_id)
                    .is_some_and(|p| p.kind == crate::oauth::provider::ProviderKind::Microsoft),
                id: c.id,
                label: c.account_label,
                handout: c.handout,
                status: c.status,
            })
            .collect();
        let all = store.all_links().await?;
        let mut links: FastMap<String, Linked> = FastMap::default();
        for (principal, channel) in all.channels {
            links.entry(principal).or_default().channels.insert(channel);
        }
        for (principal, token) in all.tokens {
            links.entry(principal).or_default().tokens.insert(token);
        }
        let proxy_only = (channels.iter())
            .filter(|c| c.handout == Handout::Proxy)
            .map(|c| c.id.clone())
            .collect();
        let snap = Arc::new(Snapshot {
            tokens: Index::build(store.url_tokens().await?),
            accepted: store.accepted_tokens().await?.into_iter().collect(),
            channels,
            proxy_only,
            links,
            active_players: store
                .principals()
                .await?
                .into_iter()
                .filter(|p| p.kind == crate::store::principals::PrincipalKind::Player && p.active)
                .map(|p| p.id)
                .collect(),
            min_refetch: store.min_refetch_all().await?,
            keep_stale: store.keep_stale_all().await?,
        });
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((epoch, snap.clone()));
        }
        Ok(snap)
    }
}
