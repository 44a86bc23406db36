//! Players and the desktop license, what the gateway last served a screen, a newly issued
//! player secret (shown once), and the access links to channels and URL tokens.

use lanyard_core::store::principals::{Link, Principal, PrincipalKind};
use serde::Serialize;
use ts_rs::TS;

/// The desktop license or a player.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PrincipalDto {
    /// Id (`license` for the desktop license).
    pub id: String,
    /// The desktop license or a player.
    pub kind: PrincipalKind,
    /// Name.
    pub name: String,
    /// A player's serial.
    pub serial: Option<String>,
    /// When registered (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it last received a grant (Unix seconds).
    #[ts(type = "number | null")]
    pub last_seen_at: Option<i64>,
    /// What the gateway last served this screen (players seen by a gateway only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub screen: Option<ScreenStateDto>,
}

/// What the gateway last served a screen (issue 28): the window words it as "showing live
/// data", "showing data from 14:02 — …", "refused: …", "not seen for 3 days".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ScreenStateDto {
    /// Its last `/v1/fetch` (Unix seconds).
    #[ts(type = "number")]
    pub last_request_at: i64,
    /// `fresh`, `stale` or `refused`.
    pub last_answer: String,
    /// The stale reason or the refusal's code.
    pub last_code: Option<String>,
    /// Since when it has been shown stale data (Unix seconds).
    #[ts(type = "number | null")]
    pub stale_since: Option<i64>,
    /// When the stale data it is shown was fetched (Unix seconds).
    #[ts(type = "number | null")]
    pub data_from: Option<i64>,
}

impl From<lanyard_core::screens::ScreenState> for ScreenStateDto {
    fn from(s: lanyard_core::screens::ScreenState) -> Self {
        ScreenStateDto {
            last_request_at: s.last_request_at,
            last_answer: s.last_answer,
            last_code: s.last_code,
            stale_since: s.stale_since,
            data_from: s.data_from,
        }
    }
}

impl From<Principal> for PrincipalDto {
    fn from(p: Principal) -> Self {
        PrincipalDto {
            id: p.id,
            kind: p.kind,
            name: p.name,
            serial: p.serial,
            created_at: p.created_at,
            last_seen_at: p.last_seen_at,
            screen: None,
        }
    }
}

/// A player just registered or given a new secret. The one reply that carries a secret
/// across IPC: the UI shows it once (copy button, QR code) and keeps it nowhere.
#[derive(Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewPlayerDto {
    /// The player.
    pub player: PrincipalDto,
    /// Its secret, for `Authorization: Bearer …` at a gateway. Not stored anywhere.
    pub secret: String,
}

impl std::fmt::Debug for NewPlayerDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPlayerDto")
            .field("player", &self.player)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl From<lanyard_core::broker::players::NewPlayer> for NewPlayerDto {
    fn from(n: lanyard_core::broker::players::NewPlayer) -> Self {
        NewPlayerDto {
            secret: n.secret.expose().to_string(),
            player: n.player.into(),
        }
    }
}

/// A link between a principal and a channel.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LinkDto {
    /// The principal.
    pub principal_id: String,
    /// Its name.
    pub principal_name: String,
    /// The channel.
    pub channel_id: String,
    /// The channel's account label.
    pub channel_label: String,
    /// When linked (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// A link between a principal and a URL token.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TokenLinkDto {
    /// The principal.
    pub principal_id: String,
    /// The URL token.
    pub token_id: String,
    /// When linked (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<lanyard_core::store::access::TokenLink> for TokenLinkDto {
    fn from(k: lanyard_core::store::access::TokenLink) -> Self {
        TokenLinkDto {
            principal_id: k.principal_id,
            token_id: k.token_id,
            created_at: k.created_at,
        }
    }
}

impl From<Link> for LinkDto {
    fn from(k: Link) -> Self {
        LinkDto {
            principal_id: k.principal_id,
            principal_name: k.principal_name,
            channel_id: k.channel_id,
            channel_label: k.channel_label,
            created_at: k.created_at,
        }
    }
}
