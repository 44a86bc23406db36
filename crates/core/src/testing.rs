//! Fixtures shared by benches and other crates' tests (the `testing` feature; never in a
//! release build). Store and broker fixtures live next to what they set up
//! (`store::testing`, `broker::testing`).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The body [`json_upstream`] answers with.
pub const UPSTREAM_BODY: &[u8] = br#"{"temperature":21.5,"unit":"C"}"#;

/// A minimal HTTP/1.1 data endpoint on 127.0.0.1 that answers every request on a kept-alive
/// connection with `200` and [`UPSTREAM_BODY`], as fast as it can: the baseline a bench
/// measures Lanyard's own cost against. Returns its origin (`http://127.0.0.1:PORT`).
pub async fn json_upstream() -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let Ok(n) = s.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        UPSTREAM_BODY.len()
                    );
                    if s.write_all(head.as_bytes()).await.is_err()
                        || s.write_all(UPSTREAM_BODY).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}
