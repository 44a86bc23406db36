//! Re-authorization reminders for the Settings page.

use lanyard_core::reminders::Level;
use serde::Serialize;
use ts_rs::TS;

/// One due reminder.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReminderDto {
    /// Channel.
    pub channel_id: String,
    /// How urgent.
    pub level: Level,
    /// Re-authorize by (Unix seconds).
    #[ts(type = "number | null")]
    pub due_at: Option<i64>,
    /// What the tray says.
    pub message: String,
}

/// Reminders for the Settings page.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemindersDto {
    /// Due reminders, most urgent first.
    pub reminders: Vec<ReminderDto>,
    /// Next threshold crossing (Unix seconds).
    #[ts(type = "number | null")]
    pub next_check_at: Option<i64>,
    /// First reminder, days before.
    #[ts(type = "number")]
    pub soon_days: i64,
    /// Last reminder, days before.
    #[ts(type = "number")]
    pub imminent_days: i64,
    /// Notifications paused until (Unix seconds).
    #[ts(type = "number | null")]
    pub paused_until: Option<i64>,
}

impl RemindersDto {
    /// From the core's schedule and settings.
    pub fn new(
        s: lanyard_core::reminders::Schedule,
        t: lanyard_core::reminders::Thresholds,
        paused_until: Option<i64>,
    ) -> Self {
        RemindersDto {
            reminders: s
                .reminders
                .into_iter()
                .map(|r| ReminderDto {
                    channel_id: r.channel_id,
                    level: r.level,
                    due_at: r.due_at,
                    message: r.message,
                })
                .collect(),
            next_check_at: s.next_check_at,
            soon_days: t.soon_days,
            imminent_days: t.imminent_days,
            paused_until,
        }
    }
}
