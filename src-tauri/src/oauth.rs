//! Sign-ins started from the window: the browser is opened with `open`; a loopback
//! provider's listener waits in a background task; a deep-link callback arrives through
//! [`crate::deep_link`]. Either way the result is announced as an `oauth-result` event and
//! the window comes to the front.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use lanyard_core::oauth::flow;
use lanyard_core::Lanyard;
use tauri::{AppHandle, Emitter, Runtime};

use crate::dto::{AuthorizationDto, ChannelDto, IpcError, OauthResultDto};
use crate::events::EventName;
use crate::window;

/// The event the UI listens to.
pub const EVENT: &str = EventName::OauthResult.as_str();

/// How long a loopback sign-in waits for the browser.
const LOOPBACK_TIMEOUT: Duration = Duration::from_secs(600);

/// Loopback sign-ins waiting for the browser, by pending id.
#[derive(Debug, Default)]
pub struct Waiting(Mutex<HashMap<String, tauri::async_runtime::JoinHandle<()>>>);

impl Waiting {
    fn insert(&self, id: String, task: tauri::async_runtime::JoinHandle<()>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id, task);
        }
    }

    fn remove(&self, id: &str) -> Option<tauri::async_runtime::JoinHandle<()>> {
        self.0.lock().ok().and_then(|mut map| map.remove(id))
    }
}

/// Announces how a sign-in ended and brings the window forward.
pub fn announce<R: Runtime>(app: &AppHandle<R>, result: lanyard_core::Result<flow::Connected>) {
    // A callback for no sign-in started here (unknown, used or expired state) is announced
    // but does not bring the window forward.
    let forward = !matches!(&result, Err(e) if e.code() == "invalid_state");
    let event = match result {
        Ok(c) => OauthResultDto::Connected {
            channel: ChannelDto::from(c.channel),
            reauthorized: c.reauthorized,
        },
        Err(err) => {
            tracing::warn!(code = err.code(), "sign-in failed: {err}");
            OauthResultDto::Failed {
                error: IpcError::from(err),
            }
        }
    };
    if let Err(err) = app.emit(EVENT, &event) {
        tracing::warn!("could not announce the sign-in result: {err}");
    }
    crate::state::wake_reminders(app);
    if forward {
        window::show_main(app);
    }
}

/// Starts connecting a new account with `provider_id` and opens the browser.
pub async fn connect<R: Runtime>(
    app: &AppHandle<R>,
    lanyard: &Lanyard,
    waiting: &Waiting,
    provider_id: &str,
) -> lanyard_core::Result<AuthorizationDto> {
    let started = flow::start(lanyard, provider_id, None).await?;
    Ok(follow(app, lanyard, waiting, started))
}

/// Starts re-authorizing a channel (`flow::start_reauth`) and opens the browser: the
/// Re-authorize button and the tray's reminder item.
pub async fn reauth<R: Runtime>(
    app: &AppHandle<R>,
    lanyard: &Lanyard,
    waiting: &Waiting,
    channel_id: &str,
) -> lanyard_core::Result<AuthorizationDto> {
    let started = flow::start_reauth(lanyard, channel_id).await?;
    Ok(follow(app, lanyard, waiting, started))
}

/// Waits for a started sign-in's loopback answer in the background (deep links arrive on
/// their own) and opens the browser.
fn follow<R: Runtime>(
    app: &AppHandle<R>,
    lanyard: &Lanyard,
    waiting: &Waiting,
    started: flow::Started,
) -> AuthorizationDto {
    if let Some(listener) = started.loopback {
        let (app, l) = (app.clone(), lanyard.clone());
        let task = tauri::async_runtime::spawn(async move {
            let result = match listener.wait(LOOPBACK_TIMEOUT).await {
                Ok(callback) => flow::complete(&l, &callback).await,
                Err(err) => Err(err),
            };
            announce(&app, result);
        });
        waiting.insert(started.start.pending_id.clone(), task);
    }
    if let Err(err) = open::that_detached(&started.start.authorization_url) {
        tracing::warn!("could not open the browser: {err}");
    }
    started.start.into()
}

/// Cancels a sign-in in progress.
pub async fn cancel(
    lanyard: &Lanyard,
    waiting: &Waiting,
    pending_id: &str,
) -> lanyard_core::Result<()> {
    if let Some(task) = waiting.remove(pending_id) {
        task.abort();
    }
    flow::cancel(lanyard, pending_id).await
}

/// Completes a sign-in from a deep link, in the background.
pub fn complete_from_link<R: Runtime>(app: &AppHandle<R>, lanyard: Lanyard, url: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let result = flow::complete(&lanyard, &url).await;
        announce(&app, result);
    });
}
