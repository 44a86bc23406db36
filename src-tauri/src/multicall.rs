//! One executable, two programs: the app's executable also answers as the `lanyard` CLI,
//! so the Windows installer carries one copy of the code (packaging/windows).
//!
//! It is the CLI when started under the name `lanyard` (a copy or link of the executable
//! with that name), when `LANYARD_AS=lanyard` is set (the console front door
//! `lanyard.exe` on Windows sets it: a GUI-subsystem program cannot write to the console
//! it was started from, the front door's inherited handles can), or when its arguments
//! name one of the CLI's commands after any global options (`lanyard-app status --json`,
//! `lanyard-app --data-dir D status`). Anything else (no argument, `--minimized`, a deep
//! link, a file to open) starts the window.
//!
//! Before the window, on Windows: without the WebView2 runtime the app says so in a
//! native message box (and on stderr) and exits with [`NO_WEBVIEW_EXIT`], instead of the
//! panic Tauri would end in. `LANYARD_NO_DIALOG=1` leaves the box out (tests under Wine).

use std::ffi::OsString;

/// The exit status when the window cannot start for want of WebView2.
pub const NO_WEBVIEW_EXIT: u8 = 3;

/// The environment variable the console front door sets.
pub const AS_ENV: &str = "LANYARD_AS";

/// Whether this process should run as the CLI, from its arguments (`args[0]` is the
/// program) and `LANYARD_AS`.
pub fn wants_cli(args: &[OsString], as_env: Option<&str>) -> bool {
    if as_env == Some("lanyard") {
        return true;
    }
    let called_lanyard = args.first().is_some_and(|p| program_name(p) == "lanyard");
    called_lanyard || lanyard_cli::names_a_command(args.get(1..).unwrap_or_default())
}

/// The program's name without folder or `.exe`, lower-cased; either separator counts, as
/// Windows accepts both.
fn program_name(program: &OsString) -> String {
    let text = program.to_string_lossy().to_ascii_lowercase();
    let base = text.rsplit(['/', '\\']).next().unwrap_or_default();
    base.strip_suffix(".exe").unwrap_or(base).to_string()
}

/// What to tell someone whose Windows lacks the WebView2 runtime.
pub const NO_WEBVIEW_MESSAGE: &str = "Lanyard's window needs the Microsoft Edge WebView2 \
    Runtime, which is not installed on this computer.\n\nInstall the \"Evergreen \
    Bootstrapper\" or \"Evergreen Standalone Installer\" from \
    https://developer.microsoft.com/microsoft-edge/webview2/ and start Lanyard again.\n\n\
    The command line (lanyard) works without it.";

/// Windows: `Some(exit status)` when the WebView2 runtime is missing, after saying so.
#[cfg(windows)]
pub fn refuse_without_webview() -> Option<std::process::ExitCode> {
    if wry::webview_version().is_ok() {
        return None;
    }
    eprintln!("error: {NO_WEBVIEW_MESSAGE}");
    if std::env::var_os("LANYARD_NO_DIALOG").is_none() {
        let _ = rfd::MessageDialog::new()
            .set_level(rfd::MessageLevel::Error)
            .set_title("Lanyard cannot open its window")
            .set_description(NO_WEBVIEW_MESSAGE)
            .set_buttons(rfd::MessageButtons::Ok)
            .show();
    }
    Some(std::process::ExitCode::from(NO_WEBVIEW_EXIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_cli_by_name_by_command_or_by_the_front_door() {
        assert!(wants_cli(&args(&["/usr/bin/lanyard", "--version"]), None));
        assert!(wants_cli(&args(&[r"C:\Lanyard\LANYARD.EXE"]), None));
        assert!(wants_cli(&args(&["lanyard-app", "status", "--json"]), None));
        assert!(wants_cli(&args(&["lanyard-app", "secret-key"]), None));
        assert!(wants_cli(
            &args(&["lanyard-app", "--data-dir", "C:\\d", "--json", "status"]),
            None
        ));
        assert!(wants_cli(
            &args(&["lanyard-app", "--secret-store=file", "token", "list"]),
            None
        ));
        assert!(wants_cli(
            &args(&["lanyard-app", "--version"]),
            Some("lanyard")
        ));
    }

    #[test]
    fn the_window_for_no_argument_a_link_a_file_or_a_flag() {
        for list in [
            &["lanyard-app"][..],
            &["lanyard-app", "--minimized"],
            &["lanyard-app", "lanyard://offer?x=1"],
            &["lanyard-app", r"C:\Users\Zoë\Downloads\status"],
            &["lanyard-app", "--version"],
            &["lanyard-app.exe", "Status"],
            &["lanyard-app", "--data-dir", "status"],
            &["lanyard-app", "--json"],
            &[r"C:\lanyard\lanyard-app.exe"],
            &["/usr/bin/lanyard-app"],
        ] {
            assert!(!wants_cli(&args(list), None), "{list:?}");
        }
        assert!(!wants_cli(&args(&["lanyard-app"]), Some("app")));
    }
}
