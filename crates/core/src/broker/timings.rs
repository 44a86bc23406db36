//! The durations of refresh coordination ([`RefreshTimings`]): the lease length, the
//! whole refresh's budget, how long to wait for a peer, how long a failure's answer is
//! shared and the first wait before retrying to save a rotated token. Plain data, held by
//! the [`super::Broker`]; the lease itself is [`super::lease`].

use std::time::Duration;

/// The durations of refresh coordination. Tests scale them down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshTimings {
    /// How long a lease lasts unless renewed.
    pub lease: Duration,
    /// How long a whole refresh (every attempt and backoff) may take.
    pub budget: Duration,
    /// How long a caller waits for another process's refresh before giving up.
    pub wait_for_peer: Duration,
    /// How long a failed refresh's answer is given to callers that waited for it.
    pub failure_backoff: Duration,
    /// The first wait before retrying to save a rotated refresh token (doubles, ≤ 30 s).
    pub save_retry: Duration,
}

impl Default for RefreshTimings {
    fn default() -> Self {
        RefreshTimings {
            lease: Duration::from_secs(60),
            // 3 attempts × the 30 s request timeout + backoff, and a margin.
            budget: Duration::from_secs(100),
            wait_for_peer: Duration::from_secs(110),
            failure_backoff: Duration::from_secs(10),
            save_retry: Duration::from_millis(500),
        }
    }
}

impl RefreshTimings {
    /// The lease length in the store's whole seconds (at least 1).
    pub fn lease_seconds(&self) -> i64 {
        i64::try_from(self.lease.as_secs()).unwrap_or(60).max(1)
    }
}
