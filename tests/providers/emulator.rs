//! An emulator of Microsoft's identity platform (with Graph and one SharePoint site),
//! Google's OAuth 2.0 for desktop apps, and Dropbox's OAuth + OpenID, on 127.0.0.1,
//! written from each provider's documentation and known client issues — not a
//! spec-perfect server. The paths are the real ones, so a template pointed here with
//! `--authority` keeps its own paths. Each behaviour names its source where it lives.
//!
//! The CLI runs as a child process and blocks the test thread while it waits: tests use
//! the multi-thread runtime so the emulator keeps answering.
//!
//! The test plays the browser: [`Emulator::authorize`] asks the authorization endpoint as
//! a browser would and returns the `Location` it is sent to (or the error page's status).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

/// Which provider the emulator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Microsoft,
    Google,
    Dropbox,
    /// An OpenID provider with the quirks any provider may have: lifetimes as numeric
    /// strings (Azure AD v1, NetSuite; oauth2-rs #151/#320), `client_secret_post` only,
    /// an ID token issued 90 s "in the future" by a skewed clock with two audiences and
    /// `azp`, and a refresh token only at a user's first consent.
    Generic,
}

/// A user who can sign in.
#[derive(Debug, Clone)]
pub struct User {
    pub sub: String,
    pub email: String,
    /// Microsoft: the user's home tenant GUID.
    pub tid: String,
}

/// The tenant GUID of `contoso.onmicrosoft.com` in the emulator.
pub const CONTOSO_TID: &str = "3f0e7d5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
/// The Microsoft client id registered in the emulator.
pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
/// Google's client secret for the registered desktop client.
pub const GOOGLE_SECRET: &str = "GOCSPX-emulated-secret";

#[derive(Debug, Clone)]
struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    user: User,
    scope: String,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    user: User,
    active: bool,
}

#[derive(Debug, Clone)]
struct AccessGrant {
    user: User,
    /// The origin (resource) the token is for.
    audience: String,
    expires_at: i64,
    refresh: String,
}

/// What the emulator does and has seen; tests change and read it.
#[derive(Debug)]
pub struct Config {
    /// Redirect URIs registered for the client (how they match is the provider's rule).
    pub redirects: Vec<String>,
    /// The browser's signed-in account (Microsoft reuses it unless asked to choose).
    pub session: Option<User>,
    /// Who picks their account when asked (or signs in first).
    pub next_user: User,
    /// Access token lifetime, seconds.
    pub access_ttl: i64,
    /// The next refresh is answered with this OAuth error.
    pub refresh_error: Option<String>,
    /// Google sends `iss` in the callback to some users only.
    pub google_iss_in_callback: bool,
    /// Google ID tokens with `iss` without its scheme (`accounts.google.com`).
    pub google_bare_iss: bool,
    /// Microsoft: users of this tenant may not consent to apps (admin consent given).
    pub users_may_consent: bool,
    /// Google: users (by `sub`) who already consented to this client before (another
    /// computer, an earlier installation). Google issues a refresh token only at consent:
    /// the first one, or any authorization with `prompt=consent` ("Refreshing an access
    /// token (offline access)", Google Identity docs: "the refresh token is only returned
    /// the first time … use prompt=consent").
    pub google_consented: Vec<String>,
    /// Microsoft: an ID token whose `iss` names another tenant than its `tid`.
    pub forge_tenant: bool,
    /// Every authorization request's query, in order.
    pub authorize_queries: Vec<HashMap<String, String>>,
    /// Token requests by grant type.
    pub token_calls: HashMap<String, u32>,
    /// Requests to a path that answered 404/405.
    pub misses: Vec<String>,
    /// Revocations received.
    pub revocations: u32,
}

struct Inner {
    kind: Kind,
    origin: String,
    sharepoint: Mutex<String>,
    config: Mutex<Config>,
    codes: Mutex<HashMap<String, CodeGrant>>,
    refresh: Mutex<HashMap<String, RefreshGrant>>,
    access: Mutex<HashMap<String, AccessGrant>>,
    counter: Mutex<u64>,
}

/// A running emulator (its tasks end with the test's runtime).
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
    /// `http://127.0.0.1:<port>`: give it to `--authority`.
    pub origin: String,
    /// Microsoft only: a SharePoint site (another resource) `http://127.0.0.1:<port>`.
    pub sharepoint: String,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn jwt(claims: &Value) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(br#"{"alg":"RS256","typ":"JWT","kid":"emulated"}"#),
        enc(claims.to_string().as_bytes())
    )
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

impl Emulator {
    /// Starts an emulator of `kind` with `redirects` registered for its client.
    pub async fn start(kind: Kind, redirects: &[&str]) -> Emulator {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let alice = User {
            sub: "AAAAAAAAAAAAAAAAAAAAAK-alice".into(),
            email: "alice@contoso.com".into(),
            tid: CONTOSO_TID.into(),
        };
        let inner = Arc::new(Inner {
            kind,
            origin: origin.clone(),
            sharepoint: Mutex::new(String::new()),
            config: Mutex::new(Config {
                redirects: redirects.iter().map(|r| r.to_string()).collect(),
                session: None,
                next_user: alice,
                access_ttl: 3600,
                refresh_error: None,
                google_iss_in_callback: false,
                google_bare_iss: false,
                users_may_consent: false,
                google_consented: vec![],
                forge_tenant: false,
                authorize_queries: vec![],
                token_calls: HashMap::new(),
                misses: vec![],
                revocations: 0,
            }),
            codes: Mutex::default(),
            refresh: Mutex::default(),
            access: Mutex::default(),
            counter: Mutex::new(0),
        });
        let router = match kind {
            Kind::Microsoft => Router::new()
                .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
                .route("/{tenant}/oauth2/v2.0/token", post(token))
                .route(
                    "/{tenant}/v2.0/.well-known/openid-configuration",
                    get(ms_discovery),
                )
                // graph.microsoft.com, behind the same authority.
                .route("/oidc/userinfo", get(userinfo))
                .route("/v1.0/me", get(data)),
            Kind::Google => Router::new()
                .route("/o/oauth2/v2/auth", get(authorize))
                .route("/token", post(token))
                .route("/revoke", post(google_revoke))
                .route("/v1/userinfo", get(userinfo))
                .route("/drive/v3/files", get(data)),
            Kind::Dropbox => Router::new()
                .route("/oauth2/authorize", get(authorize))
                .route("/oauth2/token", post(token))
                // Dropbox: userinfo is POST only; a GET is answered 404 (issue 15).
                .route("/2/openid/userinfo", post(userinfo))
                .route("/2/auth/token/revoke", post(dropbox_revoke))
                .route("/2/files/list_folder", post(data)),
            Kind::Generic => Router::new()
                .route("/.well-known/openid-configuration", get(generic_discovery))
                .route("/authorize", get(authorize))
                .route("/token", post(token))
                .route("/userinfo", get(userinfo))
                .route("/api/feed", get(data)),
        }
        .fallback(miss)
        .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        let sharepoint = if kind == Kind::Microsoft {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let sp = format!("http://{}", listener.local_addr().expect("addr"));
            *inner.sharepoint.lock().expect("lock") = sp.clone();
            let router = Router::new()
                .route("/_api/web", get(data))
                .fallback(miss)
                .with_state(inner.clone());
            tokio::spawn(async move {
                let _ = axum::serve(listener, router).await;
            });
            sp
        } else {
            String::new()
        };
        Emulator {
            inner,
            origin,
            sharepoint,
        }
    }

    /// Changes the emulator's behaviour.
    pub fn set(&self, f: impl FnOnce(&mut Config)) {
        f(&mut self.inner.config.lock().expect("lock"));
    }

    /// Reads what it has seen.
    pub fn read<T>(&self, f: impl FnOnce(&Config) -> T) -> T {
        f(&self.inner.config.lock().expect("lock"))
    }

    /// Token requests of one grant type so far.
    pub fn calls(&self, grant_type: &str) -> u32 {
        self.read(|c| c.token_calls.get(grant_type).copied().unwrap_or(0))
    }

    /// Whether a refresh token the emulator issued still works.
    pub fn refresh_active(&self, token: &str) -> bool {
        self.inner
            .refresh
            .lock()
            .expect("lock")
            .get(token)
            .is_some_and(|g| g.active)
    }

    /// Every refresh token it issued.
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.inner
            .refresh
            .lock()
            .expect("lock")
            .keys()
            .cloned()
            .collect()
    }

    /// Every access token it issued.
    pub fn access_tokens(&self) -> Vec<String> {
        self.inner
            .access
            .lock()
            .expect("lock")
            .keys()
            .cloned()
            .collect()
    }

    /// Plays the browser at `authorization_url`: returns the redirect it is sent to, or
    /// the error page's status and text.
    pub async fn authorize(&self, authorization_url: &str) -> Result<String, (u16, String)> {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(authorization_url)
            .send()
            .await
            .expect("authorize");
        let status = response.status().as_u16();
        if status == 302 {
            let location = response
                .headers()
                .get("location")
                .expect("location")
                .to_str()
                .expect("ascii")
                .to_string();
            return Ok(location);
        }
        Err((status, response.text().await.unwrap_or_default()))
    }
}

fn expected_client(kind: Kind) -> &'static str {
    match kind {
        Kind::Google => "g-client.apps.googleusercontent.com",
        Kind::Dropbox => "dropbox-app-key",
        Kind::Microsoft => CLIENT_ID,
        Kind::Generic => "generic-client",
    }
}

/// The generic provider's client secret (sent in the form body only).
pub const GENERIC_SECRET: &str = "generic-secret";

fn next(inner: &Inner, prefix: &str) -> String {
    let mut n = inner.counter.lock().expect("lock");
    *n += 1;
    format!("{prefix}{:x}{}", *n, uuid_like())
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos:08x}")
}

async fn miss(State(inner): State<Arc<Inner>>, uri: axum::http::Uri) -> Response {
    inner
        .config
        .lock()
        .expect("lock")
        .misses
        .push(uri.path().to_string());
    StatusCode::NOT_FOUND.into_response()
}

/// Whether `redirect_uri` is registered, by the provider's own matching rule.
fn redirect_registered(kind: Kind, registered: &[String], redirect_uri: &str) -> bool {
    let Ok(wanted) = url::Url::parse(redirect_uri) else {
        return false;
    };
    let loopback = wanted.scheme() == "http" && wanted.host_str() == Some("127.0.0.1");
    match kind {
        // Entra: for loopback redirect URIs the port is ignored ("Redirect URI
        // restrictions": "http://127.0.0.1:{port}" matches "http://127.0.0.1").
        Kind::Microsoft if loopback => registered.iter().any(|r| {
            url::Url::parse(r).is_ok_and(|r| {
                r.scheme() == "http"
                    && r.host_str() == Some("127.0.0.1")
                    && r.path() == wanted.path()
            })
        }),
        // Entra matches custom schemes exactly; its portal only accepts `scheme://…`.
        Kind::Microsoft => registered.iter().any(|r| r == redirect_uri),
        // Google desktop-app clients: loopback IP redirects on any port; custom URI
        // schemes are not allowed for desktop clients ("OAuth 2.0 for iOS & desktop
        // apps", loopback IP address option).
        Kind::Google => loopback,
        // Dropbox: "redirect_uri … must exactly match one of the redirect URIs
        // registered", port included (OAuth guide).
        Kind::Dropbox => registered.iter().any(|r| r == redirect_uri),
        Kind::Generic => loopback || registered.iter().any(|r| r == redirect_uri),
    }
}

async fn authorize(
    State(inner): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut config = inner.config.lock().expect("lock");
    config.authorize_queries.push(q.clone());
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
    if client_id != expected_client(inner.kind) {
        return (StatusCode::BAD_REQUEST, "unknown client").into_response();
    }
    if !redirect_registered(inner.kind, &config.redirects, &redirect_uri) {
        // Every provider shows an error page instead of redirecting to an unknown URI.
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch: the redirect URI is not registered",
        )
            .into_response();
    }
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return (StatusCode::BAD_REQUEST, "PKCE S256 required").into_response();
    }
    if inner.kind == Kind::Microsoft
        && q.get("prompt").map(String::as_str) == Some("consent")
        && !config.users_may_consent
    {
        // "Unexpected consent prompt when signing in to an application": prompt=consent
        // asks the user to consent, which this tenant forbids — an error page (AADSTS90094),
        // even though an admin consented for everyone.
        return (
            StatusCode::BAD_REQUEST,
            "AADSTS90094: Need admin approval. Lanyard needs permission to access \
             resources in your organization that only an admin can grant.",
        )
            .into_response();
    }
    let user = match (
        inner.kind,
        q.get("prompt").map(String::as_str),
        &config.session,
    ) {
        // Microsoft reuses the browser's signed-in account unless told to let the user
        // choose (prompt=select_account) — or hinted at one (login_hint).
        (Kind::Microsoft, Some("select_account"), _) | (Kind::Microsoft, _, None) => {
            config.next_user.clone()
        }
        (Kind::Microsoft, _, Some(session)) => match q.get("login_hint") {
            Some(hint) if *hint == config.next_user.email => config.next_user.clone(),
            _ => session.clone(),
        },
        _ => config.next_user.clone(),
    };
    config.session = Some(user.clone());
    let code = next(&inner, "code-");
    let scope = q.get("scope").cloned().unwrap_or_default();
    inner.codes.lock().expect("lock").insert(
        code.clone(),
        CodeGrant {
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge: q.get("code_challenge").cloned().unwrap_or_default(),
            nonce: q.get("nonce").cloned(),
            user,
            scope: scope.clone(),
        },
    );
    let state = q.get("state").cloned().unwrap_or_default();
    let mut back = url::Url::parse(&redirect_uri).expect("registered redirect");
    {
        let mut pairs = back.query_pairs_mut();
        match inner.kind {
            Kind::Microsoft => {
                // Entra adds session_state and sends no iss (no RFC 9207).
                pairs.append_pair("code", &code);
                pairs.append_pair("state", &state);
                pairs.append_pair("session_state", "5b1a2c3d-emulated");
            }
            Kind::Google => {
                // Google: state first, then code, the granted scopes as full URLs,
                // authuser and prompt; `iss` for some users only.
                pairs.append_pair("state", &state);
                if config.google_iss_in_callback {
                    pairs.append_pair("iss", &inner.origin);
                }
                pairs.append_pair("code", &code);
                pairs.append_pair(
                    "scope",
                    "email openid https://www.googleapis.com/auth/userinfo.email",
                );
                pairs.append_pair("authuser", "0");
                pairs.append_pair("prompt", "consent");
            }
            Kind::Dropbox | Kind::Generic => {
                pairs.append_pair("code", &code);
                pairs.append_pair("state", &state);
            }
        }
    }
    let mut response = StatusCode::FOUND.into_response();
    response
        .headers_mut()
        .insert("location", back.as_str().parse().expect("location header"));
    response
}

/// The client's credentials: HTTP Basic or the form body.
fn client_auth(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (String, Option<String>, bool) {
    if let Some(basic) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let (id, secret) = decoded.split_once(':').unwrap_or((&decoded, ""));
        return (id.to_string(), Some(secret.to_string()), true);
    }
    (
        form.get("client_id").cloned().unwrap_or_default(),
        form.get("client_secret").cloned(),
        false,
    )
}

fn challenge_of(verifier: &str) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

fn id_token(
    inner: &Inner,
    config: &Config,
    user: &User,
    client_id: &str,
    nonce: Option<&str>,
) -> String {
    let now = now();
    let mut claims = json!({
        "sub": user.sub, "aud": client_id, "iat": now, "nbf": now, "exp": now + 3600,
        "email": user.email,
    });
    match inner.kind {
        Kind::Microsoft => {
            // ID token claims reference: iss names the tenant's GUID, tid the same GUID.
            let tenant = if config.forge_tenant {
                "00000000-0000-0000-0000-0000000000aa"
            } else {
                user.tid.as_str()
            };
            claims["iss"] = json!(format!("{}/{tenant}/v2.0", inner.origin));
            claims["tid"] = json!(user.tid);
            claims["preferred_username"] = json!(user.email);
            claims["ver"] = json!("2.0");
        }
        Kind::Google => {
            // "Validating an ID token": iss is https://accounts.google.com or
            // accounts.google.com.
            let iss = if config.google_bare_iss {
                inner.origin.trim_start_matches("http://").to_string()
            } else {
                inner.origin.clone()
            };
            claims["iss"] = json!(iss);
            claims["azp"] = json!(client_id);
            claims["email_verified"] = json!(true);
        }
        Kind::Dropbox => {
            // Dropbox's ID token carries no nonce.
            claims["iss"] = json!(inner.origin);
        }
        Kind::Generic => {
            // A clock 90 s ahead, and a token for two audiences naming us in azp.
            claims["iss"] = json!(inner.origin);
            claims["iat"] = json!(now + 90);
            claims["nbf"] = json!(now + 90);
            claims["aud"] = json!([client_id, "https://api.example.com"]);
            claims["azp"] = json!(client_id);
        }
    }
    if inner.kind != Kind::Dropbox {
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
    }
    jwt(&claims)
}

fn issue_access(inner: &Inner, user: &User, audience: &str, ttl: i64, refresh: &str) -> String {
    let token = next(inner, "at-");
    inner.access.lock().expect("lock").insert(
        token.clone(),
        AccessGrant {
            user: user.clone(),
            audience: audience.to_string(),
            expires_at: now() + ttl,
            refresh: refresh.to_string(),
        },
    );
    token
}

async fn token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    let (client_id, secret, basic) = client_auth(&headers, &form);
    {
        let mut config = inner.config.lock().expect("lock");
        *config.token_calls.entry(grant_type.clone()).or_default() += 1;
    }
    if client_id != expected_client(inner.kind) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
    }
    match inner.kind {
        // Google: a desktop-app client sends its secret even with PKCE ("OAuth 2.0 for
        // iOS & desktop apps", step 5: client_secret is required).
        Kind::Google if secret.as_deref() != Some(GOOGLE_SECRET) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_secret is missing.",
            )
        }
        // Entra: a public client (mobile and desktop platform) must not send a secret.
        // client_secret_post only: HTTP Basic is refused.
        Kind::Generic if basic || secret.as_deref() != Some(GENERIC_SECRET) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication by client_secret_post only",
            )
        }
        Kind::Microsoft if secret.is_some() || basic => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "AADSTS700025: Client is public so neither 'client_assertion' nor \
                 'client_secret' should be presented.",
            )
        }
        _ => {}
    }
    let config = inner.config.lock().expect("lock");
    let ttl = config.access_ttl;
    let graph = inner.origin.clone();
    match grant_type.as_str() {
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(grant) = inner.codes.lock().expect("lock").remove(&code) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            if grant.client_id != client_id
                || form.get("redirect_uri") != Some(&grant.redirect_uri)
                || challenge_of(&verifier) != grant.challenge
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code mismatch");
            }
            let offline = match inner.kind {
                Kind::Microsoft => grant.scope.split(' ').any(|s| s == "offline_access"),
                Kind::Google => {
                    let query = config.authorize_queries.last();
                    let asked =
                        |k: &str, v: &str| query.and_then(|q| q.get(k)).is_some_and(|a| a == v);
                    // A refresh token only at consent: the user's first, or one asked for.
                    let first_consent = !config.google_consented.contains(&grant.user.sub)
                        && !inner
                            .refresh
                            .lock()
                            .expect("lock")
                            .values()
                            .any(|g| g.user.sub == grant.user.sub);
                    asked("access_type", "offline") && (asked("prompt", "consent") || first_consent)
                }
                Kind::Dropbox => config
                    .authorize_queries
                    .last()
                    .and_then(|q| q.get("token_access_type"))
                    .is_some_and(|a| a == "offline"),
                // A refresh token at a user's first consent only.
                Kind::Generic => !inner
                    .refresh
                    .lock()
                    .expect("lock")
                    .values()
                    .any(|g| g.user.sub == grant.user.sub),
            };
            let refresh = offline.then(|| next(&inner, "rt-"));
            if let Some(r) = &refresh {
                inner.refresh.lock().expect("lock").insert(
                    r.clone(),
                    RefreshGrant {
                        user: grant.user.clone(),
                        active: true,
                    },
                );
            }
            let access = issue_access(
                &inner,
                &grant.user,
                &graph,
                ttl,
                refresh.as_deref().unwrap_or(""),
            );
            let mut body = json!({
                "access_token": access, "token_type": "Bearer", "expires_in": ttl,
                "id_token": id_token(&inner, &config, &grant.user, &client_id, grant.nonce.as_deref()),
            });
            if let Some(r) = refresh {
                body["refresh_token"] = json!(r);
            }
            match inner.kind {
                Kind::Microsoft => {
                    body["scope"] = json!("openid profile email User.Read");
                    body["ext_expires_in"] = json!(ttl);
                }
                Kind::Google => {
                    body["scope"] = json!("https://www.googleapis.com/auth/userinfo.email openid");
                }
                Kind::Generic => {
                    body["expires_in"] = json!(ttl.to_string());
                    body["refresh_token_expires_in"] = json!("7776000");
                }
                Kind::Dropbox => {
                    // Dropbox: lower-case token type, uid and account_id.
                    body["token_type"] = json!("bearer");
                    body["scope"] = json!("account_info.read email openid");
                    body["uid"] = json!("12345");
                    body["account_id"] = json!(format!("dbid:{}", grant.user.sub));
                }
            }
            Json(body).into_response()
        }
        "refresh_token" => {
            drop(config);
            let mut config = inner.config.lock().expect("lock");
            if let Some(error) = config.refresh_error.clone() {
                if error != "temporarily_unavailable" {
                    config.refresh_error = None;
                }
                // Entra answers MFA / Conditional Access with interaction_required.
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    &error,
                    "AADSTS50076: Due to a configuration change made by your administrator, \
                     or because you moved to a new location, you must use multi-factor \
                     authentication.",
                );
            }
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let Some(rg) = inner
                .refresh
                .lock()
                .expect("lock")
                .get(&presented)
                .cloned()
                .filter(|g| g.active)
            else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "refresh token revoked",
                );
            };
            let scope = form.get("scope").cloned().unwrap_or_default();
            let audience = match scope.split(' ').find(|s| s.ends_with("/.default")) {
                Some(resource) if inner.kind == Kind::Microsoft => {
                    resource.trim_end_matches("/.default").to_string()
                }
                _ => graph.clone(),
            };
            let mut body = json!({ "token_type": "Bearer", "expires_in": config.access_ttl });
            let rotated = match inner.kind {
                // Entra: "Refresh tokens replace themselves with a fresh token upon every
                // use"; the old one stays valid until it expires.
                Kind::Microsoft => {
                    let r = next(&inner, "rt-");
                    inner.refresh.lock().expect("lock").insert(
                        r.clone(),
                        RefreshGrant {
                            user: rg.user.clone(),
                            active: true,
                        },
                    );
                    body["refresh_token"] = json!(r);
                    body["scope"] = json!(if audience == graph {
                        "openid profile email User.Read".to_string()
                    } else {
                        format!("{audience}/AllSites.Read")
                    });
                    r
                }
                // Google and Dropbox keep the refresh token and send none back.
                _ => presented.clone(),
            };
            body["access_token"] = json!(issue_access(
                &inner,
                &rg.user,
                &audience,
                config.access_ttl,
                &rotated
            ));
            if inner.kind == Kind::Dropbox {
                body["token_type"] = json!("bearer");
            }
            if inner.kind == Kind::Generic {
                body["expires_in"] = json!(config.access_ttl.to_string());
            }
            Json(body).into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "no"),
    }
}

async fn generic_discovery(State(inner): State<Arc<Inner>>) -> Response {
    let o = &inner.origin;
    Json(json!({
        "issuer": o,
        "authorization_endpoint": format!("{o}/authorize"),
        "token_endpoint": format!("{o}/token"),
        "userinfo_endpoint": format!("{o}/userinfo"),
        "scopes_supported": ["openid", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

async fn ms_discovery(State(inner): State<Arc<Inner>>, Path(tenant): Path<String>) -> Response {
    // Entra's per-tenant document names the tenant's GUID in `issuer`, whether the
    // tenant was given as a domain or a GUID.
    let guid = match tenant.as_str() {
        "contoso.onmicrosoft.com" | CONTOSO_TID => CONTOSO_TID,
        "common" | "organizations" => "{tenantid}",
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    let o = &inner.origin;
    Json(json!({
        "issuer": format!("{o}/{guid}/v2.0"),
        "authorization_endpoint": format!("{o}/{tenant}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{o}/{tenant}/oauth2/v2.0/token"),
        "userinfo_endpoint": format!("{o}/oidc/userinfo"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }))
    .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
}

fn live_token(inner: &Inner, headers: &HeaderMap, audience: &str) -> Option<AccessGrant> {
    let token = bearer(headers)?;
    let grant = inner.access.lock().expect("lock").get(&token).cloned()?;
    let refresh_alive = grant.refresh.is_empty()
        || inner
            .refresh
            .lock()
            .expect("lock")
            .get(&grant.refresh)
            .is_some_and(|r| r.active);
    (grant.audience == audience && grant.expires_at > now() && refresh_alive).then_some(grant)
}

async fn userinfo(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    // Microsoft's userinfo is on Graph: a token for another resource gets 401.
    let Some(grant) = live_token(&inner, &headers, &inner.origin) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    Json(json!({ "sub": grant.user.sub, "email": grant.user.email, "name": "Alice" }))
        .into_response()
}

async fn data(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let audience = if uri.path() == "/_api/web" {
        inner.sharepoint.lock().expect("lock").clone()
    } else {
        inner.origin.clone()
    };
    match live_token(&inner, &headers, &audience) {
        Some(grant) => {
            Json(json!({ "for": grant.user.email, "resource": audience })).into_response()
        }
        None => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is not for this resource, expired or revoked",
        ),
    }
}

/// Google's revocation endpoint: the token in the form; revoking a refresh token ends it.
async fn google_revoke(
    State(inner): State<Arc<Inner>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    inner.config.lock().expect("lock").revocations += 1;
    let token = form.get("token").cloned().unwrap_or_default();
    match inner.refresh.lock().expect("lock").get_mut(&token) {
        Some(g) => {
            g.active = false;
            StatusCode::OK.into_response()
        }
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        ),
    }
}

/// Dropbox's `/2/auth/token/revoke`: no arguments, the access token as Bearer; it
/// disables the refresh token it came from too.
async fn dropbox_revoke(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    inner.config.lock().expect("lock").revocations += 1;
    let Some(grant) = live_token(&inner, &headers, &inner.origin) else {
        return (StatusCode::UNAUTHORIZED, "invalid_access_token").into_response();
    };
    if let Some(r) = inner.refresh.lock().expect("lock").get_mut(&grant.refresh) {
        r.active = false;
    }
    Json(Value::Null).into_response()
}
