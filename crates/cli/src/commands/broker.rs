//! `lanyard player …`, `lanyard link …`, `lanyard grant`, `lanyard audit`.

use clap::{Args, Subcommand};
use lanyard_core::broker::audit_log;
use lanyard_core::broker::players::{self, NewPlayer, LICENSE};
use lanyard_core::broker::token_links::{self, hand_out};
use lanyard_core::error::InputField;
use lanyard_core::store::principals::Principal;
use lanyard_core::{Error, Lanyard, Result};

use crate::output::{date, Output};

#[derive(Debug, Subcommand)]
pub enum PlayerCommand {
    /// Register a player and print its secret (shown this once; only a hash is kept).
    Add {
        /// The player's name.
        name: String,
        /// Its serial number (generated when omitted).
        #[arg(long)]
        serial: Option<String>,
    },
    /// List the license and the players.
    List,
    /// Remove a player: its access ends now.
    Remove {
        /// The player's id.
        id: String,
    },
    /// Issue a new secret for a player (printed this once); the old one stops working now.
    RotateSecret {
        /// The player's id.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct Who {
    /// A player.
    #[arg(long, conflicts_with = "license", required_unless_present = "license")]
    player: Option<String>,
    /// The desktop license.
    #[arg(long)]
    license: bool,
}

impl Who {
    fn id(&self) -> &str {
        match &self.player {
            Some(id) => id,
            None => LICENSE,
        }
    }
}

#[derive(Debug, Args)]
pub struct What {
    /// A channel.
    #[arg(long, conflicts_with = "token", required_unless_present = "token")]
    channel: Option<String>,
    /// A URL token (own or received; a player cannot be linked to a prompt token).
    #[arg(long)]
    token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Link a player (or the license) to a channel or a URL token.
    Add {
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        what: What,
    },
    /// Unlink: that principal's next request goes without it (a player's gateway
    /// sessions end).
    Remove {
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        what: What,
    },
    /// List links to channels (with --tokens: links to URL tokens).
    List {
        /// List URL token links instead.
        #[arg(long)]
        tokens: bool,
    },
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The channel.
    #[arg(long)]
    channel: String,
    /// The data URL the grant is for (under one of the channel's API bases). Microsoft
    /// tokens are for one resource each: another resource's URL gets its own token.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    #[command(flatten)]
    who: Who,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this channel.
    #[arg(long)]
    channel: Option<String>,
    /// Only events at or after T (Unix seconds or RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// At most this many (newest first; at most 5000).
    #[arg(long, default_value_t = 200)]
    limit: i64,
}

pub async fn player(l: &Lanyard, out: &Output, command: PlayerCommand) -> Result<()> {
    match command {
        PlayerCommand::Add { name, serial } => {
            let new = players::add_player(l, &name, serial.as_deref()).await?;
            print_secret(out, &new, "added");
        }
        PlayerCommand::RotateSecret { id } => {
            players::require_id("player", &id)?;
            let new = players::rotate_secret(l, &id).await?;
            print_secret(out, &new, "new secret for");
        }
        PlayerCommand::List => {
            let all = players::list(l).await?;
            let states = l.store().screen_states().await?;
            let now = l.clock().now();
            let state_of = |p: &Principal| states.iter().find(|s| s.player_id == p.id);
            // Players gain `screen`: what the gateway last served them and the status line
            // the window shows (null for the license).
            let shown: Vec<serde_json::Value> = all
                .iter()
                .map(|p| {
                    let mut v = serde_json::to_value(p).unwrap_or_default();
                    if let Some(obj) = v.as_object_mut() {
                        let screen = p.serial.as_ref().map(|_| {
                            let state = state_of(p);
                            let mut s = serde_json::to_value(state).unwrap_or_default();
                            if let Some(o) = s.as_object_mut() {
                                o.remove("player_id");
                            } else {
                                s = serde_json::json!({});
                            }
                            s["status"] = lanyard_core::screens::status(state, now).into();
                            s
                        });
                        obj.insert(
                            "screen".into(),
                            serde_json::to_value(screen).unwrap_or_default(),
                        );
                    }
                    v
                })
                .collect();
            out.print(&shown, || {
                all.iter()
                    .map(|p| match p.serial {
                        Some(_) => format!(
                            "{} · {}",
                            line(p),
                            lanyard_core::screens::status(state_of(p), now)
                        ),
                        None => line(p),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        PlayerCommand::Remove { id } => {
            players::remove_player(l, &id).await?;
            out.print(&serde_json::json!({ "removed": id }), || {
                format!("removed player {id}; its access ended now")
            });
        }
    }
    Ok(())
}

pub async fn link(l: &Lanyard, out: &Output, command: LinkCommand) -> Result<()> {
    match command {
        LinkCommand::Add { who, what } => {
            let (kind, id) = match (&what.channel, &what.token) {
                (Some(c), _) => {
                    players::link(l, who.id(), c).await?;
                    ("channel", c)
                }
                (None, Some(t)) => {
                    token_links::link_token(l, who.id(), t).await?;
                    ("token", t)
                }
                (None, None) => return Err(Error::invalid("give --channel or --token")),
            };
            let body = serde_json::json!({ "principal_id": who.id(), format!("{kind}_id"): id, "linked": true });
            out.print(&body, || format!("linked {} to {kind} {id}", who.id()));
        }
        LinkCommand::Remove { who, what } => {
            let (kind, id) = match (&what.channel, &what.token) {
                (Some(c), _) => {
                    players::unlink(l, who.id(), c).await?;
                    ("channel", c)
                }
                (None, Some(t)) => {
                    token_links::unlink_token(l, who.id(), t).await?;
                    ("token", t)
                }
                (None, None) => return Err(Error::invalid("give --channel or --token")),
            };
            let body = serde_json::json!({ "principal_id": who.id(), format!("{kind}_id"): id, "linked": false });
            out.print(&body, || format!("unlinked {} from {kind} {id}", who.id()));
        }
        LinkCommand::List { tokens: true } => {
            let all = token_links::token_links(l).await?;
            out.print(&all, || {
                all.iter()
                    .map(|t| format!("{} → URL token {}", t.principal_id, t.token_id))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        LinkCommand::List { tokens: false } => {
            let all = players::links(l).await?;
            out.print(&all, || {
                all.iter()
                    .map(|k| {
                        format!(
                            "{} ({}) → {} ({})",
                            k.principal_name, k.principal_id, k.channel_label, k.channel_id
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

pub async fn grant(l: &Lanyard, out: &Output, args: GrantArgs) -> Result<()> {
    let result = hand_out(l, args.who.id(), &args.channel, args.url.as_deref()).await;
    l.broker().flush(l.store()).await?;
    let grant = result?;
    out.print(&grant, || {
        format!(
            "{} {}\nexpires at {} (the provider's token itself expires at {})",
            grant.token_type,
            grant.access_token,
            date(grant.expires_at),
            date(grant.provider_expires_at)
        )
    });
    Ok(())
}

pub async fn audit(l: &Lanyard, out: &Output, args: AuditArgs) -> Result<()> {
    let since = args.since.as_deref().map(parse_time).transpose()?;
    let query = audit_log::AuditQuery {
        channel_id: args.channel.as_deref(),
        since,
        limit: Some(args.limit),
    };
    let events = audit_log::list(l, query)
        .await
        .map_err(|e| match e.field() {
            // The same refusal, in the flag's name.
            Some(InputField::Limit) => {
                Error::invalid_field(InputField::Limit, "--limit must be positive")
            }
            _ => e,
        })?;
    out.print(&events, || {
        events
            .iter()
            .map(|e| {
                format!(
                    "{}  {:<16} {:<10} {}:{} by {} {}",
                    date(e.at),
                    e.action,
                    e.outcome,
                    e.subject_kind,
                    e.subject_id,
                    e.principal_id.as_deref().unwrap_or("-"),
                    e.detail.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

fn parse_time(raw: &str) -> Result<i64> {
    if let Ok(n) = raw.parse::<i64>() {
        return Ok(n);
    }
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| Error::invalid(format!("{raw:?} is not a Unix time or an RFC 3339 date")))
}

/// Prints a player with its secret: the one time the secret is shown.
fn print_secret(out: &Output, new: &NewPlayer, what: &str) {
    let mut body = serde_json::to_value(&new.player).unwrap_or_default();
    body["secret"] = serde_json::Value::String(new.secret.expose().to_string());
    out.print(&body, || {
        format!(
            "{what} {}\nplayer secret (shown once; give it to the player as \
             `Authorization: Bearer <secret>`):\n{}",
            line(&new.player),
            new.secret.expose()
        )
    });
}

fn line(p: &Principal) -> String {
    let seen = p
        .last_seen_at
        .map(|t| format!(" · last grant {}", date(t)))
        .unwrap_or_default();
    match &p.serial {
        Some(serial) => format!("{}  {} (serial {serial}){seen}", p.id, p.name),
        None => format!("{}  {} (desktop license){seen}", p.id, p.name),
    }
}
