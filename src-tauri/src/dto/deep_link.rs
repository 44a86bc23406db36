//! The `deep-link` event: a link the OS handed to Lanyard, accepted or refused.

use serde::Serialize;
use ts_rs::TS;

use super::error::IpcError;

/// Kinds of link the OS can hand to Lanyard: the core's own closed set.
pub use lanyard_core::deep_links::DeepLinkKind;

/// The payload of the `deep-link` event: a link arrived and was accepted, or refused.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum DeepLinkEvent {
    /// The link was understood.
    Accepted {
        /// What kind of link it was.
        kind: DeepLinkKind,
    },
    /// The link was refused; nothing was changed.
    Refused {
        /// Why.
        error: IpcError,
    },
}
