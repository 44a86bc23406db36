//! The gateway's checks before anything is fetched: which key opens which feed, and which
//! query parameters a widget may add.

use super::*;

fn feed(url: &str, allow: &[&str]) -> Feed {
    Feed {
        id: "f1".into(),
        name: "n".into(),
        player_id: "p".into(),
        url: url.into(),
        allow_query: allow.iter().map(|s| s.to_string()).collect(),
        created_at: 0,
        rotated_at: None,
    }
}

#[test]
fn an_unknown_id_and_a_wrong_key_are_the_same_404_and_a_removed_feed_is_403() {
    let h = FeedHasher::from_bytes([1; 32]);
    let k = key::generate().expect("key");
    let mut stored = StoredFeed {
        feed: feed("https://a.example/x", &[]),
        key_hash: h.hash("f1", &k),
        removed_at: None,
    };
    assert_eq!(
        authorize(Some(&stored), &h, "f1", k.expose())
            .expect("ok")
            .id,
        "f1"
    );
    let wrong = authorize(Some(&stored), &h, "f1", "nope").expect_err("wrong key");
    let unknown = authorize(None, &h, "f2", k.expose()).expect_err("unknown");
    assert_eq!((wrong.code(), unknown.code()), ("not_found", "not_found"));
    assert_eq!(wrong.to_string(), unknown.to_string());
    stored.removed_at = Some(1);
    let removed = authorize(Some(&stored), &h, "f1", k.expose()).expect_err("removed");
    assert_eq!(removed.code(), "not_linked");
    // A removed feed with a wrong key still says nothing.
    let e = authorize(Some(&stored), &h, "f1", "nope").expect_err("wrong");
    assert_eq!(e.code(), "not_found");
}

#[test]
fn only_allowed_query_parameters_reach_the_url() {
    let f = feed(
        "https://a.example/cal.ics?tz=UTC&limit=5",
        &["limit", "page"],
    );
    assert_eq!(target(&f, None).expect("none"), f.url);
    assert_eq!(target(&f, Some("")).expect("empty"), f.url);
    assert_eq!(
        target(&f, Some("limit=10")).expect("allowed"),
        "https://a.example/cal.ics?tz=UTC&limit=10"
    );
    assert_eq!(
        target(&f, Some("page=2&page=3")).expect("repeated"),
        "https://a.example/cal.ics?tz=UTC&limit=5&page=2&page=3"
    );
    for bad in [
        "tz=Europe",
        "limit=1&_=123",
        "url=https://evil.example",
        "x",
    ] {
        let e = target(&f, Some(bad)).expect_err(bad);
        assert_eq!(e.code(), "not_covered", "{bad}");
    }
    let none = feed("https://a.example/x", &[]);
    assert_eq!(
        target(&none, Some("a=1")).expect_err("none allowed").code(),
        "not_covered"
    );
}

#[test]
fn query_names_are_checked_and_deduplicated() {
    assert_eq!(
        check_query_names(&["a".into(), " a ".into(), "".into(), "b".into()]).expect("ok"),
        vec!["a".to_string(), "b".to_string()]
    );
    for bad in ["a=b", "a&b", "a b", "x\u{7}y"] {
        let e = check_query_names(&[bad.into()]).expect_err(bad);
        assert_eq!(e.code(), "invalid_input");
    }
    let many: Vec<String> = (0..=MAX_ALLOWED_QUERY).map(|i| format!("q{i}")).collect();
    assert!(check_query_names(&many).is_err());
}
