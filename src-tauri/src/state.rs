//! The state the shell manages: the opened installation, or why it could not be opened
//! (then every command returns that error and the UI shows it); and the one handle that
//! wakes the reminder check, shared by whoever changes what it shows (sign-ins,
//! reminder settings) without depending on the background module.

use lanyard_core::{Config, Lanyard};
use tauri::{AppHandle, Manager, Runtime};

use crate::dto::IpcError;

/// Registered with `app.manage` before the app starts.
#[derive(Debug)]
pub struct AppState {
    lanyard: Result<Lanyard, IpcError>,
}

impl AppState {
    /// Opens the installation for the app `identifier` (the data directory and secret
    /// store may be overridden with `LANYARD_DATA_DIR` / `LANYARD_SECRET_STORE`).
    pub fn open(identifier: &str) -> AppState {
        let opened = tauri::async_runtime::block_on(async {
            let config = Config::resolve_for(identifier, None, None)?;
            Lanyard::open(&config).await
        });
        if let Err(err) = &opened {
            tracing::error!(code = err.code(), "could not open the installation: {err}");
        }
        AppState {
            lanyard: opened.map_err(IpcError::from),
        }
    }

    /// State around an already opened installation (tests).
    pub fn with(lanyard: Lanyard) -> AppState {
        AppState {
            lanyard: Ok(lanyard),
        }
    }

    /// The installation, or the error that kept it from opening.
    pub fn lanyard(&self) -> Result<&Lanyard, IpcError> {
        self.lanyard.as_ref().map_err(Clone::clone)
    }
}

/// Wakes the reminder check (`background.rs`) before its next scheduled run.
#[derive(Debug, Default)]
pub struct RemindersWake(pub tokio::sync::Notify);

/// Wakes the reminder check now (after a sign-in ends, a reminder setting changes, …);
/// nothing happens when it is not running (tests without the background tasks).
pub fn wake_reminders<R: Runtime>(app: &AppHandle<R>) {
    if let Some(wake) = app.try_state::<RemindersWake>() {
        wake.0.notify_one();
    }
}
