//! The process's start-up clock: the time since the process started, each step's mark in
//! the debug log (`LANYARD_LOG=lanyard_app::startup=debug`, read by
//! `tests/e2e/measure.mjs`), the page's commands as they arrive, and when they have gone
//! quiet ([`calls_gone_quiet`], which [`crate::startup`] waits for before the deferred
//! desktop work). A leaf: it knows nothing of the app's state.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// When the deferred desktop work starts if no page has loaded by then, or after the
/// page's load if its calls never go quiet.
pub const AT_THE_LATEST: Duration = Duration::from_secs(3);

/// How long the page must have sent no command before the deferred work starts.
pub const QUIET: Duration = Duration::from_millis(300);

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Notes the process's start (first thing in `run`).
pub fn begin() {
    STARTED.get_or_init(Instant::now);
}

/// Logs that `step` is done, with the time since [`begin`].
pub fn mark(step: &str) {
    let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis() as u64);
    tracing::debug!(target: "lanyard_app::startup", ms, "{step}");
}

/// How many commands [`command_arrived`] logs: the first page's, not every command.
const COMMANDS_LOGGED: usize = 40;

static COMMANDS: AtomicUsize = AtomicUsize::new(0);

/// When the last command arrived, in ms since [`begin`].
static LAST_COMMAND: AtomicU64 = AtomicU64::new(0);

fn since_begin() -> Duration {
    STARTED.get_or_init(Instant::now).elapsed()
}

/// Notes that the command `name` arrived from the page (the deferred work waits for the
/// page's calls to go quiet) and logs the first 40.
pub fn command_arrived(name: &str) {
    LAST_COMMAND.store(since_begin().as_millis() as u64, Ordering::Relaxed);
    if COMMANDS.fetch_add(1, Ordering::Relaxed) < COMMANDS_LOGGED
        && tracing::enabled!(target: "lanyard_app::startup", tracing::Level::DEBUG)
    {
        mark(&format!("command {name} arrived"));
    }
}

/// Returns once the page has called and then sent no command for [`QUIET`] (counted from
/// now at the earliest: the page's load may come before its script's first calls), or
/// [`AT_THE_LATEST`] from now.
pub async fn calls_gone_quiet() {
    let from = since_begin();
    loop {
        let now = since_begin();
        let last = LAST_COMMAND.load(Ordering::Relaxed);
        let quiet_for = now.saturating_sub(Duration::from_millis(last).max(from));
        if (last > 0 && quiet_for >= QUIET) || now.saturating_sub(from) >= AT_THE_LATEST {
            return;
        }
        tokio::time::sleep(
            QUIET
                .saturating_sub(quiet_for)
                .max(Duration::from_millis(10)),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deferred_work_waits_while_the_page_keeps_calling_and_starts_once_quiet() {
        let (done_tx, done) = std::sync::mpsc::channel();
        command_arrived("channels_list");
        tauri::async_runtime::spawn(async move {
            calls_gone_quiet().await;
            let _ = done_tx.send(since_begin());
        });
        // The page's start-up calls, 100 ms apart, for a second: nothing starts meanwhile.
        let calling_until = since_begin() + Duration::from_secs(1);
        while since_begin() < calling_until {
            command_arrived("status");
            assert!(
                done.recv_timeout(Duration::from_millis(100)).is_err(),
                "the deferred work started while the page was still calling"
            );
        }
        // Quiet now: it starts after QUIET (other tests' commands can only delay it, and
        // never past AT_THE_LATEST).
        let started = done
            .recv_timeout(AT_THE_LATEST)
            .expect("started once quiet");
        assert!(started >= calling_until, "started before the calls stopped");
    }
}
