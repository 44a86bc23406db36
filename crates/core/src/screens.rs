//! Every screen's state (issue 28 item 3, DESIGN §13 rule 3): what the gateway last served
//! each player — fresh data, the last good data marked stale (since when, from when, why),
//! or a refusal with its code — and per data URL the last fresh answer.
//!
//! The gateway [`ScreenLog::record`]s each `/v1/fetch` answer in memory (a map keyed by
//! player: the latest wins, a run of stale answers keeps its start); the upkeep writes the
//! buffer in one transaction every flush ([`ScreenLog::flush`]), so the hot path never
//! waits on the store. Rows are upserted keeping the latest request, so several gateways
//! on one PostgreSQL show each screen's latest state from any of them. A player removed
//! meanwhile is skipped (its rows go with it).

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::RwLock;

use serde::Serialize;
use sqlx::Row;

use crate::error::Result;
use crate::store::Store;

/// What a screen was served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// Fresh data.
    Fresh,
    /// The last good data, fetched at `data_from`, because of `reason`.
    Stale {
        /// The stale reason code.
        reason: String,
        /// When the data was fetched (Unix seconds).
        data_from: i64,
    },
    /// Nothing: refused with `code` (the gateway's, or `upstream_<status>`).
    Refused {
        /// The code.
        code: String,
    },
}

/// Shards of the buffer: screens on different shards never touch the same lock.
const SHARDS: usize = 16;

/// A screen's buffered state. `at` and the dirty flags are atomics: an answer like the
/// last one (the steady state of a screen polling its data) only moves them, under a read
/// lock of its shard, without allocating.
#[derive(Debug)]
struct Seen {
    at: AtomicI64,
    served: Served,
    stale_since: Option<i64>,
    /// Changed since the last flush.
    dirty: AtomicBool,
    /// Per data URL (without its query): the last fresh answer, changed since the flush.
    feeds: RwLock<Map<String, (AtomicI64, AtomicBool)>>,
}

/// The in-memory buffer of screen states, sharded by player. An entry stays one flush
/// after it was last written, so a screen's next answer finds it and costs no allocation;
/// one untouched for a whole flush interval is dropped.
#[derive(Debug, Default)]
pub struct ScreenLog {
    shards: [RwLock<Map<String, Seen>>; SHARDS],
}

/// The log's maps, read on every `/v1/fetch`: foldhash with a per-process random seed.
type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// What one flush writes of a screen.
#[derive(Debug)]
struct Written {
    player: String,
    at: i64,
    served: Served,
    stale_since: Option<i64>,
    feeds: Vec<(String, i64)>,
}

/// The data URL `url` is shown as: without its query and fragment (a query may hold a
/// key). `url`'s serialization percent-encodes `?` and `#` everywhere else.
/// Moves `last` on to `at` and marks it dirty — writing only what changes. A screen asks
/// many times a second and `at` is in seconds: reads leave the cache line shared between
/// the cores serving it; a write on every request would pass it back and forth.
fn touch(last: &AtomicI64, dirty: &AtomicBool, at: i64) {
    if last.load(Ordering::Relaxed) < at {
        last.fetch_max(at, Ordering::Relaxed);
    }
    if !dirty.load(Ordering::Relaxed) {
        dirty.store(true, Ordering::Relaxed);
    }
}

fn shown(url: &url::Url) -> &str {
    let s = url.as_str();
    s.find(['?', '#']).map_or(s, |end| &s[..end])
}

/// A screen's recorded state.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScreenState {
    /// The player.
    pub player_id: String,
    /// Its last `/v1/fetch` (Unix seconds).
    pub last_request_at: i64,
    /// `fresh`, `stale` or `refused`.
    pub last_answer: String,
    /// The stale reason or the refusal's code.
    pub last_code: Option<String>,
    /// Since when it has been served stale data (the current run).
    pub stale_since: Option<i64>,
    /// When the stale data it is shown was fetched.
    pub data_from: Option<i64>,
    /// Per data URL (without its query), the last fresh answer, newest first.
    pub feeds: Vec<FeedState>,
}

/// One data URL of a screen.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeedState {
    /// The URL without its query.
    pub url: String,
    /// Its last fresh answer (Unix seconds).
    pub last_fresh_at: i64,
}

impl Seen {
    /// A fresh answer for `feed` at `at`.
    fn fresh(&self, feed: &str, at: i64) {
        if let Ok(feeds) = self.feeds.read() {
            if let Some((last, dirty)) = feeds.get(feed) {
                touch(last, dirty, at);
                return;
            }
        }
        if let Ok(mut feeds) = self.feeds.write() {
            let (last, dirty) = feeds
                .entry(feed.to_string())
                .or_insert_with(|| (AtomicI64::new(at), AtomicBool::new(true)));
            last.fetch_max(at, Ordering::Relaxed);
            dirty.store(true, Ordering::Relaxed);
        }
    }
}

impl ScreenLog {
    fn shard(&self, player_id: &str) -> &RwLock<Map<String, Seen>> {
        let h = foldhash::fast::FixedState::with_seed(0).hash_one(player_id);
        &self.shards[(h % SHARDS as u64) as usize]
    }

    /// Records what `player_id` was served at `at` for `url` (shown without its query).
    pub fn record(&self, player_id: &str, at: i64, served: Served, url: Option<&url::Url>) {
        let feed = match (&served, url) {
            (Served::Fresh, Some(url)) => Some(shown(url)),
            _ => None,
        };
        let shard = self.shard(player_id);
        if let Ok(players) = shard.read() {
            if let Some(seen) = players.get(player_id).filter(|s| s.served == served) {
                touch(&seen.at, &seen.dirty, at);
                if let Some(feed) = feed {
                    seen.fresh(feed, at);
                }
                return;
            }
        }
        let Ok(mut players) = shard.write() else {
            return;
        };
        let previous = players.get(player_id);
        let stale_since = match (&served, previous) {
            (Served::Stale { .. }, Some(p)) if p.stale_since.is_some() => p.stale_since,
            (Served::Stale { .. }, _) => Some(at),
            _ => None,
        };
        match players.get_mut(player_id) {
            Some(seen) => {
                *seen.at.get_mut() = at;
                seen.served = served;
                seen.stale_since = stale_since;
                *seen.dirty.get_mut() = true;
            }
            None => {
                players.insert(
                    player_id.to_string(),
                    Seen {
                        at: AtomicI64::new(at),
                        served,
                        stale_since,
                        dirty: AtomicBool::new(true),
                        feeds: RwLock::default(),
                    },
                );
            }
        }
        if let (Some(feed), Some(seen)) = (feed, players.get(player_id)) {
            seen.fresh(feed, at);
        }
    }

    /// Takes what changed since the last flush, and drops the screens that did not.
    fn take(&self) -> Vec<Written> {
        let mut out = Vec::new();
        for shard in &self.shards {
            let Ok(mut players) = shard.write() else {
                continue;
            };
            players.retain(|player, seen| {
                let mut feeds: Vec<(String, i64)> = Vec::new();
                if let Ok(all) = seen.feeds.get_mut() {
                    all.retain(|url, (at, dirty)| {
                        let changed = std::mem::take(dirty.get_mut());
                        if changed {
                            feeds.push((url.clone(), *at.get_mut()));
                        }
                        changed
                    });
                }
                let changed = std::mem::take(seen.dirty.get_mut());
                if changed || !feeds.is_empty() {
                    out.push(Written {
                        player: player.clone(),
                        at: *seen.at.get_mut(),
                        served: seen.served.clone(),
                        stale_since: seen.stale_since,
                        feeds,
                    });
                }
                changed
            });
        }
        out
    }

    /// Writes the buffer in one transaction; returns how many screens were written.
    pub async fn flush(&self, store: &Store) -> Result<usize> {
        let players = self.take();
        if players.is_empty() {
            return Ok(0);
        }
        let mut tx = store.begin_write().await?;
        for seen in &players {
            let (answer, code, data_from) = match &seen.served {
                Served::Fresh => ("fresh", None, None),
                Served::Stale { reason, data_from } => {
                    ("stale", Some(reason.as_str()), Some(*data_from))
                }
                Served::Refused { code } => ("refused", Some(code.as_str()), None),
            };
            sqlx::query(
                "INSERT INTO screen_state \
                 (player_id, last_request_at, last_answer, last_code, stale_since, data_from) \
                 SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS \
                 (SELECT 1 FROM principal WHERE id = $1) \
                 ON CONFLICT (player_id) DO UPDATE SET \
                 last_request_at = excluded.last_request_at, \
                 last_answer = excluded.last_answer, \
                 last_code = excluded.last_code, \
                 stale_since = CASE WHEN excluded.last_answer = 'stale' THEN \
                   COALESCE(CASE WHEN screen_state.last_answer = 'stale' \
                   THEN screen_state.stale_since END, excluded.stale_since) ELSE NULL END, \
                 data_from = excluded.data_from \
                 WHERE excluded.last_request_at >= screen_state.last_request_at",
            )
            .bind(&seen.player)
            .bind(seen.at)
            .bind(answer)
            .bind(code)
            .bind(seen.stale_since)
            .bind(data_from)
            .execute(&mut *tx)
            .await?;
        }
        for seen in &players {
            for (url, at) in &seen.feeds {
                sqlx::query(
                    "INSERT INTO feed_state (player_id, url, last_fresh_at) \
                     SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM principal WHERE id = $1) \
                     ON CONFLICT (player_id, url) DO UPDATE SET \
                     last_fresh_at = excluded.last_fresh_at \
                     WHERE excluded.last_fresh_at >= feed_state.last_fresh_at",
                )
                .bind(&seen.player)
                .bind(url)
                .bind(*at)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(players.len())
    }
}

impl Store {
    /// Every recorded screen state, with its feeds.
    pub async fn screen_states(&self) -> Result<Vec<ScreenState>> {
        let mut out: Vec<ScreenState> = Vec::new();
        for row in sqlx::query(
            "SELECT player_id, last_request_at, last_answer, last_code, stale_since, data_from \
             FROM screen_state ORDER BY player_id",
        )
        .fetch_all(self.pool())
        .await?
        {
            out.push(ScreenState {
                player_id: row.try_get("player_id")?,
                last_request_at: row.try_get("last_request_at")?,
                last_answer: row.try_get("last_answer")?,
                last_code: row.try_get("last_code")?,
                stale_since: row.try_get("stale_since")?,
                data_from: row.try_get("data_from")?,
                feeds: Vec::new(),
            });
        }
        for row in sqlx::query(
            "SELECT player_id, url, last_fresh_at FROM feed_state \
             ORDER BY last_fresh_at DESC, url",
        )
        .fetch_all(self.pool())
        .await?
        {
            let player: String = row.try_get("player_id")?;
            let feed = FeedState {
                url: row.try_get("url")?,
                last_fresh_at: row.try_get("last_fresh_at")?,
            };
            match out.iter_mut().find(|s| s.player_id == player) {
                Some(s) => s.feeds.push(feed),
                None => out.push(ScreenState {
                    player_id: player,
                    last_request_at: feed.last_fresh_at,
                    last_answer: "fresh".into(),
                    last_code: None,
                    stale_since: None,
                    data_from: None,
                    feeds: vec![feed],
                }),
            }
        }
        Ok(out)
    }
}

/// A screen not heard from for this long is "not seen" whatever it was last served.
pub const NOT_SEEN_AFTER_SECS: i64 = 15 * 60;

/// Words for a stale reason or refusal code.
pub fn explain(code: &str) -> String {
    match code {
        "upstream_unreachable" => "the data source is unreachable".into(),
        "upstream_timeout" => "the data source is not answering".into(),
        "upstream_error" => "the data source has an error".into(),
        "upstream_rate_limited" => "the data source is limiting requests".into(),
        "provider_unavailable" => "the sign-in service is unavailable".into(),
        "needs_reauth" => "the account needs signing in again".into(),
        "not_covered" | "not_linked" => "not linked".into(),
        "unknown_principal" => "removed".into(),
        "unauthenticated" => "not signed in".into(),
        "rate_limited" => "too many requests".into(),
        other => other.replace('_', " "),
    }
}

fn span(secs: i64) -> String {
    let (n, unit) = match secs {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 7_200 => (s / 3_600, "hours"),
        s => ((s / 60).max(1), "minutes"),
    };
    if n == 1 {
        format!("1 {}", unit.trim_end_matches('s'))
    } else {
        format!("{n} {unit}")
    }
}

/// One line for a screen's state at `now` (times in UTC): "showing live data", "showing
/// data from 14:02 UTC — the data source is unreachable", "refused: not linked", "not seen
/// for 3 days", "never seen".
pub fn status(state: Option<&ScreenState>, now: i64) -> String {
    let Some(s) = state else {
        return "never seen".into();
    };
    if now - s.last_request_at >= NOT_SEEN_AFTER_SECS {
        return format!("not seen for {}", span(now - s.last_request_at));
    }
    let code = s.last_code.as_deref().unwrap_or_default();
    match s.last_answer.as_str() {
        "stale" => {
            let from = s.data_from.unwrap_or(s.last_request_at);
            let day = from.rem_euclid(86_400);
            let at = format!("{:02}:{:02} UTC", day / 3_600, day % 3_600 / 60);
            format!("showing data from {at} — {}", explain(code))
        }
        "refused" => format!("refused: {}", explain(code)),
        _ => "showing live data".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(answer: &str, code: Option<&str>, at: i64, from: Option<i64>) -> ScreenState {
        ScreenState {
            player_id: "p".into(),
            last_request_at: at,
            last_answer: answer.into(),
            last_code: code.map(str::to_string),
            stale_since: from,
            data_from: from,
            feeds: Vec::new(),
        }
    }

    #[test]
    fn each_state_reads_as_a_person_would_say_it() {
        let now = 1_796_565_720; // 2026-12-06 14:02 UTC
        assert_eq!(status(None, now), "never seen");
        assert_eq!(
            status(Some(&state("fresh", None, now - 5, None)), now),
            "showing live data"
        );
        assert_eq!(
            status(
                Some(&state("stale", Some("needs_reauth"), now, Some(now - 600))),
                now
            ),
            "showing data from 13:52 UTC — the account needs signing in again"
        );
        assert_eq!(
            status(Some(&state("refused", Some("not_covered"), now, None)), now),
            "refused: not linked"
        );
        assert_eq!(
            status(Some(&state("fresh", None, now - 3 * 86_400, None)), now),
            "not seen for 3 days"
        );
    }

    #[test]
    fn a_run_of_stale_answers_keeps_its_start_and_fresh_data_ends_it() {
        let log = ScreenLog::default();
        let stale = |at| Served::Stale {
            reason: "upstream_error".into(),
            data_from: at,
        };
        log.record("p", 10, stale(5), None);
        log.record("p", 20, stale(5), None);
        let since = |log: &ScreenLog| log.shard("p").read().expect("l")["p"].stale_since;
        assert_eq!(since(&log), Some(10));
        log.record("p", 30, Served::Fresh, None);
        assert_eq!(since(&log), None);
    }

    #[test]
    fn a_steady_screen_is_written_each_flush_and_an_idle_one_is_dropped() {
        let log = ScreenLog::default();
        let url = url::Url::parse("https://feed.example/x?key=SECRET#top").expect("url");
        log.record("p", 10, Served::Fresh, Some(&url));
        log.record("p", 12, Served::Fresh, Some(&url));
        let written = log.take();
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].at, 12);
        assert_eq!(
            written[0].feeds,
            vec![("https://feed.example/x".to_string(), 12)]
        );
        // The same answer again, after a flush: the latest time is written again.
        log.record("p", 20, Served::Fresh, Some(&url));
        let written = log.take();
        assert_eq!((written[0].at, written[0].feeds[0].1), (20, 20));
        // Nothing since: nothing written, and the screen's entry is dropped.
        assert!(log.take().is_empty());
        assert!(log.shard("p").read().expect("l").get("p").is_none());
        // A changed answer is written with its own state.
        log.record(
            "p",
            30,
            Served::Refused {
                code: "not_linked".into(),
            },
            None,
        );
        let written = log.take();
        assert_eq!(
            (written[0].at, &written[0].served),
            (
                30,
                &Served::Refused {
                    code: "not_linked".into()
                }
            )
        );
        assert!(written[0].feeds.is_empty());
    }
}
