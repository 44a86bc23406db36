//! Connected accounts: the list, a sign-in under way, how it ended (`oauth-result`) and
//! what disconnecting did.

use lanyard_core::oauth::channel::{Channel, ChannelStatus, Handout};
use lanyard_core::oauth::channels::Disconnected;
use lanyard_core::oauth::flow::AuthorizationStart;
use lanyard_core::oauth::revoke::Revocation;
use serde::Serialize;
use ts_rs::TS;

use super::error::IpcError;

/// A connected account (no token).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChannelDto {
    /// Id.
    pub id: String,
    /// Provider id.
    pub provider_id: String,
    /// Provider name.
    pub provider_name: String,
    /// Account label (e-mail).
    pub account_label: String,
    /// Status.
    pub status: ChannelStatus,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When connected (Unix seconds).
    #[ts(type = "number")]
    pub connected_at: i64,
    /// Last refresh (Unix seconds).
    #[ts(type = "number | null")]
    pub last_refreshed_at: Option<i64>,
    /// Re-authorize by (Unix seconds).
    #[ts(type = "number | null")]
    pub reauth_due_at: Option<i64>,
    /// The last problem, in plain words.
    pub last_error: Option<String>,
    /// How players get its data: `proxy` (through the gateway, never its token) or
    /// `token` (the provider's token through `/v1/grants`).
    pub handout: Handout,
    /// When the provider's current access token expires (Unix seconds): in `token` mode a
    /// leaked one stays usable at the provider until then.
    #[ts(type = "number | null")]
    pub access_token_expires_at: Option<i64>,
}

impl From<Channel> for ChannelDto {
    fn from(c: Channel) -> Self {
        ChannelDto {
            id: c.id,
            provider_id: c.provider_id,
            provider_name: c.provider_name,
            account_label: c.account_label,
            status: c.status,
            scopes: c.scopes,
            connected_at: c.connected_at,
            last_refreshed_at: c.last_refreshed_at,
            reauth_due_at: c.reauth_due_at,
            last_error: c.last_error,
            handout: c.handout,
            access_token_expires_at: c.access_token_expires_at,
        }
    }
}

/// A sign-in waiting in the browser.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuthorizationDto {
    /// For cancelling.
    pub pending_id: String,
    /// Provider.
    pub provider_id: String,
    /// The channel being re-authorized.
    pub channel_id: Option<String>,
    /// The sign-in page (already opened in the browser).
    pub authorization_url: String,
    /// Expires at (Unix seconds).
    #[ts(type = "number")]
    pub expires_at: i64,
}

impl From<AuthorizationStart> for AuthorizationDto {
    fn from(a: AuthorizationStart) -> Self {
        AuthorizationDto {
            pending_id: a.pending_id,
            provider_id: a.provider_id,
            channel_id: a.channel_id,
            authorization_url: a.authorization_url,
            expires_at: a.expires_at,
        }
    }
}

/// The `oauth-result` event: how a sign-in ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum OauthResultDto {
    /// Connected or re-authorized.
    Connected {
        /// The channel.
        channel: ChannelDto,
        /// Whether it was a re-authorization.
        reauthorized: bool,
    },
    /// Nothing was stored.
    Failed {
        /// Why.
        error: IpcError,
    },
}

/// What disconnecting did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DisconnectedDto {
    /// The channel that is gone.
    pub channel_id: String,
    /// What revocation at the provider achieved.
    pub revocation: RevocationOutcome,
    /// Plain words about the revocation, and what the user can still do at the provider
    /// when it did not revoke (Microsoft: remove the app's consent; tokens live 90 days).
    pub revocation_detail: Option<String>,
    /// How many principals lost access.
    pub unlinked: u32,
}

/// What revocation at the provider achieved (the core's [`Revocation`] without its words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RevocationOutcome {
    /// The provider confirmed it.
    Revoked,
    /// The provider has no revocation endpoint.
    NotSupported,
    /// Not confirmed yet; asked again later.
    Pending,
    /// The provider refused it.
    Failed,
}

impl From<Disconnected> for DisconnectedDto {
    fn from(d: Disconnected) -> Self {
        let (revocation, detail) = match d.revocation {
            Revocation::Revoked => (RevocationOutcome::Revoked, None),
            Revocation::NotSupported => (RevocationOutcome::NotSupported, d.advice),
            Revocation::Pending(w) => (RevocationOutcome::Pending, Some(w)),
            Revocation::Failed(w) => (RevocationOutcome::Failed, Some(w)),
        };
        DisconnectedDto {
            channel_id: d.channel_id,
            revocation,
            revocation_detail: detail,
            unlinked: d.unlinked.len() as u32,
        }
    }
}
