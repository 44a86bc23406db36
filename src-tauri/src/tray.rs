//! The tray icon and its menu: a "Re-authorize …" item per channel that needs it (a click
//! starts the re-authorization in the browser), Open Lanyard, Quit. The icon switches to
//! its attention state while any channel needs action. The app lives in the tray while
//! its window is closed.

use lanyard_core::reminders::Schedule;
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;
use crate::window;

/// The tray icon's id.
pub const TRAY_ID: &str = "lanyard";
/// Menu item ids.
pub const OPEN: &str = "open";
/// Menu item ids.
pub const QUIT: &str = "quit";
/// Prefix of a re-authorization item's id (followed by the channel id).
pub const REAUTH: &str = "reauth:";
/// Prefix of a client secret's expiry item (followed by the channel id): opens the window,
/// since only the provider's console renews a secret.
pub const SECRET: &str = "secret:";
/// Menu item ids.
pub const PAUSE: &str = "pause";

const ICON: &[u8] = include_bytes!("../../icons/tray.png");
const ATTENTION: &[u8] = include_bytes!("../../icons/tray-attention.png");

/// The menu's items as (id, text), built from the reminder schedule.
pub fn items(schedule: &Schedule) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = schedule
        .reminders
        .iter()
        .map(|r| {
            let prefix = match r.kind {
                lanyard_core::health::Kind::ClientSecretExpires => SECRET,
                _ => REAUTH,
            };
            (format!("{prefix}{}", r.channel_id), r.message.clone())
        })
        .collect();
    out.push((OPEN.into(), "Open Lanyard".into()));
    out.push((PAUSE.into(), "Pause reminders for 1 day".into()));
    out.push((QUIT.into(), "Quit".into()));
    out
}

/// Builds the tray menu for `schedule`.
pub fn menu<R: Runtime>(app: &AppHandle<R>, schedule: &Schedule) -> tauri::Result<Menu<R>> {
    let entries = items(schedule);
    let mut built: Vec<Box<dyn IsMenuItem<R>>> = Vec::new();
    let reminders = schedule.reminders.len();
    for (i, (id, text)) in entries.into_iter().enumerate() {
        if i == reminders && reminders > 0 {
            built.push(Box::new(PredefinedMenuItem::separator(app)?));
        }
        if id == QUIT {
            built.push(Box::new(PredefinedMenuItem::separator(app)?));
        }
        built.push(Box::new(MenuItem::with_id(
            app,
            id,
            text,
            true,
            None::<&str>,
        )?));
    }
    let refs: Vec<&dyn IsMenuItem<R>> = built.iter().map(|b| b.as_ref()).collect();
    Menu::with_items(app, &refs)
}

/// Creates the tray icon.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let empty = Schedule {
        reminders: vec![],
        next_check_at: None,
    };
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON)?)
        .tooltip("Lanyard")
        .menu(&menu(app, &empty)?)
        .show_menu_on_left_click(false)
        .on_menu_event(on_menu_event)
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                window::show_main(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

/// Shows the schedule in the tray: menu items and the attention icon.
pub fn update<R: Runtime>(app: &AppHandle<R>, schedule: &Schedule) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    if let Ok(menu) = menu(app, schedule) {
        let _ = tray.set_menu(Some(menu));
    }
    // A rotated master token the secret store refused is held only in this process:
    // the user should unlock the keyring (and not quit) until it is saved.
    let unsaved = app
        .try_state::<AppState>()
        .and_then(|state| {
            state
                .opened_now()
                .map(|l| l.broker().unsaved_channels().len())
        })
        .unwrap_or(0);
    let (icon, tooltip) = if unsaved > 0 {
        (
            ATTENTION,
            format!(
                "Lanyard — {unsaved} new master token(s) not saved yet: unlock your keyring; \
                 do not quit Lanyard"
            ),
        )
    } else if schedule.reminders.is_empty() {
        (ICON, "Lanyard".to_string())
    } else {
        (
            ATTENTION,
            format!(
                "Lanyard — {} channel(s) need re-authorization",
                schedule.reminders.len()
            ),
        )
    };
    if let Ok(image) = Image::from_bytes(icon) {
        let _ = tray.set_icon(Some(image));
    }
    let _ = tray.set_tooltip(Some(tooltip));
}

/// What a menu click does.
pub fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref().to_string();
    match id.as_str() {
        OPEN => window::show_main(app),
        secret if secret.starts_with(SECRET) => window::show_main(app),
        QUIT => app.exit(0),
        PAUSE => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Ok(lanyard) = app.state::<AppState>().lanyard().await {
                    if let Err(err) = lanyard_core::reminders::pause_for_hours(lanyard, 24).await {
                        tracing::warn!("could not pause reminders: {err}");
                    }
                }
            });
        }
        other => {
            if let Some(channel_id) = other.strip_prefix(REAUTH) {
                start_reauth(app, channel_id.to_string());
            }
        }
    }
}

/// Starts re-authorizing a channel (the tray's menu item, a notification's button).
pub(crate) fn start_reauth<R: Runtime>(app: &AppHandle<R>, channel_id: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Ok(lanyard) = app.state::<AppState>().lanyard().await.cloned() else {
            return;
        };
        let waiting = app.state::<crate::oauth::Waiting>();
        if let Err(err) = crate::oauth::reauth(&app, &lanyard, &waiting, &channel_id).await {
            crate::oauth::announce(&app, Err(err));
        }
    });
}
