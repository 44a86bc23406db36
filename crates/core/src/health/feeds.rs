//! Feeds in the health view: which of a screen's links covers a data URL it asked for
//! (the gateway records them per screen, [`crate::screens`]), and "a feed already stale":
//! every screen the gateway is serving stale data, as a moment of the credential its
//! stale feeds go through, at the time the screen goes blank (when its data becomes
//! older than the credential's "keep showing for" limit).

use std::collections::BTreeMap;

use super::{Facts, Kind, Moment, Screen, Subject};
use crate::oauth::channel::ChannelStatus;
use crate::store::principals::PrincipalKind;
use crate::store::stale::DEFAULT_KEEP_STALE_SECS;

/// The link of a screen a data URL goes through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Covering {
    /// `channel` or `url_token`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// The provider's name, or "URL token".
    pub provider_name: String,
    /// The account, or "key @ prefix".
    pub account_label: String,
}

impl Covering {
    /// What the user calls it.
    pub fn label(&self) -> String {
        format!("{} — {}", self.provider_name, self.account_label)
    }
}

/// The link of `player` covering `url`: a linked channel (not disconnected) whose
/// provider's API base starts it, else a linked URL token whose prefix does (the longest).
pub fn covering(f: &Facts<'_>, player: &str, url: &str) -> Option<Covering> {
    let linked =
        |links: &[(String, String)], id: &str| links.iter().any(|(p, s)| p == player && s == id);
    for c in f
        .channels
        .iter()
        .filter(|c| c.status != ChannelStatus::Revoked && linked(f.channel_links, &c.id))
    {
        let bases = f
            .providers
            .iter()
            .find(|p| p.id == c.provider_id)
            .map(|p| p.api_base_urls.as_slice())
            .unwrap_or_default();
        if bases.iter().any(|b| url.starts_with(b.as_str())) {
            return Some(Covering {
                kind: "channel",
                id: c.id.clone(),
                provider_name: c.provider_name.clone(),
                account_label: c.account_label.clone(),
            });
        }
    }
    f.url_tokens
        .iter()
        .filter(|t| linked(f.token_links, &t.id) && url.starts_with(t.prefix.as_str()))
        .max_by_key(|t| t.prefix.len())
        .map(|t| Covering {
            kind: "url_token",
            id: t.id.clone(),
            provider_name: "URL token".into(),
            account_label: format!("{} @ {}", t.key, t.prefix),
        })
}

/// What fixes a stale answer's cause.
fn action(reason: Option<&str>, on: &Covering) -> String {
    match reason {
        Some("needs_reauth") => format!("Re-authorize {}", on.label()),
        Some("provider_unavailable") => {
            "Wait: Lanyard retries on its own (check the provider's status page)".into()
        }
        _ => "Get the data source back up (Lanyard retries on its own)".into(),
    }
}

/// One moment per credential whose feeds are being served stale: the screens at stake,
/// since when, and when the first of them goes blank.
pub(super) fn stale_moments(f: &Facts<'_>) -> Vec<Moment> {
    let mut by_credential: BTreeMap<Covering, Moment> = BTreeMap::new();
    for s in f.screen_states.iter().filter(|s| s.last_answer == "stale") {
        let Some(p) = f
            .principals
            .iter()
            .find(|p| p.id == s.player_id && p.kind == PrincipalKind::Player && p.active)
        else {
            continue;
        };
        let since = s.stale_since.unwrap_or(s.last_request_at);
        let data_from = s.data_from.unwrap_or(since);
        // The feeds not fresh since the stale run began; without any, the screen's links.
        let mut through: Vec<Covering> = s
            .feeds
            .iter()
            .filter(|feed| feed.last_fresh_at < since)
            .filter_map(|feed| covering(f, &p.id, &feed.url))
            .collect();
        if through.is_empty() {
            through = f
                .channel_links
                .iter()
                .chain(f.token_links)
                .filter(|(player, _)| *player == p.id)
                .filter_map(|(_, id)| {
                    f.channels
                        .iter()
                        .find(|c| &c.id == id && c.status != ChannelStatus::Revoked)
                        .map(|c| Covering {
                            kind: "channel",
                            id: c.id.clone(),
                            provider_name: c.provider_name.clone(),
                            account_label: c.account_label.clone(),
                        })
                        .or_else(|| {
                            f.url_tokens.iter().find(|t| &t.id == id).map(|t| Covering {
                                kind: "url_token",
                                id: t.id.clone(),
                                provider_name: "URL token".into(),
                                account_label: format!("{} @ {}", t.key, t.prefix),
                            })
                        })
                })
                .collect();
        }
        through.sort();
        through.dedup();
        for on in through {
            let limit = f
                .keep_stale
                .and_then(|k| k.get(&format!("{}:{}", on.kind, on.id)).copied())
                .unwrap_or(DEFAULT_KEEP_STALE_SECS);
            let blank_at = data_from.saturating_add(i64::try_from(limit).unwrap_or(i64::MAX));
            let screen = Screen {
                id: p.id.clone(),
                name: p.name.clone(),
            };
            let m = by_credential.entry(on.clone()).or_insert_with(|| Moment {
                subject: on.kind,
                channel_id: on.id.clone(),
                provider_name: on.provider_name.clone(),
                account_label: on.account_label.clone(),
                kind: Kind::FeedStale,
                at: Some(blank_at),
                since: Some(since),
                only_if: None,
                source: None,
                screens: Vec::new(),
                action: action(s.last_code.as_deref(), &on),
            });
            if m.at.is_none_or(|at| blank_at < at) {
                m.at = Some(blank_at);
                m.action = action(s.last_code.as_deref(), &on);
            }
            m.since = Some(m.since.map_or(since, |x| x.min(since)));
            m.screens.push(screen);
        }
    }
    by_credential
        .into_values()
        .map(|mut m| {
            m.screens
                .sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            m.screens.dedup();
            m
        })
        .collect()
}

/// Adds the stale-feed moments to `moments`, moving each subject's next stop to them.
pub(super) fn add_stale(
    f: &Facts<'_>,
    now: i64,
    moments: &mut Vec<Moment>,
    subjects: &mut [Subject],
) {
    for m in stale_moments(f) {
        if let Some(s) = subjects
            .iter_mut()
            .find(|s| s.kind == m.subject && s.id == m.channel_id)
        {
            let at = m.at.unwrap_or(now);
            s.next_stop_at = Some(s.next_stop_at.map_or(at, |n| n.min(at)));
        }
        moments.push(m);
    }
}
