//! The order Lanyard starts in, so the window paints first and shows its first page's data
//! next: the installation opens on its own thread ([`crate::state::AppState::opening`])
//! while the window is built; the setup hook only registers what must be there from the
//! first event (links, files, the theme); what only the desktop around the window shows —
//! the tray icon, registering the URL schemes (a `.desktop` file and
//! `update-desktop-database`) — and the background tasks (reminders, upkeep, the player
//! gateway) wait until the page has loaded and its start-up calls have gone quiet
//! ([`page_loaded`], [`crate::start_clock::calls_gone_quiet`]), so none of them takes the
//! main thread or a core from the first page's calls; or [`AT_THE_LATEST`] when no page
//! loads or the page keeps calling.
//!
//! The window is created hidden (`tauri.conf.json`) and shown when its page has loaded
//! ([`reveal`]), or [`REVEAL_AT_THE_LATEST`] after setup, unless Lanyard started in the
//! tray (`--minimized`, [`hide_if_minimized`]). A visible window drawn while its web process is
//! still committing the first load makes WebKitGTK's non-composited drawing (which
//! `lib.rs` turns on for memory) wait up to 500 ms on the main thread for a backing store
//! the web process cannot paint yet: the page's load needs that same main thread (its
//! navigation policy and the `tauri://` assets are answered there). Measured: 7 of 16
//! launches stalled ~500 ms before the first paint, 0 of 16 with compositing on; the
//! empty Tauri window stalls the same way when built non-composited
//! (docs/benchmarks.md, stop 37). A hidden view is never drawn and never waited for; shown
//! at the load's commit instead of its end, 6 of 16 launches still stalled (the page's
//! script and style sheet come through that main thread after the commit).
//!
//! Each step's time is logged through [`crate::start_clock`] (with
//! `lanyard_core::startup=debug` the installation's opening steps too), which
//! `tests/e2e/measure.mjs` reads to break the time from the process's start to the first
//! page's data down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use crate::start_clock::{calls_gone_quiet, mark, AT_THE_LATEST};

/// When the hidden window is shown if its page has not loaded by then (a slow machine
/// still sees a window soon).
pub const REVEAL_AT_THE_LATEST: Duration = Duration::from_millis(1500);

/// Whether the deferred desktop work has started (one per app).
#[derive(Debug, Default)]
pub struct Deferred(AtomicBool);

/// Whether the window's first showing has happened, or was given up (started in the
/// tray). One per app.
#[derive(Debug, Default)]
pub struct Revealed(AtomicBool);

/// Called when a page has finished loading: shows the window the first time, and once
/// the page's calls have gone quiet (or [`AT_THE_LATEST`] later), starts the deferred work.
pub fn page_loaded<R: Runtime>(app: &AppHandle<R>) {
    mark("page loaded");
    reveal(app);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        calls_gone_quiet().await;
        start_deferred(&app);
    });
}

/// Starts the fallback timers: the window shows [`REVEAL_AT_THE_LATEST`] and the deferred
/// work starts [`AT_THE_LATEST`] after setup even when no page loads.
pub fn schedule_fallback<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(REVEAL_AT_THE_LATEST).await;
        reveal(&app);
        tokio::time::sleep(AT_THE_LATEST.saturating_sub(REVEAL_AT_THE_LATEST)).await;
        start_deferred(&app);
    });
}

/// Keeps the window hidden when Lanyard was started in the tray (`args`, the process's
/// arguments, have [`crate::MINIMIZED`], as autostart passes it): only the user (the
/// tray, a second launch) shows it then.
pub fn hide_if_minimized<R: Runtime>(app: &AppHandle<R>, args: &[String]) {
    if args.iter().any(|a| a == crate::MINIMIZED) {
        if let Some(revealed) = app.try_state::<Revealed>() {
            revealed.0.store(true, Ordering::SeqCst);
        }
    }
}

/// Shows the main window the first time it is called (after [`hide_if_minimized`] kept
/// it hidden, never).
pub fn reveal<R: Runtime>(app: &AppHandle<R>) {
    let Some(revealed) = app.try_state::<Revealed>() else {
        return;
    };
    if revealed.0.swap(true, Ordering::SeqCst) {
        return;
    }
    mark("showing the window");
    crate::window::show_main(app);
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
    use std::sync::atomic::Ordering;

    use tauri::test::{mock_builder, mock_context, noop_assets};
    use tauri::Manager;

    use super::*;
    use crate::window::Shown;

    /// An app with a main window and no [`Deferred`]: the deferred work (the tray, the
    /// background tasks) never starts in these tests.
    fn app() -> tauri::App<tauri::test::MockRuntime> {
        let app = mock_builder()
            .manage(Revealed::default())
            .manage(Shown::default())
            .build(mock_context(noop_assets()))
            .expect("mock app");
        tauri::WebviewWindowBuilder::new(&app, crate::window::MAIN, Default::default())
            .build()
            .expect("window");
        app
    }

    fn shown(app: &tauri::App<tauri::test::MockRuntime>) -> usize {
        app.state::<Shown>().0.load(Ordering::SeqCst)
    }

    #[test]
    fn the_window_is_shown_once_at_its_first_page_load_and_never_when_started_in_the_tray() {
        let app = app();
        assert_eq!(shown(&app), 0, "shown before its page loaded");
        page_loaded(app.handle());
        assert_eq!(shown(&app), 1, "not shown when its page loaded");
        // A reload, or the fallback timer after the page loaded: nothing more.
        page_loaded(app.handle());
        reveal(app.handle());
        assert_eq!(shown(&app), 1, "shown again by a later load");

        let tray = self::app();
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        hide_if_minimized(tray.handle(), &args(&[crate::MINIMIZED]));
        page_loaded(tray.handle());
        reveal(tray.handle());
        assert_eq!(shown(&tray), 0, "a window started in the tray was shown");

        // Any other arguments (a link, a file): shown at its page's load as usual.
        let linked = self::app();
        hide_if_minimized(linked.handle(), &args(&["lanyard://channel/x"]));
        page_loaded(linked.handle());
        assert_eq!(
            shown(&linked),
            1,
            "a window started with a link stayed hidden"
        );
    }

    #[test]
    fn the_main_window_is_created_hidden() {
        // Shown by `reveal`, never drawn before its page loaded (see the module's docs).
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json");
        let windows = config["app"]["windows"].as_array().expect("windows");
        let main = windows
            .iter()
            .find(|w| w["label"] == crate::window::MAIN)
            .expect("the main window");
        assert_eq!(main["visible"], false, "the main window is created visible");
    }
}
