//! What one player — or a leaked session of it — may spend on `/v1/fetch`, and what all of
//! them together may hold in memory.
//!
//! - **Per player** (every session and feed link of it counts together): a token bucket
//!   (`burst` requests at once, refilled at `per_second`) and a cap on requests under way.
//!   Over either, the request is `429 rate_limited` with `Retry-After`, before the cache or
//!   the upstream sees it.
//! - **The body budget**: every request that goes upstream holds its answer-size cap
//!   (`max_body`) of a gateway-wide budget until its answer is read. When the budget is
//!   spent, a request waits up to [`BUDGET_WAIT`] for room and is then `503 rate_limited`
//!   with `Retry-After`: memory stays bounded whatever the number of screens.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::FastMap;

/// How long a request waits for room in the body budget.
pub const BUDGET_WAIT: Duration = Duration::from_secs(2);

/// Players remembered before idle ones are swept.
const SWEEP_AT: usize = 100_000;

/// The limits of `/v1/fetch`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FetchPolicy {
    /// Requests per second a player may make, sustained.
    pub per_second: f64,
    /// Requests a player may make at once after being idle.
    pub burst: u32,
    /// Requests of one player under way at once.
    pub concurrent: u32,
    /// Bytes of upstream answers the whole gateway may be reading at once (each request
    /// counts its answer-size cap).
    pub body_budget: u64,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            per_second: 10.0,
            burst: 60,
            concurrent: 16,
            body_budget: 256 * 1024 * 1024,
        }
    }
}

impl FetchPolicy {
    /// No per-player limits (benchmarks, tests about something else); the default budget.
    pub fn unlimited() -> Self {
        FetchPolicy {
            per_second: f64::INFINITY,
            burst: u32::MAX,
            concurrent: u32::MAX,
            ..FetchPolicy::default()
        }
    }
}

#[derive(Debug)]
struct Player {
    tokens: f64,
    at: Instant,
    running: u32,
}

/// Per-player token buckets and request counts.
#[derive(Debug)]
pub struct Quota {
    policy: FetchPolicy,
    players: Mutex<FastMap<String, Player>>,
}

/// A request admitted: counted as under way until dropped.
#[derive(Debug)]
pub struct Admitted<'a> {
    quota: &'a Quota,
    player: &'a str,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        let mut players = self.quota.players.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = players.get_mut(self.player) {
            p.running = p.running.saturating_sub(1);
        }
    }
}

impl Quota {
    /// Limits with `policy`.
    pub fn new(policy: FetchPolicy) -> Self {
        Quota {
            policy,
            players: Mutex::default(),
        }
    }

    /// Admits one request of `player`, or says how long to wait.
    pub fn admit<'a>(&'a self, player: &'a str) -> Result<Admitted<'a>, Duration> {
        let FetchPolicy {
            per_second,
            burst,
            concurrent,
            ..
        } = self.policy;
        let now = Instant::now();
        let mut players = self.players.lock().unwrap_or_else(|p| p.into_inner());
        if players.len() >= SWEEP_AT && !players.contains_key(player) {
            players.retain(|_, p| {
                p.running > 0
                    || p.tokens + now.duration_since(p.at).as_secs_f64() * per_second
                        < f64::from(burst)
            });
        }
        // A known player (every request but its first) costs no allocation.
        if !players.contains_key(player) {
            players.insert(
                player.to_string(),
                Player {
                    tokens: f64::from(burst),
                    at: now,
                    running: 0,
                },
            );
        }
        let Some(p) = players.get_mut(player) else {
            return Err(Duration::from_secs(1));
        };
        let refilled = p.tokens + now.duration_since(p.at).as_secs_f64() * per_second;
        p.tokens = refilled.min(f64::from(burst));
        p.at = now;
        if p.running >= concurrent {
            return Err(Duration::from_secs(1));
        }
        if p.tokens < 1.0 {
            let wait = ((1.0 - p.tokens) / per_second).ceil().max(1.0);
            return Err(Duration::from_secs_f64(wait.min(3600.0)));
        }
        p.tokens -= 1.0;
        p.running += 1;
        Ok(Admitted {
            quota: self,
            player,
        })
    }
}

/// The gateway-wide budget of answer bytes being read, in KiB.
#[derive(Debug)]
pub struct Budget {
    permits: Semaphore,
    kib: u32,
}

impl Budget {
    /// A budget of `bytes`.
    pub fn new(bytes: u64) -> Self {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX));
        Budget {
            permits: Semaphore::new(kib as usize),
            kib,
        }
    }

    /// Holds room for an answer of up to `bytes` (never more than the whole budget), waiting
    /// up to [`BUDGET_WAIT`]; `None` when there was none.
    pub async fn reserve(&self, bytes: usize) -> Option<SemaphorePermit<'_>> {
        let want = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.kib);
        tokio::time::timeout(BUDGET_WAIT, self.permits.acquire_many(want))
            .await
            .ok()?
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_player_gets_its_burst_then_waits_and_others_are_untouched() {
        let quota = Quota::new(FetchPolicy {
            per_second: 1.0,
            burst: 3,
            concurrent: 100,
            ..FetchPolicy::default()
        });
        for _ in 0..3 {
            drop(quota.admit("a").expect("within the burst"));
        }
        let wait = quota.admit("a").expect_err("over");
        assert!(wait >= Duration::from_secs(1));
        assert!(
            quota.admit("b").is_ok(),
            "another player has its own bucket"
        );
    }

    #[test]
    fn requests_under_way_are_capped_and_released() {
        let quota = Quota::new(FetchPolicy {
            concurrent: 2,
            ..FetchPolicy::unlimited()
        });
        let a = quota.admit("a").expect("1");
        let _b = quota.admit("a").expect("2");
        assert!(quota.admit("a").is_err());
        drop(a);
        assert!(quota.admit("a").is_ok());
    }

    #[tokio::test]
    async fn the_budget_holds_each_answer_cap_until_released() {
        let budget = Budget::new(3 * 1024 * 1024);
        let a = budget.reserve(1024 * 1024).await.expect("a");
        let _b = budget.reserve(2 * 1024 * 1024).await.expect("b");
        let started = Instant::now();
        assert!(budget.reserve(1).await.is_none(), "spent");
        assert!(started.elapsed() >= BUDGET_WAIT);
        drop(a);
        assert!(budget.reserve(1024 * 1024).await.is_some());
        // More than the whole budget takes the whole budget, never forever.
        drop(_b);
        assert!(budget.reserve(usize::MAX).await.is_some());
    }
}
