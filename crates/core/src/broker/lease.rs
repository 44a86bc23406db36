//! How long a refresh may hold a channel, and keeping hold of it.
//!
//! A refresh lease (the `refresh_lease_*` columns, see [`crate::store::tokens`]) says "this
//! process is calling the token endpoint with the current refresh token: do not use it".
//! One refresh may take longer than the lease (three attempts of up to 30 s each), so the
//! holder renews it every third of its length while it works (`Keeper`), and the whole
//! refresh is bounded by [`RefreshTimings::budget`], so a stuck holder cannot keep a
//! channel forever. A holder whose lease was lost anyway (suspended past it) is fenced: its
//! write is refused because the row no longer names it ([`crate::store::tokens`]).
//!
//! A re-authorization takes the same lease ([`hold`]) before it writes the channel's new
//! tokens, so it never overwrites a rotation in flight, and a refresh in flight never
//! overwrites it.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::store::tokens::Lease;

pub use super::timings::RefreshTimings;

/// Whether the process named in a lease owner (`<pid>:<host>:<random>`) still runs. A pid
/// is only checked where it means something: on Linux, in this process's own pid space
/// (the same boot and pid namespace, see [`super::lease_host`]), through /proc. On Windows
/// the owner's host part names its lease mark, which a live process holds locked (see
/// `super::lease_mark`). An owner on another machine or in another container is presumed
/// alive until its lease runs out.
pub(crate) fn owner_alive(owner: &str) -> bool {
    let mut parts = owner.split(':');
    let Some(pid) = parts.next().and_then(|p| p.parse::<u32>().ok()) else {
        return true;
    };
    let host = parts.next();
    if cfg!(windows) {
        return host.is_none_or(super::lease_mark::alive);
    }
    if host != Some(super::lease_host()) {
        return true;
    }
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Renews this process's lease on a channel while it lives; stops when dropped.
#[derive(Debug)]
pub(crate) struct Keeper(tokio::task::JoinHandle<()>);

impl Keeper {
    /// Starts renewing `channel_id`'s lease every third of its length.
    pub(crate) fn start(l: &Lanyard, channel_id: &str) -> Keeper {
        if cfg!(windows) {
            super::lease_mark::hold(super::lease_host());
        }
        let (l, channel_id) = (l.clone(), channel_id.to_string());
        Keeper(tokio::spawn(async move {
            let timings = l.broker().timings();
            loop {
                tokio::time::sleep(timings.lease / 3).await;
                let renewed = l
                    .store()
                    .renew_lease(
                        &channel_id,
                        l.broker().owner(),
                        l.clock().now(),
                        timings.lease_seconds(),
                    )
                    .await;
                if matches!(renewed, Ok(false)) {
                    return; // no longer ours: nothing to keep
                }
                if cfg!(windows) {
                    super::lease_mark::hold(super::lease_host());
                }
            }
        }))
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// This process's hold on a channel's lease, renewed until dropped. A write that commits
/// new tokens releases it; [`Hold::release`] gives it up after a failure.
#[derive(Debug)]
pub struct Hold {
    _keeper: Arc<Keeper>,
}

impl Hold {
    /// Gives the lease up without changing the channel's tokens.
    pub async fn release(self, l: &Lanyard, channel_id: &str) {
        drop(self);
        if l.broker().rotations.unsaved(channel_id).is_none() {
            let _ = l
                .store()
                .release_lease(channel_id, l.broker().owner(), None)
                .await;
        }
    }
}

/// Takes `channel_id`'s lease, waiting for a peer's refresh to end (up to
/// [`RefreshTimings::wait_for_peer`]). Used by re-authorization before it writes tokens.
pub async fn hold(l: &Lanyard, channel_id: &str) -> Result<Hold> {
    let timings = l.broker().timings();
    let started = tokio::time::Instant::now();
    loop {
        let lease = l
            .store()
            .take_lease(
                channel_id,
                l.broker().owner(),
                l.clock().now(),
                timings.lease_seconds(),
                owner_alive,
            )
            .await?;
        if let Lease::Taken(_) = lease {
            return Ok(Hold {
                _keeper: Arc::new(Keeper::start(l, channel_id)),
            });
        }
        if started.elapsed() > timings.wait_for_peer {
            return Err(Error::ProviderUnavailable(format!(
                "another Lanyard process has been refreshing channel {channel_id} for too \
                 long; try again"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::owner_alive;

    #[test]
    fn a_lease_owner_pid_is_only_checked_in_this_pid_space() {
        let host = crate::broker::lease_host();
        let me = format!("{}:{host}:abc", std::process::id());
        assert!(owner_alive(&me), "this process is alive");
        // Pids wrap far below u32::MAX: no process has this one.
        let dead_here = format!("4294967290:{host}:abc");
        assert_eq!(owner_alive(&dead_here), !cfg!(target_os = "linux"));
        // Another machine's or container's pid says nothing here: wait the lease out.
        assert!(owner_alive("4294967290:0123456789abcdef.4026531836:abc"));
        assert!(owner_alive("garbage"));
    }
}
