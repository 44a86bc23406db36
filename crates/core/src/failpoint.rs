//! Crash points for tests of durability. `LANYARD_FAILPOINT=<name>` in a process's
//! environment makes it abort at the point of that name — like `kill -9` there: no
//! destructor runs, nothing more is written. Read once per process; unset, a point costs
//! one comparison.
//!
//! `LANYARD_FAILPOINT=panic:<name>` panics there instead (a worker dying mid-request: its
//! message and backtrace must not carry a secret).
//!
//! Points: `access-change-committed` (an access change committed, its epoch not yet
//! settled; see [`crate::store::epoch`]); `gateway-grant` (a gateway request handler that
//! holds an authenticated player's request, before the grant).

use std::sync::OnceLock;

/// The environment variable naming the point to crash at.
pub const ENV: &str = "LANYARD_FAILPOINT";

/// Aborts the process when `name` is the configured point.
pub fn hit(name: &str) {
    static POINT: OnceLock<Option<String>> = OnceLock::new();
    let Some(point) = POINT.get_or_init(|| std::env::var(ENV).ok().filter(|p| !p.is_empty()))
    else {
        return;
    };
    if point == name {
        std::process::abort();
    }
    if point.strip_prefix("panic:") == Some(name) {
        panic!("failpoint {name}");
    }
}
