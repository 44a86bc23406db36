//! # lanyard-app
//!
//! Lanyard's desktop shell, kept thin: it wires Tauri commands, deep links, the tray and
//! the window to `lanyard-core`. Logic lives in the core; data crossing IPC is a DTO
//! ([`dto`]); the UI may call only the commands listed in `build.rs` and granted in
//! `capabilities/`.
//!
//! [`run`] starts the real app; [`app_builder`] is the part tests share with it (they pass
//! `tauri::test::mock_builder()`).

pub mod background;
pub mod commands;
pub mod deep_link;
pub mod dto;
pub mod events;
pub mod feeds;
pub mod multicall;
pub mod oauth;
pub mod prompter;
pub mod provider_files;
pub mod sharing;
pub mod start_clock;
pub mod startup;
pub mod state;
#[cfg(target_os = "linux")]
pub mod theme;
#[cfg(desktop)]
pub mod tray;
pub mod window;

use std::path::Path;

use tauri::{Builder, Manager, Runtime};

use state::AppState;

/// Everything the real app and the mock-runtime tests share: state, commands, window
/// behaviour.
pub fn app_builder<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    let commands = commands_handler::<R>();
    builder
        .manage(state)
        .manage(oauth::Waiting::default())
        .manage(prompter::Pending::default())
        .manage(state::RemindersWake::default())
        .manage(sharing::Incoming::default())
        .manage(provider_files::Waiting::default())
        .manage(lanyard_gateway::background::BackgroundGateway::default())
        .invoke_handler(move |invoke| {
            start_clock::command_arrived(invoke.message.command());
            commands(invoke)
        })
        .on_window_event(on_window_event)
}

/// Every command the page may call (`build.rs` and `capabilities/` list which).
fn commands_handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        commands::status,
        commands::providers_list,
        commands::provider_add,
        commands::provider_remove,
        provider_files::provider_file_choose,
        provider_files::provider_file_accept,
        provider_files::provider_file_reject,
        commands::channels_list,
        commands::channel_connect,
        commands::channel_reauth,
        commands::oauth_cancel,
        commands::channel_disconnect,
        commands::players_list,
        commands::player_add,
        commands::player_remove,
        commands::player_rotate_secret,
        commands::gateway_get,
        commands::gateway_set,
        feeds::feeds_list,
        feeds::feed_add,
        feeds::feed_rotate,
        feeds::feed_remove,
        feeds::feed_gateway_get,
        feeds::feed_gateway_set,
        commands::links_list,
        commands::link_add,
        commands::link_remove,
        commands::token_links_list,
        commands::token_link_add,
        commands::token_link_remove,
        commands::channel_set_handout,
        commands::audit_list,
        commands::tokens_list,
        commands::token_add,
        commands::token_edit,
        commands::token_remove,
        commands::token_match,
        commands::decisions_list,
        commands::decision_revoke,
        commands::prompt_answer,
        commands::preview_send,
        commands::preview_history,
        commands::preview_history_clear,
        commands::reminders_get,
        commands::reminders_set_thresholds,
        commands::reminders_pause,
        commands::health_get,
        commands::health_check,
        commands::autostart_get,
        commands::autostart_set,
        sharing::identity_show,
        sharing::identity_rename,
        sharing::qr_code,
        sharing::contacts_list,
        sharing::contact_preview,
        sharing::contact_add,
        sharing::contact_rename,
        sharing::contact_remove,
        sharing::token_send,
        sharing::offers_list,
        sharing::offers_pending,
        sharing::offer_import,
        sharing::offer_import_file,
        sharing::offer_accept,
        sharing::offer_reject,
        sharing::incoming_take,
    ]
}

/// The window's own behaviour (`window.rs`), and files dropped on it opened: routed here
/// so neither module depends on the other.
fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &tauri::WindowEvent) {
    window::on_window_event(window, event);
    if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
        open_files(window.app_handle(), paths.clone());
    }
}

/// Whether a launch's paths name a file Lanyard opens (a provider file, an offer, a card).
pub(crate) fn opens_a_file(paths: &[std::path::PathBuf]) -> bool {
    paths
        .iter()
        .any(|p| provider_files::is_provider_file(p) || sharing::is_shared_file(p))
}

/// Files opened with Lanyard (double-click, "Open with", a second launch's arguments, a
/// drop): offers and cards go to `sharing.rs`, provider files to `provider_files.rs`;
/// anything else is ignored.
/// The files are read once the installation is open (it may still be opening when a file
/// starts Lanyard).
pub(crate) fn open_files<R: Runtime>(app: &tauri::AppHandle<R>, paths: Vec<std::path::PathBuf>) {
    let (providers, others): (Vec<_>, Vec<_>) = paths
        .into_iter()
        .partition(|p| provider_files::is_provider_file(p));
    let shared: Vec<_> = others
        .into_iter()
        .filter(|p| sharing::is_shared_file(p))
        .collect();
    if providers.is_empty() && shared.is_empty() {
        return;
    }
    // Each file brings the window forward itself once it verified (never a refused one).
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Ok(l) = app.state::<AppState>().lanyard().await.cloned() else {
            return;
        };
        sharing::receive_files(&app, l.clone(), shared);
        provider_files::receive_files(&app, l, providers);
    });
}

/// A plugin with no commands whose set-up starts opening the installation: registered
/// right after the single-instance plugin, it runs only in the process that goes on (see
/// [`state::Opening`]), before the other plugins and the window are built.
fn open_after_single_instance<R: Runtime>(
    opening: state::Opening,
) -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("lanyard-open")
        .setup(move |_app, _api| {
            opening.start();
            Ok(())
        })
        .build()
}

/// The argument autostart passes: start in the tray with the window hidden.
pub const MINIMIZED: &str = "--minimized";

/// Starts Lanyard.
pub fn run() {
    #[cfg(target_os = "linux")]
    software_compositing();
    start_clock::begin();
    init_logging();
    // The first mark the log can carry: what came before (loading the executable and its
    // libraries) shows as its time after the launch (tests/e2e/measure.mjs).
    start_clock::mark("logging ready");
    let context = tauri::generate_context!();
    // Opens on its own thread while the window is built (see `startup`), once the
    // single-instance check let this process go on (`open_after_single_instance`).
    let (state, opening) = AppState::opening(&context.config().identifier);
    let builder = Builder::default()
        // Single-instance first: a second launch (e.g. the OS opening a deep link) hands
        // its URL to this instance and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            // A link or a file decides for itself once verified (deep_link::handle,
            // open_files); a plain second launch shows.
            let paths = sharing::paths_in(argv.get(1..).unwrap_or_default(), Path::new(&cwd));
            if !deep_link::carries_link(&argv) && !opens_a_file(&paths) {
                window::show_main(app);
            }
            // Files opened with Lanyard (double-click, "Open with").
            open_files(app, paths);
        }))
        // Right after it: plugins are set up in order, and a second instance has exited
        // inside the one above.
        .plugin(open_after_single_instance(opening))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED]),
        ))
        .manage(startup::Deferred::default())
        .manage(startup::Revealed::default())
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                startup::page_loaded(webview.app_handle());
            }
        })
        .setup(|app| {
            start_clock::mark("window built");
            setup_desktop(app.handle())?;
            start_clock::mark("setup done");
            Ok(())
        });
    start_clock::mark("building the app (plugins, then the window)");
    let app = match app_builder(builder, state).build(context) {
        Ok(app) => app,
        Err(err) => {
            eprintln!("Lanyard could not start: {err}");
            std::process::exit(1);
        }
    };
    app.run(|_app, event| {
        // Closing the last window keeps Lanyard in the tray; only Quit ends it.
        if let tauri::RunEvent::ExitRequested {
            api, code: None, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}

#[cfg(desktop)]
fn setup_desktop<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<()> {
    use tauri_plugin_deep_link::DeepLinkExt;

    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        let urls: Vec<String> = event.urls().iter().map(|u| u.to_string()).collect();
        deep_link::handle(&handle, &urls);
    });
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        let urls: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        deep_link::handle(app, &urls);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    open_files(app, sharing::paths_in(&args, &cwd));
    #[cfg(target_os = "linux")]
    theme::follow_desktop(app);
    // The window is created hidden and shown once its page has loaded (see `startup`),
    // unless Lanyard starts in the tray.
    startup::hide_if_minimized(app, &args);
    // The tray, the URL schemes' registration and the background tasks wait for the page's
    // start-up calls (see `startup`).
    startup::schedule_fallback(app);
    Ok(())
}

/// Turns off WebKitGTK's accelerated compositing unless the user chose otherwise: for pages
/// of forms and tables it only adds layer buffers (the web process measured 191 → 109 MiB
/// at start, and stays flat across pages and previews instead of growing by ~70 MiB; see
/// docs/benchmarks.md). Runs first in `run`, before any thread that could read the
/// environment exists.
#[cfg(target_os = "linux")]
fn software_compositing() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VAR).is_none() {
        std::env::set_var(VAR, "1");
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LANYARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests;
