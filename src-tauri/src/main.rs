//! The `lanyard-app` binary: everything is in the library so tests can drive it.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    lanyard_app_lib::run();
}
