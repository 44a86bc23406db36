//! An empty Tauri 2 window: the baseline Lanyard's start-up and memory are compared with.
//!
//! It logs the same start-up marks as Lanyard's shell (`<RFC 3339 UTC time> DEBUG
//! lanyard_app::startup: <step>` on stderr) so `tests/e2e/measure.mjs` can set the two
//! timelines side by side; std only, so the baseline carries no logging crate.
#![windows_subsystem = "windows"]

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    mark("main entered");
    let builder = tauri::Builder::default()
        .on_page_load(|_webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                mark("page loaded");
            }
        })
        .setup(|_app| {
            mark("window built");
            Ok(())
        });
    mark("building the app (plugins, then the window)");
    if let Err(err) = builder.run(tauri::generate_context!()) {
        eprintln!("empty-window: {err}");
        std::process::exit(1);
    }
}

/// Writes `step` with the wall-clock time, in the format of Lanyard's start-up log.
fn mark(step: &str) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, micros) = (now.as_secs(), now.subsec_micros());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    eprintln!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z DEBUG lanyard_app::startup: {step}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    );
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (era * 400 + yoe + i64::from(m <= 2), m, d)
}
