//! IPC types for sharing: identity, contacts, offers. Public keys and sealed offers may
//! cross IPC; a token value never does.

use lanyard_core::sharing::contacts::{Contact, Inspected};
use lanyard_core::sharing::identity::Identity;
use lanyard_core::sharing::inbox::{Offer, Sent};
use lanyard_core::sharing::types::{OfferDirection, OfferStatus};
use lanyard_core::urltokens::Placement;
use serde::Serialize;
use ts_rs::TS;

use crate::dto::IpcError;

/// This installation's identity and contact card.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct IdentityDto {
    /// The name on the card.
    pub name: String,
    /// The short fingerprint to compare out of band.
    pub fingerprint: String,
    /// The card: a `lanyard://contact/…` link.
    pub card: String,
}

impl From<Identity> for IdentityDto {
    fn from(i: Identity) -> Self {
        IdentityDto {
            name: i.name,
            fingerprint: i.fingerprint,
            card: i.card,
        }
    }
}

/// A contact.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ContactDto {
    /// Id.
    pub id: String,
    /// The name you know them by.
    pub name: String,
    /// Their fingerprint.
    pub fingerprint: String,
    /// When added (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<Contact> for ContactDto {
    fn from(c: Contact) -> Self {
        ContactDto {
            id: c.id,
            name: c.name,
            fingerprint: c.fingerprint,
            created_at: c.created_at,
        }
    }
}

/// A verified card before it is added.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CardPreviewDto {
    /// The card itself (to add it after the user confirms).
    pub card: String,
    /// The name on the card.
    pub name: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// The name of the contact who already has this card, if any.
    pub existing: Option<String>,
    /// Whether it is this installation's own card.
    pub own: bool,
}

impl CardPreviewDto {
    /// The preview of a card (`text`, as given) the core inspected.
    pub fn new(text: &str, inspected: Inspected) -> Self {
        CardPreviewDto {
            card: text.trim().to_string(),
            name: inspected.card.name,
            fingerprint: inspected.fingerprint,
            existing: inspected.existing.map(|c| c.name),
            own: inspected.own,
        }
    }
}

/// A token offer (never a value, sealed or not).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OfferDto {
    /// The offer's id.
    pub id: String,
    /// Received or sent.
    pub direction: OfferDirection,
    /// The sender or recipient's name (none once removed).
    pub contact_name: Option<String>,
    /// Their fingerprint.
    pub contact_fingerprint: Option<String>,
    /// The token's URL prefix (fixed by the sender).
    pub prefix: String,
    /// Its key.
    pub key: String,
    /// Its placement (fixed by the sender).
    pub placement: Placement,
    /// Whether you are asked before it is attached.
    pub requires_permission: bool,
    /// Waiting, accepted or rejected.
    pub status: OfferStatus,
    /// When it was made (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it arrived here.
    #[ts(type = "number | null")]
    pub received_at: Option<i64>,
    /// When it was accepted or rejected.
    #[ts(type = "number | null")]
    pub decided_at: Option<i64>,
}

impl From<Offer> for OfferDto {
    fn from(o: Offer) -> Self {
        OfferDto {
            id: o.id,
            direction: o.direction,
            contact_name: o.contact_name,
            contact_fingerprint: o.contact_fingerprint,
            prefix: o.prefix,
            key: o.key,
            placement: o.placement,
            requires_permission: o.requires_permission,
            status: o.status,
            created_at: o.created_at,
            received_at: o.received_at,
            decided_at: o.decided_at,
        }
    }
}

/// An offer sealed for a contact.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SentOfferDto {
    /// The offer's id.
    pub offer_id: String,
    /// Who it is for.
    pub contact_name: String,
    /// Their fingerprint.
    pub contact_fingerprint: String,
    /// The offer as a link, when it fits in 2 KiB.
    pub link: Option<String>,
    /// The file it was saved to.
    pub file: Option<String>,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub size: usize,
}

impl From<Sent> for SentOfferDto {
    fn from(s: Sent) -> Self {
        SentOfferDto {
            offer_id: s.offer_id,
            contact_name: s.contact.name,
            contact_fingerprint: s.contact.fingerprint,
            link: s.link,
            file: s.file,
            size: s.size,
        }
    }
}

/// The `token-requests` event: the inbox changed (an offer arrived through a link, a file
/// or a drop, or was refused).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TokenRequestsEvent {
    /// Offers now waiting.
    #[ts(type = "number")]
    pub pending: i64,
    /// The offer that was just imported.
    pub imported: Option<OfferDto>,
    /// Why an offer was refused (nothing was stored).
    pub error: Option<IpcError>,
}

/// A card and/or a refusal that arrived before the window was listening.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct IncomingDto {
    /// A contact card waiting for confirmation.
    pub card: Option<CardPreviewDto>,
    /// Why an offer or card was refused (nothing was stored).
    pub error: Option<IpcError>,
    /// A provider file (or link) waiting for confirmation, or why it was refused.
    pub provider_file: Option<crate::dto::provider_file::ProviderFileEventDto>,
}
