//! Whether a lease's owner process still runs, where its pid cannot say (Windows).
//!
//! On Linux [`super::lease::owner_alive`] looks the owner's pid up in /proc. Windows has
//! no /proc, and asking for a process by its id needs `unsafe` FFI, which this crate
//! forbids. So a process that holds refresh leases also holds a *mark*: an exclusive lock
//! on `<temp dir>/lanyard-leases/<host>.lock`, where `<host>` is the process-unique
//! [`super::lease_host`] every lease it takes names. Windows (and Wine) drop a process's
//! file locks when it ends, however it ends — killed from Task Manager included. A mark
//! that can be locked by someone else is therefore a dead process's, and its lease is
//! taken over at once instead of waited out. A mark that is missing (another machine or
//! user sharing the database, or a process that died in the instant between taking a
//! lease and marking itself) says nothing: that owner is presumed alive until its lease
//! runs out, as before.
//!
//! Marks are touched whenever a lease is taken or renewed; a dead process's mark untouched
//! for [`STALE`] (far longer than any lease) is removed by the next process that marks
//! itself, so the folder holds about one file per live lease-holding process.

#![cfg_attr(not(windows), allow(dead_code))]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// How long a dead process's mark is kept (leases last a minute).
const STALE: Duration = Duration::from_secs(3600);

/// The folder of marks: per user, shared by every Lanyard process of that user.
fn folder() -> PathBuf {
    std::env::temp_dir().join("lanyard-leases")
}

fn path_in(folder: &Path, host: &str) -> Option<PathBuf> {
    let plain = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then(|| folder.join(format!("{host}.lock")))
}

/// Marks this process as alive under `host` (once; later calls touch the mark). Failing to
/// mark only means peers wait this process's leases out.
pub(crate) fn hold(host: &str) {
    static MARK: OnceLock<Mutex<Option<File>>> = OnceLock::new();
    let mark = MARK.get_or_init(|| Mutex::new(create(&folder(), host)));
    if let Some(file) = mark.lock().ok().as_ref().and_then(|m| m.as_ref()) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Creates and locks `host`'s mark in `folder`, clearing dead processes' stale marks.
fn create(folder: &Path, host: &str) -> Option<File> {
    std::fs::create_dir_all(folder).ok()?;
    sweep(folder, STALE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path_in(folder, host)?)
        .ok()?;
    file.try_lock().ok()?;
    Some(file)
}

/// Removes marks in `folder` that nobody holds and nobody touched for `stale`.
fn sweep(folder: &Path, stale: Duration) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= stale);
        if old && path.extension().is_some_and(|e| e == "lock") && unheld(&path) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Whether nobody holds the mark at `path` (false when it cannot be opened at all).
fn unheld(path: &Path) -> bool {
    match File::options().write(true).open(path) {
        Ok(file) => file.try_lock().is_ok(),
        Err(_) => false,
    }
}

/// Whether the process that marked itself `host` may still run: false only when its mark
/// exists and nobody holds it.
pub(crate) fn alive(host: &str) -> bool {
    alive_in(&folder(), host)
}

fn alive_in(folder: &Path, host: &str) -> bool {
    match path_in(folder, host) {
        Some(path) if path.exists() => !unheld(&path),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_mark_is_alive_a_released_one_dead_a_missing_one_presumed_alive() {
        let dir = tempfile::tempdir().expect("dir");
        let held = create(dir.path(), "w1").expect("mark");
        assert!(alive_in(dir.path(), "w1"), "held by this process");
        assert!(alive_in(dir.path(), "w2"), "no mark: presumed alive");
        assert!(alive_in(dir.path(), "../w1"), "not a mark's name");
        drop(held); // what ending the process does to its locks
        assert!(!alive_in(dir.path(), "w1"), "nobody holds it: dead");
        // A stale dead mark is swept by the next process; a held one never is.
        let _other = create(dir.path(), "w3").expect("mark");
        sweep(dir.path(), Duration::ZERO);
        assert!(!dir.path().join("w1.lock").exists(), "swept");
        assert!(dir.path().join("w3.lock").exists(), "held: kept");
        assert!(alive_in(dir.path(), "w3"));
    }
}
