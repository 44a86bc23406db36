//! The main window: shown and focused on demand, hidden (not closed) when the user closes
//! it, so Lanyard keeps running in the tray.

use tauri::{AppHandle, Manager, Runtime, WebviewWindow, WindowEvent};

/// The main window's label.
pub const MAIN: &str = "main";

/// Shows, unminimizes and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(test)]
    if let Some(shown) = app.try_state::<Shown>() {
        shown.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Closing the main window hides it; Quit in the tray menu ends the app. (Files dropped
/// on it are routed to `sharing` by `lib.rs`.)
pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if window.label() == MAIN {
            api.prevent_close();
            let _ = window.hide();
        }
    }
}

/// Counts [`show_main`] calls of one app (tests: the mock runtime keeps no focus).
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Shown(pub std::sync::atomic::AtomicUsize);

/// Whether the main window is visible (tests and the tray).
pub fn is_main_visible<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.get_webview_window(MAIN)
        .map(|w: WebviewWindow<R>| w.is_visible().unwrap_or(false))
        .unwrap_or(false)
}
