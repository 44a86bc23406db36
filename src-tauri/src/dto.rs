//! Data that crosses IPC. Each type derives `ts_rs::TS`; `cargo test -p lanyard-app`
//! writes the TypeScript into `ui/src/lib/bindings/` (committed; CI fails on a diff).
//! Converted from the core's domain types here, so the core stays free of IPC concerns.
//! No DTO ever carries a secret.

use serde::Serialize;
use ts_rs::TS;

/// An error as the UI sees it: the core's stable code and its message.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    /// Stable machine-readable code (`not_found`, `secret_store_unavailable`, …).
    pub code: String,
    /// What happened and what to do, in plain words.
    pub message: String,
}

impl From<lanyard_core::Error> for IpcError {
    fn from(err: lanyard_core::Error) -> Self {
        IpcError {
            code: err.code().to_string(),
            message: err.to_string(),
        }
    }
}

/// Which backend holds the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum SecretStoreKind {
    /// The OS keyring.
    Keyring,
    /// A 0600 file in the data directory (explicit opt-in).
    File,
    /// Process memory (tests).
    Memory,
}

impl From<lanyard_core::secrets::SecretStoreKind> for SecretStoreKind {
    fn from(kind: lanyard_core::secrets::SecretStoreKind) -> Self {
        use lanyard_core::secrets::SecretStoreKind as K;
        match kind {
            K::Keyring => SecretStoreKind::Keyring,
            K::File => SecretStoreKind::File,
            K::Memory => SecretStoreKind::Memory,
        }
    }
}

/// The secret store in use and its health.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SecretStoreStatusDto {
    /// The backend.
    pub backend: SecretStoreKind,
    /// Whether secrets can be stored and read right now.
    pub usable: bool,
    /// Where secrets are, or why the store cannot be used.
    pub detail: String,
    /// Shown wherever secrets are listed (file store).
    pub warning: Option<String>,
}

/// What the Settings page shows (the same as `lanyard status`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StatusDto {
    /// Lanyard's version.
    pub version: String,
    /// The data directory.
    pub data_dir: String,
    /// The database file.
    pub database_path: String,
    /// The schema version applied to the database.
    #[ts(type = "number")]
    pub schema_version: i64,
    /// The secret store.
    pub secret_store: SecretStoreStatusDto,
}

impl From<lanyard_core::Status> for StatusDto {
    fn from(s: lanyard_core::Status) -> Self {
        StatusDto {
            version: s.version,
            data_dir: s.data_dir.display().to_string(),
            database_path: s.database_path.display().to_string(),
            schema_version: s.schema_version,
            secret_store: SecretStoreStatusDto {
                backend: s.secret_store.backend.into(),
                usable: s.secret_store.usable,
                detail: s.secret_store.detail,
                warning: s.secret_store.warning,
            },
        }
    }
}

/// Kinds of link the OS can hand to Lanyard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeepLinkKind {
    /// An OAuth redirect (`app.lanyard.desktop:/oauth/callback`).
    OauthCallback,
    /// A contact card.
    Contact,
    /// A token offer.
    Offer,
    /// "Open this channel".
    OpenChannel,
}

impl From<lanyard_core::links::DeepLinkKind> for DeepLinkKind {
    fn from(kind: lanyard_core::links::DeepLinkKind) -> Self {
        use lanyard_core::links::DeepLinkKind as K;
        match kind {
            K::OauthCallback => DeepLinkKind::OauthCallback,
            K::Contact => DeepLinkKind::Contact,
            K::Offer => DeepLinkKind::Offer,
            K::OpenChannel => DeepLinkKind::OpenChannel,
        }
    }
}

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
