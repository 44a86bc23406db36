//! "Check now": a real refresh of every channel (through the broker's refresh path: one
//! flight per channel, under the refresh lease), then, for every active player, one fetch
//! through the fetch engine as that player of each thing it is linked to — no cache is
//! involved — and a verdict per screen: live, stale (why), or blank (why, and the one
//! action that fixes it).
//!
//! What a screen asked for: the gateways record, per screen, each data URL (without its
//! query) and its last fresh answer (`feed_state`, [`crate::screens`]). Each feed a screen
//! asked for lately — fresh within the last day, or within the longest keep-showing limit
//! when the screen made a request within the last day (it is being shown stale) — is
//! fetched once, as the screen, under the link that covers it ([`super::feeds::covering`]).
//! A link no recorded feed goes through is checked at the one URL Lanyard knows for it: a
//! channel at its provider's first API base, a URL token at its prefix. Any answer other
//! than 401, 403, 429 or 5xx means the server is up and took the credential (a 404 at a
//! base URL is fine).
//!
//! Stale or blank follows DESIGN §13: when fresh data cannot be had for a reason other
//! than a cut access, a screen that got data within [`KEEP_SHOWING`] keeps its last good
//! answer (stale); otherwise it goes blank.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use super::Screen;
use crate::broker::refresh::refresh_now;
use crate::error::{Error, Result};
use crate::fetch::request::{PreviewOptions, PreviewRequest};
use crate::fetch::{fetch, As};
use crate::instance::Lanyard;
use crate::oauth::channel::{Channel, ChannelStatus};
use crate::oauth::provider::Provider;
use crate::screens::ScreenState;
use crate::store::principals::PrincipalKind;
use crate::store::stale::{DEFAULT_KEEP_STALE_SECS, MAX_KEEP_STALE_SECS};
use crate::urltokens::permission::{Answer, Fixed};
use crate::urltokens::UrlToken;

/// How long a screen keeps showing its last good answer (DESIGN §13's default limit).
pub const KEEP_SHOWING: i64 = DEFAULT_KEEP_STALE_SECS as i64;

/// A feed counts as asked for when fresh within this long (a day, as the issue's "feeds a
/// screen asked for in the last 24 h").
const ASKED_WITHIN: i64 = 86_400;

/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a screen will show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "HealthVerdict")
)]
pub enum Verdict {
    /// Fresh data.
    Live,
    /// Its last good answer, marked stale.
    Stale,
    /// Nothing.
    Blank,
}

/// One channel refreshed.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelCheck {
    /// The channel.
    pub channel_id: String,
    /// "Microsoft 365 — alice@contoso.com".
    pub label: String,
    /// Refreshed.
    pub ok: bool,
    /// The error code when not.
    pub code: Option<String>,
    /// Plain words when not (never a secret).
    pub detail: Option<String>,
    /// The screens linked to it.
    pub screens: Vec<Screen>,
}

/// One link of a screen, fetched as the screen.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// `channel` or `url_token`.
    pub kind: &'static str,
    /// The channel or URL token.
    pub id: String,
    /// What the user calls it.
    pub label: String,
    /// The URL fetched (none when the link has no URL to fetch).
    pub url: Option<String>,
    /// The answer's status.
    pub status: Option<u16>,
    /// The error code when the fetch failed.
    pub code: Option<String>,
    /// What this link means for the screen.
    pub verdict: Verdict,
    /// Why, when not live.
    pub reason: Option<String>,
    /// The one action that fixes it, when blank or stale.
    pub action: Option<String>,
}

impl Probe {
    /// A link about to be fetched: live until the fetch or the refresh says otherwise.
    fn new(kind: &'static str, id: String, label: String, url: Option<String>) -> Probe {
        Probe {
            kind,
            id,
            label,
            url,
            status: None,
            code: None,
            verdict: Verdict::Live,
            reason: None,
            action: None,
        }
    }
}

/// One screen's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenCheck {
    /// The player.
    pub player_id: String,
    /// Its name.
    pub name: String,
    /// The worst of its links.
    pub verdict: Verdict,
    /// Why, when not live.
    pub reason: Option<String>,
    /// The one action that fixes it.
    pub action: Option<String>,
    /// Since when it shows stale data (its last good answer), when stale.
    pub stale_since: Option<i64>,
    /// Each link.
    pub probes: Vec<Probe>,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// When.
    pub checked_at: i64,
    /// Every channel (not disconnected), refreshed.
    pub channels: Vec<ChannelCheck>,
    /// Every active player.
    pub screens: Vec<ScreenCheck>,
}

impl Report {
    /// Whether every screen will show live data.
    pub fn all_live(&self) -> bool {
        self.screens.iter().all(|s| s.verdict == Verdict::Live)
    }
}

/// When each player last got data from each channel (audit log, last [`KEEP_SHOWING`]).
async fn last_good(l: &Lanyard, since: i64) -> Result<HashMap<(String, String), i64>> {
    use sqlx::Row;
    l.broker().flush(l.store()).await?;
    let rows = sqlx::query(
        "SELECT principal_id, subject_id, MAX(at) AS at FROM audit_event WHERE action = 'grant' \
         AND outcome = 'ok' AND principal_id IS NOT NULL AND at >= $1 \
         GROUP BY principal_id, subject_id",
    )
    .bind(since)
    .fetch_all(l.store().pool())
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            (r.try_get("principal_id")?, r.try_get("subject_id")?),
            r.try_get("at")?,
        );
    }
    Ok(out)
}

/// Runs the check.
pub async fn run(l: &Lanyard) -> Result<Report> {
    let now = l.clock().now();
    let timeline = super::current(l).await?;
    let store = l.store();
    let all_channels = store.channels().await?;
    let channels: Vec<_> = all_channels
        .iter()
        .filter(|c| c.status != ChannelStatus::Revoked)
        .collect();
    let screens_of = |kind: &str, id: &str| {
        timeline
            .subjects
            .iter()
            .find(|s| s.kind == kind && s.id == id)
            .map(|s| s.screens.clone())
            .unwrap_or_default()
    };
    let mut checked = Vec::new();
    for c in &channels {
        let result = refresh_now(l, &c.id).await;
        checked.push(ChannelCheck {
            channel_id: c.id.clone(),
            label: format!("{} — {}", c.provider_name, c.account_label),
            ok: result.is_ok(),
            code: result.as_ref().err().map(|e| e.code().to_string()),
            detail: result.as_ref().err().map(|e| e.to_string()),
            screens: screens_of("channel", &c.id),
        });
    }
    let providers = store.providers().await?;
    let tokens = store.url_tokens().await?;
    let links = store.all_links().await?;
    let mut good = last_good(l, now - MAX_KEEP_STALE_SECS as i64).await?;
    let keep = store.keep_stale_all().await?;
    let states = store.screen_states().await?;
    let facts = super::Facts {
        channels: &all_channels,
        providers: &providers,
        channel_links: &links.channels,
        token_links: &links.tokens,
        url_tokens: &tokens,
        ..Default::default()
    };
    let mut screens = Vec::new();
    for p in store
        .principals()
        .await?
        .into_iter()
        .filter(|p| p.kind == PrincipalKind::Player && p.active)
    {
        let who = As::Player(p.id.clone());
        let state = states.iter().find(|s| s.player_id == p.id);
        let feeds = asked_feeds(&facts, &p.id, state, now, &mut good);
        let mut probes = Vec::new();
        for (_, channel_id) in links.channels.iter().filter(|(pid, _)| *pid == p.id) {
            let Some(c) = all_channels.iter().find(|c| &c.id == channel_id) else {
                continue;
            };
            let asked = feeds_of(&feeds, &c.id);
            probes.extend(channel_probes(l, &who, c, &checked, &providers, &asked).await);
        }
        for (_, token_id) in links.tokens.iter().filter(|(pid, _)| *pid == p.id) {
            let Some(t) = tokens.iter().find(|t| &t.id == token_id) else {
                continue;
            };
            probes.extend(token_probes(l, &who, t, feeds_of(&feeds, &t.id)).await);
        }
        probes.extend(uncovered_probes(l, &who, &p.name, &feeds).await);
        screens.push(verdict_of(
            p.id,
            p.name,
            probes,
            &good,
            &keep,
            p.last_seen_at,
            now,
        ));
    }
    Ok(Report {
        checked_at: now,
        channels: checked,
        screens,
    })
}

/// A feed a screen asked for lately: the link covering it (none when no link covers it
/// any more), its URL, its last fresh answer.
type AskedFeed = (Option<super::feeds::Covering>, String, i64);

/// The feeds `player` asked for lately (see the module docs), each with the link covering
/// it; a covered feed's last fresh answer also counts as that link's last good one.
fn asked_feeds(
    facts: &super::Facts<'_>,
    player: &str,
    state: Option<&ScreenState>,
    now: i64,
    good: &mut HashMap<(String, String), i64>,
) -> Vec<AskedFeed> {
    let Some(state) = state else {
        return Vec::new();
    };
    let window = if now - state.last_request_at <= ASKED_WITHIN {
        MAX_KEEP_STALE_SECS as i64
    } else {
        ASKED_WITHIN
    };
    let mut feeds = Vec::new();
    for feed in state
        .feeds
        .iter()
        .filter(|f| now - f.last_fresh_at <= window)
    {
        let on = super::feeds::covering(facts, player, &feed.url);
        if let Some(on) = &on {
            let last = good.entry((player.to_string(), on.id.clone())).or_insert(0);
            *last = (*last).max(feed.last_fresh_at);
        }
        feeds.push((on, feed.url.clone(), feed.last_fresh_at));
    }
    feeds
}

/// The URLs of the asked-for feeds that link `id` covers.
fn feeds_of(feeds: &[AskedFeed], id: &str) -> Vec<String> {
    feeds
        .iter()
        .filter(|(on, _, _)| on.as_ref().is_some_and(|on| on.id == id))
        .map(|(_, url, _)| url.clone())
        .collect()
}

/// The probes of one channel linked to a player: its refresh's outcome (`checked`), then
/// a fetch as the player of each feed it asked for through it (`asked`), or else at the
/// provider's first API base.
async fn channel_probes(
    l: &Lanyard,
    who: &As,
    c: &Channel,
    checked: &[ChannelCheck],
    providers: &[Provider],
    asked: &[String],
) -> Vec<Probe> {
    let label = format!("{} — {}", c.provider_name, c.account_label);
    let reauth = format!("Re-authorize {label}");
    let refreshed = checked.iter().find(|k| k.channel_id == c.id);
    let url = asked.first().cloned().or_else(|| {
        providers
            .iter()
            .find(|x| x.id == c.provider_id)
            .and_then(|x| x.api_base_urls.first().cloned())
    });
    let mut probe = Probe::new("channel", c.id.clone(), label, url.clone());
    let mut probes = Vec::new();
    match refreshed {
        Some(k) if !k.ok => {
            let code = k.code.clone().unwrap_or_default();
            probe.code = Some(code.clone());
            let (reason, action) = refusal(&code, &reauth);
            probe.reason = Some(reason);
            probe.action = Some(action);
            probe.verdict = Verdict::Blank;
        }
        None => {
            probe.code = Some("revoked".into());
            probe.reason = Some("the channel is disconnected".into());
            probe.action = Some(format!("Connect {} again", c.provider_name));
            probe.verdict = Verdict::Blank;
        }
        Some(_) => match &url {
            Some(u) => {
                for more in asked.iter().skip(1) {
                    let mut each = Probe {
                        url: Some(more.clone()),
                        ..probe.clone()
                    };
                    fetch_probe(l, who, more, &mut each, &reauth).await;
                    probes.push(each);
                }
                fetch_probe(l, who, u, &mut probe, &reauth).await
            }
            None => {
                probe.reason = Some(
                    "refreshed; its provider names no API base to fetch, so only \
                     the refresh was checked"
                        .into(),
                );
            }
        },
    }
    probes.push(probe);
    probes
}

/// The probes of one URL token linked to a player: each feed it asked for through it, or
/// else the token's prefix.
async fn token_probes(l: &Lanyard, who: &As, t: &UrlToken, mut asked: Vec<String>) -> Vec<Probe> {
    let fix = format!("Check the value of URL token {} for {}", t.key, t.prefix);
    if asked.is_empty() {
        asked.push(t.prefix.clone());
    }
    let mut probes = Vec::new();
    for u in asked {
        let label = format!("{} @ {}", t.key, t.prefix);
        let mut probe = Probe::new("url_token", t.id.clone(), label, Some(u.clone()));
        fetch_probe(l, who, &u, &mut probe, &fix).await;
        probes.push(probe);
    }
    probes
}

/// A feed no link covers any more: the screen asks for it and gets nothing.
async fn uncovered_probes(l: &Lanyard, who: &As, name: &str, feeds: &[AskedFeed]) -> Vec<Probe> {
    let mut probes = Vec::new();
    for (_, u, _) in feeds.iter().filter(|(on, _, _)| on.is_none()) {
        let mut probe = Probe::new("feed", String::new(), u.clone(), Some(u.clone()));
        let fix = format!("Link {name} to the channel or URL token that covers {u}");
        fetch_probe(l, who, u, &mut probe, &fix).await;
        probes.push(probe);
    }
    probes
}

/// Why a refresh failed and the one action that fixes it.
fn refusal(code: &str, reauth: &str) -> (String, String) {
    match code {
        "needs_reauth" => (
            "the provider no longer accepts the channel's master token".into(),
            reauth.to_string(),
        ),
        "provider_unavailable" => (
            "the provider's token endpoint cannot be reached now".into(),
            "Wait: Lanyard retries on its own (check the provider's status page)".into(),
        ),
        other => (format!("the refresh failed ({other})"), reauth.to_string()),
    }
}

/// Fetches `url` as `who` and fills in `probe`'s outcome.
async fn fetch_probe(l: &Lanyard, who: &As, url: &str, probe: &mut Probe, fix: &str) {
    let request = PreviewRequest {
        url: url.to_string(),
        method: "GET".into(),
        headers: vec![],
        body: None,
        channel: None,
    };
    let options = PreviewOptions {
        connect_timeout: Duration::from_secs(5),
        timeout: PROBE_TIMEOUT,
        max_body: 64 * 1024,
    };
    match fetch(l, who, request, &Fixed(Answer::Deny), options).await {
        Ok(f) => {
            probe.status = Some(f.status);
            match f.status {
                401 | 403 => {
                    probe.verdict = Verdict::Blank;
                    probe.reason =
                        Some(format!("the server refused the credential ({})", f.status));
                    probe.action = Some(fix.to_string());
                }
                429 | 500..=599 => {
                    probe.verdict = Verdict::Blank;
                    probe.reason = Some(format!("the server answers {}", f.status));
                    probe.action = Some("Wait for the server to recover (Lanyard retries)".into());
                }
                _ => {}
            }
        }
        Err(e) => {
            probe.code = Some(e.code().to_string());
            probe.verdict = Verdict::Blank;
            let (reason, action) = match &e {
                Error::RequestFailed(_) | Error::ProviderUnavailable(_) => (
                    format!("the server cannot be reached: {e}"),
                    "Wait for the server to recover (Lanyard retries)".to_string(),
                ),
                Error::NeedsReauth(_) => (
                    "the provider no longer accepts the channel's master token".into(),
                    fix.to_string(),
                ),
                _ => (e.to_string(), fix.to_string()),
            };
            probe.reason = Some(reason);
            probe.action = Some(action);
        }
    }
}

/// A keep-showing limit in words ("24 h", "90 min").
fn keep_for(secs: i64) -> String {
    if secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else if secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// A screen's verdict: blank links whose cause is not a cut access become stale when the
/// screen got data within [`KEEP_SHOWING`]; the worst link decides.
fn verdict_of(
    player_id: String,
    name: String,
    mut probes: Vec<Probe>,
    good: &HashMap<(String, String), i64>,
    keep: &HashMap<String, u64>,
    last_seen: Option<i64>,
    now: i64,
) -> ScreenCheck {
    let mut stale_since: Option<i64> = None;
    for probe in &mut probes {
        if probe.verdict != Verdict::Blank || !transient(probe) {
            continue;
        }
        // The last good answer through this link (a recorded feed's, or a grant's), else
        // for a URL token the screen's last request.
        let last = good
            .get(&(player_id.clone(), probe.id.clone()))
            .copied()
            .or(if probe.kind == "channel" {
                None
            } else {
                last_seen
            });
        // The credential's own "keep showing for" limit (`channel set --keep-stale-for`).
        let limit = keep
            .get(&format!("{}:{}", probe.kind, probe.id))
            .copied()
            .unwrap_or(KEEP_SHOWING as u64) as i64;
        if let Some(at) = last.filter(|at| limit > 0 && now - at <= limit) {
            probe.verdict = Verdict::Stale;
            probe.reason = probe.reason.take().map(|r| {
                format!(
                    "{r}; the screen keeps its last good answer for up to {}",
                    keep_for(limit)
                )
            });
            stale_since = Some(stale_since.map_or(at, |s: i64| s.min(at)));
        }
    }
    let worst = probes.iter().max_by_key(|p| p.verdict);
    let (verdict, reason, action) = match worst {
        None => (
            Verdict::Blank,
            Some("linked to no channel or URL token".to_string()),
            Some(format!("Link {name} to the channel or URL token it shows")),
        ),
        Some(p) => (p.verdict, p.reason.clone(), p.action.clone()),
    };
    ScreenCheck {
        player_id,
        name,
        verdict,
        reason,
        action,
        stale_since: stale_since.filter(|_| verdict == Verdict::Stale),
        probes,
    }
}

/// Whether a failure leaves the last good answer standing (DESIGN §13): anything but a
/// cut access (not linked, revoked, refused by the server).
fn transient(p: &Probe) -> bool {
    match p.code.as_deref() {
        Some("not_linked" | "revoked" | "not_covered" | "unknown_principal") => false,
        _ => !matches!(p.status, Some(401 | 403)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn failed(kind: &'static str, id: &str, code: Option<&str>, status: Option<u16>) -> Probe {
        Probe {
            kind,
            id: id.into(),
            label: id.into(),
            url: None,
            status,
            code: code.map(str::to_string),
            verdict: Verdict::Blank,
            reason: Some("the server cannot be reached".into()),
            action: Some("Wait".into()),
        }
    }

    #[test]
    fn a_screen_that_got_data_within_a_day_keeps_it_unless_access_was_cut() {
        let good = HashMap::from([(("p".to_string(), "ch".to_string()), NOW - 3600)]);
        let verdict = |probe: Probe, last_seen: Option<i64>| {
            verdict_of(
                "p".into(),
                "Lobby".into(),
                vec![probe],
                &good,
                &HashMap::new(),
                last_seen,
                NOW,
            )
        };
        let down = verdict(failed("channel", "ch", Some("request_failed"), None), None);
        assert_eq!(
            (down.verdict, down.stale_since),
            (Verdict::Stale, Some(NOW - 3600))
        );
        let five = verdict(failed("url_token", "t", None, Some(503)), Some(NOW - 60));
        assert_eq!(
            (five.verdict, five.stale_since),
            (Verdict::Stale, Some(NOW - 60))
        );
        // A cut access or a refused credential: nothing stale.
        for (code, status) in [
            (Some("not_linked"), None),
            (Some("revoked"), None),
            (None, Some(401)),
        ] {
            let cut = verdict(failed("channel", "ch", code, status), None);
            assert_eq!(cut.verdict, Verdict::Blank, "{code:?} {status:?}");
        }
        // Older than the limit, or never served: blank.
        let old = verdict(
            failed("url_token", "t", None, Some(503)),
            Some(NOW - KEEP_SHOWING - 1),
        );
        assert_eq!(old.verdict, Verdict::Blank);
        let none = verdict_of(
            "p".into(),
            "Lobby".into(),
            vec![],
            &good,
            &HashMap::new(),
            None,
            NOW,
        );
        assert_eq!(none.verdict, Verdict::Blank);
        assert!(none.action.expect("action").starts_with("Link Lobby"));
    }

    #[test]
    fn the_channels_own_keep_showing_limit_decides() {
        let good = HashMap::from([(("p".to_string(), "ch".to_string()), NOW - 3600)]);
        let with = |secs: u64| {
            let keep = HashMap::from([("channel:ch".to_string(), secs)]);
            let probe = failed("channel", "ch", Some("request_failed"), None);
            verdict_of(
                "p".into(),
                "Lobby".into(),
                vec![probe],
                &good,
                &keep,
                None,
                NOW,
            )
        };
        // Turned off, or shorter than the hour since the last good answer: blank.
        assert_eq!(with(0).verdict, Verdict::Blank);
        assert_eq!(with(1800).verdict, Verdict::Blank);
        // Longer than the default day still counts from the last good answer.
        let two_hours = with(7200);
        assert_eq!(two_hours.verdict, Verdict::Stale);
        assert!(two_hours.reason.expect("reason").ends_with("up to 2 h"));
    }
}
