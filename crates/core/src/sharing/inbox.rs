//! Sending own tokens to contacts and the "Token requests" inbox: import (verify, then
//! queue), list, accept (a received token: usable, never viewable, never re-pointable),
//! reject.

use std::path::Path;

use serde::Serialize;

use super::contacts::{self, Contact};
use super::identity;
use super::offer::{self, Contents};
pub use super::types::{Offer, OfferDirection, OfferStatus};
use super::{b64, key_from_b64};
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::store::sharing::NewOffer;
use crate::urltokens::prefix::parse_prefix;
use crate::urltokens::tokens::{check_key_for, check_value_for};
use crate::urltokens::{value_key, UrlToken};

/// A sealed, signed offer ready to travel.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// The offer's id.
    pub offer_id: String,
    /// Who it is for.
    pub contact: Contact,
    /// The offer's text (the content of a `.lanyard-offer` file).
    pub text: String,
    /// The same as a link, when it is short enough to travel as one (≤ 2 KiB).
    pub link: Option<String>,
    /// The offer's size in bytes.
    pub size: usize,
    /// The `.lanyard-offer` file it was written to, if any.
    pub file: Option<String>,
}

/// One of your own tokens with a stored value, or why it cannot be sent.
pub async fn sendable(l: &Lanyard, token_id: &str) -> Result<UrlToken> {
    let token = l.store().url_token(token_id).await?;
    if token.origin != crate::urltokens::TokenOrigin::Own {
        return Err(Error::invalid(
            "a token received from a contact cannot be sent on: only its owner can share it",
        ));
    }
    if token.prompt {
        return Err(Error::invalid(
            "this token's value is asked at use time, so there is no value to share",
        ));
    }
    Ok(token)
}

/// Seals one of your own tokens to a contact and signs it; writes it to `out` when given.
/// Without `out`, an offer too large for a link (> 2 KiB) is refused before anything is
/// recorded.
pub async fn send(l: &Lanyard, token_id: &str, to: &str, out: Option<&Path>) -> Result<Sent> {
    let token = sendable(l, token_id).await?;
    let contact = contacts::find(l, to).await?;
    let value = l
        .secrets()
        .get(&value_key(&token.id))
        .await?
        .ok_or_else(|| Error::InvalidState("this token has no stored value to share".into()))?;
    let keys = identity::keys(l).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = l.clock().now();
    let to_seal = key_from_b64(&contact.sealing_key, "the contact's sealing key")?;
    let to_sign = key_from_b64(&contact.signing_key, "the contact's signing key")?;
    let text = offer::seal(
        &keys,
        &to_seal,
        &to_sign,
        &Contents {
            id: &id,
            created_at: now,
            prefix: &token.prefix,
            key: &token.key,
            placement: token.placement,
            requires_permission: token.requires_permission,
            value: &value,
        },
    )?;
    if out.is_none() && text.len() > offer::MAX_LINK_LEN {
        return Err(Error::invalid(format!(
            "this offer is {} bytes, more than a link can carry ({} bytes): save it as a file",
            text.len(),
            offer::MAX_LINK_LEN
        )));
    }
    if let Some(path) = out {
        write_offer_file(path, &text)?;
    }
    l.store()
        .insert_offer(&NewOffer {
            id: &id,
            direction: OfferDirection::Outgoing,
            contact_id: &contact.id,
            prefix: &token.prefix,
            key: &token.key,
            placement: token.placement,
            requires_permission: token.requires_permission,
            sealed_value: None,
            created_at: now,
            received_at: None,
        })
        .await?;
    Ok(Sent {
        offer_id: id,
        contact,
        link: (text.len() <= offer::MAX_LINK_LEN).then(|| text.clone()),
        size: text.len(),
        file: out.map(|p| p.display().to_string()),
        text,
    })
}

fn write_offer_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, format!("{text}\n"))
        .map_err(|e| Error::io(&format!("could not write {}", path.display()), &e))
}

/// Reads a card or offer file of at most `max` bytes (larger files are refused unread).
pub fn read_limited(path: &Path, max: usize, what: &str) -> Result<String> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(&format!("could not open {}", path.display()), &e))?;
    read_text(file, max, what, &path.display().to_string())
}

/// Reads at most `max` bytes of text from `source` (called `name` in errors): more is
/// refused without reading it all, and so is anything that is not text. Text is UTF-8, or
/// UTF-16 when it starts with its byte order mark (Notepad's "Unicode"); a UTF-8 byte
/// order mark is left for the parsers ([`super::without_bom`]).
pub fn read_text(source: impl std::io::Read, max: usize, what: &str, name: &str) -> Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    source
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(&format!("could not read {name}"), &e))?;
    if bytes.len() > max {
        return Err(Error::invalid(format!(
            "{name} is larger than {} KiB: not a {what}",
            max / 1024
        )));
    }
    let not_text = || Error::invalid(format!("{name} is not a {what} (not text)"));
    let utf16 = |from: fn([u8; 2]) -> u16| {
        let units = bytes[2..].chunks(2).map(|pair| match pair {
            [a, b] => Ok(from([*a, *b])),
            _ => Err(not_text()),
        });
        let units = units.collect::<Result<Vec<u16>>>()?;
        String::from_utf16(&units).map_err(|_| not_text())
    };
    match bytes.get(..2) {
        Some([0xff, 0xfe]) => utf16(u16::from_le_bytes),
        Some([0xfe, 0xff]) => utf16(u16::from_be_bytes),
        _ => String::from_utf8(bytes).map_err(|_| not_text()),
    }
}

/// Verifies an offer (the text of a file or link) and queues it in Token requests.
/// Refused, with nothing stored: malformed or oversized offers, unknown senders, bad
/// signatures, offers sealed for someone else, offer ids seen before.
pub async fn import(l: &Lanyard, text: &str) -> Result<Offer> {
    let parsed = offer::parse(text)?;
    let body = &parsed.body;
    let sender_key = parsed.sender_signing_key()?;
    let contact = l
        .store()
        .contact_by_signing_key(&sender_key)
        .await?
        .ok_or_else(|| {
            Error::UnknownContact(format!(
                "this offer claims to come from {:?} (fingerprint {}), who is not one of your \
                 contacts: add their contact card first, after comparing the fingerprint with them",
                body.from.name,
                key_from_b64(&body.from.seal, "the sender's sealing key")
                    .map(|seal| super::fingerprint(&sender_key, &seal))
                    .unwrap_or_else(|_| "unknown".into())
            ))
        })?;
    parsed.verify(&sender_key)?;
    if body.from.seal != contact.sealing_key {
        return Err(Error::invalid(format!(
            "this offer names other keys for {:?} than the contact card you have: ask them for \
             their current card",
            contact.name
        )));
    }
    let keys = identity::keys(l).await?;
    if body.to.sign != b64(&keys.signing_public) || body.to.seal != b64(&keys.sealing_public) {
        return Err(Error::WrongRecipient(
            "this offer was sealed for someone else, not for this Lanyard".into(),
        ));
    }
    // Ids are the sender's choice: replays are told apart per sender, so one contact cannot
    // claim another's offer id in advance.
    let local_id = local_offer_id(&sender_key, &body.id);
    if l.store().offer(&local_id).await.is_ok() {
        return Err(Error::Replayed(format!(
            "offer {} was already imported here; an offer can be used only once",
            body.id
        )));
    }
    let sealed = parsed.sealed()?;
    let value = offer::open(&keys, &body.binding(), &sealed)?;
    parse_prefix(&body.prefix)?;
    check_key_for(&body.key, body.placement)?;
    check_value_for(&body.key, body.placement, &value)?;
    drop(value);
    l.store()
        .insert_offer(&NewOffer {
            id: &local_id,
            direction: OfferDirection::Incoming,
            contact_id: &contact.id,
            prefix: &body.prefix,
            key: &body.key,
            placement: body.placement,
            requires_permission: body.requires_permission,
            sealed_value: Some(&sealed),
            created_at: body.created_at,
            received_at: Some(l.clock().now()),
        })
        .await?;
    Ok(l.store().offer(&local_id).await?.0)
}

/// The id an incoming offer is kept under here: the sender's key, shortened, and the
/// sender's offer id (`<16 hex>.<id>`; outgoing offers keep their plain UUID).
fn local_offer_id(sender: &super::PublicKeyBytes, id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(sender);
    let prefix: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}.{id}")
}

/// The sender's offer id inside a local id.
fn sender_offer_id(local_id: &str) -> &str {
    local_id.split_once('.').map_or(local_id, |(_, id)| id)
}

/// Offers waiting in Token requests, or (with `all`) every offer sent and received.
pub async fn list(l: &Lanyard, all: bool) -> Result<Vec<Offer>> {
    l.store().offers(!all).await
}

/// How many offers wait in Token requests.
pub async fn pending_count(l: &Lanyard) -> Result<i64> {
    l.store().pending_offer_count().await
}

async fn pending(l: &Lanyard, id: &str) -> Result<(Offer, Option<Vec<u8>>)> {
    let (offer, sealed) = l.store().offer(id).await?;
    if offer.direction != OfferDirection::Incoming || offer.status != OfferStatus::Pending {
        return Err(Error::InvalidState(format!(
            "offer {id} is not waiting in Token requests (it is {} {})",
            offer.status, offer.direction
        )));
    }
    Ok((offer, sealed))
}

/// Accepts an offer: its value goes to the secret store, and a token that cannot be
/// viewed, edited or sent on is added with origin "received from" the contact.
pub async fn accept(l: &Lanyard, id: &str) -> Result<UrlToken> {
    let (offer, sealed) = pending(l, id).await?;
    let (Some(contact_id), Some(sealed)) = (offer.contact_id.clone(), sealed) else {
        return Err(Error::InvalidState(
            "the contact who sent this offer was removed; reject it".into(),
        ));
    };
    let contacts = l.store().contacts().await?;
    let contact = contacts
        .iter()
        .find(|c| c.id == contact_id)
        .ok_or_else(|| Error::InvalidState("the contact who sent this offer was removed".into()))?;
    let keys = identity::keys(l).await?;
    let value = offer::open(
        &keys,
        &offer::Binding {
            id: sender_offer_id(&offer.id),
            from_sign: &contact.signing_key,
            prefix: &offer.prefix,
            key: &offer.key,
            placement: offer.placement,
        },
        &sealed,
    )?;
    check_value_for(&offer.key, offer.placement, &value)?;
    let prefix = parse_prefix(&offer.prefix)?;
    let now = l.clock().now();
    let token = UrlToken {
        id: uuid::Uuid::new_v4().to_string(),
        prefix: prefix.display,
        key: offer.key.clone(),
        placement: offer.placement,
        requires_permission: offer.requires_permission,
        prompt: false,
        origin: crate::urltokens::TokenOrigin::Received,
        received_from: Some(contact.id.clone()),
        viewable: false,
        created_at: now,
        updated_at: now,
    };
    l.secrets().set(&value_key(&token.id), value).await?;
    if let Err(e) = l
        .store()
        .accept_offer(&offer.id, &token, &prefix.origin, now)
        .await
    {
        let _ = l.secrets().delete(&value_key(&token.id)).await;
        return Err(match e {
            Error::Conflict(_) => Error::Conflict(format!(
                "you already have a token {:?} for {}: remove it first, or reject this offer",
                token.key, token.prefix
            )),
            other => other,
        });
    }
    Ok(token)
}

/// Rejects an offer: it leaves Token requests and its sealed value is erased (its id is
/// kept so it cannot come back).
pub async fn reject(l: &Lanyard, id: &str) -> Result<Offer> {
    pending(l, id).await?;
    l.store().reject_offer(id, l.clock().now()).await?;
    Ok(l.store().offer(id).await?.0)
}
