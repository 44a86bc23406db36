//! `lanyard health`: what will stop when, per channel and URL token, with the screens it
//! would blank (the same list the tray and notifications read); `lanyard health check`:
//! refresh every channel now and fetch each screen's links as the screen, then say per
//! screen whether it will show live data, stale data or nothing, and the one action that
//! fixes it.

use clap::Subcommand;
use lanyard_core::health::{self, check};
use lanyard_core::{Lanyard, Result};

use crate::output::{date, Output};

#[derive(Debug, Subcommand)]
pub enum HealthCommand {
    /// Refresh every channel now and fetch each screen's links as the screen.
    Check,
}

pub async fn run(l: &Lanyard, out: &Output, command: Option<HealthCommand>) -> Result<()> {
    match command {
        None => timeline(l, out).await,
        Some(HealthCommand::Check) => check_now(l, out).await,
    }
}

async fn timeline(l: &Lanyard, out: &Output) -> Result<()> {
    let t = health::current(l).await?;
    out.print(&t, || {
        if t.moments.is_empty() {
            return "nothing known to stop".into();
        }
        t.moments
            .iter()
            .map(|m| {
                let when = m.at.map_or("now".to_string(), date);
                let only_if = m
                    .only_if
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                format!(
                    "{when}  {}{only_if}: {}{}",
                    m.kind.as_str(),
                    m.action,
                    m.screens_in_words()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

async fn check_now(l: &Lanyard, out: &Output) -> Result<()> {
    let report = check::run(l).await?;
    #[derive(serde::Serialize)]
    struct Shown<'a> {
        all_live: bool,
        #[serde(flatten)]
        report: &'a check::Report,
    }
    let shown = Shown {
        all_live: report.all_live(),
        report: &report,
    };
    out.print(&shown, || {
        let mut lines = Vec::new();
        for c in &report.channels {
            lines.push(match &c.code {
                None => format!("channel {}: refreshed", c.label),
                Some(code) => format!("channel {}: refresh failed ({code})", c.label),
            });
        }
        for s in &report.screens {
            let verdict = match s.verdict {
                check::Verdict::Live => "will show live data".to_string(),
                check::Verdict::Stale => format!(
                    "will show stale data{}",
                    s.stale_since
                        .map(|t| format!(" from {}", date(t)))
                        .unwrap_or_default()
                ),
                check::Verdict::Blank => "will go blank".to_string(),
            };
            let why = s
                .reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            let fix = s
                .action
                .as_deref()
                .map(|a| format!(" → {a}"))
                .unwrap_or_default();
            lines.push(format!("screen {}: {verdict}{why}{fix}", s.name));
        }
        if lines.is_empty() {
            "no channels and no screens".into()
        } else {
            lines.join("\n")
        }
    });
    Ok(())
}
