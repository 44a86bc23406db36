//! Listing, showing and disconnecting channels.

use serde::Serialize;

use super::channel::{keys, Channel};
use super::flow::client_secret_key;
use super::provider::ProviderKind;
use super::quirks::resource_for;
use super::revoke::{advice, revoke, Revocation};
use crate::error::Result;
use crate::instance::Lanyard;
use crate::secrets::SecretValue;
use crate::store::audit::AuditEvent;

/// Every channel.
pub async fn list(l: &Lanyard) -> Result<Vec<Channel>> {
    l.store().channels().await
}

/// One channel.
pub async fn show(l: &Lanyard, id: &str) -> Result<Channel> {
    l.store().channel(id).await
}

/// What disconnecting did.
#[derive(Debug, Clone, Serialize)]
pub struct Disconnected {
    /// The channel that is gone.
    pub channel_id: String,
    /// What the provider said about revoking the refresh token.
    pub revocation: Revocation,
    /// What the user can still do at the provider, when revocation did not happen there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// Principals that lost access.
    pub unlinked: Vec<String>,
}

/// Disconnects a channel: revokes at the provider (best effort), deletes its secrets, its
/// links and the row. The next grant for it fails at once.
pub async fn disconnect(l: &Lanyard, id: &str) -> Result<Disconnected> {
    let channel = l.store().channel(id).await?;
    let provider = l.store().provider(&channel.provider_id).await?;
    let unlinked = l.store().links_of_channel(id).await?;
    let refresh = l.secrets().get(&keys::refresh(id)).await?;
    // Dropbox revokes by access token: get a live one (refreshing if need be) while the
    // channel still exists. Failing that, the stored one is tried.
    let access = if provider.kind == ProviderKind::Dropbox && provider.revocation_endpoint.is_some()
    {
        match crate::broker::refresh::access_token(l, id).await {
            Ok(t) => Some(SecretValue::new(t.token.expose())),
            Err(_) => l.secrets().get(&keys::access(id)).await?,
        }
    } else {
        None
    };
    // Remove it here first, so nothing can use the channel while the provider is asked.
    l.store().delete_channel(id).await?;
    let revocation = match &refresh {
        Some(token) => {
            let secret = if provider.has_client_secret {
                l.secrets().get(&client_secret_key(&provider.id)).await?
            } else {
                None
            };
            let answer = revoke(
                l.http(),
                &provider,
                secret.as_ref(),
                token,
                access.as_ref(),
                3,
            )
            .await;
            match answer {
                // Not confirmed: kept (secret first) and asked again later — by RFC 7009,
                // so not for Dropbox, which revokes by an access token this channel no
                // longer has once it is gone.
                Revocation::Pending(why) if provider.kind != ProviderKind::Dropbox => {
                    super::revocations::remember(l, id, &provider.id, token).await?;
                    Revocation::Pending(format!("{why}; Lanyard will ask again later"))
                }
                other => other,
            }
        }
        None => Revocation::Failed("no refresh token was stored for this channel".into()),
    };
    l.secrets().delete(&keys::refresh(id)).await?;
    l.secrets().delete(&keys::access(id)).await?;
    for base in &provider.api_base_urls {
        if let Some(resource) = resource_for(&provider, base) {
            l.secrets()
                .delete(&keys::resource_access(id, &resource))
                .await?;
        }
    }
    l.broker().forget(id);
    let detail = format!("{:?}", revocation);
    l.store()
        .audit_now(
            l.clock().now(),
            &AuditEvent {
                principal_id: None,
                action: crate::store::audit::AuditAction::Disconnect,
                subject_kind: crate::store::audit::AuditSubject::Channel,
                subject_id: id,
                outcome: crate::store::audit::AuditOutcome::Ok,
                detail: Some(&detail),
            },
        )
        .await?;
    let _ = channel;
    Ok(Disconnected {
        channel_id: id.to_string(),
        advice: advice(&provider, &revocation),
        revocation,
        unlinked,
    })
}
