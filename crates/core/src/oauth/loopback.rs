//! The loopback redirect (RFC 8252 §7.3): a listener on 127.0.0.1 with an ephemeral port
//! that takes one callback request — on `/callback`, carrying the sign-in's `state` — and
//! closes. Anything else (a browser's favicon, a stale tab's answer, another local
//! process guessing) gets a 400 and does not end it: the listener waits for the right
//! answer until its timeout. The page shown never echoes the request.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// Longest request head read.
const MAX_HEAD: usize = 8 * 1024;

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Lanyard</title>\
<p style=\"font:16px system-ui;margin:3em\">Lanyard received the answer. \
You can close this tab and return to Lanyard.</p>";

/// A bound, not yet answered, loopback listener.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
    /// SHA-256 of the `state` the answer must carry, once known.
    state: Option<[u8; 32]>,
}

fn digest(state: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(state.as_bytes()).into()
}

const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

impl LoopbackListener {
    /// Binds 127.0.0.1 on an ephemeral port.
    pub async fn bind() -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::io("could not listen on 127.0.0.1", &e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("could not read the listening port", &e))?
            .port();
        Ok(LoopbackListener {
            listener,
            port,
            state: None,
        })
    }

    /// Binds 127.0.0.1 on a fixed port, for providers that match the redirect URI
    /// exactly, port included (Dropbox). A busy port is a clear error.
    pub async fn bind_port(port: u16) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                Error::AuthorizationFailed(format!(
                    "port {port} on 127.0.0.1 is in use by another program, and this provider \
                     only accepts the redirect URI registered with that port \
                     (http://127.0.0.1:{port}/callback): close that program, or register another \
                     port and add the provider again with --loopback-port"
                ))
            } else {
                Error::io(&format!("could not listen on 127.0.0.1:{port}"), &e)
            }
        })?;
        Ok(LoopbackListener {
            listener,
            port,
            state: None,
        })
    }

    /// The redirect URI to register in the authorization request.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Accepts only an answer carrying `state` (the sign-in's). Compared by digest, so the
    /// comparison's timing says nothing about the state.
    pub fn expect_state(&mut self, state: &str) {
        self.state = Some(digest(state));
    }

    fn carries_state(&self, target: &str) -> bool {
        let Some(expected) = self.state else {
            return true;
        };
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let mut states = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "state")
            .map(|(_, v)| digest(&v));
        matches!((states.next(), states.next()), (Some(got), None) if got == expected)
    }

    /// Waits for the callback request and returns its full URL; closes the listener.
    pub async fn wait(self, timeout: Duration) -> Result<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let (mut stream, _) = match accepted {
                Err(_) => {
                    return Err(Error::AuthorizationFailed(format!(
                        "no answer came back from the browser within {} s; start again",
                        timeout.as_secs()
                    )))
                }
                Ok(Err(e)) => return Err(Error::io("the loopback listener failed", &e)),
                Ok(Ok(conn)) => conn,
            };
            let head =
                match tokio::time::timeout(Duration::from_secs(10), read_head(&mut stream)).await {
                    Ok(Ok(head)) => head,
                    _ => continue,
                };
            let target = head
                .lines()
                .next()
                .and_then(|line| {
                    let mut parts = line.split(' ');
                    match (parts.next(), parts.next()) {
                        (Some("GET"), Some(target)) => Some(target.to_string()),
                        _ => None,
                    }
                })
                .unwrap_or_default();
            let path = target.split('?').next().unwrap_or_default();
            if path != "/callback" || !self.carries_state(&target) {
                let _ = stream.write_all(BAD_REQUEST).await;
                let _ = stream.shutdown().await;
                continue;
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
                 Connection: close\r\n\r\n{DONE_PAGE}",
                DONE_PAGE.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
            return Ok(format!("http://127.0.0.1:{}{target}", self.port));
        }
    }
}

async fn read_head(stream: &mut tokio::net::TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() + n > MAX_HEAD {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(port: u16, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        out
    }

    #[tokio::test]
    async fn takes_one_callback_and_ignores_other_paths() {
        let listener = LoopbackListener::bind().await.expect("bind");
        let port = listener.port;
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{port}/callback")
        );
        let waiter = tokio::spawn(listener.wait(Duration::from_secs(5)));
        assert!(get(port, "/favicon.ico").await.starts_with("HTTP/1.1 400"));
        let page = get(port, "/callback?code=CANARY&state=s").await;
        assert!(page.starts_with("HTTP/1.1 200"));
        assert!(
            !page.contains("CANARY"),
            "the page must not echo the request"
        );
        let url = waiter.await.expect("join").expect("callback");
        assert_eq!(
            url,
            format!("http://127.0.0.1:{port}/callback?code=CANARY&state=s")
        );
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err(),
            "still open"
        );
    }

    #[tokio::test]
    async fn a_fixed_port_that_is_busy_is_a_clear_error() {
        let taken = LoopbackListener::bind().await.expect("bind");
        let err = LoopbackListener::bind_port(taken.port)
            .await
            .expect_err("busy");
        assert_eq!(err.code(), "authorization_failed");
        assert!(err.to_string().contains(&taken.port.to_string()), "{err}");
        drop(taken);
    }

    #[tokio::test]
    async fn a_wrong_state_or_path_gets_400_and_the_listener_keeps_waiting() {
        let mut listener = LoopbackListener::bind().await.expect("bind");
        listener.expect_state("right-state");
        let port = listener.port;
        let waiter = tokio::spawn(listener.wait(Duration::from_secs(5)));
        for wrong in [
            "/callback?code=c&state=wrong-state",
            "/callback?code=c",
            "/callback?code=c&state=right-state&state=wrong-state",
            "/other?code=c&state=right-state",
        ] {
            let answer = get(port, wrong).await;
            assert!(answer.starts_with("HTTP/1.1 400"), "{wrong}: {answer}");
        }
        assert!(!waiter.is_finished(), "a wrong answer ended the wait");
        let page = get(port, "/callback?code=c&state=right-state").await;
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        let url = waiter.await.expect("join").expect("callback");
        assert!(url.ends_with("/callback?code=c&state=right-state"), "{url}");
    }

    #[tokio::test]
    async fn times_out_with_a_clear_error() {
        let listener = LoopbackListener::bind().await.expect("bind");
        let err = listener
            .wait(Duration::from_millis(50))
            .await
            .expect_err("timeout");
        assert_eq!(err.code(), "authorization_failed");
    }
}
