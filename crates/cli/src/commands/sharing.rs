//! `lanyard identity show|export|rename`, `lanyard contact add|list|rename|remove`,
//! `lanyard offer import|list|accept|reject` (and `token send`, in `token.rs`, through
//! [`send`]). Cards and offers are read from an argument, a file, or standard input
//! (`-`); token values are never printed.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use lanyard_core::sharing::card::{CARD_PREFIX, MAX_CARD_LEN};
use lanyard_core::sharing::contacts::{self, Contact};
use lanyard_core::sharing::identity;
use lanyard_core::sharing::inbox::{self, read_limited, read_text, Offer};
use lanyard_core::sharing::offer::{MAX_OFFER_LEN, OFFER_PREFIX};
use lanyard_core::{Error, Lanyard, Result};

use crate::output::{date, Output};

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Show this installation's name, fingerprint and contact card (created on first use).
    Show,
    /// Write the contact card to a file (or print just the card).
    Export {
        /// The file to write (e.g. me.lanyard-contact); prints the card when omitted.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Change the name on your card.
    Rename {
        /// The new name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Add a contact from their card: a lanyard://contact/… link, a file holding it, or
    /// `-` to read it from standard input.
    Add {
        /// The card.
        card: String,
        /// The name to know them by (default: the name on the card).
        #[arg(long)]
        name: Option<String>,
    },
    /// List contacts.
    List,
    /// Rename a contact.
    Rename {
        /// The contact (id, name or fingerprint).
        contact: String,
        /// The new name.
        name: String,
    },
    /// Remove a contact (offers from them still waiting are dropped).
    Remove {
        /// The contact (id, name or fingerprint).
        contact: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OfferCommand {
    /// Verify an offer (a .lanyard-offer file, a lanyard://offer/… link, or `-` for standard
    /// input) and put it in Token requests.
    Import {
        /// The file or link.
        offer: String,
    },
    /// Offers waiting in Token requests (`--all`: every offer sent and received).
    List {
        /// Include sent, accepted and rejected offers.
        #[arg(long)]
        all: bool,
    },
    /// Accept an offer: the token becomes usable (never viewable).
    Accept {
        /// The offer's id.
        id: String,
    },
    /// Reject an offer: it leaves Token requests and its sealed value is erased.
    Reject {
        /// The offer's id.
        id: String,
    },
}

/// Reads a card or offer given as text (starting with `prefix`), `-` (standard input) or
/// a file path.
fn read_arg(arg: &str, prefix: &str, max: usize, what: &str) -> Result<String> {
    if arg.trim_start().starts_with(prefix) {
        return Ok(arg.to_string());
    }
    if arg == "-" {
        return read_text(std::io::stdin(), max, what, "standard input");
    }
    let path = Path::new(arg);
    if !path.exists() {
        return Err(Error::invalid(format!(
            "{arg:?} is neither a {what} ({prefix}…) nor a file"
        )));
    }
    read_limited(path, max, what)
}

fn contact_line(c: &Contact) -> String {
    format!(
        "{}  {}  {}  added {}",
        c.id,
        c.name,
        c.fingerprint,
        date(c.created_at)
    )
}

fn offer_line(o: &Offer) -> String {
    let who = o.contact_name.as_deref().unwrap_or("(removed contact)");
    let arrow = if o.direction == lanyard_core::sharing::types::OfferDirection::Incoming {
        format!("from {who}")
    } else {
        format!("to {who}")
    };
    let mut flags = vec![o.placement.as_str().to_string()];
    if o.requires_permission {
        flags.push("asks permission".into());
    }
    format!(
        "{}  {}  {}  {}  [{}]  {} {}",
        o.id,
        arrow,
        o.prefix,
        o.key,
        flags.join(", "),
        o.status,
        date(o.received_at.unwrap_or(o.created_at))
    )
}

pub async fn identity(l: &Lanyard, out: &Output, command: IdentityCommand) -> Result<()> {
    match command {
        IdentityCommand::Show => {
            let me = identity::show(l).await?;
            out.print(&me, || {
                format!("{}\nfingerprint {}\n{}", me.name, me.fingerprint, me.card)
            });
        }
        IdentityCommand::Export { out: file } => {
            let me = identity::show(l).await?;
            if let Some(path) = &file {
                std::fs::write(path, format!("{}\n", me.card))
                    .map_err(|e| Error::Io(format!("could not write {}: {e}", path.display())))?;
            }
            let file = file.map(|p| p.display().to_string());
            out.print(
                &serde_json::json!({ "card": me.card, "fingerprint": me.fingerprint, "file": file }),
                || match &file {
                    Some(f) => format!("wrote your contact card to {f}"),
                    None => me.card.clone(),
                },
            );
        }
        IdentityCommand::Rename { name } => {
            let me = identity::rename(l, &name).await?;
            out.print(&me, || {
                format!("your card now says {:?}\n{}", me.name, me.card)
            });
        }
    }
    Ok(())
}

pub async fn contact(l: &Lanyard, out: &Output, command: ContactCommand) -> Result<()> {
    match command {
        ContactCommand::Add { card, name } => {
            let text = read_arg(&card, CARD_PREFIX, MAX_CARD_LEN, "contact card")?;
            let c = contacts::add(l, &text, name.as_deref()).await?;
            out.print(&c, || {
                format!(
                    "added {} (fingerprint {}: compare it with them)",
                    c.name, c.fingerprint
                )
            });
        }
        ContactCommand::List => {
            let all = contacts::list(l).await?;
            out.print(&all, || {
                if all.is_empty() {
                    "no contacts".into()
                } else {
                    all.iter().map(contact_line).collect::<Vec<_>>().join("\n")
                }
            });
        }
        ContactCommand::Rename { contact, name } => {
            let c = contacts::rename(l, &contact, &name).await?;
            out.print(&c, || contact_line(&c));
        }
        ContactCommand::Remove { contact } => {
            let c = contacts::remove(l, &contact).await?;
            out.print(&serde_json::json!({ "removed": c.id }), || {
                format!("removed {}", c.name)
            });
        }
    }
    Ok(())
}

/// `lanyard token send ID --to CONTACT [--out FILE]`.
pub async fn send(
    l: &Lanyard,
    out: &Output,
    token: &str,
    to: &str,
    file: Option<&Path>,
) -> Result<()> {
    let sent = inbox::send(l, token, to, file).await?;
    out.print(&sent, || {
        let mut lines = vec![format!(
            "sealed for {} (fingerprint {}), offer {}",
            sent.contact.name, sent.contact.fingerprint, sent.offer_id
        )];
        if let Some(f) = &sent.file {
            lines.push(format!("wrote {f}"));
        }
        match &sent.link {
            Some(link) => lines.push(link.clone()),
            None => lines.push(format!(
                "({} bytes: too large for a link; send the file)",
                sent.size
            )),
        }
        lines.join("\n")
    });
    Ok(())
}

pub async fn offer(l: &Lanyard, out: &Output, command: OfferCommand) -> Result<()> {
    match command {
        OfferCommand::Import { offer } => {
            let text = read_arg(&offer, OFFER_PREFIX, MAX_OFFER_LEN, "Lanyard offer")?;
            let o = inbox::import(l, &text).await?;
            out.print(&o, || {
                format!(
                    "{}\nwaiting in Token requests: `lanyard offer accept {}` or `reject`",
                    offer_line(&o),
                    o.id
                )
            });
        }
        OfferCommand::List { all } => {
            let offers = inbox::list(l, all).await?;
            out.print(&offers, || {
                if offers.is_empty() {
                    "no token requests".into()
                } else {
                    offers.iter().map(offer_line).collect::<Vec<_>>().join("\n")
                }
            });
        }
        OfferCommand::Accept { id } => {
            let token = inbox::accept(l, &id).await?;
            out.print(&token, || {
                format!(
                    "accepted: token {} for {} ({}); you can use it, not view it",
                    token.id, token.prefix, token.key
                )
            });
        }
        OfferCommand::Reject { id } => {
            let o = inbox::reject(l, &id).await?;
            out.print(&o, || format!("rejected offer {}", o.id));
        }
    }
    Ok(())
}
