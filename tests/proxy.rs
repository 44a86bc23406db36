//! Proxies (issue 17): a request that carries a token over plain http (a loopback preview,
//! a loopback token endpoint) never goes through the proxy in `HTTP_PROXY`; https requests
//! go through `HTTPS_PROXY` unless `NO_PROXY` names their host. A recording proxy tells.

use std::sync::{Arc, Mutex};

use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::local_server::{Canned, LocalServer};
use crate::oauth_server::{connect_alice, OauthServer};
use crate::util::{lanyard_for, stdout_json};

const CANARY: &str = "CANARY-proxy-7d1f";

/// A proxy that records each request's first line and answers 502.
struct RecordingProxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    async fn start() -> RecordingProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                    log.lock().expect("log").push(head);
                    let _ = stream
                        .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        RecordingProxy { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("log").clone()
    }
}

fn cli(l: &Lanyard, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = lanyard_for(l);
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied())
        .args(["--secret-store", "file", "--json"])
        .args(args)
        .output()
        .expect("run lanyard")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_over_plain_http_never_reach_a_proxy_and_https_honours_https_proxy() {
    let proxy = RecordingProxy::start().await;
    let server = OauthServer::start(3600);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
    let l = Lanyard::open(&config).await.expect("open");
    let channel = connect_alice(&l, &server).await;
    let data = LocalServer::start().await;
    data.route("/feed", Canned::ok("application/json", "{}"));
    let prefix = format!("{}/feed", data.base);
    lanyard_core::urltokens::tokens::add(
        &l,
        lanyard_core::urltokens::tokens::NewToken {
            prefix: prefix.clone(),
            key: "token".into(),
            placement: lanyard_core::urltokens::Placement::Header,
            requires_permission: false,
            prompt: false,
            value: Some(lanyard_core::secrets::SecretValue::new(CANARY)),
        },
    )
    .await
    .expect("token");
    let everywhere = [
        ("HTTP_PROXY", proxy.url.as_str()),
        ("http_proxy", proxy.url.as_str()),
        ("ALL_PROXY", proxy.url.as_str()),
    ];

    // A loopback preview carrying a URL token: straight to the server.
    let out = cli(&l, &everywhere, &["preview", &prefix]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stdout_json(&out)["status"], 200);
    // A refresh at a loopback token endpoint: straight to it too.
    sqlx::query("UPDATE channel SET access_token_expires_at = 0 WHERE id = $1")
        .bind(&channel)
        .execute(l.store().pool())
        .await
        .expect("expire");
    let out = cli(
        &l,
        &everywhere,
        &["grant", "--license", "--channel", &channel],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        proxy.seen().is_empty(),
        "through the proxy: {:?}",
        proxy.seen()
    );
    assert_eq!(data.seen.lock().expect("seen").len(), 1);

    // https goes through HTTPS_PROXY (the proxy sees only the CONNECT)…
    let https = [("HTTPS_PROXY", proxy.url.as_str())];
    let out = cli(
        &l,
        &https,
        &["preview", "https://lanyard-proxy-test.invalid/feed"],
    );
    assert!(!out.status.success());
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("CONNECT lanyard-proxy-test.invalid:443 "),
        "{seen:?}"
    );
    // …unless NO_PROXY names the host.
    let bypass = [
        ("HTTPS_PROXY", proxy.url.as_str()),
        ("NO_PROXY", "lanyard-proxy-test.invalid"),
    ];
    let out = cli(
        &l,
        &bypass,
        &["preview", "https://lanyard-proxy-test.invalid/feed"],
    );
    assert!(!out.status.success());
    assert_eq!(
        proxy.seen().len(),
        1,
        "NO_PROXY ignored: {:?}",
        proxy.seen()
    );
    assert!(!proxy.seen().concat().contains(CANARY));
}
