//! `issue_grant(principal, channel)`: the check, the token, the audit record.

use serde::Serialize;

use super::refresh::access_token;
use super::{PendingAudit, MAX_GRANT_SECONDS};
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::store::principals::Access;

/// Short-lived access to a channel. It carries the provider access token (that is its
/// purpose) and never the refresh token. `Debug` redacts the token.
#[derive(Clone, Serialize)]
pub struct Grant {
    /// The principal it was issued to.
    pub principal_id: String,
    /// The channel.
    pub channel_id: String,
    /// The provider access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Come back for a new grant by then (≤ 15 minutes from issue).
    pub expires_at: i64,
    /// When the provider's token itself expires: it stays usable at the provider until
    /// then, even after the grant's `expires_at`.
    pub provider_expires_at: i64,
    /// Scopes.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("principal_id", &self.principal_id)
            .field("channel_id", &self.channel_id)
            .field("access_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("provider_expires_at", &self.provider_expires_at)
            .finish()
    }
}

fn denial(access: &Access, principal: &str, channel: &str) -> Option<Error> {
    Some(match access {
        Access::Allowed => return None,
        Access::UnknownPrincipal => {
            Error::UnknownPrincipal(format!("no player or license with id {principal:?}"))
        }
        Access::Inactive => Error::UnknownPrincipal(format!("{principal} is deactivated")),
        Access::UnknownChannel => Error::Revoked(format!(
            "channel {channel:?} does not exist (it may have been disconnected)"
        )),
        Access::NotLinked => {
            Error::NotLinked(format!("{principal} is not linked to channel {channel}"))
        }
        Access::NeedsReauth => Error::NeedsReauth(format!(
            "channel {channel} needs re-authorization before it can be used again"
        )),
        Access::Revoked => Error::Revoked(format!("channel {channel} is revoked")),
    })
}

/// Issues a grant, or says why not (`unknown_principal`, `not_linked`, `needs_reauth`,
/// `revoked`, `provider_unavailable`). Every outcome is audited.
pub async fn issue_grant(l: &Lanyard, principal_id: &str, channel_id: &str) -> Result<Grant> {
    let result = grant(l, principal_id, channel_id).await;
    l.broker().record(PendingAudit {
        at: l.clock().now(),
        principal_id: principal_id.to_string(),
        channel_id: channel_id.to_string(),
        outcome: if result.is_ok() { "ok" } else { "denied" },
        detail: result.as_ref().err().map(|e| e.code().to_string()),
    });
    result
}

async fn grant(l: &Lanyard, principal_id: &str, channel_id: &str) -> Result<Grant> {
    // Read the epoch before the database: a change committed after this read bumps it
    // again, so the decision cached below can never outlive it.
    let epoch = l.store().access_epoch();
    let access = match l.broker().cached_access(&epoch, principal_id, channel_id) {
        Some(access) => access,
        None => {
            let access = l.store().access(principal_id, channel_id).await?;
            l.broker()
                .remember_access(&epoch, principal_id, channel_id, access.clone());
            access
        }
    };
    if let Some(err) = denial(&access, principal_id, channel_id) {
        return Err(err);
    }
    let token = access_token(l, channel_id).await?;
    let now = l.clock().now();
    let expires_at = (now + MAX_GRANT_SECONDS).min(token.expires_at - token.skew());
    if expires_at <= now {
        return Err(Error::ProviderUnavailable(format!(
            "channel {channel_id}'s provider issues tokens too short-lived to lend out"
        )));
    }
    Ok(Grant {
        principal_id: principal_id.to_string(),
        channel_id: channel_id.to_string(),
        access_token: token.token.expose().to_string(),
        token_type: token.token_type.clone(),
        expires_at,
        provider_expires_at: token.expires_at,
        scopes: token.scopes.as_ref().clone(),
    })
}
