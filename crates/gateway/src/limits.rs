//! Failed-attempt limits: after too many failed authentications in a window, a source
//! address (an IPv6 address by its /64, which one host usually owns whole) or a presented
//! secret (by its keyed MAC, never the secret) is refused with `429` until the window
//! ends — before any argon2id work is spent on it.
//!
//! Never by the player id a secret names: that id is not secret (it is in the audit log
//! and in the secret's prefix), so counting failures against it would let anyone lock a
//! player out. A secret this gateway has verified is let in before any limit is consulted
//! ([`crate::auth`]), so a player presenting its right secret is never refused because of
//! someone else's failures — not even behind the same address.
//!
//! Many screens share one address behind a site's NAT or a reverse proxy, so an address
//! over its limit does not refuse everything from it: a well-formed secret naming a known
//! player is still checked, at most [`OVER_LIMIT_PARALLEL`] at once per address
//! ([`Slots`]), so a screen that restarts (its secret not yet verified here) gets in while
//! a guesser behind the same address still spends one argon2id check at a time. The
//! address a request counts against is the proxy's client when the peer is a trusted
//! proxy ([`crate::forwarded`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures a key may have per window, and the window.
#[derive(Debug, Clone, Copy)]
pub struct LimitPolicy {
    /// Failures allowed per presented secret in a window.
    pub per_secret: u32,
    /// Failures allowed per source address in a window.
    pub per_address: u32,
    /// The window.
    pub window: Duration,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        LimitPolicy {
            per_secret: 10,
            per_address: 30,
            window: Duration::from_secs(60),
        }
    }
}

/// Entries kept before old windows are swept.
const SWEEP_AT: usize = 50_000;

/// Checks of well-formed secrets for known players at once per address over its limit.
pub const OVER_LIMIT_PARALLEL: u32 = 2;

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

/// The keyed MAC of a presented secret (see [`crate::auth`]).
pub type SecretMac = [u8; 32];

/// Failure counters per presented secret and per source address.
#[derive(Debug)]
pub struct Limits {
    secrets: Window<SecretMac>,
    addresses: Window<IpAddr>,
}

/// What failures from `address` count against: an IPv4 address (also when IPv4-mapped),
/// or an IPv6 address's /64.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

impl Limits {
    /// Limits with `policy`.
    pub fn new(policy: LimitPolicy) -> Self {
        Limits {
            secrets: Window::new(policy.per_secret, policy.window),
            addresses: Window::new(policy.per_address, policy.window),
        }
    }

    /// How long `address` (and `secret`, when one was presented) must wait, if blocked.
    pub fn blocked(&self, address: IpAddr, secret: Option<&SecretMac>) -> Option<Duration> {
        self.address_blocked(address)
            .max(secret.and_then(|m| self.secret_blocked(m)))
    }

    /// How long `address` must wait, if it is over its limit.
    pub fn address_blocked(&self, address: IpAddr) -> Option<Duration> {
        self.addresses
            .blocked(&address_key(address), Instant::now())
    }

    /// How long `secret` must wait, if it is over its limit.
    pub fn secret_blocked(&self, secret: &SecretMac) -> Option<Duration> {
        self.secrets.blocked(secret, Instant::now())
    }

    /// Records a failed attempt.
    pub fn fail(&self, address: IpAddr, secret: Option<&SecretMac>) {
        let now = Instant::now();
        self.addresses.fail(address_key(address), now);
        if let Some(mac) = secret {
            self.secrets.fail(*mac, now);
        }
    }
}

/// Checks under way per address (counted by [`address_key`]).
#[derive(Debug, Default)]
pub struct Slots {
    taken: Mutex<HashMap<IpAddr, u32>>,
}

/// One check under way; freed on drop.
#[derive(Debug)]
pub struct Slot<'a> {
    slots: &'a Slots,
    key: IpAddr,
}

impl Slots {
    /// A slot for `address` when fewer than `max` of its checks are under way.
    pub fn take(&self, address: IpAddr, max: u32) -> Option<Slot<'_>> {
        let key = address_key(address);
        let mut taken = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        let n = taken.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { slots: self, key })
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut taken = self.slots.taken.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = taken.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                taken.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_per_address_and_freed() {
        let slots = Slots::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let one = slots.take(a, 2).expect("1");
        let _two = slots.take(a, 2).expect("2");
        assert!(slots.take(a, 2).is_none());
        assert!(slots.take([10, 0, 0, 2].into(), 2).is_some());
        drop(one);
        assert!(slots.take(a, 2).is_some());
    }

    fn limits(per_secret: u32, per_address: u32) -> Limits {
        Limits::new(LimitPolicy {
            per_secret,
            per_address,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn blocks_after_the_limit_per_secret_and_per_address() {
        let limits = limits(2, 3);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let (wrong, other) = ([1u8; 32], [2u8; 32]);
        limits.fail(a, Some(&wrong));
        assert!(limits.blocked(a, Some(&wrong)).is_none());
        limits.fail(b, Some(&wrong));
        assert!(
            limits.blocked(b, Some(&wrong)).is_some(),
            "the secret is blocked"
        );
        assert!(limits.blocked(b, Some(&other)).is_none(), "another is not");
        limits.fail(b, None);
        limits.fail(b, None);
        assert!(
            limits.blocked(b, Some(&other)).is_some(),
            "the address is blocked"
        );
        assert!(limits.blocked(a, Some(&other)).is_none());
    }

    #[test]
    fn failures_naming_a_player_never_block_that_players_secret() {
        // Wrong secrets that all name player p (`lyp_p_…`), from many addresses: each is
        // its own presented secret; p's right one is untouched.
        let limits = limits(2, 3);
        for i in 0..100u8 {
            let address: IpAddr = [10, 0, 0, i].into();
            limits.fail(address, Some(&[i; 32]));
        }
        let right = [0xAA; 32];
        let home: IpAddr = [192, 168, 1, 5].into();
        assert!(limits.blocked(home, Some(&right)).is_none());
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64() {
        let limits = limits(100, 3);
        let host = |last: u16| -> IpAddr {
            std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xdead, 0xbeef, 0, last).into()
        };
        for i in 0..3 {
            limits.fail(host(i), None);
        }
        assert!(limits.blocked(host(999), None).is_some(), "same /64");
        let neighbour: IpAddr = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1).into();
        assert!(limits.blocked(neighbour, None).is_none(), "another /64");
        let mapped: IpAddr = std::net::Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped().into();
        assert_eq!(address_key(mapped), IpAddr::from([10, 1, 2, 3]));
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
