//! A failed refresh's answer, shared with the callers that waited for it.
//!
//! Refresh is single-flight: fifty callers of an expired channel queue behind one refresh.
//! When that refresh fails (the provider is down), the callers that were already waiting
//! get the same answer instead of each trying again — fifty callers make at most one
//! refresh's attempts at a provider that is down. A caller that arrives after the failure
//! (or more than [`super::lease::RefreshTimings::failure_backoff`] later) tries again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Error;

#[derive(Debug)]
struct Failure {
    seq: u64,
    at: Instant,
    code: &'static str,
    message: String,
}

/// Recent refresh failures per channel.
#[derive(Debug, Default)]
pub(crate) struct Failures {
    seq: AtomicU64,
    by_channel: Mutex<HashMap<String, Failure>>,
}

impl Failures {
    /// A mark to take before waiting for a channel's refresh.
    pub(crate) fn mark(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    /// Remembers that a refresh of `channel_id` failed with `err`.
    pub(crate) fn record(&self, channel_id: &str, err: &Error) {
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        let mut map = self.by_channel.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(
            channel_id.to_string(),
            Failure {
                seq,
                at: Instant::now(),
                code: err.code(),
                message: err.to_string(),
            },
        );
    }

    /// Forgets a channel's failure (a refresh succeeded).
    pub(crate) fn clear(&self, channel_id: &str) {
        let mut map = self.by_channel.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(channel_id);
    }

    /// The failure of a refresh that ended after `mark` was taken, within `backoff`.
    pub(crate) fn since(&self, channel_id: &str, mark: u64, backoff: Duration) -> Option<Error> {
        let map = self.by_channel.lock().unwrap_or_else(|p| p.into_inner());
        let f = map.get(channel_id)?;
        (f.seq > mark && f.at.elapsed() < backoff).then(|| {
            let message = f.message.clone();
            match f.code {
                "provider_unavailable" => Error::ProviderUnavailable(message),
                "needs_reauth" => Error::NeedsReauth(message),
                "revoked" => Error::Revoked(message),
                "secret_store_unavailable" => Error::SecretStoreUnavailable(message),
                "storage" => Error::Storage(message),
                _ => Error::ProviderError(message),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_waiting_callers_share_a_failure() {
        let f = Failures::default();
        let waiting = f.mark();
        f.record("c", &Error::ProviderUnavailable("down".into()));
        let later = f.mark();
        let shared = f.since("c", waiting, Duration::from_secs(10));
        assert_eq!(shared.expect("shared").code(), "provider_unavailable");
        assert!(f.since("c", later, Duration::from_secs(10)).is_none());
        assert!(f.since("other", waiting, Duration::from_secs(10)).is_none());
        assert!(
            f.since("c", waiting, Duration::ZERO).is_none(),
            "backoff over"
        );
        f.record("c", &Error::NeedsReauth("re-authorize".into()));
        let shared = f.since("c", waiting, Duration::from_secs(10));
        assert_eq!(
            shared.expect("shared").code(),
            "needs_reauth",
            "the same code"
        );
        f.clear("c");
        assert!(f.since("c", waiting, Duration::from_secs(10)).is_none());
    }
}
