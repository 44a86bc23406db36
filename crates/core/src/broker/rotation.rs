//! Rotated refresh tokens are never dropped.
//!
//! When a provider rotates a channel's refresh token, the old one is dead at the provider
//! (and using it again may revoke the whole grant). So the new one must reach the secret
//! store whatever the store is doing. If the write fails (a locked keyring, a full disk):
//!
//! - the new token is kept in this process's memory and used for the next refresh;
//! - this process keeps the channel's refresh lease (renewed), so no other process refreshes
//!   with the rotated-out token it would read from the store;
//! - the write is retried with backoff ([`super::lease::RefreshTimings::save_retry`],
//!   doubling up to 30 s) until it succeeds; only then is the generation bumped in the
//!   database and the lease released;
//! - the channel's `last_error` says so meanwhile (Channels, Settings, tray, `lanyard
//!   channel show`), without the token.
//!
//! Every write of a channel's refresh token in this process goes through [`write()`], which
//! numbers writes and never lets an older one land after a newer one (a slow retry after a
//! newer rotation or a re-authorization is skipped). Across processes the lease fences:
//! only its holder writes.

use std::sync::Arc;
use std::time::Duration;

use super::rotations::Unsaved;
use crate::error::Result;
use crate::instance::Lanyard;
use crate::oauth::channel::keys;
use crate::secrets::SecretValue;

/// What `last_error` says while a rotated token waits to be saved.
pub const UNSAVED_WARNING: &str = "the provider issued a new master token that the secret \
    store could not save yet; Lanyard keeps it in memory and retries — keep Lanyard running \
    and make sure the secret store is unlocked";

/// Writes `channel_id`'s refresh token as write number `write`, unless a later write has
/// landed already (then this one is stale and skipped, which counts as saved).
async fn write_numbered(
    l: &Lanyard,
    channel_id: &str,
    token: &SecretValue,
    write: u64,
) -> Result<()> {
    let rotations = &l.broker().rotations;
    let slot = rotations.slot(channel_id);
    let mut last = slot.lock().await;
    if *last >= write {
        return Ok(());
    }
    l.secrets()
        .set(&keys::refresh(channel_id), SecretValue::new(token.expose()))
        .await?;
    *last = write;
    rotations.saved(channel_id, write);
    Ok(())
}

/// Writes a channel's refresh token now (a re-authorization's): newer than any write this
/// process started before.
pub async fn write(l: &Lanyard, channel_id: &str, token: &SecretValue) -> Result<()> {
    let write = l.broker().rotations.number();
    write_numbered(l, channel_id, token, write).await
}

/// Saves a rotated refresh token that supersedes `generation`. Returns whether it is in
/// the secret store; when it is not, it is kept in memory and a background task retries
/// until it is, then records the rotation (see the module docs).
pub(crate) async fn save(
    l: &Lanyard,
    channel_id: &str,
    token: SecretValue,
    generation: i64,
) -> bool {
    let rotations = &l.broker().rotations;
    let write = rotations.number();
    let token = Arc::new(token);
    {
        // Registered before the attempt, so a concurrent reader never misses it.
        let mut unsaved = rotations.unsaved.lock().unwrap_or_else(|p| p.into_inner());
        unsaved.insert(
            channel_id.to_string(),
            Unsaved {
                token: token.clone(),
                write,
                generation,
            },
        );
    }
    if write_numbered(l, channel_id, &token, write).await.is_ok() {
        return true;
    }
    let mut savers = rotations.savers.lock().unwrap_or_else(|p| p.into_inner());
    let running = savers.get(channel_id).is_some_and(|s| !s.is_finished());
    if !running {
        let (l2, id) = (l.clone(), channel_id.to_string());
        savers.insert(channel_id.to_string(), tokio::spawn(retry(l2, id)));
    }
    false
}

/// Retries the newest unsaved token until it is saved and recorded.
async fn retry(l: Lanyard, channel_id: String) {
    let _keeper = super::lease::Keeper::start(&l, &channel_id);
    let mut wait = l.broker().timings().save_retry;
    loop {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
        let pending = {
            let unsaved = l
                .broker()
                .rotations
                .unsaved
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            unsaved.get(&channel_id).cloned()
        };
        let Some(pending) = pending else {
            return; // a later refresh saved a newer one
        };
        if write_numbered(&l, &channel_id, &pending.token, pending.write)
            .await
            .is_err()
        {
            continue;
        }
        let recorded = l
            .store()
            .record_saved_rotation(&channel_id, l.broker().owner(), pending.generation)
            .await;
        if recorded.is_ok() {
            return;
        }
    }
}
