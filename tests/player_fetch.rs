//! What a player's `/v1/fetch` must never pass on, over real HTTP (the gateway's router on
//! a loopback port, real upstreams): an answer that reflects a credential value the
//! gateway sent — in any encoding, whatever its length — is `502 reflected_credential`
//! (the preview shows it redacted, with a note); and a covered name that resolves to a
//! loopback address is `403 not_covered` without a connection being opened.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use lanyard_core::broker::players::add_player;
use lanyard_core::broker::token_links::link_token;
use lanyard_core::clock::Clock as _;
use lanyard_core::clock::{FixedClock, SystemClock};
use lanyard_core::fetch::As;
use lanyard_core::preview::{preview_as, PreviewOptions, PreviewRequest};
use lanyard_core::secrets::{SecretStoreKind, Secrets};
use lanyard_core::sharing::{contacts, identity, inbox};
use lanyard_core::urltokens::permission::{Answer, Fixed};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};
use lanyard_gateway::limits::LimitPolicy;
use lanyard_gateway::Gateway;

use crate::util::add_url_token as token;

/// A Basic pair, a query token whose value needs escaping, a 4-byte value and a token
/// received from a contact.
const USER: &str = "svc-reader";
const PASSWORD: &str = "pw:Z9/q+";
const QUERY_VALUE: &str = "v&l/u e+\"x\"\u{e9}";
const SHORT: &str = "k4Z9";
const SHARED: &str = "CANARY-shared-5c1d";

/// What the echo upstream saw of each request: its `Accept-Encoding`.
type Seen = Arc<Mutex<Vec<Option<String>>>>;

/// An upstream that echoes every request back: as JSON (method, target, decoded query,
/// headers, body) by default; as response headers under `/…/header`; nothing of it under
/// `/…/clean`; a gzip body under `/…/gzip`.
async fn echo_upstream() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let record = record.clone();
            async move {
                record.lock().expect("lock").push(
                    headers
                        .get("accept-encoding")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                );
                echo(method, uri, headers, body)
            }
        },
    );
    let (base, _) = crate::gateway_fetch::serve(app).await;
    (base, seen)
}

fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let json = |v: serde_json::Value| {
        (
            [("content-type", HeaderValue::from_static("application/json"))],
            v.to_string(),
        )
            .into_response()
    };
    if path.ends_with("/clean") {
        return json(serde_json::json!({ "ok": true }));
    }
    if path.ends_with("/gzip") {
        let mut r = (
            [("content-encoding", HeaderValue::from_static("gzip"))],
            vec![
                0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        )
            .into_response();
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("text/plain"));
        return r;
    }
    if path.ends_with("/header") {
        let mut r = json(serde_json::json!({ "ok": true }));
        for (i, (k, v)) in headers.iter().enumerate() {
            if k.as_str().starts_with("x-") || k == "authorization" {
                if let Ok(name) =
                    axum::http::HeaderName::from_bytes(format!("x-echo-{i}").as_bytes())
                {
                    r.headers_mut().insert(name, v.clone());
                }
            }
        }
        if let Some(q) = uri.query().and_then(|q| HeaderValue::from_str(q).ok()) {
            r.headers_mut().insert("x-echo-query", q);
        }
        return r;
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect();
    json(serde_json::json!({
        "method": method.as_str(),
        "target": uri.to_string(),
        "query": query,
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn install(dir: &std::path::Path, name: &str) -> Lanyard {
    let config = Config::new(dir.join(name), SecretStoreKind::Memory);
    let clock = Arc::new(FixedClock::at(SystemClock.now()));
    Lanyard::open_with(&config, clock, Some(Secrets::in_memory()))
        .await
        .expect("open")
}

/// A gateway (its router on a loopback port) over `l`.
async fn gateway(l: &Lanyard) -> String {
    let gateway = Gateway::new(l.clone(), LimitPolicy::default()).expect("gateway");
    crate::gateway_fetch::serve_gateway(gateway).await
}

/// `/v1/fetch` as `secret`: (status, code, headers and body as one text).
async fn fetch(
    gateway: &str,
    secret: &str,
    method: &str,
    url: &str,
    form: Option<&str>,
) -> (u16, String, String) {
    let q: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    let mut request = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client")
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            format!("{gateway}/v1/fetch?url={q}"),
        )
        .bearer_auth(secret);
    if let Some(form) = form {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: the gateway did not answer: {e}"));
    let status = response.status().as_u16();
    let mut all = String::new();
    for (k, v) in response.headers() {
        all.push_str(&format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes())));
    }
    let body = response.text().await.expect("body");
    all.push_str(&body);
    (status, crate::util::error_code(&body), all)
}

/// Every form a value sent here may come back in, for the assertions.
fn forms(value: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let json = serde_json::to_string(value).expect("json");
    vec![
        value.to_string(),
        form.clone(),
        form.replace('+', "%20"),
        json[1..json.len() - 1].to_string(),
        b64.encode(value),
    ]
}

fn leaks(text: &str) -> Vec<String> {
    let pair = format!("{USER}:{PASSWORD}");
    [PASSWORD, QUERY_VALUE, SHORT, SHARED, pair.as_str()]
        .iter()
        .flat_map(|v| forms(v))
        .filter(|f| text.contains(f.as_str()))
        .collect()
}

#[tokio::test]
async fn an_answer_reflecting_a_sent_value_in_any_form_is_refused_to_players() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, seen) = echo_upstream().await;
    let l = install(dir.path(), "bob").await;

    // The received token: alice shares a named-header token, bob accepts it.
    let alice = install(dir.path(), "alice").await;
    identity::rename(&alice, "alice").await.expect("name");
    identity::rename(&l, "bob").await.expect("name");
    let (a_card, b_card) = (
        identity::show(&alice).await.expect("card").card,
        identity::show(&l).await.expect("card").card,
    );
    contacts::add(&alice, &b_card, None)
        .await
        .expect("a adds b");
    contacts::add(&l, &a_card, None).await.expect("b adds a");
    let shared = token(
        &alice,
        &format!("{base}/shared"),
        "X-Shared-Key",
        Placement::NamedHeader,
        SHARED,
    )
    .await;
    let sent = inbox::send(&alice, &shared, "bob", None)
        .await
        .expect("send");
    let offer = inbox::import(&l, &sent.text).await.expect("import");
    let received = inbox::accept(&l, &offer.id).await.expect("accept").id;

    let ids = vec![
        token(
            &l,
            &format!("{base}/basic"),
            "username",
            Placement::Header,
            USER,
        )
        .await,
        token(
            &l,
            &format!("{base}/basic"),
            "password",
            Placement::Header,
            PASSWORD,
        )
        .await,
        token(
            &l,
            &format!("{base}/query"),
            "k",
            Placement::Form,
            QUERY_VALUE,
        )
        .await,
        token(
            &l,
            &format!("{base}/short"),
            "X-Short",
            Placement::NamedHeader,
            SHORT,
        )
        .await,
        received,
    ];
    let new = add_player(&l, "Lobby", None).await.expect("player");
    let (player, secret) = (new.player.id.clone(), new.secret.expose().to_string());
    for id in &ids {
        link_token(&l, &player, id).await.expect("link");
    }
    let gw = gateway(&l).await;

    for area in ["basic", "query", "short", "shared"] {
        // Ordinary data passes, asked for unencoded.
        let (status, code, text) =
            fetch(&gw, &secret, "GET", &format!("{base}/{area}/clean"), None).await;
        assert_eq!((status, code.as_str()), (200, ""), "{area}: {text}");
        assert_eq!(
            seen.lock()
                .expect("lock")
                .last()
                .cloned()
                .flatten()
                .as_deref(),
            Some("identity"),
            "{area}: a player's fetch asks for an unencoded answer"
        );
        // The request echoed as JSON (headers, query, target), and as response headers.
        for path in ["echo", "header"] {
            let url = format!("{base}/{area}/{path}?page=1");
            let (status, code, text) = fetch(&gw, &secret, "GET", &url, None).await;
            assert_eq!(
                (status, code.as_str()),
                (502, "reflected_credential"),
                "{area}/{path}: {text}"
            );
            assert_eq!(leaks(&text), Vec::<String>::new(), "{area}/{path}");
        }
        // A body the gateway cannot search is not passed on either.
        let (status, code, text) =
            fetch(&gw, &secret, "GET", &format!("{base}/{area}/gzip"), None).await;
        assert_eq!(
            (status, code.as_str()),
            (502, "reflected_credential"),
            "{area}: {text}"
        );
    }
    // The form token in a POST body, echoed back.
    let (status, code, text) = fetch(
        &gw,
        &secret,
        "POST",
        &format!("{base}/query/echo"),
        Some("a=1"),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (502, "reflected_credential"),
        "{text}"
    );
    assert_eq!(leaks(&text), Vec::<String>::new());

    // The preview as the player shows the answer, every form redacted, with a note.
    for area in ["basic", "query", "short", "shared"] {
        let report = preview_as(
            &l,
            &As::Player(player.clone()),
            PreviewRequest {
                url: format!("{base}/{area}/echo?page=1"),
                ..Default::default()
            },
            &Fixed(Answer::Deny),
            PreviewOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{area}: {e}"));
        assert_eq!(report.status, 200);
        let json = serde_json::to_string(&report).expect("json");
        assert_eq!(leaks(&json), Vec::<String>::new(), "{area}: {json}");
        assert!(json.contains("[redacted]"), "{area}");
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("reflected_credential")),
            "{area}: {:?}",
            report.notes
        );
    }
}

/// A name in /etc/hosts (not `localhost`, which is loopback by definition) that resolves
/// to a loopback address: `ip6-localhost` on Debian, the container's own names elsewhere.
fn loopback_name() -> (String, IpAddr) {
    let hosts = std::fs::read_to_string("/etc/hosts").expect("/etc/hosts");
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .filter_map(|l| {
            let mut fields = l.split_whitespace();
            let ip: IpAddr = fields.next()?.parse().ok()?;
            ip.is_loopback().then_some(())?;
            fields
                .find(|n| {
                    *n != "localhost"
                        && !n.ends_with(".localhost")
                        && !n.contains("localhost.localdomain")
                })
                .map(|n| (n.to_string(), ip))
        })
        .next()
        .unwrap_or_else(|| panic!("/etc/hosts names no loopback address but localhost:\n{hosts}"))
}

#[tokio::test]
async fn a_covered_name_resolving_to_loopback_is_refused_without_a_connection() {
    let (name, ip) = loopback_name();
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let l = install(dir.path(), "bob").await;
    let host = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    let by_name = token(
        &l,
        &format!("https://{name}:{port}/feed"),
        "k",
        Placement::Form,
        "CANARY-name",
    )
    .await;
    let literal = token(
        &l,
        &format!("https://{host}:{port}/feed"),
        "k",
        Placement::Form,
        "CANARY-ip",
    )
    .await;
    let new = add_player(&l, "Lobby", None).await.expect("player");
    let (player, secret) = (new.player.id.clone(), new.secret.expose().to_string());
    link_token(&l, &player, &by_name).await.expect("link");
    let gw = gateway(&l).await;

    let url = format!("https://{name}:{port}/feed/items");
    let (status, code, text) = fetch(&gw, &secret, "GET", &url, None).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "not_covered"),
        "{name} → {ip}: {text}"
    );
    assert!(text.contains("loopback"), "{text}");
    let err = preview_as(
        &l,
        &As::Player(player.clone()),
        PreviewRequest {
            url: url.clone(),
            ..Default::default()
        },
        &Fixed(Answer::Deny),
        PreviewOptions::default(),
    )
    .await
    .expect_err("the preview as the player is refused too");
    assert_eq!(err.code(), "not_covered");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "no connection to {ip} was opened"
    );

    // A prefix naming the address literally still reaches it (as the README says): the
    // connection is made (here the TLS handshake then fails: no server speaks it).
    link_token(&l, &player, &literal).await.expect("link");
    let (status, code, text) = fetch(
        &gw,
        &secret,
        "GET",
        &format!("https://{host}:{port}/feed/items"),
        None,
    )
    .await;
    assert_eq!((status, code.as_str()), (502, "request_failed"), "{text}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
