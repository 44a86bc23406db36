//! Light or dark, as the desktop prefers. WebKitGTK's `prefers-color-scheme` follows GTK's
//! "prefer dark" setting, but GTK 3 does not read GNOME's own switch (Settings →
//! Appearance, stored behind the XDG desktop portal as `org.freedesktop.appearance
//! color-scheme`: 0 no preference, 1 dark, 2 light). This module reads the portal at start
//! and follows its `SettingChanged` signal, setting the windows' theme; the UI's CSS does
//! the rest through `prefers-color-scheme`. `LANYARD_THEME=dark|light` overrides it (tests,
//! screenshots). Without a portal (no session bus, other desktops) nothing changes.

use std::rc::Rc;

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
        if !value.is_type(glib::VariantTy::VARIANT) {
            return None;
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
    gio::bus_get(
        gio::BusType::Session,
        gio::Cancellable::NONE,
        move |bus| match bus {
            Ok(bus) => follow_portal(&bus, Rc::new(move |theme| apply(&app, theme))),
            Err(err) => tracing::debug!("no session bus for the colour scheme: {err}"),
        },
    );
}

/// Where a theme goes (the windows; a test's record).
type SetTheme = Rc<dyn Fn(Option<Theme>)>;

/// Reads the portal's colour scheme on `bus` and then every change to it, handing each to
/// `set`, on the thread-default main context.
pub fn follow_portal(bus: &gio::DBusConnection, set: SetTheme) {
    gio::DBusProxy::new(
        bus,
        gio::DBusProxyFlags::DO_NOT_LOAD_PROPERTIES,
        None,
        Some(PORTAL),
        PATH,
        SETTINGS,
        gio::Cancellable::NONE,
        move |proxy| match proxy {
            Ok(proxy) => follow(proxy, set),
            Err(err) => tracing::debug!("no desktop portal for the colour scheme: {err}"),
        },
    );
}

fn follow(proxy: gio::DBusProxy, set: SetTheme) {
    let first = set.clone();
    proxy.call(
        "Read",
        Some(&(NAMESPACE, KEY).to_variant()),
        gio::DBusCallFlags::NONE,
        1000,
        gio::Cancellable::NONE,
        move |reply| match reply {
            Ok(reply) => {
                if let Some(scheme) = scheme_of(reply.child_value(0)) {
                    first(theme_for(scheme));
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
                        set(theme_for(scheme));
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

    /// The portal's Settings interface, as the fake one below serves it.
    const PORTAL_XML: &str = r#"<node><interface name="org.freedesktop.portal.Settings">
      <method name="Read"><arg type="s" name="namespace" direction="in"/>
        <arg type="s" name="key" direction="in"/><arg type="v" name="value" direction="out"/></method>
      <signal name="SettingChanged"><arg type="s" name="namespace"/><arg type="s" name="key"/>
        <arg type="v" name="value"/></signal></interface></node>"#;

    /// A private D-Bus daemon, ended when dropped (also when the test fails).
    struct Daemon(std::process::Child);

    impl Drop for Daemon {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// A private D-Bus daemon and its address, or None without `dbus-daemon`.
    fn private_bus() -> Option<(Daemon, String)> {
        use std::io::BufRead;
        let mut daemon = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let stdout = daemon.stdout.take();
        let daemon = Daemon(daemon);
        let mut address = String::new();
        std::io::BufReader::new(stdout?)
            .read_line(&mut address)
            .ok()?;
        Some((daemon, address.trim().to_string()))
    }

    fn connect(address: &str) -> gio::DBusConnection {
        gio::DBusConnection::for_address_sync(
            address,
            gio::DBusConnectionFlags::AUTHENTICATION_CLIENT
                | gio::DBusConnectionFlags::MESSAGE_BUS_CONNECTION,
            None,
            gio::Cancellable::NONE,
        )
        .expect("connect to the private bus")
    }

    fn run_until(ctx: &glib::MainContext, what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            while ctx.iteration(false) {}
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// GNOME's dark switch reaches the window at start and while Lanyard runs: a stand-in
    /// for xdg-desktop-portal (the `org.freedesktop.portal.Settings` interface, as the
    /// portal's documentation describes it: `Read` answering an older portal's nested
    /// variant, `SettingChanged` signals) on a private bus.
    #[test]
    fn the_portal_is_read_at_start_and_followed_at_runtime() {
        let Some((_daemon, address)) = private_bus() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "dbus-daemon is missing (scripts/install-deps installs it)"
            );
            eprintln!("skipped: no dbus-daemon");
            return;
        };
        let ctx = glib::MainContext::new();
        let ran = ctx.with_thread_default(|| {
            let portal = connect(&address);
            portal
                .call_sync(
                    Some("org.freedesktop.DBus"),
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus",
                    "RequestName",
                    Some(&(PORTAL, 4u32).to_variant()),
                    None,
                    gio::DBusCallFlags::NONE,
                    5000,
                    gio::Cancellable::NONE,
                )
                .expect("own the portal's name");
            let info = gio::DBusNodeInfo::for_xml(PORTAL_XML)
                .expect("xml")
                .lookup_interface(SETTINGS)
                .expect("interface");
            let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
            let record = asked.clone();
            let _registration = portal
                .register_object(
                    PATH,
                    &info,
                    move |_, _, _, _, method, params, invocation| {
                        record
                            .lock()
                            .expect("lock")
                            .push(format!("{method}{params}"));
                        // Dark, wrapped twice as older portals answer.
                        let dark = glib::Variant::from_variant(&1u32.to_variant());
                        invocation.return_value(Some(&(dark,).to_variant()));
                    },
                    |_, _, _, _, _| ().to_variant(),
                    |_, _, _, _, _, _| false,
                )
                .expect("serve the portal");

            let seen = Rc::new(std::cell::RefCell::new(Vec::<Option<Theme>>::new()));
            let sink = seen.clone();
            follow_portal(
                &connect(&address),
                Rc::new(move |theme| sink.borrow_mut().push(theme)),
            );
            run_until(&ctx, "the first read", || seen.borrow().len() == 1);
            assert_eq!(seen.borrow()[0], Some(Theme::Dark));
            assert_eq!(
                asked.lock().expect("lock").as_slice(),
                [format!("Read('{NAMESPACE}', '{KEY}')")]
            );

            let change = |key: &str, scheme: u32| {
                portal
                    .emit_signal(
                        None,
                        PATH,
                        SETTINGS,
                        "SettingChanged",
                        Some(&(NAMESPACE, key, scheme.to_variant()).to_variant()),
                    )
                    .expect("signal");
            };
            change(KEY, 2);
            run_until(&ctx, "light", || seen.borrow().len() == 2);
            // Another setting of the same namespace changes nothing; back to "no preference".
            change("accent-color", 1);
            change(KEY, 0);
            run_until(&ctx, "no preference", || seen.borrow().len() == 3);
            assert_eq!(
                *seen.borrow(),
                [Some(Theme::Dark), Some(Theme::Light), None]
            );
        });
        ran.expect("the test's main context");
    }
}
