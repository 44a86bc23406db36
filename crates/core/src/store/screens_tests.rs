//! Screen states written by two gateways on one database (with `LANYARD_TEST_POSTGRES`,
//! PostgreSQL; else one SQLite file): the latest request wins whichever gateway writes
//! last, a run of stale answers keeps its start across flushes, fresh data ends it, the
//! query never reaches the store, and a player removed meanwhile is skipped.

use crate::screens::{ScreenLog, Served};
use crate::store::principals::{Principal, PrincipalKind};
use crate::store::{testing, Location, Store, DATABASE_FILE};

fn stale(data_from: i64) -> Served {
    Served::Stale {
        reason: "upstream_error".into(),
        data_from,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_show_each_screens_latest_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = testing::database()
        .await
        .expect("database")
        .unwrap_or_else(|| Location::Sqlite(dir.path().join(DATABASE_FILE)));
    let a = Store::open_at(&location).await.expect("a");
    let b = Store::open_at(&location).await.expect("b");
    a.insert_player(
        &Principal {
            id: "p".into(),
            kind: PrincipalKind::Player,
            name: "Lobby".into(),
            serial: Some("S-1".into()),
            active: true,
            created_at: 1,
            last_seen_at: None,
        },
        "hash",
    )
    .await
    .expect("player");
    let (on_a, on_b) = (ScreenLog::default(), ScreenLog::default());

    on_a.record("p", 100, stale(40), None);
    on_a.flush(&a).await.expect("flush a");
    // An older answer from the other gateway, written later, changes nothing.
    let url = url::Url::parse("https://feed.example/x?key=SECRET").expect("url");
    on_b.record("p", 90, Served::Fresh, Some(&url));
    on_b.flush(&b).await.expect("flush b");
    let states = b.screen_states().await.expect("states");
    assert_eq!(states.len(), 1);
    let s = &states[0];
    assert_eq!(
        (s.last_request_at, s.last_answer.as_str(), s.stale_since),
        (100, "stale", Some(100))
    );
    assert_eq!(s.last_code.as_deref(), Some("upstream_error"));
    assert_eq!(s.data_from, Some(40));
    assert_eq!(s.feeds[0].url, "https://feed.example/x", "no query stored");
    assert_eq!(s.feeds[0].last_fresh_at, 90);

    // Stale again from the other gateway: the run started at 100.
    on_b.record("p", 110, stale(40), None);
    on_b.flush(&b).await.expect("flush b");
    let s = &a.screen_states().await.expect("states")[0];
    assert_eq!((s.last_request_at, s.stale_since), (110, Some(100)));

    // Refused, then fresh: the run ends.
    on_a.record(
        "p",
        120,
        Served::Refused {
            code: "not_covered".into(),
        },
        None,
    );
    on_a.flush(&a).await.expect("flush a");
    let s = &a.screen_states().await.expect("states")[0];
    assert_eq!(
        (
            s.last_answer.as_str(),
            s.last_code.as_deref(),
            s.stale_since
        ),
        ("refused", Some("not_covered"), None)
    );

    // A player removed while its state waited in a buffer: skipped, nothing fails.
    on_a.record("gone", 130, Served::Fresh, Some(&url));
    on_a.flush(&a).await.expect("flush with a removed player");
    assert_eq!(a.screen_states().await.expect("states").len(), 1);
}
