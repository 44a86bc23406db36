//! The health timeline and "Check now" against the Microsoft emulator and a feed whose
//! server is down, through the `lanyard` CLI: the screens at stake are named, with the
//! one action that fixes each.

use std::io::Write as _;
use std::process::Stdio;

use serde_json::Value;

use crate::providers::emulator::{Emulator, Kind, CLIENT_ID};
use crate::providers::Env;

const REDIRECTS: [&str; 1] = ["app.lanyard.desktop://oauth/callback"];

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("screens")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

fn screen<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["screens"]
        .as_array()
        .expect("screens")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no screen {name} in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_channel_and_a_dead_feed_name_their_screens() {
    let emu = Emulator::start(Kind::Microsoft, &REDIRECTS).await;
    let env = Env::new();
    let provider = env.ok(&[
        "provider",
        "add",
        "--template",
        "microsoft",
        "--tenant",
        "common",
        "--authority",
        &emu.origin,
        "--client-id",
        CLIENT_ID,
    ])["id"]
        .as_str()
        .expect("id")
        .to_string();
    let started = env.ok(&[
        "channel",
        "connect",
        "--provider",
        &provider,
        "--no-browser",
    ]);
    let callback = emu
        .authorize(started["authorization_url"].as_str().expect("url"))
        .await
        .expect("signed in");
    let connected = env.ok(&["oauth", "callback", &callback]);
    let channel = connected["channel"]["id"].as_str().expect("id").to_string();
    let account = connected["channel"]["account_label"]
        .as_str()
        .expect("label")
        .to_string();

    let lobby = env.ok(&["player", "add", "Lobby"])["id"]
        .as_str()
        .expect("id")
        .to_string();
    let kitchen = env.ok(&["player", "add", "Kitchen"])["id"]
        .as_str()
        .expect("id")
        .to_string();
    env.ok(&["link", "add", "--player", &lobby, "--channel", &channel]);
    // A feed on a port nothing listens on (bound, then closed).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let feed = format!(
        "http://127.0.0.1:{}/feed/",
        dead.local_addr().expect("addr").port()
    );
    drop(dead);
    let mut add = env
        .cmd(&["token", "add", "--url", &feed, "--key", "apikey"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(b"feed-secret")
        .expect("value");
    let out = add.wait_with_output().expect("token add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let token = crate::util::stdout_json(&out)["token"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    env.ok(&["link", "add", "--player", &kitchen, "--token", &token]);

    // The timeline: Microsoft's 90 days without use, with the screen it would blank.
    let health = env.ok(&["health"]);
    let ms = &health["moments"][0];
    assert_eq!(ms["kind"], "refresh_token_expires", "{health}");
    assert_eq!(names(&ms["screens"]), ["Lobby"]);
    let token_subject = health["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .find(|s| s["kind"] == "url_token")
        .expect("the URL token is listed");
    assert_eq!(names(&token_subject["screens"]), ["Kitchen"]);

    // Everything works: a real refresh, and the Graph base fetched as the screen.
    let refreshes = emu.calls("refresh_token");
    let all_good = env.ok(&["health", "check"]);
    assert_eq!(
        emu.calls("refresh_token"),
        refreshes + 1,
        "a real refresh, not the cache"
    );
    assert_eq!(all_good["channels"][0]["ok"], true, "{all_good}");
    assert_eq!(screen(&all_good, "Lobby")["verdict"], "live", "{all_good}");

    // The provider refuses the master token; the feed's server is down.
    emu.set(|c| c.refresh_error = Some("invalid_grant".into()));
    let report = env.ok(&["health", "check"]);
    assert_eq!(report["all_live"], false);
    let c = &report["channels"][0];
    assert_eq!(
        (c["ok"].clone(), c["code"].clone()),
        (false.into(), "needs_reauth".into())
    );
    assert_eq!(names(&c["screens"]), ["Lobby"], "{report}");
    let l = screen(&report, "Lobby");
    assert_eq!(l["verdict"], "blank", "{report}");
    assert_eq!(
        l["action"],
        format!("Re-authorize Microsoft 365 — {account}")
    );
    let k = screen(&report, "Kitchen");
    assert_eq!(
        k["verdict"], "blank",
        "never served: nothing stale to show: {report}"
    );
    assert_eq!(k["probes"][0]["url"], feed.trim_end_matches('/'));
    assert!(
        k["reason"]
            .as_str()
            .expect("reason")
            .contains("cannot be reached"),
        "{report}"
    );
    assert!(
        !report.to_string().contains("feed-secret"),
        "no value in the report"
    );

    // The same list, now: the channel needs re-authorization, and the reminder says which
    // screen is at stake.
    let health = env.ok(&["health"]);
    assert_eq!(health["moments"][0]["kind"], "needs_reauth");
    assert_eq!(names(&health["moments"][0]["screens"]), ["Lobby"]);
    let reminders = env.ok(&["reminders"]);
    assert_eq!(
        reminders["reminders"][0]["message"],
        format!("Re-authorize Microsoft 365 — {account} · needed now · 1 screen: Lobby")
    );
}

#[test]
fn a_client_secret_expiry_is_kept_and_a_bad_date_changes_nothing() {
    let env = Env::new();
    let secret = env.dir.path().join("secret.txt");
    std::fs::write(&secret, "s3cret").expect("secret");
    let secret = secret.to_str().expect("path");
    let base = [
        "provider",
        "add",
        "--name",
        "Feeds",
        "--authorization-endpoint",
        "https://id.example/authorize",
        "--token-endpoint",
        "https://id.example/token",
        "--client-id",
        "c",
        "--client-secret-file",
        secret,
    ];
    let bad = [&base[..], &["--client-secret-expires-at", "30/06/2027"]].concat();
    let err = env.fails(&bad, "invalid_input");
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("2027-06-30"),
        "{err}"
    );
    assert_eq!(
        env.ok(&["provider", "list"])
            .as_array()
            .map(|a| a.iter().filter(|p| p["name"] == "Feeds").count()),
        Some(0)
    );
    let good = [&base[..], &["--client-secret-expires-at", "2027-06-30"]].concat();
    let added = env.ok(&good);
    let shown = env.ok(&["provider", "show", added["id"].as_str().expect("id")]);
    assert_eq!(shown["client_secret_expires_at"], 1_814_313_600, "{shown}");
}
