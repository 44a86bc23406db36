//! The rows of sharing (contacts, offers) and their closed sets: types only, so the store
//! (`store/sharing.rs`) and the use cases (`contacts.rs`, `inbox.rs`) both depend on this
//! module and never on each other in a circle.

use serde::Serialize;

use crate::closed::stored_names;
use crate::urltokens::Placement;

/// A contact (public keys only).
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// Id.
    pub id: String,
    /// The name you know them by (the card's, unless you renamed it).
    pub name: String,
    /// The short fingerprint to compare with them out of band.
    pub fingerprint: String,
    /// X25519 public key (base64url).
    pub sealing_key: String,
    /// Ed25519 public key (base64url).
    pub signing_key: String,
    /// When added.
    pub created_at: i64,
}

stored_names! {
    /// Which way an offer travels.
    OfferDirection {
        /// Received from a contact.
        Incoming = "incoming",
        /// Sent to a contact.
        Outgoing = "outgoing",
    }
}

stored_names! {
    /// Where an offer stands.
    OfferStatus {
        /// Not decided yet.
        Pending = "pending",
        /// Accepted: the token is usable here (incoming) or was sent (outgoing).
        Accepted = "accepted",
        /// Rejected (a tombstone, so a replayed offer id is refused).
        Rejected = "rejected",
    }
}

/// An offer as listed (never a value, sealed or not).
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    /// The offer's id (chosen by the sender).
    pub id: String,
    /// Sent or received.
    pub direction: OfferDirection,
    /// The sender (incoming) or recipient (outgoing); none once that contact was removed.
    pub contact_id: Option<String>,
    /// That contact's name.
    pub contact_name: Option<String>,
    /// That contact's fingerprint.
    pub contact_fingerprint: Option<String>,
    /// The token's URL prefix (fixed by the sender).
    pub prefix: String,
    /// The token's key.
    pub key: String,
    /// Where it goes (fixed by the sender).
    pub placement: Placement,
    /// Whether you are asked before it is attached.
    pub requires_permission: bool,
    /// Waiting, accepted or rejected.
    pub status: OfferStatus,
    /// When the sender made it.
    pub created_at: i64,
    /// When it arrived here.
    pub received_at: Option<i64>,
    /// When it was accepted or rejected.
    pub decided_at: Option<i64>,
}
