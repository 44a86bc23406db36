//! "What breaks when": one list, per channel and per URL token, of the next moments
//! something will stop, each with the screens (players linked to it) it would blank. The
//! health view, `lanyard health`, the tray and the notifications all read it (the
//! reminders in [`crate::reminders`] are this list seen through their thresholds): one rule,
//! one place.
//!
//! [`timeline`] is pure: given the facts and `now` it says what will stop and when. No
//! clock, no I/O; [`current`] gathers the facts from the store. Times are Unix seconds.
//! What it knows:
//! - a channel already in `needs_reauth` (now);
//! - the "re-authorize by" date (the provider's forced re-authorization, e.g. Microsoft
//!   with MFA every 14 days, or the refresh-token expiry the provider announced);
//! - a refresh-token lifetime the provider documents ([`quirks::refresh_token_lifetime`]):
//!   Microsoft's 90 days without use, Google's 7 days for a client in "Testing" status
//!   (conditional: listed, never reminded);
//! - the client secret's expiry (`client_secret_expires_at` of the provider);
//! - a feed already stale ([`feeds`]): a screen the gateway serves its last good data,
//!   listed under the credential its stale feeds go through, at the moment the screen
//!   goes blank (its data older than the credential's "keep showing for" limit). Such
//!   moments are in the view and `lanyard health`, not in the reminders: no sign-in fixes
//!   a data source that is down.
//!
//! URL tokens have no expiry Lanyard can know: they are listed with their screens and no
//! moment, and `lanyard health check` ([`check`]) tells whether they work now.

pub mod check;
pub mod feeds;

use std::collections::HashMap;

use serde::Serialize;

use crate::oauth::channel::{Channel, ChannelStatus};
use crate::oauth::provider::Provider;
use crate::oauth::quirks;
use crate::store::principals::{Principal, PrincipalKind};
use crate::urltokens::UrlToken;

/// What will stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "HealthKind"))]
pub enum Kind {
    /// The provider already refused the master token.
    NeedsReauth,
    /// The "re-authorize by" date (forced re-authorization or announced expiry).
    ReauthDue,
    /// The refresh token's documented lifetime ends.
    RefreshTokenExpires,
    /// The provider's client secret expires: every channel of the provider stops.
    ClientSecretExpires,
    /// Screens are shown stale data from feeds through this credential; they go blank at
    /// the moment's time.
    FeedStale,
}

impl Kind {
    /// The serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NeedsReauth => "needs_reauth",
            Kind::ReauthDue => "reauth_due",
            Kind::RefreshTokenExpires => "refresh_token_expires",
            Kind::ClientSecretExpires => "client_secret_expires",
            Kind::FeedStale => "feed_stale",
        }
    }
}

/// A screen: a player linked to the credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Screen {
    /// The player's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// One moment something will stop.
#[derive(Debug, Clone, Serialize)]
pub struct Moment {
    /// `channel`, or `url_token` (a stale feed through a URL token).
    pub subject: &'static str,
    /// The channel (or URL token) it concerns.
    pub channel_id: String,
    /// The channel's provider ("URL token" for a URL token).
    pub provider_name: String,
    /// The channel's account ("key @ prefix" for a URL token).
    pub account_label: String,
    /// What will stop.
    pub kind: Kind,
    /// When (None: it has stopped already).
    pub at: Option<i64>,
    /// Since when it has been going on (a stale feed: since when its screens get stale
    /// data).
    pub since: Option<i64>,
    /// When it applies only in some configurations, which (such moments are listed but
    /// never reminded).
    pub only_if: Option<String>,
    /// Where the rule comes from (a provider's documentation).
    pub source: Option<String>,
    /// The screens it would blank.
    pub screens: Vec<Screen>,
    /// The one action that prevents it.
    pub action: String,
}

impl Moment {
    /// Whether reminders ask for it (it applies for sure).
    pub fn certain(&self) -> bool {
        self.only_if.is_none()
    }

    /// " · 2 screens: Lobby, Kitchen", or nothing without screens.
    pub fn screens_in_words(&self) -> String {
        match self.screens.len() {
            0 => String::new(),
            n => format!(
                " · {n} screen{}: {}",
                if n == 1 { "" } else { "s" },
                self.screens
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A channel or URL token with its screens and its next moment.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    /// `channel` or `url_token`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// What the user calls it ("Microsoft 365 — alice@contoso.com", "key @ prefix").
    pub label: String,
    /// The screens linked to it.
    pub screens: Vec<Screen>,
    /// The first moment it stops for sure (None: nothing known).
    pub next_stop_at: Option<i64>,
}

/// The whole timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// Every moment, what has stopped first, then by time.
    pub moments: Vec<Moment>,
    /// Every channel (not disconnected) and URL token.
    pub subjects: Vec<Subject>,
}

/// What the timeline is computed from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    /// The channels.
    pub channels: &'a [Channel],
    /// Their providers.
    pub providers: &'a [Provider],
    /// Every principal (players are the screens).
    pub principals: &'a [Principal],
    /// Links (principal id, channel id).
    pub channel_links: &'a [(String, String)],
    /// URL token links (principal id, token id).
    pub token_links: &'a [(String, String)],
    /// The URL tokens.
    pub url_tokens: &'a [UrlToken],
    /// When each channel was last authorized (connect or re-authorization), when known.
    pub authorized_at: Option<&'a HashMap<String, i64>>,
    /// What the gateways last served each screen, with its feeds.
    pub screen_states: &'a [crate::screens::ScreenState],
    /// "Keep showing for" limits other than the default, keyed `channel:<id>` /
    /// `url_token:<id>`.
    pub keep_stale: Option<&'a HashMap<String, u64>>,
}

fn screens_of(f: &Facts<'_>, links: &[(String, String)], subject: &str) -> Vec<Screen> {
    let mut out: Vec<Screen> = links
        .iter()
        .filter(|(_, s)| s == subject)
        .filter_map(|(p, _)| {
            f.principals
                .iter()
                .find(|x| &x.id == p && x.kind == PrincipalKind::Player && x.active)
        })
        .map(|p| Screen {
            id: p.id.clone(),
            name: p.name.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    out.dedup();
    out
}

/// The timeline at `now` (what has stopped already counts as stopping at `now`). Past
/// moments stay listed: their time tells since when.
pub fn timeline(f: &Facts<'_>, now: i64) -> Timeline {
    let mut moments = Vec::new();
    let mut subjects = Vec::new();
    for c in f
        .channels
        .iter()
        .filter(|c| c.status != ChannelStatus::Revoked)
    {
        let screens = screens_of(f, f.channel_links, &c.id);
        let reauth = format!("Re-authorize {} — {}", c.provider_name, c.account_label);
        let moment = |kind, at, only_if: Option<&str>, source: Option<&str>, action: &str| Moment {
            subject: "channel",
            since: None,
            channel_id: c.id.clone(),
            provider_name: c.provider_name.clone(),
            account_label: c.account_label.clone(),
            kind,
            at,
            only_if: only_if.map(str::to_string),
            source: source.map(str::to_string),
            screens: screens.clone(),
            action: action.to_string(),
        };
        let first = moments.len();
        if c.status == ChannelStatus::NeedsReauth {
            moments.push(moment(Kind::NeedsReauth, None, None, None, &reauth));
        } else if let Some(due) = c.reauth_due_at {
            moments.push(moment(Kind::ReauthDue, Some(due), None, None, &reauth));
        }
        let provider = f.providers.iter().find(|p| p.id == c.provider_id);
        if c.status == ChannelStatus::Active {
            if let Some(life) = provider.and_then(|p| quirks::refresh_token_lifetime(p.kind)) {
                let authorized = f
                    .authorized_at
                    .and_then(|m| m.get(&c.id).copied())
                    .unwrap_or(c.connected_at);
                let from = if life.idle {
                    c.last_refreshed_at.unwrap_or(authorized).max(authorized)
                } else {
                    authorized
                };
                let at = from.saturating_add(life.seconds);
                // Already covered by an earlier "re-authorize by" date: not listed twice.
                if c.reauth_due_at.is_none_or(|due| at < due) {
                    moments.push(moment(
                        Kind::RefreshTokenExpires,
                        Some(at),
                        life.only_if,
                        Some(life.source),
                        &reauth,
                    ));
                }
            }
        }
        if let Some((p, at)) = provider.and_then(|p| p.client_secret_expires_at.map(|a| (p, a))) {
            let action = format!(
                "Renew the client secret of {} at the provider and give Lanyard the new one",
                p.name
            );
            moments.push(moment(
                Kind::ClientSecretExpires,
                Some(at),
                None,
                None,
                &action,
            ));
        }
        let next_stop_at = moments[first..]
            .iter()
            .filter(|m| m.certain())
            .map(|m| m.at.unwrap_or(now))
            .min();
        subjects.push(Subject {
            kind: "channel",
            id: c.id.clone(),
            label: format!("{} — {}", c.provider_name, c.account_label),
            screens,
            next_stop_at,
        });
    }
    for t in f.url_tokens {
        subjects.push(Subject {
            kind: "url_token",
            id: t.id.clone(),
            label: format!("{} @ {}", t.key, t.prefix),
            screens: screens_of(f, f.token_links, &t.id),
            next_stop_at: None,
        });
    }
    feeds::add_stale(f, now, &mut moments, &mut subjects);
    moments.sort_by(|a, b| {
        a.at.unwrap_or(i64::MIN)
            .cmp(&b.at.unwrap_or(i64::MIN))
            .then(a.kind.cmp(&b.kind))
            .then(a.channel_id.cmp(&b.channel_id))
    });
    Timeline { moments, subjects }
}

/// When each channel was last authorized, from the audit log (connect and re-authorize).
async fn authorized_at(l: &crate::Lanyard) -> crate::Result<HashMap<String, i64>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT subject_id, MAX(at) AS at FROM audit_event WHERE subject_kind = 'channel' \
         AND action IN ('connect', 'reauth') AND outcome = 'ok' GROUP BY subject_id",
    )
    .fetch_all(l.store().pool())
    .await?;
    let mut out = HashMap::new();
    for row in rows {
        out.insert(row.try_get("subject_id")?, row.try_get("at")?);
    }
    Ok(out)
}

/// The timeline of an installation now.
pub async fn current(l: &crate::Lanyard) -> crate::Result<Timeline> {
    let store = l.store();
    let channels = store.channels().await?;
    let providers = store.providers().await?;
    let principals = store.principals().await?;
    let links = store.all_links().await?;
    let url_tokens = store.url_tokens().await?;
    let authorized = authorized_at(l).await?;
    let screen_states = store.screen_states().await?;
    let keep_stale = store.keep_stale_all().await?;
    Ok(timeline(
        &Facts {
            channels: &channels,
            providers: &providers,
            principals: &principals,
            channel_links: &links.channels,
            token_links: &links.tokens,
            url_tokens: &url_tokens,
            authorized_at: Some(&authorized),
            screen_states: &screen_states,
            keep_stale: Some(&keep_stale),
        },
        l.clock().now(),
    ))
}

#[cfg(test)]
mod tests;
