//! The gateway's metrics in the Prometheus text format (version 0.0.4): grants, denials by
//! code, authentication failures, rate-limited requests (failed-attempt limits, and
//! `/v1/fetch`'s per-player and memory limits apart), refreshes made by this process, the
//! bytes the response cache holds and a grant latency histogram. Lock-free counters; no label ever carries a secret or an id.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use std::collections::BTreeMap;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Counters and the latency histogram.
#[derive(Debug, Default)]
pub struct Metrics {
    grants: AtomicU64,
    /// `/v1/fetch` answered `ok` (the common outcome: an atomic, not the map's lock).
    fetches_ok: AtomicU64,
    fetches: Mutex<BTreeMap<&'static str, u64>>,
    auth_failures: AtomicU64,
    rate_limited: AtomicU64,
    fetch_limited: AtomicU64,
    denials: Mutex<BTreeMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    /// Stale answers served, by reason.
    stale: Mutex<BTreeMap<&'static str, u64>>,
    /// Players whose last answer here was stale, with when that data was fetched (Unix s).
    serving_stale: Mutex<std::collections::HashMap<String, i64>>,
    /// How many `serving_stale` holds: a fresh answer while none is stale takes no lock.
    serving_stale_count: AtomicUsize,
}

impl Metrics {
    /// A stale answer was served for `reason`.
    pub fn stale(&self, reason: &'static str) {
        if let Ok(mut s) = self.stale.lock() {
            *s.entry(reason).or_default() += 1;
        }
    }

    /// A player's last answer: stale data fetched at `data_from` (Unix s), or not stale.
    pub fn serving(&self, player: &str, data_from: Option<i64>) {
        if data_from.is_none() && self.serving_stale_count.load(Ordering::Acquire) == 0 {
            return;
        }
        if let Ok(mut s) = self.serving_stale.lock() {
            match data_from {
                Some(at) => {
                    if s.len() < 1_000_000 || s.contains_key(player) {
                        s.insert(player.to_string(), at);
                    }
                }
                None => {
                    s.remove(player);
                }
            }
            self.serving_stale_count.store(s.len(), Ordering::Release);
        }
    }

    /// A grant was issued after `took`.
    pub fn grant(&self, took: Duration) {
        self.grants.fetch_add(1, Ordering::Relaxed);
        self.observe(took);
    }

    /// A grant was refused with `code` after `took`.
    pub fn denial(&self, code: &'static str, took: Duration) {
        if let Ok(mut d) = self.denials.lock() {
            *d.entry(code).or_default() += 1;
        }
        self.observe(took);
    }

    /// A `/v1/fetch` ended with `outcome` (`ok` or an error code).
    pub fn fetch(&self, outcome: &'static str) {
        if outcome == "ok" {
            self.fetches_ok.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if let Ok(mut f) = self.fetches.lock() {
            *f.entry(outcome).or_default() += 1;
        }
    }

    /// A request carried no valid secret.
    pub fn auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A request was refused by a failed-attempt limit.
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// A `/v1/fetch` was refused by a per-player limit or the body budget.
    pub fn fetch_limited(&self) {
        self.fetch_limited.fetch_add(1, Ordering::Relaxed);
    }

    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Grants issued so far.
    pub fn grants(&self) -> u64 {
        self.grants.load(Ordering::Relaxed)
    }

    /// The text a Prometheus scrape gets. `refreshes`, `verified_players` and `cache_bytes`
    /// come from the broker, the authenticator and the response cache.
    pub fn render(&self, refreshes: u64, verified_players: usize, cache_bytes: u64) -> String {
        let mut out = String::with_capacity(2048);
        self.write_counts(&mut out, refreshes);
        let _ = writeln!(
            out,
            "# HELP lanyard_gateway_verified_players Player secrets verified and cached in this process.\n\
             # TYPE lanyard_gateway_verified_players gauge\nlanyard_gateway_verified_players {verified_players}"
        );
        let _ = writeln!(
            out,
            "# HELP lanyard_gateway_cache_bytes Bytes the response cache holds: keys, answers, failures.\n\
             # TYPE lanyard_gateway_cache_bytes gauge\nlanyard_gateway_cache_bytes {cache_bytes}"
        );
        self.write_stale(&mut out);
        self.write_grant_durations(&mut out);
        out
    }

    /// The counters: grants, denials by code, fetches by outcome, refusals, refreshes.
    fn write_counts(&self, out: &mut String, refreshes: u64) {
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            out,
            "lanyard_gateway_grants_total",
            "Grants issued.",
            self.grants(),
        );
        let _ = writeln!(
            out,
            "# HELP lanyard_gateway_denials_total Grants refused, by error code.\n\
             # TYPE lanyard_gateway_denials_total counter"
        );
        if let Ok(denials) = self.denials.lock() {
            for (code, n) in denials.iter() {
                let _ = writeln!(out, "lanyard_gateway_denials_total{{code=\"{code}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP lanyard_gateway_fetches_total Data fetched for players, by outcome.\n\
             # TYPE lanyard_gateway_fetches_total counter"
        );
        if let Ok(fetches) = self.fetches.lock() {
            let mut fetches = fetches.clone();
            let ok = self.fetches_ok.load(Ordering::Relaxed);
            if ok > 0 {
                fetches.insert("ok", ok);
            }
            for (outcome, n) in fetches.iter() {
                let _ = writeln!(
                    out,
                    "lanyard_gateway_fetches_total{{outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        counter(
            out,
            "lanyard_gateway_auth_failures_total",
            "Requests without a valid player secret.",
            self.auth_failures.load(Ordering::Relaxed),
        );
        counter(
            out,
            "lanyard_gateway_rate_limited_total",
            "Requests refused by a failed-attempt limit.",
            self.rate_limited.load(Ordering::Relaxed),
        );
        counter(
            out,
            "lanyard_gateway_fetch_limited_total",
            "Data requests refused by a per-player request limit or the answer memory budget.",
            self.fetch_limited.load(Ordering::Relaxed),
        );
        counter(
            out,
            "lanyard_gateway_refreshes_total",
            "Provider token refreshes made by this process.",
            refreshes,
        );
    }

    /// Stale answers by reason, the players being shown stale data and the oldest of it.
    fn write_stale(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP lanyard_gateway_stale_answers_total Last good answers served marked stale, by reason.\n\
             # TYPE lanyard_gateway_stale_answers_total counter"
        );
        if let Ok(stale) = self.stale.lock() {
            for (reason, n) in stale.iter() {
                let _ = writeln!(
                    out,
                    "lanyard_gateway_stale_answers_total{{reason=\"{reason}\"}} {n}"
                );
            }
        }
        let (serving, oldest) = match self.serving_stale.lock() {
            Ok(s) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                let oldest = s.values().min().map_or(0, |at| (now - at).max(0));
                (s.len(), oldest)
            }
            Err(_) => (0, 0),
        };
        let _ = writeln!(
            out,
            "# HELP lanyard_gateway_players_serving_stale Players whose last answer from this gateway was stale.\n\
             # TYPE lanyard_gateway_players_serving_stale gauge\nlanyard_gateway_players_serving_stale {serving}\n\
             # HELP lanyard_gateway_oldest_stale_seconds Age of the oldest stale data a player is being shown (0: none).\n\
             # TYPE lanyard_gateway_oldest_stale_seconds gauge\nlanyard_gateway_oldest_stale_seconds {oldest}"
        );
    }

    /// The grant-duration histogram.
    fn write_grant_durations(&self, out: &mut String) {
        let name = "lanyard_gateway_grant_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to answer a grant request (issued or refused), authentication included.\n\
             # TYPE {name} histogram"
        );
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_denials_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.grant(Duration::from_micros(80));
        m.grant(Duration::from_millis(3));
        m.denial("not_linked", Duration::from_secs(10));
        m.auth_failure();
        m.fetch_limited();
        let text = m.render(4, 2, 4096);
        assert!(
            text.contains("lanyard_gateway_fetch_limited_total 1\n"),
            "{text}"
        );
        assert!(
            text.contains("lanyard_gateway_cache_bytes 4096\n"),
            "{text}"
        );
        assert!(text.contains("lanyard_gateway_grants_total 2\n"), "{text}");
        assert!(text.contains("lanyard_gateway_denials_total{code=\"not_linked\"} 1\n"));
        assert!(text.contains("lanyard_gateway_auth_failures_total 1\n"));
        assert!(text.contains("lanyard_gateway_refreshes_total 4\n"));
        assert!(text.contains("lanyard_gateway_verified_players 2\n"));
        assert!(text.contains("lanyard_gateway_grant_duration_seconds_bucket{le=\"0.0001\"} 1\n"));
        assert!(text.contains("lanyard_gateway_grant_duration_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("lanyard_gateway_grant_duration_seconds_bucket{le=\"2.5\"} 2\n"));
        assert!(text.contains("lanyard_gateway_grant_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("lanyard_gateway_grant_duration_seconds_count 3\n"));
    }
}
