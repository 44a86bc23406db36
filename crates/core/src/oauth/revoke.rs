//! RFC 7009 token revocation, best effort: a 503 (or other 5xx/429) means "try again" and
//! is retried a few times; what finally happened is reported, never hidden.

use std::time::Duration;

use serde::Serialize;

use super::http::describe;
use super::provider::Provider;
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

/// Revokes `refresh_token` at `provider`.
pub async fn revoke(
    http: &reqwest::Client,
    provider: &Provider,
    client_secret: Option<&SecretValue>,
    refresh_token: &SecretValue,
    attempts: u32,
) -> Revocation {
    let Some(endpoint) = &provider.revocation_endpoint else {
        return Revocation::NotSupported;
    };
    let Some(client_id) = provider.client_id.as_deref() else {
        return Revocation::Failed("the provider has no client id".into());
    };
    let mut delay = Duration::from_millis(300);
    let mut last = String::new();
    for attempt in 0..attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        let mut form = vec![
            ("token", refresh_token.expose()),
            ("token_type_hint", "refresh_token"),
        ];
        let mut request = http.post(endpoint);
        match client_secret {
            Some(secret) => request = request.basic_auth(client_id, Some(secret.expose())),
            None => form.push(("client_id", client_id)),
        }
        match request.form(&form).send().await {
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
