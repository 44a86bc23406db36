//! Work the app does while it runs: the player gateway when Settings turned it on, the
//! core's upkeep (`lanyard_core::upkeep`, the same `lanyard gateway serve` runs: grant
//! audit records written every couple of seconds, unconfirmed revocations asked again, an
//! hourly keep-alive refresh of channels nobody used for a day), and the reminder check —
//! at start, when a sign-in ends, at the schedule's next threshold, and at least every 15
//! minutes (changes made by other processes, wall-clock jumps and resume from sleep are
//! caught then).

use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use crate::state::{AppState, RemindersWake};

const REMINDERS_AT_LEAST_EVERY: i64 = 15 * 60;
const UNSAVED_CHECK_EVERY: i64 = 30;

/// The action type of a reminder notification, and its "Re-authorize" button.
#[cfg(desktop)]
const REAUTH_ACTIONS: &str = "reauth";
#[cfg(desktop)]
const REAUTH_NOW: &str = "reauth-now";
/// The notification's extra field naming the channel to re-authorize.
#[cfg(desktop)]
const CHANNEL_ID: &str = "channelId";

/// Gives reminder notifications a "Re-authorize" button (the Desktop Notifications
/// actions on Linux): it starts the same re-authorization as the tray's menu item; a click
/// on the notification itself shows the window.
#[cfg(desktop)]
fn register_reauth_action<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::{Action, ActionType, NotificationExt};
    let notification = app.notification();
    let kind = ActionType::builder(REAUTH_ACTIONS)
        .actions(vec![Action::builder(REAUTH_NOW, "Re-authorize")
            .foreground(true)
            .build()])
        .build();
    if let Err(err) = notification.register_action_types(vec![kind]) {
        tracing::warn!("no Re-authorize button on notifications: {err}");
        return;
    }
    let handle = app.clone();
    let registered = notification.on_action(move |performed| {
        let channel = performed
            .notification()
            .and_then(|n| n.extra().get(CHANNEL_ID))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        match (performed.action_id(), channel) {
            (REAUTH_NOW, Some(channel_id)) => crate::tray::start_reauth(&handle, channel_id),
            ("tap", _) => crate::window::show_main(&handle),
            _ => {}
        }
    });
    if let Err(err) = registered {
        tracing::warn!("notification actions are not reported: {err}");
    }
}

/// Starts the background tasks once the installation is open (none when it failed to
/// open). Returns at once: the installation may still be opening.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(desktop)]
    register_reauth_action(app);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Ok(lanyard) = app.state::<AppState>().lanyard().await.cloned() else {
            return;
        };
        start_with(&app, lanyard);
    });
}

fn start_with<R: Runtime>(app: &AppHandle<R>, lanyard: lanyard_core::Lanyard) {
    #[cfg(desktop)]
    {
        let (app, l) = (app.clone(), lanyard.clone());
        tauri::async_runtime::spawn(async move {
            loop {
                let wait = match lanyard_core::reminders::current(&l).await {
                    Ok(schedule) => {
                        crate::tray::update(&app, &schedule);
                        notify(&app, &l, &schedule).await;
                        let now = l.clock().now();
                        // While a rotated master token waits to be saved, the tray says so
                        // and is looked at again soon, so it clears once it is saved.
                        let soon = if l.broker().unsaved_channels().is_empty() {
                            REMINDERS_AT_LEAST_EVERY
                        } else {
                            UNSAVED_CHECK_EVERY
                        };
                        let until = schedule.next_check_at.unwrap_or(i64::MAX).min(now + soon);
                        Duration::from_secs(u64::try_from(until - now).unwrap_or(1).max(1))
                    }
                    Err(err) => {
                        tracing::warn!("could not check reminders: {err}");
                        Duration::from_secs(60)
                    }
                };
                let wake = app.state::<RemindersWake>();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = wake.0.notified() => {}
                }
            }
        });
    }
    {
        // The player gateway, when Settings turned it on.
        let (app, l) = (app.clone(), lanyard.clone());
        tauri::async_runtime::spawn(async move {
            let gateway = app.state::<lanyard_gateway::background::BackgroundGateway>();
            gateway.resume(&l).await;
        });
    }
    tauri::async_runtime::spawn(lanyard_core::upkeep::run(
        lanyard,
        lanyard_core::upkeep::Timings::default(),
    ));
}

/// Raises one desktop notification per reminder not notified before. Without a
/// notification service this only logs; the tray still shows everything.
#[cfg(desktop)]
async fn notify<R: Runtime>(
    app: &AppHandle<R>,
    lanyard: &lanyard_core::Lanyard,
    schedule: &lanyard_core::reminders::Schedule,
) {
    use tauri_plugin_notification::NotificationExt;
    let fresh = match lanyard_core::reminders::to_notify(lanyard, schedule).await {
        Ok(fresh) => fresh,
        Err(err) => {
            tracing::warn!("could not record reminders: {err}");
            return;
        }
    };
    for reminder in fresh {
        let builder = app
            .notification()
            .builder()
            .title("Lanyard")
            .body(&reminder.message)
            .extra(CHANNEL_ID, &reminder.channel_id);
        // "Re-authorize" fixes everything but a client secret's expiry (the provider's
        // console renews that one).
        let builder = match reminder.kind {
            lanyard_core::health::Kind::ClientSecretExpires => builder,
            _ => builder.action_type_id(REAUTH_ACTIONS),
        };
        if let Err(err) = builder.show() {
            tracing::warn!("no desktop notification ({err}); the tray shows the reminder");
        }
    }
}
