//! The ceiling on gateway session lifetimes (DESIGN §11: ≤ 15 minutes): the constant, the
//! mint, and the gateway's own setting, each held to it — a longer session is never
//! handed out, whatever is asked for.

use std::sync::Arc;

use lanyard_core::broker::players::add_player;
use lanyard_core::broker::sessions::{self, SessionKey, SessionKeys, SESSION_SECONDS};
use lanyard_core::clock::FixedClock;
use lanyard_core::secrets::{SecretStoreKind, Secrets};
use lanyard_core::{Config, Lanyard};

use crate::util::{lanyard, run};

const NOW: i64 = 1_800_000_000;

#[test]
fn the_ceiling_is_fifteen_minutes() {
    assert_eq!(SESSION_SECONDS, 15 * 60);
}

#[tokio::test]
async fn no_session_is_minted_past_the_ceiling() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
    let l = Lanyard::open_with(
        &config,
        Arc::new(FixedClock::at(NOW)),
        Some(Secrets::in_memory()),
    )
    .await
    .expect("open");
    let player = add_player(&l, "Lobby", None)
        .await
        .expect("player")
        .player
        .id;
    let key = SessionKey::from_bytes("test", [7; 32]);
    let keys = SessionKeys {
        current: SessionKey::from_bytes("test", [7; 32]),
        previous: None,
    };
    let default = sessions::mint(&l, &key, &player).await.expect("mint");
    assert_eq!(default.expires_at, NOW + 15 * 60);
    for (asked, lives) in [
        (15 * 60 + 1, 15 * 60),
        (3600, 15 * 60),
        (i64::MAX, 15 * 60),
        (60, 60),
        (0, 1),
        (-5, 1),
    ] {
        let s = sessions::mint_for(&l, &key, &player, asked)
            .await
            .expect("mint");
        assert_eq!(s.expires_at - NOW, lives, "asked for {asked} s");
        let claims = sessions::open(&keys, s.token.expose(), NOW).expect("open");
        assert_eq!(claims.expires_at, NOW + lives);
    }
}

#[test]
fn the_gateway_refuses_a_longer_session_setting() {
    let dir = tempfile::tempdir().expect("dir");
    for seconds in ["901", "3600"] {
        let out = run(lanyard(dir.path()).args([
            "--json",
            "gateway",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--session-lifetime",
            seconds,
        ]));
        assert_eq!(out.status.code(), Some(1), "{seconds}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 to 900 seconds"),
            "{seconds}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
