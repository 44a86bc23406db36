//! Revocations the provider did not confirm are asked for again, not forgotten.
//!
//! Disconnecting removes a channel at once; revoking its refresh token at the provider is
//! best effort (RFC 7009). When the provider keeps answering "unavailable" (5xx, 429) or
//! cannot be reached, the outcome is `pending`: the token would stay usable at the
//! provider until it expires. So [`remember`] keeps it in the secret store under
//! `revocation/<channel id>/refresh` (the secret first, then the `pending_revocation`
//! row), and [`retry_due`] — called by the long-running processes (the app's and the
//! gateway's background tasks) — asks again when due: after the provider's `Retry-After`
//! (seconds or an HTTP date) when it sent one, else after a backoff doubling from one
//! minute to a day. A confirmed, refused or unsupported revocation, a provider removed
//! meanwhile, or a week without success ends it: the token is deleted, then the row.

use std::time::Duration;

use super::flow::client_secret_key;
use super::http::describe;
use super::provider::Provider;
use super::revoke::Revocation;
use crate::error::Result;
use crate::instance::Lanyard;
use crate::secrets::SecretValue;
use crate::store::audit::AuditEvent;
use crate::store::revocations::PendingRevocation;

/// The first retry, when the provider named no time.
pub const FIRST_RETRY: i64 = 60;
/// The longest wait between retries.
pub const MAX_RETRY: i64 = 86_400;
/// After this long without a confirmation the token is dropped (the outcome stays
/// `pending` in the audit log).
pub const GIVE_UP_AFTER: i64 = 7 * 86_400;

/// The secret store key of a token waiting for its revocation.
pub fn key(channel_id: &str) -> String {
    format!("revocation/{channel_id}/refresh")
}

/// Keeps `token` of the disconnected `channel_id` for a later revocation.
pub async fn remember(
    l: &Lanyard,
    channel_id: &str,
    provider_id: &str,
    token: &SecretValue,
) -> Result<()> {
    l.secrets()
        .set(&key(channel_id), SecretValue::new(token.expose()))
        .await?;
    let now = l.clock().now();
    l.store()
        .insert_pending_revocation(&PendingRevocation {
            channel_id: channel_id.into(),
            provider_id: provider_id.into(),
            created_at: now,
            next_at: now + FIRST_RETRY,
            attempts: 0,
        })
        .await
}

/// Asks again for every revocation that is due; returns what each provider said.
pub async fn retry_due(l: &Lanyard) -> Result<Vec<(String, Revocation)>> {
    let now = l.clock().now();
    let mut outcomes = Vec::new();
    for due in l.store().due_revocations(now).await? {
        let provider = l.store().provider(&due.provider_id).await.ok();
        let token = l.secrets().get(&key(&due.channel_id)).await?;
        let (Some(provider), Some(token)) = (provider, token) else {
            forget(l, &due.channel_id).await?;
            continue;
        };
        let secret = if provider.has_client_secret {
            l.secrets().get(&client_secret_key(&provider.id)).await?
        } else {
            None
        };
        let (outcome, retry_after) =
            attempt(l.http(), &provider, secret.as_ref(), &token, now).await;
        let give_up = now - due.created_at >= GIVE_UP_AFTER;
        match &outcome {
            Revocation::Pending(_) if !give_up => {
                let backoff = (FIRST_RETRY << (due.attempts + 1).min(20)).min(MAX_RETRY);
                let wait = retry_after.map_or(backoff, |s| s.clamp(1, MAX_RETRY));
                l.store()
                    .insert_pending_revocation(&PendingRevocation {
                        next_at: now + wait,
                        attempts: due.attempts + 1,
                        ..due.clone()
                    })
                    .await?;
            }
            _ => forget(l, &due.channel_id).await?,
        }
        let detail = format!("revocation asked again: {outcome:?}");
        l.store()
            .audit_now(
                now,
                &AuditEvent {
                    principal_id: None,
                    action: crate::store::audit::AuditAction::Disconnect,
                    subject_kind: crate::store::audit::AuditSubject::Channel,
                    subject_id: &due.channel_id,
                    outcome: match outcome {
                        Revocation::Revoked => crate::store::audit::AuditOutcome::Revoked,
                        Revocation::Pending(_) => crate::store::audit::AuditOutcome::Pending,
                        _ => crate::store::audit::AuditOutcome::Failed,
                    },
                    detail: Some(&detail),
                },
            )
            .await?;
        outcomes.push((due.channel_id, outcome));
    }
    Ok(outcomes)
}

/// Deletes the kept token, then the row.
async fn forget(l: &Lanyard, channel_id: &str) -> Result<()> {
    l.secrets().delete(&key(channel_id)).await?;
    l.store().delete_pending_revocation(channel_id).await
}

/// One RFC 7009 request; also returns the seconds the provider asked to wait.
async fn attempt(
    http: &reqwest::Client,
    provider: &Provider,
    client_secret: Option<&SecretValue>,
    token: &SecretValue,
    now: i64,
) -> (Revocation, Option<i64>) {
    let Some(endpoint) = &provider.revocation_endpoint else {
        return (Revocation::NotSupported, None);
    };
    let Some(client_id) = provider.client_id.as_deref() else {
        return (
            Revocation::Failed("the provider has no client id".into()),
            None,
        );
    };
    let request = super::revoke::rfc7009(http, endpoint, client_id, client_secret, token)
        .timeout(Duration::from_secs(30));
    match request.send().await {
        Ok(r) if r.status().is_success() => (Revocation::Revoked, None),
        Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
            let wait = r
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, now));
            let why = format!("HTTP {}", r.status().as_u16());
            (pending(provider, &why), wait)
        }
        Ok(r) => (
            Revocation::Failed(format!(
                "{} refused the revocation (HTTP {})",
                provider.name,
                r.status().as_u16()
            )),
            None,
        ),
        Err(e) => (pending(provider, &describe(&e.without_url())), None),
    }
}

fn pending(provider: &Provider, why: &str) -> Revocation {
    Revocation::Pending(format!(
        "{} did not confirm the revocation ({why}); Lanyard will ask again later",
        provider.name
    ))
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP date.
fn retry_after(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(seconds.max(0));
    }
    let format = time::format_description::well_known::Rfc2822;
    let at = time::OffsetDateTime::parse(&value.replace("GMT", "+0000"), &format).ok()?;
    Some((at.unix_timestamp() - now).max(0))
}

#[cfg(test)]
mod tests {
    use super::retry_after;

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        assert_eq!(retry_after("120", 0), Some(120));
        assert_eq!(retry_after(" 0 ", 0), Some(0));
        // Thu, 01 Jan 2026 00:02:00 GMT is 120 s after 1767225600.
        assert_eq!(
            retry_after("Thu, 01 Jan 2026 00:02:00 GMT", 1_767_225_600),
            Some(120)
        );
        assert_eq!(retry_after("soon", 0), None);
    }
}
