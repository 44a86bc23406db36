//! The health view and "Check now" read what screens actually asked for (issue 28 items
//! 4-5), against the real gateway process and a local upstream that can answer 503: the
//! check fetches each recorded feed URL as the screen (not the channel's API base, which
//! answers well), and a screen being served stale is in `lanyard health` as a
//! `feed_stale` moment of its channel, with the screen and when it goes blank.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::disk_cache::build;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_fetches_the_feeds_screens_asked_for_and_a_stale_feed_is_in_the_timeline() {
    let e = build(&[]).await;
    let (lobby, secret) = e.player("Lobby").await;
    let a = e.get(&secret, "menu?day=1").await;
    assert_eq!((a.status, a.body.as_str()), (200, "menu v1"));
    // The feed's server fails; the channel's API base itself still answers (404: up).
    e.up.down.store(true, Ordering::SeqCst);
    let stale = e.get(&secret, "menu?day=1").await;
    stale.assert_stale("menu v1", "upstream_error");
    let stale_for: i64 = stale
        .header("x-lanyard-stale")
        .and_then(|v| v.parse().ok())
        .expect("stale seconds");
    // The gateway writes the screens' states every 2 s.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let out = crate::util::run(crate::util::lanyard_for(&e.l).args(["--json", "health"]));
    assert!(out.status.success(), "{out:?}");
    let t = crate::util::stdout_json(&out);
    let m = t["moments"]
        .as_array()
        .expect("moments")
        .iter()
        .find(|m| m["kind"] == "feed_stale")
        .unwrap_or_else(|| panic!("no feed_stale moment: {t}"));
    assert_eq!(m["subject"], "channel", "{m}");
    assert_eq!(m["channel_id"], e.channel.as_str());
    assert_eq!(m["screens"][0]["id"], lobby.as_str(), "{m}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    // It goes blank a day (the default limit) after the data was fetched.
    let blank_at = m["at"].as_i64().expect("at");
    let data_from = now - 3 - stale_for;
    assert!(
        (data_from + 86_400..=data_from + 86_400 + 10).contains(&blank_at),
        "{blank_at} vs data from {data_from}: {m}"
    );
    assert!(m["since"].as_i64().is_some_and(|s| s <= now));
    let subject = t["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .find(|s| s["id"] == e.channel.as_str())
        .expect("the channel");
    assert_eq!(subject["next_stop_at"], m["at"]);

    let out = crate::util::run(crate::util::lanyard_for(&e.l).args([
        "--secret-store",
        "file",
        "--json",
        "health",
        "check",
    ]));
    assert!(out.status.success(), "{out:?}");
    let report = crate::util::stdout_json(&out);
    let screen = report["screens"]
        .as_array()
        .expect("screens")
        .iter()
        .find(|s| s["player_id"] == lobby.as_str())
        .expect("Lobby");
    let probes = screen["probes"].as_array().expect("probes");
    let urls: Vec<&str> = probes.iter().filter_map(|p| p["url"].as_str()).collect();
    assert_eq!(
        urls,
        [format!("{}/api/menu", e.base).as_str()],
        "the recorded feed (without its query), not the API base: {screen}"
    );
    let probe: &Value = &probes[0];
    assert_eq!(probe["status"], 503, "{probe}");
    assert_eq!(probe["kind"], "channel");
    assert_eq!(screen["verdict"], "stale", "{screen}");
    // The upstream back: live.
    e.up.down.store(false, Ordering::SeqCst);
    let out = crate::util::run(crate::util::lanyard_for(&e.l).args([
        "--secret-store",
        "file",
        "--json",
        "health",
        "check",
    ]));
    let report = crate::util::stdout_json(&out);
    assert_eq!(report["all_live"], true, "{report}");
}
