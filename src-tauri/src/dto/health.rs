//! The Health page's types: what will stop when (the core's health timeline, the list the
//! tray and notifications read) and the result of "Check now".

use lanyard_core::health::check::{self, Verdict};
use lanyard_core::health::{Kind, Moment, Screen, Subject, Timeline};
use serde::Serialize;
use ts_rs::TS;

/// A screen (a player) at stake.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthScreenDto {
    /// The player's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

impl From<Screen> for HealthScreenDto {
    fn from(s: Screen) -> Self {
        HealthScreenDto {
            id: s.id,
            name: s.name,
        }
    }
}

fn screens(list: Vec<Screen>) -> Vec<HealthScreenDto> {
    list.into_iter().map(Into::into).collect()
}

/// One moment something will stop.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthMomentDto {
    /// The channel.
    pub channel_id: String,
    /// "Microsoft 365 — alice@contoso.com".
    pub label: String,
    /// What will stop.
    pub kind: Kind,
    /// When (Unix seconds; null: it has stopped already).
    #[ts(type = "number | null")]
    pub at: Option<i64>,
    /// Only in some configurations (never reminded), which.
    pub only_if: Option<String>,
    /// Where the rule comes from.
    pub source: Option<String>,
    /// The screens it would blank.
    pub screens: Vec<HealthScreenDto>,
    /// The action that prevents it.
    pub action: String,
}

impl From<Moment> for HealthMomentDto {
    fn from(m: Moment) -> Self {
        HealthMomentDto {
            label: format!("{} — {}", m.provider_name, m.account_label),
            channel_id: m.channel_id,
            kind: m.kind,
            at: m.at,
            only_if: m.only_if,
            source: m.source,
            screens: screens(m.screens),
            action: m.action,
        }
    }
}

/// A channel or URL token with its screens.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthSubjectDto {
    /// `channel` or `url_token`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// What the user calls it.
    pub label: String,
    /// The screens linked to it.
    pub screens: Vec<HealthScreenDto>,
    /// The first moment it stops for sure (Unix seconds).
    #[ts(type = "number | null")]
    pub next_stop_at: Option<i64>,
}

impl From<Subject> for HealthSubjectDto {
    fn from(s: Subject) -> Self {
        HealthSubjectDto {
            kind: s.kind.to_string(),
            id: s.id,
            label: s.label,
            screens: screens(s.screens),
            next_stop_at: s.next_stop_at,
        }
    }
}

/// What will stop when.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthDto {
    /// Every moment, what has stopped first.
    pub moments: Vec<HealthMomentDto>,
    /// Every channel and URL token.
    pub subjects: Vec<HealthSubjectDto>,
}

impl From<Timeline> for HealthDto {
    fn from(t: Timeline) -> Self {
        HealthDto {
            moments: t.moments.into_iter().map(Into::into).collect(),
            subjects: t.subjects.into_iter().map(Into::into).collect(),
        }
    }
}

/// One channel refreshed by "Check now".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthChannelCheckDto {
    /// The channel.
    pub channel_id: String,
    /// What the user calls it.
    pub label: String,
    /// Refreshed.
    pub ok: bool,
    /// The error code when not.
    pub code: Option<String>,
    /// Plain words when not.
    pub detail: Option<String>,
    /// The screens linked to it.
    pub screens: Vec<HealthScreenDto>,
}

/// One link of a screen, fetched as the screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthProbeDto {
    /// `channel` or `url_token`.
    pub kind: String,
    /// What the user calls it.
    pub label: String,
    /// The URL fetched.
    pub url: Option<String>,
    /// The answer's status.
    pub status: Option<u16>,
    /// What it means for the screen.
    pub verdict: Verdict,
    /// Why, when not live.
    pub reason: Option<String>,
}

/// One screen's verdict.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthScreenCheckDto {
    /// The player.
    pub player_id: String,
    /// Its name.
    pub name: String,
    /// Live, stale or blank.
    pub verdict: Verdict,
    /// Why, when not live.
    pub reason: Option<String>,
    /// The one action that fixes it.
    pub action: Option<String>,
    /// Showing stale data since (Unix seconds).
    #[ts(type = "number | null")]
    pub stale_since: Option<i64>,
    /// Each link.
    pub probes: Vec<HealthProbeDto>,
}

/// The result of "Check now".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HealthCheckDto {
    /// When (Unix seconds).
    #[ts(type = "number")]
    pub checked_at: i64,
    /// Every channel, refreshed.
    pub channels: Vec<HealthChannelCheckDto>,
    /// Every screen.
    pub screens: Vec<HealthScreenCheckDto>,
}

impl From<check::Report> for HealthCheckDto {
    fn from(r: check::Report) -> Self {
        HealthCheckDto {
            checked_at: r.checked_at,
            channels: r
                .channels
                .into_iter()
                .map(|c| HealthChannelCheckDto {
                    channel_id: c.channel_id,
                    label: c.label,
                    ok: c.ok,
                    code: c.code,
                    detail: c.detail,
                    screens: screens(c.screens),
                })
                .collect(),
            screens: r
                .screens
                .into_iter()
                .map(|s| HealthScreenCheckDto {
                    player_id: s.player_id,
                    name: s.name,
                    verdict: s.verdict,
                    reason: s.reason,
                    action: s.action,
                    stale_since: s.stale_since,
                    probes: s
                        .probes
                        .into_iter()
                        .map(|p| HealthProbeDto {
                            kind: p.kind.to_string(),
                            label: p.label,
                            url: p.url,
                            status: p.status,
                            verdict: p.verdict,
                            reason: p.reason,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
