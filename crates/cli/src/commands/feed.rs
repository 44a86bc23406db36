//! `lanyard feed`: feed links for no-code widgets — `add`, `list`, `rotate`, `remove`, and
//! `gateway` (the public address links are made with). A link is printed once, by `add`
//! and `rotate`; only a keyed hash of its key is stored.

use clap::Subcommand;
use lanyard_core::feeds::{self, FeedState, MadeFeed, NewFeedSpec};
use lanyard_core::{Lanyard, Result};

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Make a feed link for a player and a data URL; prints the link this once.
    Add {
        /// The player (screen) whose links the data is fetched with.
        #[arg(long)]
        player: String,
        /// The data URL the link serves (and nothing else).
        #[arg(long)]
        url: String,
        /// A name (default: the URL's host and path).
        #[arg(long)]
        name: Option<String>,
        /// A query parameter name the widget may add to the link (repeat). Any other is
        /// refused with 403.
        #[arg(long = "allow-query", value_name = "NAME")]
        allow_query: Vec<String>,
        /// The gateway's public address for this link (else the saved one, see `feed
        /// gateway`; else the app's gateway; else http://127.0.0.1:7443).
        #[arg(long, value_name = "URL")]
        gateway: Option<String>,
    },
    /// List feed links (never their keys).
    List {
        /// Only this player's.
        #[arg(long)]
        player: Option<String>,
    },
    /// Give a feed link a new key (printed this once); the old link stops working now.
    Rotate {
        /// The feed's id.
        id: String,
        /// The gateway's public address for the new link (see `add`).
        #[arg(long, value_name = "URL")]
        gateway: Option<String>,
    },
    /// Remove a feed link: it answers 403 from now on.
    Remove {
        /// The feed's id.
        id: String,
    },
    /// Show, set or clear the gateway's public address used in new links.
    Gateway {
        /// `https://gateway.example.com` (http only on loopback). Omit to show.
        url: Option<String>,
        /// Forget the saved address.
        #[arg(long, conflicts_with = "url")]
        clear: bool,
    },
}

fn made_json(m: &MadeFeed) -> serde_json::Value {
    serde_json::json!({
        "id": m.feed.id,
        "name": m.feed.name,
        "player_id": m.feed.player_id,
        "url": m.feed.url,
        "allow_query": m.feed.allow_query,
        "created_at": m.feed.created_at,
        "rotated_at": m.feed.rotated_at,
        "link": m.link.expose(),
        "gateway": m.gateway,
    })
}

fn made_text(m: &MadeFeed, what: &str) -> String {
    format!(
        "{what} feed link {} ({}) for player {}:\n  {}\nThis link is shown only now: paste it \
         into the widget's data URL. It carries access to the player's data — treat it like \
         a password.\n(gateway address from {}: {})",
        m.feed.id,
        m.feed.name,
        m.feed.player_id,
        m.link.expose(),
        m.gateway.source,
        m.gateway.url
    )
}

pub async fn run(l: &Lanyard, out: &Output, command: FeedCommand) -> Result<()> {
    match command {
        FeedCommand::Add {
            player,
            url,
            name,
            allow_query,
            gateway,
        } => {
            let spec = NewFeedSpec {
                player_id: player,
                url,
                name,
                allow_query,
            };
            let made = feeds::add(l, spec, gateway.as_deref()).await?;
            out.print(&made_json(&made), || made_text(&made, "made"));
        }
        FeedCommand::List { player } => {
            let mut all = Vec::new();
            for feed in feeds::list(l, player.as_deref()).await? {
                let covered = feeds::covered(l, &feed).await?;
                all.push(FeedState { feed, covered });
            }
            out.print(&all, || {
                if all.is_empty() {
                    return "no feed links".into();
                }
                all.iter()
                    .map(|s| {
                        format!(
                            "{}  {}  player {}  {}{}",
                            s.feed.id,
                            s.feed.name,
                            s.feed.player_id,
                            s.feed.url,
                            if s.covered {
                                ""
                            } else {
                                "  (refused now: the player is not linked to what it needs)"
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        FeedCommand::Rotate { id, gateway } => {
            let made = feeds::rotate(l, &id, gateway.as_deref()).await?;
            out.print(&made_json(&made), || made_text(&made, "new key for"));
        }
        FeedCommand::Remove { id } => {
            feeds::remove(l, &id).await?;
            out.print(&serde_json::json!({ "removed": id.trim() }), || {
                format!(
                    "removed feed link {}; it answers 403 from now on",
                    id.trim()
                )
            });
        }
        FeedCommand::Gateway { url, clear } => {
            let base = if clear {
                feeds::link::set_public_url(l, None).await?
            } else if let Some(url) = url {
                feeds::link::set_public_url(l, Some(&url)).await?
            } else {
                feeds::link::base(l, None).await?
            };
            out.print(&base, || {
                format!("new feed links use {} (from {})", base.url, base.source)
            });
        }
    }
    Ok(())
}
