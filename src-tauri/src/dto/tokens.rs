//! URL tokens (never a value going out), the forms that add and change one, what a
//! request would carry, and the stored "Accept all" decisions.

use lanyard_core::urltokens::decorate::Attached;
use lanyard_core::urltokens::permission::{Decision, MatchReport};
use lanyard_core::urltokens::tokens::Saved;
use lanyard_core::urltokens::{Placement, TokenOrigin, UrlToken};
use serde::Serialize;
use ts_rs::TS;

/// A URL token (never its value).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UrlTokenDto {
    /// Id.
    pub id: String,
    /// Normalized prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
    /// Placement.
    pub placement: Placement,
    /// Asks permission.
    pub requires_permission: bool,
    /// Value asked at use time.
    pub prompt: bool,
    /// Your own or received from a contact.
    pub origin: TokenOrigin,
    /// Whether the value may be replaced/viewed (false for received tokens).
    pub viewable: bool,
    /// The contact a received token came from (their id; none once removed).
    pub received_from: Option<String>,
    /// Why a header token will be ignored.
    pub warning: Option<String>,
    /// When last changed (Unix seconds).
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<UrlToken> for UrlTokenDto {
    fn from(t: UrlToken) -> Self {
        UrlTokenDto {
            warning: t.header_warning(),
            id: t.id,
            prefix: t.prefix,
            key: t.key,
            placement: t.placement,
            requires_permission: t.requires_permission,
            prompt: t.prompt,
            origin: t.origin,
            viewable: t.viewable,
            received_from: t.received_from,
            updated_at: t.updated_at,
        }
    }
}

/// A saved token and its warnings.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SavedTokenDto {
    /// The token.
    pub token: UrlTokenDto,
    /// Warnings (plain http, ignored header key).
    pub warnings: Vec<String>,
}

impl From<Saved> for SavedTokenDto {
    fn from(s: Saved) -> Self {
        SavedTokenDto {
            token: s.token.into(),
            warnings: s.warnings,
        }
    }
}

/// One line of a match report.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MatchLineDto {
    /// Token id.
    pub token_id: String,
    /// Prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
    /// Where it goes; null when ignored.
    pub attached: Option<Attached>,
    /// Why ignored.
    pub reason: Option<String>,
    /// Permission will be asked first.
    pub asks_permission: bool,
    /// The value will be asked at use time.
    pub prompt: bool,
}

/// What a request would carry.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MatchReportDto {
    /// The URL as parsed (host in punycode).
    pub url: String,
    /// Method.
    pub method: String,
    /// Form tokens go to the query (GET).
    pub form_in_query: bool,
    /// Attached.
    pub attached: Vec<MatchLineDto>,
    /// Ignored.
    pub ignored: Vec<MatchLineDto>,
}

impl From<MatchReport> for MatchReportDto {
    fn from(r: MatchReport) -> Self {
        MatchReportDto {
            url: r.url,
            method: r.method,
            form_in_query: r.form_in_query,
            attached: r
                .attached
                .into_iter()
                .map(|a| MatchLineDto {
                    token_id: a.line.token_id,
                    prefix: a.line.prefix,
                    key: a.line.key,
                    attached: a.line.attached,
                    reason: a.line.reason,
                    asks_permission: a.asks_permission,
                    prompt: a.prompt,
                })
                .collect(),
            ignored: r
                .ignored
                .into_iter()
                .map(|i| MatchLineDto {
                    token_id: i.token_id,
                    prefix: i.prefix,
                    key: i.key,
                    attached: None,
                    reason: i.reason,
                    asks_permission: false,
                    prompt: false,
                })
                .collect(),
        }
    }
}

/// A stored "Accept all".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DecisionDto {
    /// Id.
    pub id: String,
    /// Token id.
    pub token_id: String,
    /// Prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
    /// The URL it was given for.
    pub url: Option<String>,
    /// When (Unix seconds).
    #[ts(type = "number")]
    pub decided_at: i64,
}

impl From<Decision> for DecisionDto {
    fn from(d: Decision) -> Self {
        DecisionDto {
            id: d.id,
            token_id: d.token_id,
            prefix: d.prefix,
            key: d.key,
            url: d.url,
            decided_at: d.decided_at,
        }
    }
}
