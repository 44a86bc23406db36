//! This process's bookkeeping of refresh-token writes ([`Rotations`], held by the
//! [`super::Broker`]): write numbers, rotated tokens not saved yet, and their savers. The
//! writes themselves are [`super::rotation`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::secrets::SecretValue;

/// A rotated token waiting to be saved.
#[derive(Debug, Clone)]
pub(super) struct Unsaved {
    pub(super) token: Arc<SecretValue>,
    pub(super) write: u64,
    /// The database generation the token supersedes.
    pub(super) generation: i64,
}

/// Per-process bookkeeping of refresh-token writes.
#[derive(Debug, Default)]
pub(crate) struct Rotations {
    next: AtomicU64,
    pub(super) unsaved: Mutex<HashMap<String, Unsaved>>,
    written: Mutex<HashMap<String, Arc<tokio::sync::Mutex<u64>>>>,
    pub(super) savers: Mutex<HashMap<String, tokio::task::JoinHandle<()>>>,
}

impl Rotations {
    /// The rotated token this process holds for `channel_id` and has not saved yet.
    pub(crate) fn unsaved(&self, channel_id: &str) -> Option<Arc<SecretValue>> {
        let unsaved = self.unsaved.lock().unwrap_or_else(|p| p.into_inner());
        unsaved.get(channel_id).map(|u| u.token.clone())
    }

    /// Channels whose rotated token waits to be saved.
    pub(crate) fn unsaved_channels(&self) -> Vec<String> {
        let unsaved = self.unsaved.lock().unwrap_or_else(|p| p.into_inner());
        unsaved.keys().cloned().collect()
    }

    pub(super) fn number(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(super) fn slot(&self, channel_id: &str) -> Arc<tokio::sync::Mutex<u64>> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        written.entry(channel_id.to_string()).or_default().clone()
    }

    /// Forgets an unsaved token once a write numbered `write` or later has landed.
    pub(super) fn saved(&self, channel_id: &str, write: u64) {
        let mut unsaved = self.unsaved.lock().unwrap_or_else(|p| p.into_inner());
        if unsaved.get(channel_id).is_some_and(|u| u.write <= write) {
            unsaved.remove(channel_id);
        }
    }

    /// Drops everything about a channel (disconnected, or re-authorized with new tokens).
    pub(crate) fn forget(&self, channel_id: &str) {
        self.unsaved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(channel_id);
        if let Some(saver) = self
            .savers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(channel_id)
        {
            saver.abort();
        }
    }
}
