//! Who signed in: the account's subject and a label (e-mail, name), from a verified
//! id_token and/or the userinfo endpoint.
//!
//! The id_token comes straight from the token endpoint over TLS, so per OpenID Connect Core
//! §3.1.3.7 its signature need not be checked; its claims are: `iss` (when the provider's
//! issuer is pinned), `aud` contains our client id, `exp` in the future, and `nonce` equal
//! to the one we sent. When both sources exist their subjects must agree.

use base64::Engine;
use serde::Deserialize;

use super::http::{describe, host_of, read_capped};
use super::provider::Provider;
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

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    iss: Option<String>,
    #[serde(default)]
    aud: Audience,
    exp: Option<i64>,
    nonce: Option<String>,
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
    if let Some(issuer) = &provider.issuer {
        if claims.iss.as_deref() != Some(issuer.as_str()) {
            return Err(bad("was issued by someone else"));
        }
    }
    let client_id = provider.require_client_id()?;
    if !claims.aud.contains(client_id) {
        return Err(bad("is meant for another application"));
    }
    match claims.exp {
        Some(exp) if exp > now => {}
        _ => return Err(bad("has expired")),
    }
    if let Some(expected) = nonce {
        if claims.nonce.as_deref() != Some(expected) {
            return Err(bad("does not answer this sign-in (nonce mismatch)"));
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
    let mut response = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| unavailable(describe(&e.without_url())))?;
    if response.status().as_u16() == 405 {
        // Some providers (Dropbox) answer userinfo only to POST.
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
        Some(url) => Some(userinfo(http, provider, url, access_token).await?),
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
