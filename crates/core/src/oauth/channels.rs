//! Listing, showing and disconnecting channels.

use serde::Serialize;

use super::channel::{keys, Channel};
use super::flow::client_secret_key;
use super::revoke::{revoke, Revocation};
use crate::error::Result;
use crate::instance::Lanyard;
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
    // Remove it here first, so nothing can use the channel while the provider is asked.
    l.store().delete_channel(id).await?;
    let revocation = match &refresh {
        Some(token) => {
            let secret = if provider.has_client_secret {
                l.secrets().get(&client_secret_key(&provider.id)).await?
            } else {
                None
            };
            match revoke(l.http(), &provider, secret.as_ref(), token, 3).await {
                // Not confirmed: kept (secret first) and asked again later.
                Revocation::Pending(why) => {
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
    l.broker().forget(id);
    let detail = format!("{:?}", revocation);
    l.store()
        .audit_now(
            l.clock().now(),
            &AuditEvent {
                principal_id: None,
                action: "disconnect",
                subject_kind: "channel",
                subject_id: id,
                outcome: "ok",
                detail: Some(&detail),
            },
        )
        .await?;
    let _ = channel;
    Ok(Disconnected {
        channel_id: id.to_string(),
        revocation,
        unlinked,
    })
}
