//! Who signed in: the account's subject and a label (e-mail, name), from a verified
//! id_token and/or the userinfo endpoint.
//!
//! The id_token comes straight from the token endpoint over TLS, so per OpenID Connect Core
//! §3.1.3.7 its signature need not be checked; its claims are: `iss` (the pinned issuer,
//! or for Microsoft's shared tenants the one its `tid` names, or with none pinned one on
//! the sign-in's own origin — never an arbitrary one), `aud` contains our client
//! id and, with several audiences, `azp` is our client id, `exp` in the future and `iat`
//! not in the future (two minutes of leeway each way for clock skew), and `nonce` equal
//! to the one we sent (Dropbox sends none; one that is present must match). When both
//! sources exist their subjects must agree; a userinfo endpoint that fails is fatal
//! except where the provider's userinfo cannot serve every token (Microsoft, see
//! [`super::quirks`]).

use base64::Engine;
use serde::Deserialize;

use super::http::{describe, host_of, read_capped};
use super::provider::Provider;
use super::quirks;
use super::tokens::sanitize;
use crate::error::{Error, Result};

/// The account that came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Stable subject at the provider.
    pub subject: String,
    /// What to show (e-mail, else name, else subject).
    pub label: String,
}

/// Clock skew tolerated on `exp` and `iat`.
pub const LEEWAY_SECONDS: i64 = 120;

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    iss: Option<String>,
    #[serde(default)]
    aud: Audience,
    azp: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    nonce: Option<String>,
    /// Microsoft: the tenant's GUID.
    tid: Option<String>,
    email: Option<String>,
    preferred_username: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl Audience {
    fn contains(&self, id: &str) -> bool {
        match self {
            Audience::One(a) => a == id,
            Audience::Many(all) => all.iter().any(|a| a == id),
            Audience::None => false,
        }
    }

    fn several(&self) -> bool {
        matches!(self, Audience::Many(all) if all.len() > 1)
    }
}

impl Claims {
    fn label(&self) -> Option<String> {
        self.email
            .clone()
            .or_else(|| self.preferred_username.clone())
            .or_else(|| self.name.clone())
            .map(|l| sanitize(&l))
            .filter(|l| !l.is_empty())
    }
}

/// Checks the id_token's claims; returns them.
fn verify_id_token(
    provider: &Provider,
    id_token: &str,
    nonce: Option<&str>,
    now: i64,
) -> Result<Claims> {
    let bad =
        |why: &str| Error::ProviderError(format!("{} sent an ID token that {why}", provider.name));
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or_else(|| bad("is malformed"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("is malformed"))?;
    let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| bad("is malformed"))?;
    if let Some(expected) = quirks::expected_issuer(provider, claims.tid.as_deref()) {
        let right = claims
            .iss
            .as_deref()
            .is_some_and(|iss| quirks::issuer_matches(provider, &expected, iss));
        if !right {
            return Err(bad("was issued by someone else (wrong issuer)"));
        }
    } else if !claims
        .iss
        .as_deref()
        .is_some_and(|iss| quirks::iss_on_login_origin(provider, iss))
    {
        // No issuer pinned: never an arbitrary one — it must be the sign-in's origin.
        return Err(bad("was issued by someone else (wrong issuer)"));
    }
    let client_id = provider.require_client_id()?;
    if !claims.aud.contains(client_id) {
        return Err(bad("is meant for another application (wrong audience)"));
    }
    if claims.aud.several() && claims.azp.as_deref() != Some(client_id) {
        return Err(bad(
            "names several audiences but not Lanyard's client as the one it was issued to (azp)",
        ));
    }
    match claims.exp {
        Some(exp) if exp + LEEWAY_SECONDS > now => {}
        Some(_) => return Err(bad("has expired")),
        None => return Err(bad("has no expiry")),
    }
    if claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECONDS) {
        return Err(bad(
            "was issued in the future (check this computer's clock)",
        ));
    }
    if let Some(expected) = nonce {
        match claims.nonce.as_deref() {
            Some(got) if got == expected => {}
            None if !quirks::requires_nonce(provider) => {}
            Some(_) => return Err(bad("does not answer this sign-in (nonce mismatch)")),
            None => return Err(bad("does not answer this sign-in (no nonce)")),
        }
    }
    Ok(claims)
}

async fn userinfo(
    http: &reqwest::Client,
    provider: &Provider,
    url: &str,
    token: &str,
) -> Result<Claims> {
    let host = host_of(url);
    let unavailable = |why: String| {
        Error::ProviderUnavailable(format!(
            "{}'s userinfo endpoint ({host}): {why}",
            provider.name
        ))
    };
    let by_post = quirks::userinfo_by_post(provider);
    let request = if by_post {
        http.post(url)
    } else {
        http.get(url)
    };
    let mut response = request
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| unavailable(describe(&e.without_url())))?;
    if !by_post && response.status().as_u16() == 405 {
        // Some providers answer userinfo only to POST (OpenID Connect Core §5.3.1 allows both).
        response = http
            .post(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unavailable(describe(&e.without_url())))?;
    }
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(unavailable(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(Error::ProviderError(format!(
            "{}'s userinfo endpoint ({host}) refused the new access token (HTTP {})",
            provider.name,
            status.as_u16()
        )));
    }
    let body = read_capped(response)
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    serde_json::from_slice(&body).map_err(|_| {
        Error::ProviderError(format!(
            "{}'s userinfo endpoint ({host}) answered something that is not JSON claims",
            provider.name
        ))
    })
}

/// Finds out which account signed in.
pub async fn account(
    http: &reqwest::Client,
    provider: &Provider,
    id_token: Option<&str>,
    access_token: &str,
    nonce: Option<&str>,
    now: i64,
) -> Result<Account> {
    let from_token = match id_token {
        Some(t) => Some(verify_id_token(provider, t, nonce, now)?),
        None if provider.is_openid() && nonce.is_some() => {
            return Err(Error::ProviderError(format!(
                "{} did not send an ID token for an OpenID sign-in",
                provider.name
            )))
        }
        None => None,
    };
    let from_userinfo = match &provider.userinfo_endpoint {
        Some(url) => match userinfo(http, provider, url, access_token).await {
            Ok(claims) => Some(claims),
            // The verified ID token already says who signed in.
            Err(err)
                if quirks::userinfo_optional(provider)
                    && from_token.as_ref().is_some_and(|t| t.sub.is_some()) =>
            {
                tracing::info!(provider = %provider.id, "userinfo failed, using the ID token: {err}");
                None
            }
            Err(err) => return Err(err),
        },
        None => None,
    };
    let subject = match (&from_token, &from_userinfo) {
        (Some(t), Some(u)) => {
            if t.sub.is_none() || t.sub != u.sub {
                return Err(Error::ProviderError(format!(
                    "{}'s ID token and userinfo name different accounts",
                    provider.name
                )));
            }
            t.sub.clone()
        }
        (Some(t), None) => t.sub.clone(),
        (None, Some(u)) => u.sub.clone(),
        (None, None) => None,
    };
    let subject = subject
        .map(|s| sanitize(&s))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::ProviderError(format!(
                "{} did not say which account signed in (no subject in an ID token or userinfo)",
                provider.name
            ))
        })?;
    let label = from_userinfo
        .as_ref()
        .and_then(Claims::label)
        .or_else(|| from_token.as_ref().and_then(Claims::label))
        .unwrap_or_else(|| subject.clone());
    Ok(Account { subject, label })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::provider::{test_provider, ProviderKind};
    use serde_json::{json, Value};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const NOW: i64 = 1_800_000_000;
    const TID: &str = "9122040d-6c67-4c5b-b112-36a304b66dad";

    fn provider(kind: ProviderKind, issuer: Option<&str>) -> Provider {
        let mut p = test_provider(kind);
        p.issuer = issuer.map(str::to_string);
        p
    }

    fn oidc() -> Provider {
        provider(ProviderKind::Oidc, Some("https://id.example.com"))
    }

    fn claims() -> Value {
        json!({
            "iss": "https://id.example.com", "sub": "alice-1", "aud": "client-1",
            "exp": NOW + 600, "iat": NOW, "nonce": "n-1", "email": "alice@example.com"
        })
    }

    fn jwt(claims: &Value) -> String {
        let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            enc(br#"{"alg":"RS256"}"#),
            enc(claims.to_string().as_bytes())
        )
    }

    fn with(mut c: Value, key: &str, value: Value) -> Value {
        if value.is_null() {
            c.as_object_mut().expect("obj").remove(key);
        } else {
            c[key] = value;
        }
        c
    }

    fn refusal(p: &Provider, c: &Value, nonce: Option<&str>) -> String {
        let err = verify_id_token(p, &jwt(c), nonce, NOW).expect_err("must be refused");
        assert_eq!(err.code(), "provider_error", "{err}");
        err.to_string()
    }

    #[test]
    fn a_good_id_token_is_accepted() {
        let c = verify_id_token(&oidc(), &jwt(&claims()), Some("n-1"), NOW).expect("ok");
        assert_eq!(c.sub.as_deref(), Some("alice-1"));
        assert_eq!(c.label().as_deref(), Some("alice@example.com"));
    }

    #[test]
    fn each_claim_is_refused_with_its_own_error() {
        let p = oidc();
        let cases: Vec<(Value, &str)> = vec![
            (
                with(claims(), "iss", json!("https://evil.example.com")),
                "wrong issuer",
            ),
            (with(claims(), "iss", Value::Null), "wrong issuer"),
            (
                with(claims(), "aud", json!("someone-else")),
                "wrong audience",
            ),
            (with(claims(), "aud", Value::Null), "wrong audience"),
            (
                with(claims(), "aud", json!(["client-1", "other"])),
                "several audiences",
            ),
            (
                with(
                    with(claims(), "aud", json!(["client-1", "other"])),
                    "azp",
                    json!("other"),
                ),
                "several audiences",
            ),
            (
                with(claims(), "exp", json!(NOW - LEEWAY_SECONDS - 1)),
                "has expired",
            ),
            (with(claims(), "exp", Value::Null), "no expiry"),
            (
                with(claims(), "iat", json!(NOW + LEEWAY_SECONDS + 5)),
                "in the future",
            ),
            (with(claims(), "nonce", json!("n-other")), "nonce mismatch"),
            (with(claims(), "nonce", Value::Null), "no nonce"),
        ];
        for (c, why) in cases {
            let message = refusal(&p, &c, Some("n-1"));
            assert!(message.contains(why), "{c}: {message} should say {why:?}");
        }
        assert!(refusal(&p, &json!("not an object"), None).contains("malformed"));
        let err = verify_id_token(&p, "no-dots", None, NOW).expect_err("malformed");
        assert!(err.to_string().contains("malformed"));
    }

    #[test]
    fn two_minutes_of_leeway_and_azp_with_several_audiences() {
        let p = oidc();
        let skewed = with(
            with(claims(), "exp", json!(NOW - 60)),
            "iat",
            json!(NOW + 60),
        );
        assert!(verify_id_token(&p, &jwt(&skewed), Some("n-1"), NOW).is_ok());
        let many = with(
            with(claims(), "aud", json!(["client-1", "api"])),
            "azp",
            json!("client-1"),
        );
        assert!(verify_id_token(&p, &jwt(&many), Some("n-1"), NOW).is_ok());
    }

    #[test]
    fn microsoft_checks_iss_against_tid_for_shared_tenants() {
        let p = provider(ProviderKind::Microsoft, None);
        let good = with(
            with(
                claims(),
                "iss",
                json!(format!("https://login.example.com/{TID}/v2.0")),
            ),
            "tid",
            json!(TID),
        );
        assert!(verify_id_token(&p, &jwt(&good), Some("n-1"), NOW).is_ok());
        let other_tenant = with(
            good.clone(),
            "tid",
            json!("00000000-0000-0000-0000-000000000001"),
        );
        assert!(refusal(&p, &other_tenant, Some("n-1")).contains("wrong issuer"));
        let no_tid = with(good.clone(), "tid", Value::Null);
        assert!(refusal(&p, &no_tid, Some("n-1")).contains("wrong issuer"));
        let pinned = provider(
            ProviderKind::Microsoft,
            Some("https://login.example.com/00000000-0000-0000-0000-000000000002/v2.0"),
        );
        assert!(refusal(&pinned, &good, Some("n-1")).contains("wrong issuer"));
    }

    #[test]
    fn google_issuer_forms_and_dropbox_without_nonce() {
        let g = provider(ProviderKind::Google, Some("https://accounts.google.com"));
        let bare = with(claims(), "iss", json!("accounts.google.com"));
        assert!(verify_id_token(&g, &jwt(&bare), Some("n-1"), NOW).is_ok());
        let full = with(claims(), "iss", json!("https://accounts.google.com"));
        assert!(verify_id_token(&g, &jwt(&full), Some("n-1"), NOW).is_ok());
        assert!(
            refusal(&g, &with(claims(), "iss", json!("evil.com")), Some("n-1"))
                .contains("wrong issuer")
        );

        let d = provider(ProviderKind::Dropbox, Some("https://id.example.com"));
        let none = with(claims(), "nonce", Value::Null);
        assert!(verify_id_token(&d, &jwt(&none), Some("n-1"), NOW).is_ok());
        assert!(
            refusal(&d, &with(claims(), "nonce", json!("x")), Some("n-1")).contains("mismatch")
        );
    }

    #[test]
    fn without_a_pinned_issuer_only_the_sign_in_origin_is_accepted() {
        // test_provider signs in at https://login.example.com and pins no issuer.
        let p = provider(ProviderKind::Custom, None);
        let own = with(claims(), "iss", json!("https://login.example.com/tenant"));
        assert!(verify_id_token(&p, &jwt(&own), Some("n-1"), NOW).is_ok());
        for iss in [
            json!("https://evil.example"),
            json!("https://login.example.com.evil.example"),
            json!("http://login.example.com"),
            json!("login.example.com"),
            Value::Null,
        ] {
            assert!(
                refusal(&p, &with(claims(), "iss", iss.clone()), Some("n-1"))
                    .contains("wrong issuer"),
                "{iss}"
            );
        }
    }

    /// A one-shot userinfo endpoint answering `status` with `body` to `method` (others 404).
    async fn userinfo_server(method: &'static str, status: u16, body: Value) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let (code, text) = if head.starts_with(method) {
                    (status, body.to_string())
                } else {
                    (404, String::new())
                };
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                            text.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            }
        });
        format!("http://127.0.0.1:{port}/userinfo")
    }

    #[tokio::test]
    async fn an_openid_sign_in_without_an_id_token_is_refused() {
        // A userinfo endpoint that would happily name an account: the missing ID token
        // (whose nonce ties the answer to this sign-in) still refuses the sign-in.
        let mut p = oidc();
        p.userinfo_endpoint = Some(userinfo_server("GET", 200, json!({"sub": "alice-1"})).await);
        assert!(p.is_openid());
        let http = reqwest::Client::new();
        let err = account(&http, &p, None, "at", Some("n-1"), NOW)
            .await
            .expect_err("no ID token");
        assert_eq!(err.code(), "provider_error");
        assert!(
            err.to_string().contains("did not send an ID token"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_userinfo_subject_different_from_the_id_token_is_refused() {
        let mut p = oidc();
        p.userinfo_endpoint = Some(userinfo_server("GET", 200, json!({"sub": "mallory"})).await);
        let http = reqwest::Client::new();
        let err = account(&http, &p, Some(&jwt(&claims())), "at", Some("n-1"), NOW)
            .await
            .expect_err("mismatch");
        assert!(err.to_string().contains("different accounts"), "{err}");
    }

    #[tokio::test]
    async fn dropbox_userinfo_is_posted_and_microsoft_survives_a_failing_userinfo() {
        let http = reqwest::Client::new();
        let mut d = provider(ProviderKind::Dropbox, None);
        d.userinfo_endpoint =
            Some(userinfo_server("POST", 200, json!({"sub": "dbid:1", "email": "a@d.com"})).await);
        let got = account(&http, &d, None, "at", None, NOW)
            .await
            .expect("posted");
        assert_eq!(got.label, "a@d.com");

        let mut m = provider(ProviderKind::Microsoft, None);
        m.userinfo_endpoint = Some(userinfo_server("GET", 401, json!({})).await);
        let token = with(
            with(
                claims(),
                "iss",
                json!(format!("https://login.example.com/{TID}/v2.0")),
            ),
            "tid",
            json!(TID),
        );
        let got = account(&http, &m, Some(&jwt(&token)), "at", Some("n-1"), NOW)
            .await
            .expect("the ID token is enough");
        assert_eq!(got.subject, "alice-1");
        // Elsewhere a failing userinfo still fails the sign-in.
        let mut o = oidc();
        o.userinfo_endpoint = m.userinfo_endpoint.clone();
        assert!(
            account(&http, &o, Some(&jwt(&claims())), "at", Some("n-1"), NOW)
                .await
                .is_err()
        );
    }
}
