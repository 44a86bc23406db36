//! The state the shell manages: the installation — opening in the background while the
//! window paints, then opened, or why it could not be opened (then every command returns
//! that error and the UI shows it); and the one handle that wakes the reminder check,
//! shared by whoever changes what it shows (sign-ins, reminder settings) without depending
//! on the background module.
//!
//! Opening (SQLite, migrations, the secret store's health probe) takes a few hundred
//! milliseconds, so [`AppState::opening`] starts it on its own thread before the window
//! exists and commands wait for it with [`AppState::lanyard`]; the UI shows its loading
//! state meanwhile instead of the window waiting to appear.

use std::sync::{Arc, OnceLock};

use lanyard_core::{Config, Lanyard};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::watch;

use crate::dto::IpcError;

type Opened = Result<Lanyard, IpcError>;

/// Registered with `app.manage` before the app starts.
#[derive(Debug)]
pub struct AppState {
    opened: Arc<OnceLock<Opened>>,
    /// Turns `true` once `opened` is set; closed without it if the opener died.
    ready: watch::Receiver<bool>,
}

/// The other half of an [`AppState`] still opening: whoever opens the installation
/// finishes it.
#[derive(Debug)]
pub struct Opener {
    opened: Arc<OnceLock<Opened>>,
    ready: watch::Sender<bool>,
}

impl Opener {
    /// Sets the result; commands waiting for it go on.
    pub fn finish(self, opened: Result<Lanyard, lanyard_core::Error>) {
        if let Err(err) = &opened {
            tracing::error!(code = err.code(), "could not open the installation: {err}");
        }
        let _ = self.opened.set(opened.map_err(IpcError::from));
        let _ = self.ready.send(true);
    }
}

/// The installation of an [`AppState`], not yet being opened: [`Opening::start`] opens it
/// on its own thread. `lib.rs` starts it once the single-instance check has let this
/// process go on: a second instance hands its arguments over and exits inside that check,
/// and an exit while its own thread was opening the database and the secret store could
/// end it by a signal instead of status 0 (seen in `tests/e2e/run`, "the second instance
/// exited with null").
#[derive(Debug)]
pub struct Opening {
    identifier: String,
    opener: Opener,
}

impl Opening {
    /// Starts opening the installation on its own thread and returns at once.
    pub fn start(self) {
        let Opening { identifier, opener } = self;
        let spawned = std::thread::Builder::new()
            .name("lanyard-open".into())
            .spawn(move || {
                crate::start_clock::mark("opening the installation");
                let opened = open(&identifier);
                crate::start_clock::mark("installation opened");
                opener.finish(opened);
            });
        if let Err(err) = spawned {
            // The opener was dropped with the closure: `lanyard` reports it.
            tracing::error!("could not start opening the installation: {err}");
        }
    }
}

impl AppState {
    /// A state whose installation is still to be opened, and the [`Opener`] that finishes it.
    pub fn pending() -> (AppState, Opener) {
        let opened = Arc::new(OnceLock::new());
        let (tx, rx) = watch::channel(false);
        let state = AppState {
            opened: opened.clone(),
            ready: rx,
        };
        (state, Opener { opened, ready: tx })
    }

    /// The state of the app `identifier`, and the [`Opening`] that starts opening its
    /// installation on its own thread (the data directory and secret store may be
    /// overridden with `LANYARD_DATA_DIR` / `LANYARD_SECRET_STORE`).
    pub fn opening(identifier: &str) -> (AppState, Opening) {
        let (state, opener) = AppState::pending();
        let opening = Opening {
            identifier: identifier.to_owned(),
            opener,
        };
        (state, opening)
    }

    /// Opens the installation for the app `identifier` before returning (tests).
    pub fn open(identifier: &str) -> AppState {
        let (state, opener) = AppState::pending();
        opener.finish(open(identifier));
        state
    }

    /// State around an already opened installation (tests).
    pub fn with(lanyard: Lanyard) -> AppState {
        let (state, opener) = AppState::pending();
        opener.finish(Ok(lanyard));
        state
    }

    /// The installation once it is open, or the error that kept it from opening.
    pub async fn lanyard(&self) -> Result<&Lanyard, IpcError> {
        if self.opened.get().is_none() {
            crate::start_clock::mark("a command waits for the installation");
            let mut ready = self.ready.clone();
            // An error here means the opener is gone without a result: reported below.
            let _ = ready.wait_for(|ready| *ready).await;
        }
        match self.opened.get() {
            Some(opened) => opened.as_ref().map_err(Clone::clone),
            None => Err(IpcError::from(lanyard_core::Error::Internal(
                "the installation could not be opened (see the log)".into(),
            ))),
        }
    }

    /// The installation if it is open now; `None` while it is still opening or if it
    /// failed to open. Never waits (for code on the main thread).
    pub fn opened_now(&self) -> Option<&Lanyard> {
        self.opened.get().and_then(|opened| opened.as_ref().ok())
    }
}

fn open(identifier: &str) -> Result<Lanyard, lanyard_core::Error> {
    tauri::async_runtime::block_on(async {
        let config = Config::resolve_for(identifier, None, None)?;
        Lanyard::open(&config).await
    })
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
