//! The order Lanyard starts in, so the window paints first and shows its first page's data
//! next: the installation opens on its own thread ([`crate::state::AppState::opening`])
//! while the window is built; the setup hook only registers what must be there from the
//! first event (links, files, the theme); what only the desktop around the window shows —
//! the tray icon, registering the URL schemes (a `.desktop` file and
//! `update-desktop-database`) — and the background tasks (reminders, upkeep, the player
//! gateway) wait until the page has loaded and its start-up calls have gone quiet
//! ([`page_loaded`], [`crate::start_clock::calls_gone_quiet`]), so none of them takes the
//! main thread or a core from the first page's calls; or [`AT_THE_LATEST`] when no page
//! loads (a window started hidden in the tray) or the page keeps calling.
//!
//! Each step's time is logged through [`crate::start_clock`] (with
//! `lanyard_core::startup=debug` the installation's opening steps too), which
//! `tests/e2e/measure.mjs` reads to break the time from the process's start to the first
//! page's data down.

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::{AppHandle, Manager, Runtime};

use crate::start_clock::{calls_gone_quiet, mark, AT_THE_LATEST};

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
