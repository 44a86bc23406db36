//! Background upkeep every long-running Lanyard process runs — the desktop app and
//! `lanyard gateway serve` alike, so a headless gateway keeps idle channels alive too:
//!
//! - buffered grant audit records and screen states ([`crate::screens`]) written every
//!   [`Timings::flush_every`];
//! - revocations the provider did not confirm asked again every
//!   [`Timings::revocations_every`] (`oauth/revocations.rs`);
//! - the keep-alive refresh of channels nobody used for a day
//!   (`broker::refresh::keep_alive`) at start and every [`Timings::keepalive_every`]:
//!   providers expire refresh tokens that nobody uses.
//!
//! Several processes on one database may all run it: the refresh lease and the
//! keep-alive's own idle check make the work happen once.

use std::time::Duration;

use crate::instance::Lanyard;

/// How often each piece of upkeep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// Buffered grant audit records are written this often.
    pub flush_every: Duration,
    /// Unconfirmed revocations are looked at this often.
    pub revocations_every: Duration,
    /// Idle channels are looked at this often (and once at start).
    pub keepalive_every: Duration,
}

impl Default for Timings {
    /// 2 s, 60 s, 1 h.
    fn default() -> Self {
        Timings {
            flush_every: Duration::from_secs(2),
            revocations_every: Duration::from_secs(60),
            keepalive_every: Duration::from_secs(3600),
        }
    }
}

/// Runs the upkeep until the future is dropped (abort its task to stop it; write the
/// audit buffer once more after that with `broker().flush`). Failures are logged and the
/// upkeep goes on.
pub async fn run(l: Lanyard, timings: Timings) {
    let mut tick = tokio::time::interval(timings.flush_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Both start due: unconfirmed revocations and idle channels are looked at at once.
    let mut last_revocations: Option<tokio::time::Instant> = None;
    let mut last_keepalive: Option<tokio::time::Instant> = None;
    loop {
        tick.tick().await;
        if let Err(e) = l.broker().flush(l.store()).await {
            tracing::warn!(code = e.code(), "could not write grant audit records: {e}");
        }
        if let Err(e) = l.broker().screens().flush(l.store()).await {
            tracing::warn!(code = e.code(), "could not write screen states: {e}");
        }
        let now = tokio::time::Instant::now();
        if last_revocations.is_none_or(|t| now - t >= timings.revocations_every) {
            last_revocations = Some(now);
            if let Err(e) = crate::oauth::revocations::retry_due(&l).await {
                tracing::warn!(code = e.code(), "could not retry revocations: {e}");
            }
        }
        if last_keepalive.is_none_or(|t| now - t >= timings.keepalive_every) {
            last_keepalive = Some(now);
            match crate::broker::refresh::keep_alive(&l).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("keep-alive refreshed {n} idle channel(s)"),
                Err(e) => tracing::warn!(code = e.code(), "keep-alive failed: {e}"),
            }
        }
    }
}
