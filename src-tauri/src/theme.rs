//! Light or dark, as the desktop prefers. WebKitGTK's `prefers-color-scheme` follows GTK's
//! "prefer dark" setting, but GTK 3 does not read GNOME's own switch (Settings →
//! Appearance, stored behind the XDG desktop portal as `org.freedesktop.appearance
//! color-scheme`: 0 no preference, 1 dark, 2 light). This module reads the portal at start
//! and follows its `SettingChanged` signal, setting the windows' theme; the UI's CSS does
//! the rest through `prefers-color-scheme`. `LANYARD_THEME=dark|light` overrides it (tests,
//! screenshots). Without a portal (no session bus, other desktops) nothing changes.

use gio::glib;
use gio::prelude::*;
use tauri::{AppHandle, Manager, Runtime, Theme};

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PATH: &str = "/org/freedesktop/portal/desktop";
const SETTINGS: &str = "org.freedesktop.portal.Settings";
const NAMESPACE: &str = "org.freedesktop.appearance";
const KEY: &str = "color-scheme";

/// The theme for a portal `color-scheme` value (None: follow the GTK theme).
fn theme_for(scheme: u32) -> Option<Theme> {
    match scheme {
        1 => Some(Theme::Dark),
        2 => Some(Theme::Light),
        _ => None,
    }
}

/// The theme `LANYARD_THEME` asks for, if it is set.
fn forced() -> Option<Option<Theme>> {
    match std::env::var("LANYARD_THEME").ok()?.as_str() {
        "dark" => Some(Some(Theme::Dark)),
        "light" => Some(Some(Theme::Light)),
        _ => Some(None),
    }
}

fn apply<R: Runtime>(app: &AppHandle<R>, theme: Option<Theme>) {
    for window in app.webview_windows().values() {
        if let Err(err) = window.set_theme(theme) {
            tracing::debug!("could not set the window theme: {err}");
        }
    }
}

/// Unwraps nested variants (`v` inside `v`, as older portals answer `Read`) to a `u32`.
fn scheme_of(mut value: glib::Variant) -> Option<u32> {
    loop {
        if let Some(n) = value.get::<u32>() {
            return Some(n);
        }
        value = value.as_variant()?;
    }
}

/// Reads the desktop's preference and follows its changes (call on the main thread).
/// Returns at once: the portal answers on the main loop, so a slow or absent portal never
/// holds the window back.
pub fn follow_desktop<R: Runtime>(app: &AppHandle<R>) {
    if let Some(theme) = forced() {
        apply(app, theme);
        return;
    }
    let app = app.clone();
    gio::DBusProxy::for_bus(
        gio::BusType::Session,
        gio::DBusProxyFlags::DO_NOT_LOAD_PROPERTIES,
        None,
        PORTAL,
        PATH,
        SETTINGS,
        gio::Cancellable::NONE,
        move |proxy| match proxy {
            Ok(proxy) => follow(app, proxy),
            Err(err) => tracing::debug!("no desktop portal for the colour scheme: {err}"),
        },
    );
}

/// Applies the portal's current colour scheme and every later change.
fn follow<R: Runtime>(app: AppHandle<R>, proxy: gio::DBusProxy) {
    let handle = app.clone();
    proxy.call(
        "Read",
        Some(&(NAMESPACE, KEY).to_variant()),
        gio::DBusCallFlags::NONE,
        1000,
        gio::Cancellable::NONE,
        move |reply| match reply {
            Ok(reply) => {
                if let Some(scheme) = scheme_of(reply.child_value(0)) {
                    apply(&handle, theme_for(scheme));
                }
            }
            Err(err) => tracing::debug!("the portal has no colour scheme: {err}"),
        },
    );
    proxy.connect_local("g-signal", false, move |args| {
        let signal = args.get(2).and_then(|v| v.get::<String>().ok());
        let params = args.get(3).and_then(|v| v.get::<glib::Variant>().ok());
        if let (Some(signal), Some(params)) = (signal, params) {
            if signal == "SettingChanged" && params.n_children() == 3 {
                let namespace = params.child_value(0).get::<String>();
                let key = params.child_value(1).get::<String>();
                if namespace.as_deref() == Some(NAMESPACE) && key.as_deref() == Some(KEY) {
                    if let Some(scheme) = scheme_of(params.child_value(2)) {
                        apply(&app, theme_for(scheme));
                    }
                }
            }
        }
        None
    });
    // The proxy must outlive this call for the signal to keep arriving; it lives as long as
    // the app (one per process), and gio objects cannot go into Tauri's shared state.
    std::mem::forget(proxy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_values_map_to_themes() {
        assert_eq!(theme_for(0), None);
        assert_eq!(theme_for(1), Some(Theme::Dark));
        assert_eq!(theme_for(2), Some(Theme::Light));
        assert_eq!(theme_for(7), None);
    }

    #[test]
    fn nested_variants_unwrap_to_the_scheme() {
        let inner = 1u32.to_variant();
        let once = glib::Variant::from_variant(&inner);
        let twice = glib::Variant::from_variant(&once);
        assert_eq!(scheme_of(twice), Some(1));
        assert_eq!(scheme_of("dark".to_variant()), None);
    }
}
