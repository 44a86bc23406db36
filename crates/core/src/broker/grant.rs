//! `issue_grant(principal, channel)`: the check, the token, the audit record.

use serde::Serialize;

use super::refresh::{cached_token, refreshed_token};
use super::{PendingAudit, MAX_GRANT_SECONDS};
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::oauth::provider::ProviderKind;
use crate::oauth::quirks::resource_for;
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
    /// The origin the token is for, when the provider's tokens are for one resource each
    /// (Microsoft): send it only there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
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
    issue_grant_for(l, principal_id, channel_id, None).await
}

/// [`issue_grant`] for the data at `url`, which one of the channel's API bases must
/// cover: the token is the one for that URL's resource (Microsoft mints one per resource;
/// see [`crate::oauth::quirks::resource_for`]).
pub async fn issue_grant_for(
    l: &Lanyard,
    principal_id: &str,
    channel_id: &str,
    url: Option<&str>,
) -> Result<Grant> {
    issue_grant_at(l, &l.store().access_epoch(), principal_id, channel_id, url).await
}

/// [`issue_grant_for`] under the access epoch `epoch`, which the caller read at the start
/// of its operation, before anything else (a fetch passes the one it built its snapshot
/// under): one epoch read per operation, and a change committed before it still denies.
pub(crate) async fn issue_grant_at(
    l: &Lanyard,
    epoch: &[u8; 16],
    principal_id: &str,
    channel_id: &str,
    url: Option<&str>,
) -> Result<Grant> {
    let now = l.clock().now();
    let result = grant(l, epoch, now, principal_id, channel_id, url).await;
    l.broker().record(PendingAudit {
        at: now,
        principal_id: principal_id.to_string(),
        channel_id: channel_id.to_string(),
        outcome: if result.is_ok() {
            crate::store::audit::AuditOutcome::Ok
        } else {
            crate::store::audit::AuditOutcome::Denied
        },
        detail: result.as_ref().err().map(|e| e.code().to_string()),
    });
    result
}

/// The resource a grant for `url` on `channel_id` is for, and the origin its token may
/// go to (`None` when the provider's tokens cover every API base).
async fn resource_of(
    l: &Lanyard,
    channel_id: &str,
    url: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    let channel = l.store().channel(channel_id).await?;
    let provider = l.store().provider(&channel.provider_id).await?;
    if provider.kind != ProviderKind::Microsoft {
        return Ok((None, None));
    }
    let primary = provider
        .api_base_urls
        .first()
        .and_then(|b| url::Url::parse(b).ok())
        .map(|u| u.origin().ascii_serialization());
    let Some(url) = url else {
        return Ok((None, None));
    };
    let parsed = url::Url::parse(url).map_err(|_| Error::invalid("the URL is not valid"))?;
    let target = crate::fetch::target::Target::of(&parsed);
    if !provider
        .api_base_urls
        .iter()
        .any(|b| crate::fetch::target::covers(b, &target))
    {
        return Err(Error::invalid(format!(
            "{url} is not under one of this channel's API bases ({})",
            provider.api_base_urls.join(", ")
        )));
    }
    let resource = resource_for(&provider, url);
    let audience = resource.clone().or(primary);
    Ok((resource, audience))
}

/// The grant itself. `now`: the clock read once at the start, used while everything comes
/// from the caches; read again only after a refresh (which may take seconds).
async fn grant(
    l: &Lanyard,
    epoch: &[u8; 16],
    now: i64,
    principal_id: &str,
    channel_id: &str,
    url: Option<&str>,
) -> Result<Grant> {
    // The epoch was read before the database: a change committed after that read bumps
    // it again, so the decision cached below can never outlive it.
    let access = match l.broker().cached_access(epoch, principal_id, channel_id) {
        Some(access) => access,
        None => {
            let access = l.store().access(principal_id, channel_id).await?;
            l.broker()
                .remember_access(epoch, principal_id, channel_id, access.clone());
            access
        }
    };
    if let Some(err) = denial(&access, principal_id, channel_id) {
        return Err(err);
    }
    let (resource, audience) = match url {
        // Without a URL: the channel's own token, and no more reads than before.
        None => (None, None),
        Some(_) => resource_of(l, channel_id, url).await?,
    };
    let (token, now) = match cached_token(l, channel_id, resource.as_deref(), now) {
        Some(token) => (token, now),
        None => {
            let token = refreshed_token(l, channel_id, resource.as_deref()).await?;
            (std::sync::Arc::new(token), l.clock().now())
        }
    };
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
        audience,
    })
}
