//! `lanyard token add|list|show|edit|set|remove|send|match` and `lanyard permission list|revoke`.
//! Values are read from standard input or a hidden terminal prompt — never from the
//! command line — and never printed.

use std::io::{IsTerminal, Read};

use clap::{Args, Subcommand};
use lanyard_core::error::InputField;
use lanyard_core::secrets::SecretValue;
use lanyard_core::store::refetch::RefetchOf;
use lanyard_core::urltokens::permission::{self, MatchReport};
use lanyard_core::urltokens::tokens::{self, NewToken, Saved, TokenEdit};
use lanyard_core::urltokens::{Placement, UrlToken};
use lanyard_core::{Error, Lanyard, Result};

use super::refetch;
use crate::output::{date, Output};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Add a token; its value is read from standard input (or asked without echo).
    Add(AddArgs),
    /// List tokens (never their values).
    List,
    /// Show one token (never its value).
    Show {
        /// The token's id.
        id: String,
    },
    /// Change a token; `--replace-value` reads a new value like `add`.
    Edit(EditArgs),
    /// Change how the gateway uses a token (give --min-refetch, --keep-stale-for or both).
    #[command(group(clap::ArgGroup::new("setting").required(true).multiple(true)))]
    Set {
        /// The token's id.
        id: String,
        /// The gateway's shared cache serves a response fetched with this token for at
        /// least SECS seconds (0 to 86400; 0, the default, follows the upstream's caching
        /// headers only). For APIs that send no caching headers.
        #[arg(long, value_name = "SECS", group = "setting")]
        min_refetch: Option<u64>,
        /// How long the gateway keeps serving the last good answer fetched with this token,
        /// marked stale, when a fresh one cannot be had (upstream down, hanging, 5xx, 429;
        /// never after the token is removed or unlinked): e.g. 2h, 3d, 90m; 0 serves nothing stale. A day by default, at most
        /// 30 days.
        #[arg(long, value_name = "DURATION", group = "setting")]
        keep_stale_for: Option<String>,
    },
    /// Remove a token and its value.
    Remove {
        /// The token's id.
        id: String,
    },
    /// Seal one of your tokens to a contact and sign it: prints the offer as a link (when it
    /// fits in 2 KiB) and writes it to `--out` as a .lanyard-offer file.
    Send {
        /// The token's id.
        id: String,
        /// The contact (id, name or fingerprint).
        #[arg(long)]
        to: String,
        /// Write the offer to this file.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Which tokens a request to URL would carry, where, and which are ignored.
    Match {
        /// The request URL.
        url: String,
        /// The request method.
        #[arg(long, default_value = "GET")]
        method: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The URL prefix (https; http only on loopback).
    #[arg(long = "url", value_name = "PREFIX")]
    prefix: String,
    /// The key.
    #[arg(long)]
    key: String,
    /// Put it in the Authorization header (keys username, password, token) instead of a
    /// form field.
    #[arg(long, conflicts_with = "named_header")]
    header: bool,
    /// Send it as a header of its own named by --key (e.g. --key X-API-Key).
    #[arg(long)]
    named_header: bool,
    /// Ask before attaching it.
    #[arg(long)]
    requires_permission: bool,
    /// Ask for its value at use time; none is stored.
    #[arg(long)]
    prompt: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The token's id.
    id: String,
    /// New URL prefix.
    #[arg(long = "url", value_name = "PREFIX")]
    prefix: Option<String>,
    /// New key.
    #[arg(long)]
    key: Option<String>,
    /// Move it to the Authorization header.
    #[arg(long, conflicts_with_all = ["form", "named_header"])]
    header: bool,
    /// Move it to a form field.
    #[arg(long, conflicts_with = "named_header")]
    form: bool,
    /// Send it as a header of its own named by its key (e.g. X-API-Key).
    #[arg(long)]
    named_header: bool,
    /// Ask before attaching it (true/false).
    #[arg(long, value_name = "BOOL")]
    requires_permission: Option<bool>,
    /// Ask for its value at use time (true/false).
    #[arg(long, value_name = "BOOL")]
    prompt: Option<bool>,
    /// Read a new value (standard input or a hidden prompt).
    #[arg(long)]
    replace_value: bool,
}

#[derive(Debug, Subcommand)]
pub enum PermissionCommand {
    /// Stored "Accept all" decisions.
    List,
    /// Revoke a decision: you will be asked again.
    Revoke {
        /// The decision's id.
        id: String,
    },
}

/// Reads a value from standard input (piped) or a hidden terminal prompt.
fn read_value(what: &str) -> Result<SecretValue> {
    let raw = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Value for {what} (not shown): "))
            .map_err(|e| Error::Io(format!("could not read the value: {e}")))?
    } else {
        let mut raw = String::new();
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(|e| Error::Io(format!("could not read the value from standard input: {e}")))?;
        if raw.ends_with('\n') {
            raw.pop();
            if raw.ends_with('\r') {
                raw.pop();
            }
        }
        raw
    };
    if raw.is_empty() {
        return Err(Error::invalid("the value is empty"));
    }
    Ok(SecretValue::new(raw))
}

pub async fn run(l: &Lanyard, out: &Output, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Add(a) => add(l, out, a).await?,
        TokenCommand::List => {
            let all = tokens::list(l).await?;
            let refetch = refetch::all(l).await?;
            out.print(&refetch::list(&all, RefetchOf::UrlToken, &refetch), || {
                if all.is_empty() {
                    "no URL tokens".into()
                } else {
                    all.iter().map(line).collect::<Vec<_>>().join("\n")
                }
            });
        }
        TokenCommand::Show { id } => {
            let t = l.store().url_token(&id).await?;
            let all = refetch::all(l).await?;
            out.print(&refetch::with(&t, RefetchOf::UrlToken, &all), || line(&t));
        }
        TokenCommand::Set {
            id,
            min_refetch,
            keep_stale_for,
        } => set(l, out, &id, min_refetch, keep_stale_for).await?,
        TokenCommand::Edit(e) => edit(l, out, e).await?,
        TokenCommand::Remove { id } => {
            tokens::remove(l, &id).await?;
            out.print(&serde_json::json!({ "removed": id }), || {
                format!("removed token {id}")
            });
        }
        TokenCommand::Send { id, to, out: file } => {
            super::sharing::send(l, out, &id, &to, file.as_deref()).await?;
        }
        TokenCommand::Match { url, method } => {
            let report = permission::match_url(l, &method, &url).await?;
            out.print(&report, || match_text(&report));
        }
    }
    Ok(())
}

/// `token add`.
async fn add(l: &Lanyard, out: &Output, a: AddArgs) -> Result<()> {
    let placement = if a.header {
        Placement::Header
    } else if a.named_header {
        Placement::NamedHeader
    } else {
        Placement::Form
    };
    let value = if a.prompt {
        None
    } else {
        Some(read_value(&a.key)?)
    };
    let saved = tokens::add(
        l,
        NewToken {
            prefix: a.prefix,
            key: a.key,
            placement,
            requires_permission: a.requires_permission,
            prompt: a.prompt,
            value,
        },
    )
    .await?;
    print_saved(out, "added", &saved);
    Ok(())
}

/// `token set`: refetch limits, all checked before any is changed.
async fn set(
    l: &Lanyard,
    out: &Output,
    id: &str,
    min_refetch: Option<u64>,
    keep_stale_for: Option<String>,
) -> Result<()> {
    // Check everything before changing anything.
    if let Some(secs) = min_refetch {
        refetch::check(secs)?;
    }
    let keep = keep_stale_for
        .as_deref()
        .map(refetch::keep_stale_secs)
        .transpose()?;
    l.store().url_token(id).await?;
    if let Some(secs) = min_refetch {
        l.store()
            .set_min_refetch(RefetchOf::UrlToken, id, secs)
            .await?;
    }
    if let Some(secs) = keep {
        l.store()
            .set_keep_stale(RefetchOf::UrlToken, id, secs)
            .await?;
    }
    let t = l.store().url_token(id).await?;
    let all = refetch::all(l).await?;
    let stale = l.store().keep_stale_all().await?;
    let mut shown = refetch::with(&t, RefetchOf::UrlToken, &all);
    refetch::add_keep_stale(&mut shown, RefetchOf::UrlToken, &stale);
    out.print(&shown, || {
        let mut lines = Vec::new();
        if let Some(secs) = min_refetch {
            lines.push(refetch::described("token", id, secs));
        }
        if let Some(secs) = keep {
            lines.push(refetch::described_keep("token", id, secs));
        }
        lines.join("\n")
    });
    Ok(())
}

/// `token edit`.
async fn edit(l: &Lanyard, out: &Output, e: EditArgs) -> Result<()> {
    let value = if e.replace_value {
        Some(read_value(&e.id)?)
    } else {
        None
    };
    let placement = match (e.header, e.form, e.named_header) {
        (true, _, _) => Some(Placement::Header),
        (_, true, _) => Some(Placement::Form),
        (_, _, true) => Some(Placement::NamedHeader),
        _ => None,
    };
    let moving = e.prefix.is_some() && !e.replace_value;
    let saved = tokens::edit(
        l,
        &e.id,
        TokenEdit {
            prefix: e.prefix,
            key: e.key,
            placement,
            requires_permission: e.requires_permission,
            prompt: e.prompt,
            value,
        },
    )
    .await
    .map_err(|err| match err {
        // A new address asks for the value again: say how.
        Error::InvalidInput {
            field: Some(InputField::Value),
            message,
        } if moving => Error::invalid_field(
            InputField::Value,
            format!("{message} (add --replace-value)"),
        ),
        other => other,
    })?;
    print_saved(out, "saved", &saved);
    Ok(())
}

pub async fn permission(l: &Lanyard, out: &Output, command: PermissionCommand) -> Result<()> {
    match command {
        PermissionCommand::List => {
            let all = permission::decisions(l).await?;
            out.print(&all, || {
                all.iter()
                    .map(|d| {
                        format!(
                            "{}  accept all · {} {} · {}",
                            d.id,
                            d.prefix,
                            d.key,
                            date(d.decided_at)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        PermissionCommand::Revoke { id } => {
            permission::revoke(l, &id).await?;
            out.print(&serde_json::json!({ "revoked": id }), || {
                format!("revoked {id}; you will be asked again")
            });
        }
    }
    Ok(())
}

fn print_saved(out: &Output, verb: &str, saved: &Saved) {
    for w in &saved.warnings {
        eprintln!("warning: {w}");
    }
    out.print(saved, || format!("{verb} {}", line(&saved.token)));
}

fn line(t: &UrlToken) -> String {
    let mut flags = vec![t.placement.as_str().to_string()];
    if t.requires_permission {
        flags.push("asks permission".into());
    }
    if t.prompt {
        flags.push("value asked at use".into());
    }
    if t.origin == lanyard_core::urltokens::TokenOrigin::Received {
        flags.push("received (value not viewable)".into());
    }
    let warning = t
        .header_warning()
        .map(|w| format!("\n    warning: {w}"))
        .unwrap_or_default();
    format!(
        "{}  {}  {}  [{}]{warning}",
        t.id,
        t.prefix,
        t.key,
        flags.join(", ")
    )
}

fn match_text(r: &MatchReport) -> String {
    let mut out = format!("{} {}\n", r.method, r.url);
    if r.attached.is_empty() && r.ignored.is_empty() {
        out.push_str("no token matches");
    }
    for a in &r.attached {
        let place = a.line.attached.map(|p| p.as_str()).unwrap_or_default();
        let mut notes = Vec::new();
        if a.asks_permission {
            notes.push("asks permission first");
        }
        if a.prompt {
            notes.push("value asked at use");
        }
        out.push_str(&format!(
            "attach  {} ({})  → {place}{}\n",
            a.line.key,
            a.line.prefix,
            if notes.is_empty() {
                String::new()
            } else {
                format!("  [{}]", notes.join(", "))
            }
        ));
    }
    for i in &r.ignored {
        out.push_str(&format!(
            "ignore  {} ({}): {}\n",
            i.key,
            i.prefix,
            i.reason.as_deref().unwrap_or("")
        ));
    }
    out.trim_end().to_string()
}
