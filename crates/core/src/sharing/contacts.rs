//! Contacts: people whose cards you added. Only contacts can send you offers and only
//! contacts can be sent to.

use super::card::ContactCard;
pub use super::types::Contact;
use super::{check_name, fingerprint, identity};
use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;

/// A verified card and what this installation already knows of it.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// The card.
    pub card: ContactCard,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Whether it is this installation's own card.
    pub own: bool,
    /// The contact who already has this card.
    pub existing: Option<Contact>,
}

/// Verifies a card and says whose it is, without adding it.
pub async fn inspect(l: &Lanyard, card_text: &str) -> Result<Inspected> {
    let card = ContactCard::parse(card_text)?;
    let own = identity::public_keys(l)
        .await?
        .is_some_and(|(sign, _)| sign == card.signing_key);
    let existing = l.store().contact_by_signing_key(&card.signing_key).await?;
    Ok(Inspected {
        fingerprint: fingerprint(&card.signing_key, &card.sealing_key),
        card,
        own,
        existing,
    })
}

/// Adds a contact from their card (a link or pasted text); `name` overrides the card's.
pub async fn add(l: &Lanyard, card_text: &str, name: Option<&str>) -> Result<Contact> {
    let Inspected {
        card,
        fingerprint,
        own,
        existing,
    } = inspect(l, card_text).await?;
    let name = match crate::input::given_str(name) {
        Some(n) => check_name(n).map_err(|e| e.in_field(InputField::Name))?,
        None => card.name.clone(),
    };
    if own {
        return Err(Error::invalid(
            "that is your own contact card: give it to the people who should send you tokens",
        ));
    }
    if let Some(existing) = existing {
        return Err(Error::Conflict(format!(
            "this card is already in your contacts as {:?}",
            existing.name
        )));
    }
    let contact = Contact {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        fingerprint,
        sealing_key: super::b64(&card.sealing_key),
        signing_key: super::b64(&card.signing_key),
        created_at: l.clock().now(),
    };
    l.store()
        .insert_contact(&contact, &card.sealing_key, &card.signing_key)
        .await
        .map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict("this card is already in your contacts".into()),
            other => other,
        })?;
    Ok(contact)
}

/// Every contact, by name.
pub async fn list(l: &Lanyard) -> Result<Vec<Contact>> {
    l.store().contacts().await
}

/// Finds a contact by id, by name (case-insensitive, when only one has it) or by
/// fingerprint.
pub async fn find(l: &Lanyard, which: &str) -> Result<Contact> {
    let all = l.store().contacts().await?;
    if let Some(c) = all.iter().find(|c| c.id == which) {
        return Ok(c.clone());
    }
    let wanted = which.trim();
    let by_fp: Vec<_> = all
        .iter()
        .filter(|c| c.fingerprint.eq_ignore_ascii_case(wanted))
        .collect();
    if let [one] = by_fp.as_slice() {
        return Ok((*one).clone());
    }
    let by_name: Vec<_> = all
        .iter()
        .filter(|c| c.name.to_lowercase() == wanted.to_lowercase())
        .collect();
    match by_name.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::NotFound(format!(
            "no contact {which:?} (give its id, its name or its fingerprint; `lanyard contact \
             list` shows them)"
        ))),
        _ => Err(Error::invalid(format!(
            "several contacts are named {which:?}: give the id or the fingerprint"
        ))),
    }
}

/// Renames a contact.
pub async fn rename(l: &Lanyard, which: &str, name: &str) -> Result<Contact> {
    let name = check_name(name).map_err(|e| e.in_field(InputField::Name))?;
    let contact = find(l, which).await?;
    l.store().rename_contact(&contact.id, &name).await?;
    Ok(Contact { name, ..contact })
}

/// Removes a contact. Offers from them still waiting are dropped; tokens you already
/// accepted from them keep working until you remove them.
pub async fn remove(l: &Lanyard, which: &str) -> Result<Contact> {
    let contact = find(l, which).await?;
    l.store()
        .delete_contact(&contact.id, l.clock().now())
        .await?;
    Ok(contact)
}
