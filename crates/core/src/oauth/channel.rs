//! Channels: connected third-party accounts. The refresh token ("master token") and the
//! current access token live in the secret store under the channel id; everything here is
//! safe to show.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Whether a channel can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ChannelStatus {
    /// Grants can be issued.
    Active,
    /// The provider refused the refresh token: the user must re-authorize.
    NeedsReauth,
    /// Disconnected or revoked.
    Revoked,
}

impl ChannelStatus {
    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Active => "active",
            ChannelStatus::NeedsReauth => "needs_reauth",
            ChannelStatus::Revoked => "revoked",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(ChannelStatus::Active),
            "needs_reauth" => Ok(ChannelStatus::NeedsReauth),
            "revoked" => Ok(ChannelStatus::Revoked),
            other => Err(Error::Storage(format!("unknown channel status {other:?}"))),
        }
    }
}

/// A connected account as stored (no secret).
#[derive(Debug, Clone, Serialize)]
pub struct Channel {
    /// Stable id.
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// The provider's display name.
    pub provider_name: String,
    /// The account's subject at the provider.
    pub account_subject: String,
    /// A label such as the e-mail address.
    pub account_label: String,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// Status.
    pub status: ChannelStatus,
    /// When first connected.
    pub connected_at: i64,
    /// When tokens were last obtained.
    pub last_refreshed_at: Option<i64>,
    /// "Re-authorize by": when the provider will stop accepting the refresh token.
    pub reauth_due_at: Option<i64>,
    /// When the refresh token expires, if the provider said.
    pub refresh_token_expires_at: Option<i64>,
    /// The last problem, in plain words (never a secret).
    pub last_error: Option<String>,
    /// Refresh-token generation (bumped on each rotation).
    pub token_generation: i64,
    /// When the cached access token expires.
    pub access_token_expires_at: Option<i64>,
    /// How players get this channel's data.
    pub handout: Handout,
}

/// How players get a channel's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Handout {
    /// Through the gateway's `/v1/fetch` only: the provider's token never leaves Lanyard
    /// and `/v1/grants` answers `proxy_only`. The default for new channels.
    Proxy,
    /// `/v1/grants` hands the provider's own access token to linked players; a leaked one
    /// stays usable at the provider until the provider's own expiry.
    Token,
}

impl Handout {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Handout::Proxy => "proxy",
            Handout::Token => "token",
        }
    }

    /// From its stored or typed name.
    pub fn parse(name: &str) -> crate::error::Result<Handout> {
        match name.trim() {
            "proxy" => Ok(Handout::Proxy),
            "token" => Ok(Handout::Token),
            other => Err(crate::error::Error::invalid(format!(
                "{other:?} is not a hand-out mode: use \"proxy\" (players get data through \
                 the gateway) or \"token\" (players get the provider's access token)"
            ))),
        }
    }
}

/// Secret store keys of a channel.
pub mod keys {
    /// The refresh token ("master token").
    pub fn refresh(channel_id: &str) -> String {
        format!("channel/{channel_id}/refresh")
    }
    /// The current provider access token.
    pub fn access(channel_id: &str) -> String {
        format!("channel/{channel_id}/access")
    }
    /// The access token for another resource of the same account (Microsoft), with its
    /// expiry: `{"token","expires_at","received_at"}`.
    pub fn resource_access(channel_id: &str, resource: &str) -> String {
        let name: String = resource
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "/-_.:".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("channel/{channel_id}/access/{name}")
    }
}
