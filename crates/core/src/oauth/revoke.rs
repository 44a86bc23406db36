//! Token revocation, best effort: a 503 (or other 5xx/429) means "try again" and is
//! retried a few times; what finally happened is reported, never hidden.
//!
//! RFC 7009 (the refresh token in a form) for most providers; Dropbox's own
//! `POST /2/auth/token/revoke` with the access token as Bearer, which disables the refresh
//! token too (Dropbox HTTP API documentation, auth/token/revoke). Microsoft has no
//! revocation endpoint ([`advice`] says what the user can do instead).

use std::time::Duration;

use serde::Serialize;

use super::http::describe;
use super::provider::{Provider, ProviderKind};
use crate::secrets::SecretValue;

/// What revocation at the provider achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Revocation {
    /// The provider confirmed.
    Revoked,
    /// The provider has no revocation endpoint.
    NotSupported,
    /// The provider kept answering "unavailable"; the token may stay valid at the provider
    /// until it expires.
    Pending(String),
    /// The provider refused or could not be reached.
    Failed(String),
}

/// What the user can do when revocation did not happen at the provider.
pub fn advice(provider: &Provider, revocation: &Revocation) -> Option<String> {
    match (revocation, provider.kind) {
        (Revocation::Revoked, _) => None,
        (Revocation::NotSupported, ProviderKind::Microsoft) => Some(
            "Microsoft has no way for an app to revoke its tokens: Lanyard forgot them, but \
             Microsoft keeps the refresh token valid for up to 90 days. To end it now, remove \
             Lanyard from the account's apps (work or school: myapps.microsoft.com → your \
             apps; personal: account.live.com/consent/Manage), or ask your administrator to \
             revoke your sessions."
                .into(),
        ),
        (Revocation::NotSupported, _) => Some(format!(
            "{} offers no revocation: Lanyard forgot the tokens; remove Lanyard's access in \
             your {} account settings to end them at the provider before they expire.",
            provider.name, provider.name
        )),
        (Revocation::Pending(_) | Revocation::Failed(_), _) => Some(format!(
            "Lanyard forgot the tokens; remove Lanyard's access in your {} account settings \
             to be sure they end at the provider.",
            provider.name
        )),
    }
}

/// Revokes a channel's tokens at `provider`: the refresh token (RFC 7009), or for Dropbox
/// the access token (`access_token`), which ends the refresh token too.
pub async fn revoke(
    http: &reqwest::Client,
    provider: &Provider,
    client_secret: Option<&SecretValue>,
    refresh_token: &SecretValue,
    access_token: Option<&SecretValue>,
    attempts: u32,
) -> Revocation {
    let Some(endpoint) = &provider.revocation_endpoint else {
        return Revocation::NotSupported;
    };
    if provider.kind == ProviderKind::Dropbox {
        return match access_token {
            Some(token) => dropbox(http, provider, endpoint, token, attempts).await,
            None => Revocation::Failed(
                "no usable access token to revoke with (Dropbox revokes by access token)".into(),
            ),
        };
    }
    let Some(client_id) = provider.client_id.as_deref() else {
        return Revocation::Failed("the provider has no client id".into());
    };
    retrying(provider, attempts, || {
        rfc7009(http, endpoint, client_id, client_secret, refresh_token)
    })
    .await
}

/// An RFC 7009 request revoking the refresh token `token` (HTTP Basic with a client
/// secret, else the client id in the form).
pub(crate) fn rfc7009(
    http: &reqwest::Client,
    endpoint: &str,
    client_id: &str,
    client_secret: Option<&SecretValue>,
    token: &SecretValue,
) -> reqwest::RequestBuilder {
    let mut form = vec![
        ("token", token.expose()),
        ("token_type_hint", "refresh_token"),
    ];
    let mut request = http.post(endpoint);
    match client_secret {
        Some(secret) => request = request.basic_auth(client_id, Some(secret.expose())),
        None => form.push(("client_id", client_id)),
    }
    request.form(&form)
}

/// Dropbox: `POST /2/auth/token/revoke`, no arguments, the access token as Bearer.
async fn dropbox(
    http: &reqwest::Client,
    provider: &Provider,
    endpoint: &str,
    access_token: &SecretValue,
    attempts: u32,
) -> Revocation {
    retrying(provider, attempts, || {
        http.post(endpoint).bearer_auth(access_token.expose())
    })
    .await
}

/// Sends the request `make` builds until the provider confirms, refuses, or `attempts`
/// answers said "unavailable" (5xx/429) or never came (backing off 300 ms, doubling).
async fn retrying(
    provider: &Provider,
    attempts: u32,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Revocation {
    let mut delay = Duration::from_millis(300);
    let mut last = String::new();
    for attempt in 0..attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        match make().send().await {
            Ok(r) if r.status().is_success() => return Revocation::Revoked,
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                last = format!("HTTP {}", r.status().as_u16());
            }
            Ok(r) => {
                return Revocation::Failed(format!(
                    "{} refused the revocation (HTTP {})",
                    provider.name,
                    r.status().as_u16()
                ))
            }
            Err(e) => last = describe(&e.without_url()),
        }
    }
    Revocation::Pending(format!(
        "{} did not confirm the revocation ({last}); the token stays usable at the provider \
         until it expires",
        provider.name
    ))
}
