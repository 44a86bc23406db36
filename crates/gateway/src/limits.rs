//! Failed-attempt limits: after too many failed authentications in a window, a player id
//! (as named by the presented secret) or a source address is refused with `429` until the
//! window ends — before any argon2id work is spent on it.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures a key may have per window, and the window.
#[derive(Debug, Clone, Copy)]
pub struct LimitPolicy {
    /// Failures allowed per player id in a window.
    pub per_player: u32,
    /// Failures allowed per source address in a window.
    pub per_address: u32,
    /// The window.
    pub window: Duration,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        LimitPolicy {
            per_player: 10,
            per_address: 30,
            window: Duration::from_secs(60),
        }
    }
}

/// Entries kept before old windows are swept.
const SWEEP_AT: usize = 50_000;

#[derive(Debug)]
struct Window<K> {
    limit: u32,
    period: Duration,
    entries: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq + Clone> Window<K> {
    fn new(limit: u32, period: Duration) -> Self {
        Window {
            limit,
            period,
            entries: Mutex::default(),
        }
    }

    /// When `key` is blocked, how long until it may try again.
    fn blocked(&self, key: &K, now: Instant) -> Option<Duration> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (start, count) = entries.get(key)?;
        let end = *start + self.period;
        (*count >= self.limit && now < end).then(|| end - now)
    }

    fn fail(&self, key: K, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SWEEP_AT {
            let period = self.period;
            entries.retain(|_, (start, _)| now < *start + period);
        }
        let entry = entries.entry(key).or_insert((now, 0));
        if now >= entry.0 + self.period {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

/// Failure counters per player id and per source address.
#[derive(Debug)]
pub struct Limits {
    players: Window<String>,
    addresses: Window<IpAddr>,
}

impl Limits {
    /// Limits with `policy`.
    pub fn new(policy: LimitPolicy) -> Self {
        Limits {
            players: Window::new(policy.per_player, policy.window),
            addresses: Window::new(policy.per_address, policy.window),
        }
    }

    /// How long `address` (and `player`, when the secret named one) must wait, if blocked.
    pub fn blocked(&self, address: IpAddr, player: Option<&str>) -> Option<Duration> {
        let now = Instant::now();
        let by_address = self.addresses.blocked(&address, now);
        let by_player = player.and_then(|p| self.players.blocked(&p.to_string(), now));
        by_address.max(by_player)
    }

    /// Records a failed attempt.
    pub fn fail(&self, address: IpAddr, player: Option<&str>) {
        let now = Instant::now();
        self.addresses.fail(address, now);
        if let Some(player) = player {
            self.players.fail(player.to_string(), now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_per_player_and_per_address() {
        let limits = Limits::new(LimitPolicy {
            per_player: 2,
            per_address: 3,
            window: Duration::from_secs(60),
        });
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        limits.fail(a, Some("p"));
        assert!(limits.blocked(a, Some("p")).is_none());
        limits.fail(b, Some("p"));
        assert!(
            limits.blocked(b, Some("p")).is_some(),
            "the player is blocked"
        );
        assert!(
            limits.blocked(b, Some("q")).is_none(),
            "another player is not"
        );
        limits.fail(b, None);
        limits.fail(b, None);
        assert!(
            limits.blocked(b, Some("q")).is_some(),
            "the address is blocked"
        );
        assert!(limits.blocked(a, Some("q")).is_none());
    }

    #[test]
    fn a_window_ends() {
        let w: Window<u8> = Window::new(1, Duration::from_millis(10));
        let t = Instant::now();
        w.fail(1, t);
        assert!(w.blocked(&1, t).is_some());
        assert!(w.blocked(&1, t + Duration::from_millis(11)).is_none());
    }
}
