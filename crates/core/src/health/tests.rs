use super::*;
use crate::error::InputField;
use crate::oauth::channel::Handout;
use crate::oauth::provider::ProviderKind;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn channel(id: &str, provider: &str, status: ChannelStatus, due: Option<i64>) -> Channel {
    Channel {
        id: id.into(),
        provider_id: provider.into(),
        provider_name: "Microsoft 365".into(),
        account_subject: id.into(),
        account_label: format!("{id}@contoso.com"),
        scopes: vec![],
        status,
        connected_at: NOW - 10 * DAY,
        last_refreshed_at: Some(NOW - DAY),
        reauth_due_at: due,
        refresh_token_expires_at: None,
        last_error: None,
        token_generation: 1,
        access_token_expires_at: None,
        handout: Handout::Proxy,
    }
}

fn provider(id: &str, kind: ProviderKind, secret_expires: Option<i64>) -> Provider {
    let mut p = crate::oauth::provider::test_provider(kind);
    p.id = id.into();
    p.kind = kind;
    p.name = "Microsoft 365".into();
    p.client_secret_expires_at = secret_expires;
    p
}

fn player(id: &str, name: &str) -> Principal {
    Principal {
        id: id.into(),
        kind: PrincipalKind::Player,
        name: name.into(),
        serial: None,
        active: true,
        created_at: 0,
        last_seen_at: None,
    }
}

fn links(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_moment_names_the_screens_it_would_blank() {
    let channels = [
        channel("a", "ms", ChannelStatus::Active, Some(NOW + 14 * DAY)),
        channel("b", "ms", ChannelStatus::NeedsReauth, None),
        channel("gone", "ms", ChannelStatus::Revoked, Some(NOW)),
    ];
    let providers = [provider(
        "ms",
        ProviderKind::Microsoft,
        Some(NOW + 30 * DAY),
    )];
    let principals = [player("p1", "Lobby"), player("p2", "Kitchen")];
    let channel_links = links(&[("p1", "a"), ("p2", "a"), ("p2", "b"), ("license", "a")]);
    let t = timeline(
        &Facts {
            channels: &channels,
            providers: &providers,
            principals: &principals,
            channel_links: &channel_links,
            ..Default::default()
        },
        NOW,
    );
    let got: Vec<_> = t
        .moments
        .iter()
        .map(|m| (m.channel_id.as_str(), m.kind, m.at))
        .collect();
    assert_eq!(
        got,
        [
            ("b", Kind::NeedsReauth, None),
            ("a", Kind::ReauthDue, Some(NOW + 14 * DAY)),
            ("a", Kind::ClientSecretExpires, Some(NOW + 30 * DAY)),
            ("b", Kind::ClientSecretExpires, Some(NOW + 30 * DAY)),
        ]
    );
    let names: Vec<_> = t.moments[1]
        .screens
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Kitchen", "Lobby"],
        "players only, the license is no screen"
    );
    assert_eq!(
        t.moments[0].action,
        "Re-authorize Microsoft 365 — b@contoso.com"
    );
    assert_eq!(
        t.moments[1].screens_in_words(),
        " · 2 screens: Kitchen, Lobby"
    );
    // Microsoft's 90 days without use come after the 14-day re-authorization: not listed.
    assert!(!t
        .moments
        .iter()
        .any(|m| m.kind == Kind::RefreshTokenExpires));
    assert_eq!(
        t.subjects.len(),
        2,
        "the disconnected channel is not listed"
    );
    assert_eq!(t.subjects[1].next_stop_at, Some(NOW));
}

#[test]
fn documented_refresh_token_lifetimes() {
    let channels = [
        channel("ms", "ms", ChannelStatus::Active, None),
        channel("g", "g", ChannelStatus::Active, None),
    ];
    let providers = [
        provider("ms", ProviderKind::Microsoft, None),
        provider("g", ProviderKind::Google, None),
    ];
    let authorized = HashMap::from([("g".to_string(), NOW - 2 * DAY)]);
    let t = timeline(
        &Facts {
            channels: &channels,
            providers: &providers,
            authorized_at: Some(&authorized),
            ..Default::default()
        },
        NOW,
    );
    let ms = t.moments.iter().find(|m| m.channel_id == "ms").expect("ms");
    assert_eq!(
        ms.at,
        Some(NOW - DAY + 90 * DAY),
        "90 days from the last refresh"
    );
    assert!(
        ms.certain()
            && ms
                .source
                .as_deref()
                .is_some_and(|s| s.contains("microsoft"))
    );
    let g = t
        .moments
        .iter()
        .find(|m| m.channel_id == "g")
        .expect("google");
    assert_eq!(
        g.at,
        Some(NOW + 5 * DAY),
        "7 days from the last authorization"
    );
    assert!(
        !g.certain(),
        "only for clients in Testing status: listed, not reminded"
    );
    let s = crate::reminders::schedule_of(&t, NOW + 4 * DAY + 3600, Default::default());
    assert!(
        s.reminders.is_empty(),
        "a conditional moment is never reminded"
    );
}

#[test]
fn reminders_read_the_same_list_and_name_the_screens() {
    let channels = [channel(
        "a",
        "ms",
        ChannelStatus::Active,
        Some(NOW + 2 * DAY),
    )];
    let providers = [provider("ms", ProviderKind::Custom, Some(NOW + DAY / 2))];
    let principals = [player("p1", "Lobby")];
    let channel_links = links(&[("p1", "a")]);
    let t = timeline(
        &Facts {
            channels: &channels,
            providers: &providers,
            principals: &principals,
            channel_links: &channel_links,
            ..Default::default()
        },
        NOW,
    );
    let s = crate::reminders::schedule_of(&t, NOW, Default::default());
    let messages: Vec<_> = s.reminders.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Renew the client secret of Microsoft 365 at the provider and give Lanyard the new \
             one · due in 12 hours · 1 screen: Lobby",
            "Re-authorize Microsoft 365 — a@contoso.com · due in 2 days · 1 screen: Lobby",
        ]
    );
    assert_eq!(s.reminders[0].kind, Kind::ClientSecretExpires);
    assert_eq!(s.next_check_at, Some(NOW + DAY / 2));
}

#[test]
fn expiry_dates_as_typed() {
    use crate::oauth::provider::parse_expiry_date;
    assert_eq!(
        parse_expiry_date("2027-01-15").expect("date"),
        1_799_971_200
    );
    assert_eq!(
        parse_expiry_date("2027-01-15T08:00:00Z").expect("rfc 3339"),
        1_799_971_200 + 8 * 3600
    );
    for bad in ["", "15/01/2027", "2027-13-01", "2027-02-30", "soon"] {
        let e = parse_expiry_date(bad).expect_err(bad);
        assert_eq!(e.field(), Some(InputField::ClientSecretExpiresAt));
    }
}

#[tokio::test]
async fn the_stored_timeline_names_the_linked_players() {
    use crate::secrets::{SecretStoreKind, Secrets};
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::Config {
        database: crate::store::testing::database().await.expect("database"),
        ..crate::Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory)
    };
    let clock = std::sync::Arc::new(crate::clock::FixedClock::at(NOW));
    let l = crate::Lanyard::open_with(&config, clock, Some(Secrets::in_memory()))
        .await
        .expect("open");
    // The expiry is stored and read back (SQLite and PostgreSQL alike).
    let mut p = provider("kept", ProviderKind::Custom, Some(NOW + 9 * DAY));
    p.client_id = Some("c".into());
    l.store().insert_provider(&p).await.expect("insert");
    let read = l.store().provider("kept").await.expect("read");
    assert_eq!(read.client_secret_expires_at, Some(NOW + 9 * DAY));

    let channel = crate::broker::testing::seed_channel(&l, "http://127.0.0.1:9/t", "a", NOW, "r")
        .await
        .expect("seed");
    sqlx::query(
        "UPDATE provider SET client_secret_expires_at = $1 WHERE id = \
         (SELECT provider_id FROM channel WHERE id = $2)",
    )
    .bind(NOW + 2 * DAY)
    .bind(&channel)
    .execute(l.store().pool())
    .await
    .expect("expiry");
    let lobby = crate::broker::players::add_player(&l, "Lobby", None)
        .await
        .expect("player");
    crate::broker::players::add_player(&l, "Unlinked", None)
        .await
        .expect("player");
    crate::broker::players::link(&l, &lobby.player.id, &channel)
        .await
        .expect("link");
    let t = current(&l).await.expect("timeline");
    let m = t
        .moments
        .iter()
        .find(|m| m.kind == Kind::ClientSecretExpires)
        .expect("the secret's expiry");
    assert_eq!(m.at, Some(NOW + 2 * DAY));
    let names: Vec<_> = m.screens.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Lobby"]);
    let s = crate::reminders::current(&l).await.expect("reminders");
    assert!(
        s.reminders[0].message.ends_with(" · 1 screen: Lobby"),
        "{:?}",
        s.reminders
    );
}

#[test]
fn a_stale_feed_is_a_moment_of_its_credential_with_the_screens_it_blanks() {
    use crate::screens::{FeedState, ScreenState};
    let channels = [channel("a", "ms", ChannelStatus::Active, None)];
    let mut p = provider("ms", ProviderKind::Microsoft, None);
    p.api_base_urls = vec!["https://graph.example/v1/".into()];
    let providers = [p];
    let principals = [
        player("p1", "Lobby"),
        player("p2", "Kitchen"),
        player("p3", "Hall"),
    ];
    let channel_links = links(&[("p1", "a"), ("p2", "a"), ("p3", "a")]);
    let state = |id: &str, answer: &str, since: Option<i64>, from: Option<i64>| ScreenState {
        player_id: id.into(),
        last_request_at: NOW - 60,
        last_answer: answer.into(),
        last_code: Some("upstream_error".into()),
        stale_since: since,
        data_from: from,
        feeds: vec![FeedState {
            url: "https://graph.example/v1/menu".into(),
            last_fresh_at: NOW - 3 * 3600,
        }],
    };
    let states = [
        // Stale for two hours, data from three hours ago.
        state("p1", "stale", Some(NOW - 2 * 3600), Some(NOW - 3 * 3600)),
        // Stale for an hour, data from two hours ago (goes blank later).
        state("p2", "stale", Some(NOW - 3600), Some(NOW - 2 * 3600)),
        state("p3", "fresh", None, None),
    ];
    let keep: HashMap<String, u64> = [("channel:a".to_string(), 6 * 3600)].into();
    let t = timeline(
        &Facts {
            channels: &channels,
            providers: &providers,
            principals: &principals,
            channel_links: &channel_links,
            screen_states: &states,
            keep_stale: Some(&keep),
            ..Default::default()
        },
        NOW,
    );
    let stale: Vec<_> = t
        .moments
        .iter()
        .filter(|m| m.kind == Kind::FeedStale)
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", t.moments);
    let m = stale[0];
    assert_eq!((m.subject, m.channel_id.as_str()), ("channel", "a"));
    // The first screen goes blank when its data is older than the channel's 6 h.
    assert_eq!(m.at, Some(NOW - 3 * 3600 + 6 * 3600));
    assert_eq!(m.since, Some(NOW - 2 * 3600));
    assert_eq!(
        m.screens
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Kitchen", "Lobby"]
    );
    assert!(m.action.contains("data source"), "{}", m.action);
    // The channel's next stop is that moment.
    let a = t.subjects.iter().find(|s| s.id == "a").expect("a");
    assert_eq!(a.next_stop_at, m.at);
    // Not reminded: no sign-in fixes a data source that is down.
    let s = crate::reminders::schedule_of(&t, NOW, crate::reminders::Thresholds::default());
    assert!(s.reminders.iter().all(|r| r.kind != Kind::FeedStale));
}
