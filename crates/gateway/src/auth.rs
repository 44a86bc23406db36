//! Player authentication: `Authorization: Bearer <player secret>`.
//!
//! The first time a secret is seen it is checked against the player's argon2id hash (tens
//! of milliseconds, on the blocking pool, at most a few at once). A secret that verifies is
//! remembered in this process under `HMAC-SHA256(k, secret)`, where `k` is 32 random bytes
//! drawn at start-up and never leaves memory: the cache holds no secret and nothing an
//! attacker could test guesses against offline, and a lookup costs one HMAC and one hash
//! map probe, with no argon2id.
//!
//! A cached entry is valid for the access epoch it was verified (or revalidated) in. When
//! the epoch moves — a player removed, a link changed, a secret rotated, in this process or
//! another — the next request re-reads the player's stored hash: unchanged, the entry
//! carries on; changed or gone, the entry is dropped and the secret must verify again
//! (a rotated-away secret then fails). So rotation takes effect on the very next request.
//!
//! Every failure looks the same to the caller (`unauthenticated`), and an unknown player id
//! is verified against a decoy hash, so timing does not tell a wrong secret from an unknown
//! player. Failures count against the presented secret (its MAC) and the source address,
//! never the player id it names ([`crate::limits`]); a secret found verified in the cache
//! is let in before any limit is consulted. An address over its limit still has a
//! well-formed secret for a known player checked, a few at a time per address (screens
//! behind one NAT or proxy are not locked out by a neighbour's failures); anything else
//! from it waits. A session token (`lyg_…`) sent where the secret belongs is refused
//! without counting as a failure: no secret can look like one, so it guesses nothing, and
//! a confused screen must not lock out its neighbours.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use hmac::{Hmac, Mac};
use lanyard_core::broker::{secret, sessions};
use lanyard_core::secrets::SecretValue;
use lanyard_core::{Error, Lanyard, Result};
use sha2::Sha256;

use crate::limits::{LimitPolicy, Limits, Slots, OVER_LIMIT_PARALLEL};

/// Argon2id verifications allowed at once (each holds 19 MiB).
const PARALLEL_VERIFICATIONS: usize = 4;

/// Cached entries kept before the cache is emptied and rebuilt.
const MAX_ENTRIES: usize = 200_000;

const REFUSED: &str = "missing or invalid player secret";

/// A secret verified once.
#[derive(Debug, Clone)]
struct Verified {
    player_id: Arc<str>,
    hash: Arc<str>,
    epoch: [u8; 16],
}

/// Verifies player secrets and remembers the ones that verified.
#[derive(Debug)]
pub struct Authenticator {
    /// HMAC-SHA256 under a random key, keyed once (each request clones it).
    keyed: Hmac<Sha256>,
    verified: RwLock<crate::FastMap<[u8; 32], Verified>>,
    limits: Limits,
    slow: tokio::sync::Semaphore,
    /// Checks under way per address over its limit.
    over_limit: Slots,
}

/// Why a request was refused before the broker saw it.
#[derive(Debug)]
pub enum Refusal {
    /// `unauthenticated`.
    Unauthenticated(Error),
    /// `rate_limited`, with the seconds to wait.
    Limited(Error, u64),
    /// The store failed.
    Failed(Error),
}

impl Authenticator {
    /// A new authenticator with a fresh random cache key.
    pub fn new(policy: LimitPolicy) -> Result<Self> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key)
            .map_err(|_| Error::Internal("the OS random generator failed".into()))?;
        // A 32-byte key is always a valid HMAC key.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        Ok(Authenticator {
            keyed,
            verified: RwLock::default(),
            limits: Limits::new(policy),
            slow: tokio::sync::Semaphore::new(PARALLEL_VERIFICATIONS),
            over_limit: Slots::default(),
        })
    }

    /// How many secrets are cached as verified.
    pub fn verified_count(&self) -> usize {
        self.verified.read().map(|v| v.len()).unwrap_or(0)
    }

    fn mac(&self, secret: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The player a request's bearer secret belongs to.
    pub async fn authenticate(
        &self,
        l: &Lanyard,
        bearer: Option<&str>,
        address: IpAddr,
    ) -> std::result::Result<Arc<str>, Refusal> {
        let Some(presented) = bearer else {
            if let Some(wait) = self.limits.blocked(address, None) {
                return Err(limited(wait));
            }
            self.limits.fail(address, None);
            return Err(Refusal::Unauthenticated(Error::Unauthenticated(
                "send the player secret as `Authorization: Bearer <secret>`".into(),
            )));
        };
        if presented.starts_with(sessions::PREFIX) {
            return Err(Refusal::Unauthenticated(Error::Unauthenticated(
                "this is a session token: this endpoint takes the player secret (session \
                 tokens are for /v1/fetch)"
                    .into(),
            )));
        }
        let mac = self.mac(presented);
        // Read the epoch before the database (see lanyard_core::store::epoch).
        let epoch = l.store().access_epoch();
        if let Some(player_id) = self.revalidated(l, &mac, epoch).await? {
            return Ok(player_id);
        }
        // Not verified before: the limits apply before any argon2id work.
        if let Some(wait) = self.limits.secret_blocked(&mac) {
            return Err(limited(wait));
        }
        let over = self.limits.address_blocked(address);
        let Some(player) = secret::player_id(presented) else {
            if let Some(wait) = over {
                return Err(limited(wait));
            }
            self.limits.fail(address, Some(&mac));
            return Err(Refusal::Unauthenticated(Error::Unauthenticated(
                REFUSED.into(),
            )));
        };
        let stored = l
            .store()
            .secret_hash(&player)
            .await
            .map_err(Refusal::Failed)?;
        // Over the address's limit: a well-formed secret for a known player is still
        // checked, a few at a time for this address; anything else waits.
        let _slot = match over {
            None => None,
            Some(wait) if stored.is_none() => return Err(limited(wait)),
            Some(wait) => match self.over_limit.take(address, OVER_LIMIT_PARALLEL) {
                Some(slot) => Some(slot),
                None => return Err(limited(wait)),
            },
        };
        let ok = self
            .verify_slowly(presented, stored.as_deref())
            .await
            .map_err(Refusal::Failed)?;
        match (ok, stored) {
            (true, Some(hash)) => {
                let player_id: Arc<str> = player.into();
                self.remember(mac, player_id.clone(), hash.into(), epoch);
                Ok(player_id)
            }
            _ => {
                self.limits.fail(address, Some(&mac));
                Err(Refusal::Unauthenticated(Error::Unauthenticated(
                    REFUSED.into(),
                )))
            }
        }
    }

    /// The player of a secret found verified in the cache: at once in the epoch it was
    /// verified in, else after its stored hash is found unchanged (the entry then moves to
    /// this epoch). A changed hash drops the entry and gives `None`, as does a miss.
    async fn revalidated(
        &self,
        l: &Lanyard,
        mac: &[u8; 32],
        epoch: [u8; 16],
    ) -> std::result::Result<Option<Arc<str>>, Refusal> {
        // The common case, verified in this very epoch, copies only the player id.
        let cached = self.verified.read().ok().and_then(|v| {
            v.get(mac).map(|e| match e.epoch == epoch {
                true => Ok(e.player_id.clone()),
                false => Err(e.clone()),
            })
        });
        let entry = match cached {
            None => return Ok(None),
            Some(Ok(player_id)) => return Ok(Some(player_id)),
            Some(Err(entry)) => entry,
        };
        let stored = l
            .store()
            .secret_hash(&entry.player_id)
            .await
            .map_err(Refusal::Failed)?;
        if stored.as_deref() == Some(&*entry.hash) {
            if let Ok(mut v) = self.verified.write() {
                if let Some(e) = v.get_mut(mac) {
                    e.epoch = epoch;
                }
            }
            return Ok(Some(entry.player_id));
        }
        if let Ok(mut v) = self.verified.write() {
            v.remove(mac);
        }
        Ok(None)
    }

    /// Caches a secret that verified (the cache is emptied when full).
    fn remember(&self, mac: [u8; 32], player_id: Arc<str>, hash: Arc<str>, epoch: [u8; 16]) {
        if let Ok(mut v) = self.verified.write() {
            if v.len() >= MAX_ENTRIES {
                v.clear();
            }
            v.insert(
                mac,
                Verified {
                    player_id,
                    hash,
                    epoch,
                },
            );
        }
    }

    /// argon2id on the blocking pool; an unknown player is checked against the decoy.
    async fn verify_slowly(&self, presented: &str, stored: Option<&str>) -> Result<bool> {
        let _permit = self
            .slow
            .acquire()
            .await
            .map_err(|_| Error::Internal("the verifier is closed".into()))?;
        let secret = SecretValue::new(presented);
        let known = stored.is_some();
        let hash = match stored {
            Some(h) => h.to_string(),
            None => secret::decoy_hash().to_string(),
        };
        let ok = tokio::task::spawn_blocking(move || secret::verify(secret.expose(), &hash))
            .await
            .map_err(|_| Error::Internal("verifying a player secret panicked".into()))?;
        Ok(ok && known)
    }
}

fn limited(wait: std::time::Duration) -> Refusal {
    let secs = wait.as_secs().max(1);
    Refusal::Limited(
        Error::RateLimited(format!("too many failed attempts; try again in {secs} s")),
        secs,
    )
}
