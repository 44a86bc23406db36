//! An empty Tauri 2 window: the baseline Lanyard's memory is compared with.
#![windows_subsystem = "windows"]

fn main() {
    if let Err(err) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("empty-window: {err}");
        std::process::exit(1);
    }
}
