//! The setup the request-timing benches share (core's `preview`, the gateway's `fetch`): a
//! two-worker runtime between the load reports, a local JSON upstream, and an installation in
//! a temporary directory with one channel covering the upstream's `/api/`. Included with
//! `#[path]` next to `load.rs` (it calls `crate::load`).

use std::sync::Arc;

use lanyard_core::broker::testing::seed_channel_for;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::secrets::{SecretStoreKind, Secrets};
use lanyard_core::{Config, Lanyard};

/// What [`run`] hands the bench.
pub struct Seeded {
    /// The local upstream's base address (`http://127.0.0.1:PORT`).
    pub base: String,
    /// The installation (its data directory lives until the bench returns).
    pub lanyard: Lanyard,
    /// The seeded channel's id, covering `{base}/api/`.
    #[allow(dead_code, reason = "only the gateway bench links a player to it")]
    pub channel: String,
}

/// Prints the load, runs `bench` with a [`Seeded`] installation on a two-worker runtime,
/// flushes the broker's pending writes and prints the load again.
pub fn run(bench: impl AsyncFnOnce(&Seeded)) {
    crate::load::report("before");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let base = lanyard_core::testing::json_upstream().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
        let lanyard =
            Lanyard::open_with(&config, Arc::new(SystemClock), Some(Secrets::in_memory()))
                .await
                .expect("open");
        let channel = seed_channel_for(
            &lanyard,
            "http://127.0.0.1:9/token",
            "access",
            SystemClock.now() + 3600,
            "refresh",
            vec![format!("{base}/api/")],
        )
        .await
        .expect("seed");
        let seeded = Seeded {
            base,
            lanyard,
            channel,
        };
        bench(&seeded).await;
        let l = &seeded.lanyard;
        let _ = l.broker().flush(l.store()).await;
    });
    crate::load::report("after");
}
