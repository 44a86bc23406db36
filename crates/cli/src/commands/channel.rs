//! `lanyard channel connect|reauth|list|show|disconnect` and `lanyard oauth callback`.

use std::time::Duration;

use clap::{Args, Subcommand};
use lanyard_core::oauth::channel::{Channel, Handout};
use lanyard_core::oauth::channels;
use lanyard_core::oauth::flow::{self, AuthorizationStart, Connected};
use lanyard_core::oauth::revoke::Revocation;
use lanyard_core::store::refetch::RefetchOf;
use lanyard_core::{Lanyard, Result};

use super::refetch;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Connect an account: opens the provider's sign-in page in your browser.
    Connect {
        /// The provider's id.
        #[arg(long)]
        provider: String,
        #[command(flatten)]
        flow: FlowArgs,
    },
    /// Re-authorize a channel (the same account must sign in).
    Reauth {
        /// The channel's id.
        id: String,
        #[command(flatten)]
        flow: FlowArgs,
    },
    /// List channels.
    List,
    /// Show one channel.
    Show {
        /// The channel's id.
        id: String,
    },
    /// Disconnect a channel: revoke at the provider, forget its tokens; every linked
    /// player loses access.
    Disconnect {
        /// The channel's id.
        id: String,
    },
    /// Change a channel's settings (give at least one of --handout, --min-refetch,
    /// --keep-stale-for).
    #[command(group(clap::ArgGroup::new("setting").required(true).multiple(true)))]
    Set {
        /// The channel's id.
        id: String,
        /// How players get its data: `proxy` (through the gateway's /v1/fetch; the
        /// provider's token never leaves Lanyard) or `token` (/v1/grants hands players the
        /// provider's access token, usable at the provider until its own expiry).
        #[arg(long, value_name = "proxy|token", group = "setting")]
        handout: Option<String>,
        /// The gateway's shared cache serves a response fetched with this channel for at
        /// least SECS seconds (0 to 86400; 0, the default, follows the upstream's caching
        /// headers only). For APIs that send no caching headers.
        #[arg(long, value_name = "SECS", group = "setting")]
        min_refetch: Option<u64>,
        /// How long the gateway keeps serving the last good answer fetched with this channel,
        /// marked stale, when a fresh one cannot be had (upstream down, hanging, 5xx, 429;
        /// the provider unavailable or a re-authorization pending): e.g. 2h, 3d, 90m; 0 serves nothing stale. A day by default, at most
        /// 30 days.
        #[arg(long, value_name = "DURATION", group = "setting")]
        keep_stale_for: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct FlowArgs {
    /// Do not open a browser; print the sign-in URL. With a deep-link provider the command
    /// then exits and `lanyard oauth callback URL` (or the app) completes the sign-in.
    #[arg(long)]
    no_browser: bool,
    /// How long a loopback sign-in waits for the browser, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum OauthCommand {
    /// Complete a sign-in with the redirect URL the provider sent the browser to (what the
    /// app does when the OS delivers the deep link).
    Callback {
        /// The full redirect URL (app.lanyard.desktop:/oauth/callback?…).
        #[arg(allow_hyphen_values = true)]
        url: String,
    },
}

pub async fn run(l: &Lanyard, out: &Output, command: ChannelCommand) -> Result<()> {
    match command {
        ChannelCommand::Set {
            id,
            handout,
            min_refetch,
            keep_stale_for,
        } => set(l, out, &id, handout, min_refetch, keep_stale_for).await,
        ChannelCommand::Connect {
            provider,
            flow: args,
        } => {
            let started = flow::start(l, &provider, None).await?;
            follow(l, out, started, args).await
        }
        ChannelCommand::Reauth { id, flow: args } => {
            let started = flow::start_reauth(l, &id).await?;
            follow(l, out, started, args).await
        }
        ChannelCommand::List => {
            let all = channels::list(l).await?;
            let refetch = refetch::all(l).await?;
            out.print(&refetch::list(&all, RefetchOf::Channel, &refetch), || {
                if all.is_empty() {
                    "no channels".into()
                } else {
                    all.iter().map(line).collect::<Vec<_>>().join("\n")
                }
            });
            Ok(())
        }
        ChannelCommand::Show { id } => {
            let channel = channels::show(l, &id).await?;
            let all = refetch::all(l).await?;
            out.print(&refetch::with(&channel, RefetchOf::Channel, &all), || {
                line(&channel)
            });
            Ok(())
        }
        ChannelCommand::Disconnect { id } => {
            let done = channels::disconnect(l, &id).await?;
            out.print(&done, || {
                let revocation = match &done.revocation {
                    Revocation::Revoked => "revoked at the provider".to_string(),
                    Revocation::NotSupported => {
                        "the provider offers no revocation; its tokens expire on their own".into()
                    }
                    Revocation::Pending(why) | Revocation::Failed(why) => why.clone(),
                };
                let advice = done
                    .advice
                    .as_deref()
                    .map(|a| format!("\n{a}"))
                    .unwrap_or_default();
                format!(
                    "disconnected {id}: {revocation}; {} principal(s) lost access{advice}",
                    done.unlinked.len()
                )
            });
            Ok(())
        }
    }
}

/// `channel set`: the handout and refetch limits, all checked before any is changed.
async fn set(
    l: &Lanyard,
    out: &Output,
    id: &str,
    handout: Option<String>,
    min_refetch: Option<u64>,
    keep_stale_for: Option<String>,
) -> Result<()> {
    let handout = handout.as_deref().map(Handout::parse).transpose()?;
    let keep = keep_stale_for
        .as_deref()
        .map(refetch::keep_stale_secs)
        .transpose()?;
    // Check everything before changing anything.
    channels::show(l, id).await?;
    if let Some(secs) = min_refetch {
        refetch::check(secs)?;
    }
    if let Some(handout) = handout {
        lanyard_core::broker::token_links::set_handout(l, id, handout).await?;
    }
    if let Some(secs) = min_refetch {
        l.store()
            .set_min_refetch(RefetchOf::Channel, id, secs)
            .await?;
    }
    if let Some(secs) = keep {
        l.store()
            .set_keep_stale(RefetchOf::Channel, id, secs)
            .await?;
    }
    let stale = l.store().keep_stale_all().await?;
    let channel = channels::show(l, id).await?;
    let all = refetch::all(l).await?;
    let mut shown = refetch::with(&channel, RefetchOf::Channel, &all);
    refetch::add_keep_stale(&mut shown, RefetchOf::Channel, &stale);
    out.print(&shown, || {
        let mut lines = Vec::new();
        if let Some(handout) = handout {
            lines.push(format!(
                "channel {id} now hands out {}",
                match handout {
                    Handout::Proxy => "data through the gateway (/v1/fetch), never its token",
                    Handout::Token => "its provider token through /v1/grants",
                }
            ));
        }
        if let Some(secs) = min_refetch {
            lines.push(refetch::described("channel", id, secs));
        }
        if let Some(secs) = keep {
            lines.push(refetch::described_keep("channel", id, secs));
        }
        lines.join("\n")
    });
    Ok(())
}

pub async fn callback(l: &Lanyard, out: &Output, command: OauthCommand) -> Result<()> {
    match command {
        OauthCommand::Callback { url } => {
            let connected = flow::complete(l, &url).await?;
            print_connected(out, &connected);
            Ok(())
        }
    }
}

/// Announces a started sign-in and, for a loopback provider, waits for it to finish.
async fn follow(l: &Lanyard, out: &Output, started: flow::Started, args: FlowArgs) -> Result<()> {
    announce(
        out,
        &started.start,
        args.no_browser,
        started.loopback.is_none(),
    );
    if let Some(listener) = started.loopback {
        let callback = listener.wait(Duration::from_secs(args.timeout)).await?;
        let connected = flow::complete(l, &callback).await?;
        print_connected(out, &connected);
    }
    Ok(())
}

/// Prints the sign-in URL (one compact JSON line with `--json`, so a script can read it
/// before the command finishes) and opens the browser unless told not to.
fn announce(out: &Output, started: &AuthorizationStart, no_browser: bool, deep_link: bool) {
    out.line(started, || {
        let then = if deep_link {
            "Lanyard completes the sign-in when your browser returns (or run \
             `lanyard oauth callback URL` with the address it was sent to)."
        } else {
            "Waiting for your browser to return…"
        };
        format!("Sign in at:\n{}\n{then}", started.authorization_url)
    });
    if !no_browser {
        if let Err(err) = open::that_detached(&started.authorization_url) {
            eprintln!("could not open a browser ({err}); open the address above yourself");
        }
    }
}

fn print_connected(out: &Output, connected: &Connected) {
    out.line(connected, || {
        let verb = if connected.reauthorized {
            "re-authorized"
        } else {
            "connected"
        };
        format!("{verb} {}", line(&connected.channel))
    });
}

fn line(c: &Channel) -> String {
    let due = c
        .reauth_due_at
        .map(|t| format!(" · re-authorize by {}", crate::output::date(t)))
        .unwrap_or_default();
    format!(
        "{}  {} — {} [{}]{due}",
        c.id,
        c.provider_name,
        c.account_label,
        c.status.as_str()
    )
}
