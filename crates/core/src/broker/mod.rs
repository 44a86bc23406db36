//! The broker: principals (the desktop license, players) ask for access to a channel and
//! get a short-lived grant made from the channel's master token.
//!
//! - [`grant::issue_grant`] checks the principal, the link and the channel on every call
//!   (so a removal made by another process denies the very next grant), then hands out the
//!   provider access token with `expires_at ≤ now + 15 min` and before the provider's own
//!   expiry minus a skew. The refresh token never leaves the broker.
//! - Refresh ([`refresh`]) is single-flight per channel in this process (one async mutex
//!   per channel) and across processes (a lease in the channel row taken under
//!   `BEGIN IMMEDIATE`; the second comer waits and re-reads the stored token).
//! - Players prove who they are with a secret ([`secret`]) whose argon2id hash is all the
//!   store keeps.
//! - Grants are audited through a buffer flushed in batches ([`Broker::flush`]), so a
//!   cached grant costs no disk write.

pub mod audit_log;
mod failures;
#[cfg(test)]
mod flush_tests;
pub mod grant;
pub mod lease;
mod lease_mark;
pub mod players;
pub mod refresh;
pub mod rotation;
mod rotations;
pub mod secret;
pub mod sessions;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
pub mod timings;
pub mod token_links;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::error::Result;
use crate::secrets::SecretValue;
use crate::store::principals::Access;
use crate::store::Store;

pub use grant::Grant;

/// The longest a grant lives.
pub const MAX_GRANT_SECONDS: i64 = 15 * 60;

/// The usual refresh skew: refresh this long before the provider token expires.
pub const SKEW_SECONDS: i64 = 60;

/// An access token this process holds for a channel.
#[derive(Debug, Clone)]
pub struct CachedToken {
    /// The provider access token.
    pub token: Arc<SecretValue>,
    /// Its type (`Bearer`).
    pub token_type: String,
    /// When the provider says it expires.
    pub expires_at: i64,
    /// When it was received (local clock).
    pub received_at: i64,
    /// The refresh-token generation it came with.
    pub generation: i64,
    /// Scopes.
    pub scopes: Arc<Vec<String>>,
}

impl CachedToken {
    /// Refresh this long before expiry: 60 s, or a quarter of the lifetime when shorter.
    pub fn skew(&self) -> i64 {
        skew(self.expires_at - self.received_at)
    }

    /// Usable without refreshing at `now`.
    pub fn fresh(&self, now: i64) -> bool {
        now < self.expires_at - self.skew()
    }
}

/// The cache key of a channel's token for `resource` (`None`: its first resource).
pub(crate) fn cache_key(channel_id: &str, resource: Option<&str>) -> String {
    match resource {
        None => channel_id.to_string(),
        Some(r) => format!("{channel_id}\u{1f}{r}"),
    }
}

/// The refresh skew for a token that lives `lifetime` seconds.
pub fn skew(lifetime: i64) -> i64 {
    SKEW_SECONDS.min((lifetime / 4).max(0))
}

/// Grant audit records written by one statement of a flush.
const AUDIT_FLUSH_CHUNK: usize = 1024;

/// The largest audit buffer (in records) a flush keeps for reuse: 2^20 records, about
/// five seconds of grants at 200 000/s; a larger one (a burst) is freed.
const MAX_SPARE_AUDIT: usize = 1 << 20;

/// An audit record waiting to be written.
#[derive(Debug, Clone)]
pub(crate) struct PendingAudit {
    pub at: i64,
    pub principal_id: String,
    pub channel_id: String,
    pub outcome: crate::store::audit::AuditOutcome,
    pub detail: Option<String>,
}

/// Per-process broker state: the token cache, the in-process single-flight locks and the
/// audit buffer. Shared by every clone of [`crate::Lanyard`].
#[derive(Debug)]
pub struct Broker {
    owner: String,
    cache: RwLock<crate::snapshot::FastMap<String, Arc<CachedToken>>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Grant audit records waiting for the next flush.
    audit: Mutex<Vec<PendingAudit>>,
    /// The buffer the next flush swaps in for `audit`: the one the previous flush wrote,
    /// emptied. Two buffers whose memory is reused, so neither the grant path nor the
    /// flush touches fresh pages (a fresh buffer every flush, tens of MiB at a busy
    /// gateway's rate, cost 5 % of its CPU in page faults: docs/benchmarks.md, stop 36).
    audit_spare: Mutex<Vec<PendingAudit>>,
    access: RwLock<AccessCache>,
    refreshes: AtomicU64,
    timings: RwLock<timings::RefreshTimings>,
    pub(crate) rotations: rotations::Rotations,
    pub(crate) failures: failures::Failures,
    screens: crate::screens::ScreenLog,
}

/// Access decisions valid for one access epoch (see [`crate::store::epoch`]).
#[derive(Debug, Default)]
struct AccessCache {
    epoch: [u8; 16],
    by_principal: crate::snapshot::FastMap<String, crate::snapshot::FastMap<String, Access>>,
}

/// Names the process-id space this process lives in, so that a refresh lease's owner pid
/// is checked only where it means something. Processes sharing one PostgreSQL database run
/// on other machines and in other containers: on Linux this is the boot id and the pid
/// namespace; elsewhere a random name (never equal to another process's). On Windows that
/// name is also the process's lease mark (see `lease_mark`), which tells a dead holder
/// from a live one; on other systems such leases are simply waited out.
pub fn lease_host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok();
        let ns = std::fs::read_link("/proc/self/ns/pid").ok();
        match (boot, ns) {
            (Some(boot), Some(ns)) => {
                let ns = ns
                    .to_string_lossy()
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>();
                format!("{}.{ns}", boot.trim().replace('-', ""))
            }
            _ => uuid::Uuid::new_v4().simple().to_string(),
        }
    })
}

impl Default for Broker {
    fn default() -> Self {
        Broker {
            owner: format!(
                "{}:{}:{}",
                std::process::id(),
                lease_host(),
                uuid::Uuid::new_v4().simple()
            ),
            cache: RwLock::default(),
            flights: Mutex::default(),
            audit: Mutex::default(),
            audit_spare: Mutex::default(),
            screens: crate::screens::ScreenLog::default(),
            access: RwLock::default(),
            refreshes: AtomicU64::new(0),
            timings: RwLock::default(),
            rotations: rotations::Rotations::default(),
            failures: failures::Failures::default(),
        }
    }
}

impl Broker {
    /// This process's lease-owner name (`<pid>:<host>:<random>`, see [`lease_host`]).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Successful refreshes this process made at the provider (for metrics).
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// The durations of refresh coordination in this process.
    pub fn timings(&self) -> timings::RefreshTimings {
        *self.timings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes them (tests scale them down).
    pub fn set_timings(&self, timings: timings::RefreshTimings) {
        *self.timings.write().unwrap_or_else(|p| p.into_inner()) = timings;
    }

    /// Channels whose rotated refresh token this process holds in memory because the
    /// secret store refused it (see [`rotation`]); shown as a warning.
    pub fn unsaved_channels(&self) -> Vec<String> {
        self.rotations.unsaved_channels()
    }

    pub(crate) fn count_refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }

    /// The token cached for `channel_id` and `resource` (see [`cache_key`]); the
    /// channel's own token is looked up by its id, without building a key.
    pub(crate) fn cached(
        &self,
        channel_id: &str,
        resource: Option<&str>,
    ) -> Option<Arc<CachedToken>> {
        let cache = self.cache.read().ok()?;
        match resource {
            None => cache.get(channel_id).cloned(),
            Some(_) => cache.get(&cache_key(channel_id, resource)).cloned(),
        }
    }

    pub(crate) fn remember(&self, key: &str, token: CachedToken) {
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(key.to_string(), Arc::new(token));
        }
    }

    /// Drops a channel's cached tokens, for every resource (disconnect,
    /// re-authorization), and any rotated token waiting to be saved.
    pub fn forget(&self, channel_id: &str) {
        if let Ok(mut cache) = self.cache.write() {
            let prefix = cache_key(channel_id, Some(""));
            cache.retain(|k, _| k != channel_id && !k.starts_with(&prefix));
        }
        self.rotations.forget(channel_id);
    }

    pub(crate) fn cached_access(
        &self,
        epoch: &[u8; 16],
        principal: &str,
        channel: &str,
    ) -> Option<Access> {
        let cache = self.access.read().ok()?;
        if cache.epoch != *epoch {
            return None;
        }
        cache.by_principal.get(principal)?.get(channel).cloned()
    }

    pub(crate) fn remember_access(
        &self,
        epoch: &[u8; 16],
        principal: &str,
        channel: &str,
        access: Access,
    ) {
        if let Ok(mut cache) = self.access.write() {
            if cache.epoch != *epoch {
                cache.epoch = *epoch;
                cache.by_principal.clear();
            }
            cache
                .by_principal
                .entry(principal.to_string())
                .or_default()
                .insert(channel.to_string(), access);
        }
    }

    pub(crate) fn flight(&self, channel_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.entry(channel_id.to_string()).or_default().clone()
    }

    /// What each screen was last served, buffered until the next flush.
    pub fn screens(&self) -> &crate::screens::ScreenLog {
        &self.screens
    }

    pub(crate) fn record(&self, entry: PendingAudit) {
        if let Ok(mut buffer) = self.audit.lock() {
            buffer.push(entry);
        }
    }

    /// Writes buffered grant audit records (and players' last-seen times) in one
    /// transaction. Call before a short-lived process exits; long-lived ones call it
    /// periodically.
    pub async fn flush(&self, store: &Store) -> Result<usize> {
        let spare = match self.audit_spare.lock() {
            Ok(mut spare) => std::mem::take(&mut *spare),
            Err(_) => Vec::new(),
        };
        let mut batch: Vec<PendingAudit> = match self.audit.lock() {
            Ok(mut buffer) => std::mem::replace(&mut *buffer, spare),
            Err(_) => return Ok(0),
        };
        let written = match batch.is_empty() {
            true => Ok(0),
            false => Self::write_audit(store, &batch).await.map(|()| batch.len()),
        };
        // Kept for the flush after next (the records themselves are dropped here, written
        // or not), unless a burst made it larger than a steady gateway needs.
        batch.clear();
        if batch.capacity() <= MAX_SPARE_AUDIT {
            if let Ok(mut spare) = self.audit_spare.lock() {
                if spare.capacity() < batch.capacity() {
                    *spare = batch;
                }
            }
        }
        written
    }

    /// One flush's transaction: the records [`AUDIT_FLUSH_CHUNK`] at a time (the statement
    /// text of a chunk stays small and its buffer is reused), then the players' last-seen
    /// times.
    async fn write_audit(store: &Store, batch: &[PendingAudit]) -> Result<()> {
        let mut tx = store.begin_write().await?;
        let mut seen: HashMap<&str, i64> = HashMap::new();
        let mut events = Vec::with_capacity(batch.len().min(AUDIT_FLUSH_CHUNK));
        for chunk in batch.chunks(AUDIT_FLUSH_CHUNK) {
            events.clear();
            events.extend(chunk.iter().map(|e| {
                (
                    e.at,
                    crate::store::audit::AuditEvent {
                        principal_id: Some(e.principal_id.as_str()),
                        action: crate::store::audit::AuditAction::Grant,
                        subject_kind: crate::store::audit::AuditSubject::Channel,
                        subject_id: e.channel_id.as_str(),
                        outcome: e.outcome,
                        detail: e.detail.as_deref(),
                    },
                )
            }));
            store.audit_many(&mut tx, &events).await?;
        }
        for e in batch
            .iter()
            .filter(|e| e.outcome == crate::store::audit::AuditOutcome::Ok)
        {
            let at = seen.entry(&e.principal_id).or_insert(e.at);
            *at = (*at).max(e.at);
        }
        for (principal, at) in seen {
            sqlx::query(
                "UPDATE principal SET last_seen_at = $1 \
                 WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at < $1)",
            )
            .bind(at)
            .bind(principal)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
