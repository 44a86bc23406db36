//! Work the app does while it runs: writing buffered grant audit records every couple of
//! seconds, and an hourly keep-alive refresh of channels nobody used for a day (providers
//! expire idle refresh tokens).

use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

const FLUSH_EVERY: Duration = Duration::from_secs(2);
const KEEPALIVE_EVERY: Duration = Duration::from_secs(3600);

/// Starts the background tasks (no-op when the installation failed to open).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let Ok(lanyard) = app.state::<AppState>().lanyard().cloned() else {
        return;
    };
    let l = lanyard.clone();
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            if let Err(err) = l.broker().flush(l.store()).await {
                tracing::warn!("could not write the audit log: {err}");
            }
        }
    });
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(KEEPALIVE_EVERY);
        loop {
            tick.tick().await;
            match lanyard_core::broker::refresh::keep_alive(&lanyard).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("keep-alive refreshed {n} idle channel(s)"),
                Err(err) => tracing::warn!("keep-alive failed: {err}"),
            }
        }
    });
}
