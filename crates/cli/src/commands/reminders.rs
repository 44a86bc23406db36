//! `lanyard reminders`: which channels need re-authorization and when to look again —
//! usable from cron on a headless machine.

use lanyard_core::{reminders, Lanyard, Result};

use crate::output::{date, Output};

pub async fn run(l: &Lanyard, out: &Output) -> Result<()> {
    let s = reminders::current(l).await?;
    out.print(&s, || {
        let mut text = if s.reminders.is_empty() {
            "nothing to re-authorize".to_string()
        } else {
            s.reminders
                .iter()
                .map(|r| format!("{}  ({})", r.message, r.channel_id))
                .collect::<Vec<_>>()
                .join("\n")
        };
        if let Some(next) = s.next_check_at {
            text.push_str(&format!("\nnext check: {}", date(next)));
        }
        text
    });
    Ok(())
}
