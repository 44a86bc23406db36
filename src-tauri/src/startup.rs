//! The order Lanyard starts in, so the window paints first and shows its first page's data
//! next: the installation opens on its own thread ([`crate::state::AppState::opening`])
//! while the window is built; the setup hook only registers what must be there from the
//! first event (links, files, the theme); what only the desktop around the window shows —
//! the tray icon, registering the URL schemes (a `.desktop` file and
//! `update-desktop-database`) — and the background tasks (reminders, upkeep, the player
//! gateway) wait until the page has loaded and its start-up calls have gone quiet for
//! [`QUIET`] ([`page_loaded`]), so none of them takes the main thread or a core from the
//! first page's calls; or [`AT_THE_LATEST`] when no page loads (a window started hidden in
//! the tray) or the page keeps calling.
//!
//! [`mark`] logs each step's time since the process started
//! (`LANYARD_LOG=lanyard_app::startup=debug`), and [`command_arrived`] the first commands
//! the page sends; with `lanyard_core::startup=debug` the installation's opening steps
//! too. `tests/e2e/measure.mjs` reads these lines (their timestamps) to break the time
//! from the process's start to the first page's data down.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager, Runtime};

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

/// Whether the deferred desktop work has started (one per app).
#[derive(Debug, Default)]
pub struct Deferred(AtomicBool);

/// Called when a page has finished loading: once the page's calls have gone quiet (or
/// [`AT_THE_LATEST`] later), starts the deferred work.
pub fn page_loaded<R: Runtime>(app: &AppHandle<R>) {
    mark("page loaded");
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        calls_gone_quiet().await;
        start_deferred(&app);
    });
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

/// Starts the fallback timer: the deferred work starts [`AT_THE_LATEST`] after setup even
/// when no page loads.
pub fn schedule_fallback<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(AT_THE_LATEST).await;
        start_deferred(&app);
    });
}

/// The first call starts the deferred work on the main thread; later calls do nothing.
fn start_deferred<R: Runtime>(app: &AppHandle<R>) {
    let Some(deferred) = app.try_state::<Deferred>() else {
        return;
    };
    if deferred.0.swap(true, Ordering::SeqCst) {
        return;
    }
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || {
        mark("page quiet: starting the tray and the background tasks");
        desktop_extras(&handle);
    });
}

#[cfg(desktop)]
fn desktop_extras<R: Runtime>(app: &AppHandle<R>) {
    if let Err(err) = crate::tray::create(app) {
        // No tray host (e.g. a bare X server): the window still works.
        tracing::warn!("no tray icon: {err}");
    }
    mark("tray created");
    // The reminder check (which shows its state in the tray), the upkeep, the gateway.
    crate::background::start(app);
    // AppImages and development builds are not installed by a package, so register the
    // URL schemes at start; installed packages register them through their .desktop file.
    // It writes files and runs programs: off the main thread.
    #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
    {
        let app = app.clone();
        let spawned = std::thread::Builder::new()
            .name("lanyard-schemes".into())
            .spawn(move || {
                use tauri_plugin_deep_link::DeepLinkExt;
                if let Err(err) = app.deep_link().register_all() {
                    tracing::warn!("could not register the lanyard: URL schemes: {err}");
                }
                mark("URL schemes registered");
            });
        if let Err(err) = spawned {
            tracing::warn!("could not register the lanyard: URL schemes: {err}");
        }
    }
}

#[cfg(not(desktop))]
fn desktop_extras<R: Runtime>(_app: &AppHandle<R>) {}

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
