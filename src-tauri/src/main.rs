//! The `lanyard-app` binary: everything is in the library so tests can drive it. It is
//! also the `lanyard` CLI when started as one (see `lanyard_app_lib::multicall`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use lanyard_app_lib::multicall;

/// The same allocator as the `lanyard` executable (crates/cli/src/bin/lanyard.rs): the app
/// runs a gateway too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    let as_env = std::env::var(multicall::AS_ENV).ok();
    if multicall::wants_cli(&args, as_env.as_deref()) {
        return lanyard_cli::main();
    }
    #[cfg(windows)]
    if let Some(code) = multicall::refuse_without_webview() {
        return code;
    }
    lanyard_app_lib::run();
    ExitCode::SUCCESS
}
