//! The matching table, placement and escaping, and every refused input.

use super::decorate::{decorate, encode_form, Attached};
use super::matcher::Index;
use super::prefix::{parse_prefix, parse_request_url};
use super::tokens::check_value_for;
use super::{Placement, UrlToken};
use crate::secrets::SecretValue;

fn token(prefix: &str, key: &str, placement: Placement) -> UrlToken {
    UrlToken {
        id: format!("{prefix}#{key}"),
        prefix: prefix.into(),
        key: key.into(),
        placement,
        requires_permission: false,
        prompt: false,
        origin: crate::urltokens::TokenOrigin::Own,
        received_from: None,
        viewable: true,
        created_at: 0,
        updated_at: 0,
    }
}

fn matches(prefix: &str, url: &str) -> bool {
    let index = Index::build([token(prefix, "k", Placement::Form)]);
    match parse_request_url(url) {
        Ok(u) => !index.matching(&u).is_empty(),
        Err(_) => false,
    }
}

#[test]
fn the_matching_table() {
    let table: &[(&str, &str, bool)] = &[
        // Path on segment boundaries.
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1",
            true,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1/",
            true,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1/items",
            true,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1/items?x=1",
            true,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v10",
            false,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1x/items",
            false,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/",
            false,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v2/v1",
            false,
        ),
        (
            "https://api.example.com/v1/",
            "https://api.example.com/v1",
            true,
        ),
        (
            "https://api.example.com/v1/",
            "https://api.example.com/v1/a",
            true,
        ),
        (
            "https://api.example.com",
            "https://api.example.com/anything/at/all",
            true,
        ),
        ("https://api.example.com/", "https://api.example.com", true),
        // Look-alike hosts and user-info tricks.
        (
            "https://api.example.com",
            "https://api.example.com.evil.net/",
            false,
        ),
        (
            "https://api.example.com",
            "https://evil.net/api.example.com/",
            false,
        ),
        (
            "https://api.example.com",
            "https://api.example.com@evil.net/",
            false,
        ),
        (
            "https://api.example.com",
            "https://user:pw@api.example.com/",
            false,
        ),
        (
            "https://api.example.com",
            "https://xapi.example.com/",
            false,
        ),
        ("https://api.example.com", "https://example.com/", false),
        ("https://example.com", "https://api.example.com/", false),
        // Scheme and ports.
        ("https://api.example.com", "http://api.example.com/", false),
        (
            "https://api.example.com",
            "https://api.example.com:443/",
            true,
        ),
        (
            "https://api.example.com:443",
            "https://api.example.com/",
            true,
        ),
        (
            "https://api.example.com",
            "https://api.example.com:8443/",
            false,
        ),
        (
            "https://api.example.com:8443",
            "https://api.example.com/",
            false,
        ),
        (
            "https://api.example.com:8443/x",
            "https://api.example.com:8443/x/y",
            true,
        ),
        (
            "http://127.0.0.1:8080/data",
            "http://127.0.0.1:8080/data/1",
            true,
        ),
        (
            "http://127.0.0.1:8080/data",
            "http://127.0.0.1:8081/data/1",
            false,
        ),
        (
            "http://127.0.0.1:8080/data",
            "https://127.0.0.1:8080/data/1",
            false,
        ),
        // Case.
        (
            "https://API.Example.COM/v1",
            "https://api.example.com/v1/x",
            true,
        ),
        (
            "https://api.example.com/v1",
            "HTTPS://API.EXAMPLE.COM/v1/x",
            true,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/V1/x",
            false,
        ),
        // Dot-segments resolve before matching.
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1/../admin",
            false,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/x/../v1/y",
            true,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1/./y",
            true,
        ),
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1/%2e%2e/admin",
            false,
        ),
        // Encoded slashes are not boundaries.
        (
            "https://api.example.com/v1",
            "https://api.example.com/v1%2Fadmin",
            false,
        ),
        (
            "https://api.example.com/a/b",
            "https://api.example.com/a%2Fb/c",
            false,
        ),
        (
            "https://api.example.com/a",
            "https://api.example.com/a/b%2Fc",
            true,
        ),
        // IDN: Unicode and punycode are the same host.
        (
            "https://bücher.example/api",
            "https://xn--bcher-kva.example/api/1",
            true,
        ),
        (
            "https://xn--bcher-kva.example/api",
            "https://BÜCHER.example/api/1",
            true,
        ),
        (
            "https://bücher.example/api",
            "https://bucher.example/api/1",
            false,
        ),
        // IPv6 and trailing dots.
        (
            "https://[::1]:9443/x",
            "https://[0:0:0:0:0:0:0:1]:9443/x/y",
            true,
        ),
        (
            "https://api.example.com",
            "https://api.example.com./",
            false,
        ),
    ];
    assert!(table.len() >= 40);
    for (prefix, url, expected) in table {
        assert_eq!(matches(prefix, url), *expected, "prefix {prefix} vs {url}");
    }
}

#[test]
fn longest_prefix_wins_per_key_and_all_keys_apply() {
    let index = Index::build([
        token("https://api.example.com", "apikey", Placement::Form),
        token("https://api.example.com/v1", "apikey", Placement::Form),
        token(
            "https://api.example.com/v1/admin",
            "apikey",
            Placement::Form,
        ),
        token("https://api.example.com", "tenant", Placement::Form),
        token("https://api.example.com/v1", "token", Placement::Header),
    ]);
    let url = parse_request_url("https://api.example.com/v1/items").expect("url");
    let mut found: Vec<String> = index.matching(&url).iter().map(|t| t.id.clone()).collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            "https://api.example.com#tenant",
            "https://api.example.com/v1#apikey",
            "https://api.example.com/v1#token",
        ]
    );
}

#[test]
fn placement_basic_bearer_form_and_query() {
    let v = SecretValue::new;
    let basic = decorate(
        "GET",
        vec![
            (
                token("https://a.example", "username", Placement::Header),
                v("alice"),
            ),
            (
                token("https://a.example", "password", Placement::Header),
                v("p@ss:w0rd"),
            ),
            (
                token("https://a.example", "X-Api-Key", Placement::Header),
                v("ignored"),
            ),
        ],
    );
    assert_eq!(
        basic.authorization.expect("auth").expose(),
        "Basic YWxpY2U6cEBzczp3MHJk"
    );
    assert_eq!(basic.report.attached.len(), 2);
    assert_eq!(basic.report.ignored.len(), 1);
    assert!(basic.report.ignored[0]
        .reason
        .as_deref()
        .expect("reason")
        .contains("ignored"));

    let bearer = decorate(
        "POST",
        vec![
            (
                token("https://a.example", "token", Placement::Header),
                v("abc.def"),
            ),
            (
                token("https://a.example", "q", Placement::Form),
                v("x&admin=1"),
            ),
        ],
    );
    assert_eq!(
        bearer.authorization.expect("auth").expose(),
        "Bearer abc.def"
    );
    assert!(!bearer.form_in_query);
    assert_eq!(bearer.report.attached[0].attached, Some(Attached::FormBody));
    // Escaping: the value arrives as one field.
    assert_eq!(encode_form(&bearer.form).expose(), "q=x%26admin%3D1");
    let parsed: Vec<(String, String)> =
        url::form_urlencoded::parse(encode_form(&bearer.form).expose().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(parsed, vec![("q".to_string(), "x&admin=1".to_string())]);

    let get = decorate(
        "GET",
        vec![(token("https://a.example", "q", Placement::Form), v("1"))],
    );
    assert!(get.form_in_query);
    assert_eq!(get.report.attached[0].attached, Some(Attached::Query));

    let lonely = decorate(
        "GET",
        vec![(
            token("https://a.example", "username", Placement::Header),
            v("a"),
        )],
    );
    assert!(lonely.authorization.is_none());
    assert_eq!(lonely.report.ignored.len(), 1);
    // The report never holds a value.
    let report = serde_json::to_string(&basic.report).expect("json");
    assert!(!report.contains("alice") && !report.contains("p@ss"));
}

#[test]
fn refused_prefixes() {
    for bad in [
        "http://api.example.com/v1",
        "ftp://api.example.com/",
        "https://user:pw@api.example.com/",
        "https://user@api.example.com/",
        "https://api.example.com/v1?x=1",
        "https://api.example.com/v1?",
        "https://api.example.com/v1#top",
        "https://*.example.com/",
        "https://api.example.com/v1/*",
        "https:///v1",
        "api.example.com/v1",
        "/v1",
        "",
        "https://api.example.com/v1\r\nX: y",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ] {
        assert!(parse_prefix(bad).is_err(), "{bad:?} must be refused");
    }
    let loopback = parse_prefix("http://127.0.0.1:8080/data/").expect("loopback http");
    assert!(loopback.warning.is_some());
    assert_eq!(loopback.display, "http://127.0.0.1:8080/data");
    assert!(parse_prefix("https://api.example.com/v1/")
        .expect("ok")
        .warning
        .is_none());
}

#[test]
fn refused_values() {
    let v = SecretValue::new;
    for bad in ["a\rb", "a\nb", "a\0b", "tab\there", "bell\u{7}"] {
        assert!(
            check_value_for("k", Placement::Form, &v(bad)).is_err(),
            "{bad:?}"
        );
    }
    assert!(check_value_for("username", Placement::Header, &v("al:ice")).is_err());
    assert!(check_value_for("username", Placement::Form, &v("al:ice")).is_ok());
    assert!(check_value_for("password", Placement::Header, &v("a:b")).is_ok());
    assert!(check_value_for("k", Placement::Form, &v("x&admin=1 ünïcode")).is_ok());
}

#[test]
fn request_urls_with_user_info_are_refused() {
    assert!(parse_request_url("https://api.example.com@evil.net/").is_err());
    assert!(parse_request_url("https://u:p@api.example.com/").is_err());
    assert!(parse_request_url("ftp://api.example.com/").is_err());
    assert!(parse_request_url("not a url").is_err());
}

#[test]
fn placement_names_match_their_serialized_form() {
    for a in [
        Attached::AuthorizationBasic,
        Attached::AuthorizationBearer,
        Attached::FormBody,
        Attached::Query,
    ] {
        assert_eq!(serde_json::to_value(a).expect("json"), a.as_str());
    }
}
