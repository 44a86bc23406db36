//! Session verification for `/v1/fetch` ([`crate::data`]): the session keys (reloaded
//! when the access epoch moves, or when a token names a key this gateway does not hold),
//! and each player's session generation per access epoch, so an unlink, a removal or a
//! secret rotation in any process ends the player's sessions at its very next request.
//!
//! A token that verified is remembered with its player and expiry for the access epoch it
//! verified under, so a screen's next requests skip the MAC, the decoding and the
//! generation lookup until anything access-related changes (which moves the epoch: a key
//! rotation, an unlink, a removal). Holding tokens in memory adds nothing for someone who
//! could read it: the session keys that mint them are held there too.

use std::sync::{Arc, RwLock};

use lanyard_core::broker::sessions::{self, Claims, SessionKeys};
use lanyard_core::{Error, Lanyard, Result};

/// A player's session generation (`None`: no such active player) as read under an epoch.
type Generation = ([u8; 16], Option<i64>);

/// Verified tokens kept at most (all are dropped when the bound is reached).
const MAX_VERIFIED: usize = 100_000;

/// A token that verified: its player and expiry, under the epoch it verified in.
#[derive(Debug, Clone)]
struct Verified {
    epoch: [u8; 16],
    player: Arc<str>,
    expires_at: i64,
}

/// A token naming a key this gateway does not hold reloads the keys at most this often (a
/// rotation by another gateway arrives with the access epoch anyway).
const FORCED_RELOAD: std::time::Duration = std::time::Duration::from_secs(1);

/// Session verification: the session keys (reloaded when the access epoch moves), and each
/// player's session generation per access epoch.
#[derive(Debug, Default)]
pub struct Sessions {
    keys: tokio::sync::RwLock<Option<([u8; 16], Arc<SessionKeys>)>>,
    forced: std::sync::Mutex<Option<std::time::Instant>>,
    generations: RwLock<std::collections::HashMap<String, Generation>>,
    verified: RwLock<crate::FastMap<Box<str>, Verified>>,
}

impl Sessions {
    /// The keys in force (created on first use, shared with every gateway on the store).
    /// `wanted`: a key id a token names; if this gateway does not hold it, the keys are
    /// reloaded (at most once per [`FORCED_RELOAD`]).
    pub(crate) async fn keys(&self, l: &Lanyard, wanted: Option<&str>) -> Result<Arc<SessionKeys>> {
        self.keys_at(l, l.store().access_epoch(), wanted).await
    }

    /// [`Sessions::keys`] under `epoch`, read before anything this reads from the store.
    async fn keys_at(
        &self,
        l: &Lanyard,
        epoch: [u8; 16],
        wanted: Option<&str>,
    ) -> Result<Arc<SessionKeys>> {
        let prior = self.keys.read().await.clone();
        if let Some((seen, keys)) = &prior {
            let missing = wanted.is_some_and(|id| keys.get(id).is_none()) && self.may_force();
            if *seen == epoch && !missing {
                return Ok(keys.clone());
            }
        }
        let mut slot = self.keys.write().await;
        let ids = sessions::ensure_keys(l).await?;
        let held = slot.as_ref().map(|(_, k)| k.clone());
        let keys = Arc::new(sessions::load_keys(l, &ids, held.as_deref()).await?);
        *slot = Some((epoch, keys.clone()));
        Ok(keys)
    }

    fn may_force(&self) -> bool {
        let mut last = self.forced.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < FORCED_RELOAD) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// The player a session token belongs to, if it is still valid (MAC, expiry, and the
    /// player's current session generation, re-read when the access epoch moves).
    pub async fn verify(&self, l: &Lanyard, token: &str) -> Result<Arc<str>> {
        // One epoch read for the keys and the generation, before either is read.
        let epoch = l.store().access_epoch();
        let now = l.clock().now();
        let known = self.verified.read().ok().and_then(|v| {
            v.get(token)
                .filter(|v| v.epoch == epoch && now < v.expires_at)
                .map(|v| v.player.clone())
        });
        if let Some(player) = known {
            return Ok(player);
        }
        self.verify_anew(l, token, epoch, now).await
    }

    /// [`Sessions::verify`] for a token not verified under `epoch` yet: the keys, the MAC,
    /// the expiry and the player's generation; remembered when it verifies.
    async fn verify_anew(
        &self,
        l: &Lanyard,
        token: &str,
        epoch: [u8; 16],
        now: i64,
    ) -> Result<Arc<str>> {
        let keys = self
            .keys_at(l, epoch, sessions::key_id(token).as_deref())
            .await?;
        let claims: Claims = sessions::open(&keys, token, now)?;
        let cached = self
            .generations
            .read()
            .ok()
            .and_then(|g| g.get(&claims.player_id).copied())
            .filter(|(e, _)| *e == epoch)
            .map(|(_, g)| g);
        let current = match cached {
            Some(g) => g,
            None => {
                let g = l.store().session_generation(&claims.player_id).await?;
                if let Ok(mut all) = self.generations.write() {
                    if all.len() > 100_000 {
                        all.clear();
                    }
                    all.insert(claims.player_id.clone(), (epoch, g));
                }
                g
            }
        };
        if current != Some(claims.generation) {
            return Err(Error::Unauthenticated(
                "the session has ended (the player was removed, unlinked or its secret \
                 rotated): get a new one from POST /v1/sessions"
                    .into(),
            ));
        }
        let player: Arc<str> = claims.player_id.into();
        if let Ok(mut verified) = self.verified.write() {
            if verified.len() >= MAX_VERIFIED {
                verified.clear();
            }
            verified.insert(
                token.into(),
                Verified {
                    epoch,
                    player: player.clone(),
                    expires_at: claims.expires_at,
                },
            );
        }
        Ok(player)
    }
}
