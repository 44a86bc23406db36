//! Re-authorization reminders as a pure schedule: given the health timeline
//! ([`crate::health`], the one list of what will stop) and `now`, which
//! reminders are due (needs re-authorization now, expired, due within a day, due within
//! three days) and when the next threshold will be crossed. No clock, no I/O: the shell
//! and the CLI call it with the time they have. Times are Unix seconds (UTC), so time
//! zones and daylight-saving changes cannot move a threshold; only the displayed date
//! changes.

use serde::{Deserialize, Serialize};

use crate::error::InputField;
use crate::health;
use crate::oauth::channel::Channel;
#[cfg(test)]
use crate::oauth::channel::ChannelStatus;

const DAY: i64 = 86_400;

/// When to remind, in days before the "re-authorize by" date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The early reminder (default 3 days).
    pub soon_days: i64,
    /// The last reminder (default 1 day).
    pub imminent_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            soon_days: 3,
            imminent_days: 1,
        }
    }
}

/// How urgent a reminder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "ReminderLevel")
)]
pub enum Level {
    /// The provider already refused the channel's master token.
    NeedsReauth,
    /// The "re-authorize by" date has passed.
    Expired,
    /// Due within the imminent threshold.
    DueSoon,
    /// Due within the early threshold.
    DueLater,
}

impl Level {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::NeedsReauth => "needs_reauth",
            Level::Expired => "expired",
            Level::DueSoon => "due_soon",
            Level::DueLater => "due_later",
        }
    }
}

/// One reminder.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    /// The channel.
    pub channel_id: String,
    /// Its provider's name.
    pub provider_name: String,
    /// Its account.
    pub account_label: String,
    /// How urgent.
    pub level: Level,
    /// What will stop (the health timeline's kind).
    pub kind: health::Kind,
    /// When it stops (the "re-authorize by" date, the secret's expiry…), if known.
    pub due_at: Option<i64>,
    /// The screens it would blank.
    pub screens: Vec<health::Screen>,
    /// What the tray and notifications say: the action, when, and the screens at stake.
    pub message: String,
}

/// What is due now and when to look again.
#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    /// Due reminders, most urgent first.
    pub reminders: Vec<Reminder>,
    /// The next moment a threshold is crossed (None: nothing scheduled).
    pub next_check_at: Option<i64>,
}

fn in_words(seconds: i64) -> String {
    let days = seconds / DAY;
    let hours = seconds / 3600;
    if days >= 2 {
        format!("due in {days} days")
    } else if hours >= 2 {
        format!("due in {hours} hours")
    } else {
        "due within the hour".into()
    }
}

/// The schedule for `channels` alone (no links, no providers) at `now`.
pub fn schedule(channels: &[Channel], now: i64, t: Thresholds) -> Schedule {
    let facts = health::Facts {
        channels,
        ..Default::default()
    };
    schedule_of(&health::timeline(&facts, now), now, t)
}

/// The reminders of a health timeline at `now`: every moment that applies for sure, once
/// within the thresholds. The one rule for the tray, the notifications and `lanyard
/// reminders`; the health view shows the same moments.
pub fn schedule_of(timeline: &health::Timeline, now: i64, t: Thresholds) -> Schedule {
    let (soon, imminent) = (
        t.soon_days.max(t.imminent_days) * DAY,
        t.imminent_days.max(0) * DAY,
    );
    let mut reminders = Vec::new();
    let mut next: Option<i64> = None;
    // A stale feed is in the health view, not reminded: no sign-in fixes a data source.
    for m in timeline
        .moments
        .iter()
        .filter(|m| m.certain() && m.kind != health::Kind::FeedStale)
    {
        let level = match m.at {
            None => Some((Level::NeedsReauth, "needed now".to_string())),
            Some(due) if due <= now => Some((Level::Expired, "expired".into())),
            Some(due) if due - now <= imminent => Some((Level::DueSoon, in_words(due - now))),
            Some(due) if due - now <= soon => Some((Level::DueLater, in_words(due - now))),
            _ => None,
        };
        if let Some(due) = m.at {
            for crossing in [due - soon, due - imminent, due] {
                if crossing > now {
                    next = Some(next.map_or(crossing, |n| n.min(crossing)));
                }
            }
        }
        if let Some((level, words)) = level {
            reminders.push(Reminder {
                channel_id: m.channel_id.clone(),
                provider_name: m.provider_name.clone(),
                account_label: m.account_label.clone(),
                level,
                kind: m.kind,
                due_at: m.at,
                screens: m.screens.clone(),
                message: format!("{} · {words}{}", m.action, m.screens_in_words()),
            });
        }
    }
    reminders.sort_by(|a, b| a.level.cmp(&b.level).then(a.due_at.cmp(&b.due_at)));
    Schedule {
        reminders,
        next_check_at: next,
    }
}

/// The setting holding [`Thresholds`].
pub const THRESHOLDS_SETTING: &str = "reminder_thresholds";

/// The schedule of an installation now (thresholds from its settings).
pub async fn current(l: &crate::Lanyard) -> crate::Result<Schedule> {
    let t: Thresholds = l
        .store()
        .setting(THRESHOLDS_SETTING)
        .await?
        .unwrap_or_default();
    Ok(schedule_of(
        &crate::health::current(l).await?,
        l.clock().now(),
        t,
    ))
}

/// The setting holding the time until which notifications are paused.
pub const PAUSED_UNTIL_SETTING: &str = "reminders_paused_until";

/// The thresholds in use.
pub async fn thresholds(l: &crate::Lanyard) -> crate::Result<Thresholds> {
    Ok(l.store()
        .setting(THRESHOLDS_SETTING)
        .await?
        .unwrap_or_default())
}

/// Changes the thresholds (1 ≤ imminent < soon ≤ 30 days).
pub async fn set_thresholds(l: &crate::Lanyard, t: Thresholds) -> crate::Result<()> {
    if !(1 <= t.imminent_days && t.imminent_days < t.soon_days && t.soon_days <= 30) {
        return Err(crate::Error::invalid(
            "reminder thresholds must satisfy 1 ≤ last reminder < first reminder ≤ 30 days",
        ));
    }
    l.store()
        .set_setting(THRESHOLDS_SETTING, &t, l.clock().now())
        .await
}

/// Until when notifications are paused (None: not paused).
pub async fn paused_until(l: &crate::Lanyard) -> crate::Result<Option<i64>> {
    let until: Option<Option<i64>> = l.store().setting(PAUSED_UNTIL_SETTING).await?;
    Ok(until.flatten().filter(|u| *u > l.clock().now()))
}

/// The longest pause: a longer one is shortened to this.
pub const MAX_PAUSE_HOURS: i64 = 30 * 24;

/// Pauses notifications for `hours` (0 resumes them; at most [`MAX_PAUSE_HOURS`]): what the
/// Settings page and the tray's pause items call. Negative hours are refused.
pub async fn pause_for_hours(l: &crate::Lanyard, hours: i64) -> crate::Result<Option<i64>> {
    if hours < 0 {
        return Err(crate::Error::invalid_field(
            InputField::Hours,
            "a pause lasts zero hours (resume) or more",
        ));
    }
    pause(l, hours.min(MAX_PAUSE_HOURS) * 3600).await
}

/// Pauses notifications for `seconds` (0 resumes them).
pub async fn pause(l: &crate::Lanyard, seconds: i64) -> crate::Result<Option<i64>> {
    let until = (seconds > 0).then(|| l.clock().now() + seconds.min(30 * DAY));
    l.store()
        .set_setting(PAUSED_UNTIL_SETTING, &until, l.clock().now())
        .await?;
    Ok(until)
}

/// The reminders of `schedule` not yet shown as notifications; they are recorded as shown,
/// so each (channel, level, due date) is notified once, across restarts.
pub async fn to_notify(l: &crate::Lanyard, schedule: &Schedule) -> crate::Result<Vec<Reminder>> {
    let mut fresh = Vec::new();
    if paused_until(l).await?.is_some() {
        // Paused: nothing is recorded, so the reminders come once the pause ends.
        return Ok(fresh);
    }
    for r in &schedule.reminders {
        let level = r.level.as_str();
        let mut tx = l.store().begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO reminder_notified (channel_id, level, due_at, notified_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&r.channel_id)
        .bind(level)
        .bind(r.due_at.unwrap_or(0))
        .bind(l.clock().now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        if inserted == 1 {
            fresh.push(r.clone());
        }
    }
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn channel(id: &str, status: ChannelStatus, due: Option<i64>) -> Channel {
        Channel {
            id: id.into(),
            provider_id: "microsoft".into(),
            provider_name: "Microsoft 365".into(),
            account_subject: id.into(),
            account_label: format!("{id}@contoso.com"),
            scopes: vec![],
            status,
            connected_at: NOW - 10 * DAY,
            last_refreshed_at: None,
            reauth_due_at: due,
            refresh_token_expires_at: None,
            last_error: None,
            token_generation: 1,
            access_token_expires_at: None,
            handout: crate::oauth::channel::Handout::Proxy,
        }
    }

    #[test]
    fn level_names_match_their_serialized_form() {
        for l in [
            Level::NeedsReauth,
            Level::Expired,
            Level::DueSoon,
            Level::DueLater,
        ] {
            assert_eq!(serde_json::to_value(l).expect("json"), l.as_str());
        }
    }

    #[test]
    fn every_threshold() {
        let t = Thresholds::default();
        let cases = [
            (
                channel("a", ChannelStatus::Active, Some(NOW + 5 * DAY)),
                None,
            ),
            (
                channel("b", ChannelStatus::Active, Some(NOW + 3 * DAY)),
                Some(Level::DueLater),
            ),
            (
                channel("c", ChannelStatus::Active, Some(NOW + 2 * DAY)),
                Some(Level::DueLater),
            ),
            (
                channel("d", ChannelStatus::Active, Some(NOW + DAY)),
                Some(Level::DueSoon),
            ),
            (
                channel("e", ChannelStatus::Active, Some(NOW + 60)),
                Some(Level::DueSoon),
            ),
            (
                channel("f", ChannelStatus::Active, Some(NOW)),
                Some(Level::Expired),
            ),
            (
                channel("g", ChannelStatus::NeedsReauth, None),
                Some(Level::NeedsReauth),
            ),
            (channel("h", ChannelStatus::Active, None), None),
            (channel("i", ChannelStatus::Revoked, Some(NOW - DAY)), None),
        ];
        for (c, expected) in cases {
            let s = schedule(std::slice::from_ref(&c), NOW, t);
            assert_eq!(
                s.reminders.first().map(|r| r.level),
                expected,
                "channel {}",
                c.id
            );
        }
        let s = schedule(
            &[channel("c", ChannelStatus::Active, Some(NOW + 2 * DAY))],
            NOW,
            t,
        );
        assert_eq!(
            s.reminders[0].message,
            "Re-authorize Microsoft 365 — c@contoso.com · due in 2 days"
        );
    }

    #[test]
    fn the_next_check_is_the_next_crossing() {
        let t = Thresholds::default();
        let due = NOW + 5 * DAY;
        let s = schedule(&[channel("a", ChannelStatus::Active, Some(due))], NOW, t);
        assert_eq!(s.next_check_at, Some(due - 3 * DAY));
        let s = schedule(
            &[channel("a", ChannelStatus::Active, Some(due))],
            due - 2 * DAY,
            t,
        );
        assert_eq!(s.next_check_at, Some(due - DAY));
        let s = schedule(
            &[channel("a", ChannelStatus::Active, Some(due))],
            due - 3600,
            t,
        );
        assert_eq!(s.next_check_at, Some(due));
        let s = schedule(
            &[channel("a", ChannelStatus::Active, Some(due))],
            due + 1,
            t,
        );
        assert_eq!(s.next_check_at, None);
        assert_eq!(s.reminders[0].level, Level::Expired);
    }

    #[test]
    fn clock_jumps_are_just_another_now() {
        let t = Thresholds::default();
        let due = NOW + 5 * DAY;
        let c = [channel("a", ChannelStatus::Active, Some(due))];
        // Jump forward past every threshold, then back: the schedule follows `now`.
        assert_eq!(schedule(&c, due + 10, t).reminders[0].level, Level::Expired);
        assert!(schedule(&c, NOW - 30 * DAY, t).reminders.is_empty());
    }

    #[tokio::test]
    async fn each_reminder_is_notified_once_across_restarts() {
        use crate::secrets::{SecretStoreKind, Secrets};
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::Config {
            database: crate::store::testing::database().await.expect("database"),
            ..crate::Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory)
        };
        let clock = std::sync::Arc::new(crate::clock::FixedClock::at(NOW));
        let open = || crate::Lanyard::open_with(&config, clock.clone(), Some(Secrets::in_memory()));
        let l = open().await.expect("open");
        let id = crate::broker::testing::seed_channel(
            &l,
            "http://127.0.0.1:9/token",
            "a",
            NOW + 3600,
            "r",
        )
        .await
        .expect("seed");
        sqlx::query("UPDATE channel SET reauth_due_at = $1 WHERE id = $2")
            .bind(NOW + 2 * DAY)
            .bind(&id)
            .execute(l.store().pool())
            .await
            .expect("due");
        let s = current(&l).await.expect("schedule");
        assert_eq!(to_notify(&l, &s).await.expect("notify").len(), 1);
        assert!(to_notify(&l, &s).await.expect("again").is_empty());
        drop(l);
        let again = open().await.expect("reopen");
        assert!(to_notify(&again, &current(&again).await.expect("s"))
            .await
            .expect("n")
            .is_empty());
        // Paused: the next threshold waits for the pause to end.
        pause(&again, DAY * 2).await.expect("pause");
        // The next threshold is a new notification (once the pause is over).
        clock.advance(DAY + 60);
        let s = current(&again).await.expect("schedule");
        assert_eq!(s.reminders[0].level, Level::DueSoon);
        assert!(to_notify(&again, &s).await.expect("paused").is_empty());
        pause(&again, 0).await.expect("resume");
        assert_eq!(to_notify(&again, &s).await.expect("notify").len(), 1);
        assert!(set_thresholds(
            &again,
            Thresholds {
                soon_days: 1,
                imminent_days: 1
            }
        )
        .await
        .is_err());
        set_thresholds(
            &again,
            Thresholds {
                soon_days: 7,
                imminent_days: 2,
            },
        )
        .await
        .expect("set");
        assert_eq!(thresholds(&again).await.expect("get").soon_days, 7);
    }

    #[test]
    fn custom_thresholds_and_order() {
        let t = Thresholds {
            soon_days: 7,
            imminent_days: 2,
        };
        let channels = [
            channel("later", ChannelStatus::Active, Some(NOW + 6 * DAY)),
            channel("now", ChannelStatus::NeedsReauth, None),
            channel("soon", ChannelStatus::Active, Some(NOW + DAY)),
        ];
        let s = schedule(&channels, NOW, t);
        let order: Vec<_> = s.reminders.iter().map(|r| r.channel_id.as_str()).collect();
        assert_eq!(order, ["now", "soon", "later"]);
    }
}
