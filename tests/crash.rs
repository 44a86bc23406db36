//! Crashes right after a commit (issue 17): `LANYARD_FAILPOINT` aborts the `lanyard`
//! process at a named point, like `kill -9` there. A committed change is still there
//! afterwards, and an access change is seen by a running process even though the
//! crashed writer never settled the access epoch.

use lanyard_core::broker::grant::issue_grant;
use lanyard_core::broker::players;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};

use crate::util::{lanyard_for, stdout_json};

const AFTER_COMMIT: &str = "access-change-committed";

async fn open(dir: &std::path::Path) -> Lanyard {
    let config = Config::new(dir.to_path_buf(), SecretStoreKind::File);
    Lanyard::open(&config).await.expect("open")
}

fn crashing(l: &Lanyard, args: &[&str]) -> std::process::Output {
    let out = lanyard_for(l)
        .env(lanyard_core::failpoint::ENV, AFTER_COMMIT)
        .args(["--secret-store", "file", "--json"])
        .args(args)
        .output()
        .expect("run lanyard");
    assert!(
        !out.status.success() && out.status.code().is_none(),
        "the process was meant to die at {AFTER_COMMIT}: {out:?}"
    );
    out
}

#[tokio::test]
async fn a_player_added_by_a_process_killed_right_after_the_commit_is_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = open(dir.path()).await;
    crashing(&l, &["player", "add", "Lobby", "--serial", "SN-KILLED"]);
    let reopened = open(dir.path()).await;
    let listed = players::list(&reopened).await.expect("players");
    assert!(
        listed
            .iter()
            .any(|p| p.serial.as_deref() == Some("SN-KILLED")),
        "the committed player is gone: {listed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlink_whose_writer_died_before_settling_the_epoch_denies_the_next_grant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = open(dir.path()).await;
    // A channel whose token is fresh for an hour (no provider needed).
    let channel = lanyard_core::broker::testing::seed_channel(
        &l,
        "http://127.0.0.1:9/token",
        "CANARY-access",
        SystemClock.now() + 3600,
        "CANARY-refresh",
    )
    .await
    .expect("seed");
    let player = players::add_player(&l, "Lobby", None)
        .await
        .expect("player");
    let id = player.player.id.clone();
    players::link(&l, &id, &channel).await.expect("link");
    // This process grants, caching the decision under the current epoch.
    issue_grant(&l, &id, &channel).await.expect("linked");
    issue_grant(&l, &id, &channel).await.expect("cached");

    let out = crashing(
        &l,
        &["link", "remove", "--player", &id, "--channel", &channel],
    );
    assert!(out.stdout.is_empty(), "{}", stdout_json(&out));
    let err = issue_grant(&l, &id, &channel)
        .await
        .expect_err("a grant after the unlink committed");
    assert_eq!(err.code(), "not_linked", "{err}");
}
