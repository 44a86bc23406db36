//! The real authorization server for tests: `oidc-provider` (npm) started from
//! `tests/oauth-server/server.mjs` on 127.0.0.1 with an ephemeral port, plus the scripted
//! sign-in (no browser): the devInteractions login and consent forms driven over HTTP with
//! a cookie jar and redirects not followed.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

/// The client id registered in the test server.
pub const CLIENT_ID: &str = "lanyard-test";

/// A running server; killed on drop.
pub struct OauthServer {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub issuer: String,
}

impl OauthServer {
    /// Starts the server with the default native client and `access_ttl` seconds for
    /// access tokens.
    pub fn start(access_ttl: u64) -> OauthServer {
        Self::start_with(json!({ "accessTokenTtl": access_ttl }))
    }

    /// Starts the server with a config (see tests/oauth-server/README.md).
    pub fn start_with(config: Value) -> OauthServer {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oauth-server");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "run `npm --prefix tests/oauth-server ci` first (scripts/install-deps does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .env("OIDC_TEST_CONFIG", config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node tests/oauth-server/server.mjs");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("ready line");
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the OAuth server did not start ({e}): {line:?}"));
        let issuer = ready["issuer"].as_str().expect("issuer").to_string();
        OauthServer { child, issuer }
    }

    /// Asks the server (as the `introspector` client) whether `token` is active.
    pub async fn introspect(&self, token: &str) -> bool {
        let response: Value = reqwest::Client::new()
            .post(format!("{}/token/introspection", self.issuer))
            .basic_auth("introspector", Some("introspector-secret"))
            .form(&[("token", token)])
            .send()
            .await
            .expect("introspect")
            .json()
            .await
            .expect("json");
        response["active"].as_bool().expect("active")
    }
}

impl OauthServer {
    /// Token grants the server issued, by grant type (`refresh_token`, …), and `errors`.
    pub async fn counts(&self) -> Value {
        reqwest::get(format!("{}/test/counts", self.issuer))
            .await
            .expect("counts")
            .json()
            .await
            .expect("json")
    }

    /// Makes the token endpoint answer 503 (`down = true`) or work again.
    pub async fn set_token_endpoint_down(&self, down: bool) {
        let path = if down { "down" } else { "up" };
        let status = reqwest::Client::new()
            .post(format!("{}/test/{path}", self.issuer))
            .send()
            .await
            .expect("toggle")
            .status();
        assert!(status.is_success());
    }

    /// Holds every token request `ms` milliseconds before handling it (0: no delay).
    pub async fn set_token_delay(&self, ms: u64) {
        let status = reqwest::Client::new()
            .post(format!("{}/test/slow?ms={ms}", self.issuer))
            .send()
            .await
            .expect("toggle")
            .status();
        assert!(status.is_success());
    }

    /// Makes the revocation endpoint answer 503 (`down = true`) or work again.
    pub async fn set_revocation_down(&self, down: bool) {
        let path = if down {
            "revocation-down"
        } else {
            "revocation-up"
        };
        let status = reqwest::Client::new()
            .post(format!("{}/test/{path}", self.issuer))
            .send()
            .await
            .expect("toggle")
            .status();
        assert!(status.is_success());
    }

    /// Revokes a token at the provider (as the `introspector` client).
    pub async fn revoke(&self, token: &str) {
        let status = reqwest::Client::new()
            .post(format!("{}/token/revocation", self.issuer))
            .basic_auth("introspector", Some("introspector-secret"))
            .form(&[("token", token)])
            .send()
            .await
            .expect("revoke")
            .status();
        assert!(status.is_success(), "revocation answered {status}");
    }
}

impl Drop for OauthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the user does at the provider's consent screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Sign in and consent.
    Consent,
    /// Sign in, then cancel at the consent screen.
    Decline,
}

/// Adds `server` as a provider (by discovery, deep-link redirect) and connects alice's
/// account through it with a scripted sign-in. Returns the new channel's id.
pub async fn connect_alice(lanyard: &lanyard_core::Lanyard, server: &OauthServer) -> String {
    use lanyard_core::oauth::provider::{ProviderSpec, RedirectStyle};
    use lanyard_core::oauth::{flow, providers};
    let provider = providers::add(
        lanyard,
        ProviderSpec {
            discovery_url: Some(server.issuer.clone()),
            client_id: Some(CLIENT_ID.into()),
            redirect_style: Some(RedirectStyle::DeepLink),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("provider");
    let started = flow::begin(lanyard, &provider.id, None, flow::deep_link_redirect_uri())
        .await
        .expect("begin");
    let callback = sign_in(&started.authorization_url, "alice", Answer::Consent).await;
    flow::complete(lanyard, &callback)
        .await
        .expect("connect")
        .channel
        .id
}

/// Signs `user` in at `authorization_url` and returns the raw `Location` the provider
/// sent the browser to (the redirect URI with `code`, `state`, `iss`, or an `error`).
pub async fn sign_in(authorization_url: &str, user: &str, answer: Answer) -> String {
    sign_in_trusting(authorization_url, user, answer, None).await
}

/// [`sign_in`] against a server whose certificate `ca_pem` signed.
pub async fn sign_in_trusting(
    authorization_url: &str,
    user: &str,
    answer: Answer,
    ca_pem: Option<&std::path::Path>,
) -> String {
    let mut builder = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(ca) = ca_pem {
        let pem = std::fs::read(ca).expect("ca");
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"));
    }
    let client = builder.build().expect("client");
    let start = url::Url::parse(authorization_url).expect("authorization url");
    let mut next = start.clone();
    let mut logged_in = false;
    for _ in 0..10 {
        let response = if next.path().starts_with("/interaction/") {
            let form: Vec<(&str, &str)> = if !logged_in {
                logged_in = true;
                vec![("prompt", "login"), ("login", user), ("password", "x")]
            } else if answer == Answer::Decline {
                next = next
                    .join(&format!("{}/abort", next.path()))
                    .expect("abort url");
                let r = client.get(next.clone()).send().await.expect("abort");
                let location = location(&r);
                if !location.starts_with(start.origin().ascii_serialization().as_str())
                    && !location.starts_with('/')
                {
                    return location;
                }
                next = start.join(&location).expect("next");
                continue;
            } else {
                vec![("prompt", "consent")]
            };
            client
                .post(next.clone())
                .form(&form)
                .send()
                .await
                .expect("interaction")
        } else {
            client.get(next.clone()).send().await.expect("authorize")
        };
        assert!(
            response.status().is_redirection(),
            "the provider answered {} at {}",
            response.status(),
            next.path()
        );
        let location = location(&response);
        let own = location.starts_with('/')
            || location.starts_with(start.origin().ascii_serialization().as_str());
        if !own {
            return location;
        }
        next = start.join(&location).expect("next");
    }
    panic!("the sign-in did not finish");
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("location header")
        .to_str()
        .expect("ascii location")
        .to_string()
}

/// Replaces (or adds) one query parameter of a URL.
pub fn with_param(raw: &str, name: &str, value: &str) -> String {
    let mut url = url::Url::parse(raw).expect("url");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    url.to_string()
}

/// A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl CLI).
pub struct TestTls {
    /// The CA certificate (PEM), for `LANYARD_EXTRA_CA_FILE`.
    pub ca: PathBuf,
    /// The server certificate (PEM).
    pub cert: PathBuf,
    /// The server key (PEM).
    pub key: PathBuf,
}

impl TestTls {
    /// Makes the files in `dir`.
    pub fn create(dir: &std::path::Path) -> TestTls {
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=Lanyard Test CA",
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        run(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            dir.join("server.ext"),
            "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .expect("ext");
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        TestTls {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        }
    }
}
