//! Unit tests of [`super::http`]: what a provider's answer becomes before `oauth2` reads it
//! (redirects, 5xx and 429 refused, bodies capped) and what error texts may show. A
//! one-connection HTTP server on 127.0.0.1 plays the provider.

use super::http::{client, host_of, read_capped, send, HttpError, MAX_BODY};

/// Answers one request with `head` (status line and headers, without the blank line)
/// and `body`; returns the base URL and the request it received.
pub(crate) async fn answer_once(
    head: &str,
    body: Vec<u8>,
) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let head = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut seen = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_string();
            let complete = text.find("\r\n\r\n").is_some_and(|end| {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                seen.len() >= end + 4 + length
            });
            if n == 0 || complete {
                break;
            }
        }
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(&body).await;
        let _ = stream.shutdown().await;
        String::from_utf8_lossy(&seen).to_string()
    });
    (base, task)
}

fn get(url: &str) -> oauth2::HttpRequest {
    http::Request::builder()
        .method("GET")
        .uri(url)
        .body(Vec::new())
        .expect("request")
}

#[tokio::test]
async fn a_redirect_is_refused_not_followed() {
    // Where the redirect points: it must never be asked.
    let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let target = format!("http://{}/steal", elsewhere.local_addr().expect("addr"));
    let (base, _server) = answer_once(
        &format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}"),
        vec![],
    )
    .await;
    let err = send(&client().expect("client"), get(&format!("{base}/token")))
        .await
        .expect_err("a redirect");
    assert!(matches!(err, HttpError::Redirect(307)), "{err:?}");
    let followed =
        tokio::time::timeout(std::time::Duration::from_millis(300), elsewhere.accept()).await;
    assert!(followed.is_err(), "the redirect was followed");
}

#[tokio::test]
async fn server_errors_and_429_are_unavailable_other_answers_are_read() {
    for (status, unavailable) in [
        (500, true),
        (503, true),
        (429, true),
        (400, false),
        (401, false),
    ] {
        let (base, _server) = answer_once(
            &format!("HTTP/1.1 {status} X\r\nContent-Type: application/json"),
            br#"{"error":"invalid_grant"}"#.to_vec(),
        )
        .await;
        let answer = send(&client().expect("client"), get(&base)).await;
        match answer {
            Err(HttpError::Unavailable(s)) => {
                assert!(unavailable, "{status} was called unavailable");
                assert_eq!(s, status);
            }
            Ok(response) => {
                assert!(!unavailable, "{status} was read as an OAuth answer");
                assert_eq!(response.status().as_u16(), status);
                assert_eq!(response.body(), br#"{"error":"invalid_grant"}"#);
            }
            Err(other) => panic!("{status}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_body_of_max_body_is_read_one_byte_more_is_refused() {
    let (base, _server) = answer_once("HTTP/1.1 200 OK", vec![b'a'; MAX_BODY]).await;
    let response = send(&client().expect("client"), get(&base))
        .await
        .expect("exactly the cap");
    assert_eq!(response.body().len(), MAX_BODY);

    let (base, _server) = answer_once("HTTP/1.1 200 OK", vec![b'a'; MAX_BODY + 1]).await;
    let err = send(&client().expect("client"), get(&base))
        .await
        .expect_err("over the cap");
    assert!(matches!(err, HttpError::TooLarge), "{err:?}");

    let (base, _server) = answer_once("HTTP/1.1 200 OK", vec![b'a'; MAX_BODY + 1]).await;
    let response = client()
        .expect("client")
        .get(&base)
        .send()
        .await
        .expect("get");
    assert!(matches!(
        read_capped(response).await,
        Err(HttpError::TooLarge)
    ));
}

#[tokio::test]
async fn a_transport_error_never_shows_the_url_or_its_query() {
    // A port nobody listens on (bound, then closed).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let err = send(
        &client().expect("client"),
        get(&format!(
            "http://127.0.0.1:{port}/token?code=CANARY-code&refresh_token=CANARY-rt"
        )),
    )
    .await
    .expect_err("nothing listens");
    let HttpError::Unreachable(text) = &err else {
        panic!("{err:?}")
    };
    assert!(text.starts_with("could not connect"), "{text}");
    assert!(
        !text.contains("CANARY") && !text.contains("/token"),
        "{text}"
    );
}

#[test]
fn host_of_names_host_and_port_never_path_or_query() {
    assert_eq!(
        host_of("https://login.example.com:8443/t/token?client_secret=CANARY"),
        "login.example.com:8443"
    );
    assert_eq!(
        host_of("https://login.example.com/token"),
        "login.example.com"
    );
    assert_eq!(host_of("not a url CANARY"), "the provider");
}
