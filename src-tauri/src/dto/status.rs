//! The Settings page's types: what `lanyard status` shows (database, secret store, the
//! environment's settings) and the app's player gateway.

use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::store::Backend;
use serde::Serialize;
use ts_rs::TS;

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
    /// The database: the SQLite file, or the PostgreSQL URL without its password.
    pub database_path: String,
    /// Which database: an SQLite file or a shared PostgreSQL database.
    pub database_backend: Backend,
    /// The schema version applied to the database.
    #[ts(type = "number")]
    pub schema_version: i64,
    /// The secret store.
    pub secret_store: SecretStoreStatusDto,
    /// Settings taken from the environment that widen what Lanyard trusts or move its
    /// secrets (`LANYARD_EXTRA_CA_FILE`, `LANYARD_SECRET_STORE`).
    pub environment: Vec<EnvSettingDto>,
    /// Channels whose new master token the secret store refused to save: held in memory
    /// and retried; the account is lost if the app quits before it is saved.
    pub unsaved_master_tokens: Vec<String>,
}

/// A setting in effect from the environment.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EnvSettingDto {
    /// The environment variable.
    pub variable: String,
    /// Its value (a path or a name).
    pub value: String,
    /// What it does.
    pub effect: String,
}

impl From<lanyard_core::Status> for StatusDto {
    fn from(s: lanyard_core::Status) -> Self {
        StatusDto {
            version: s.version,
            data_dir: s.data_dir.display().to_string(),
            database_path: s.database_path,
            database_backend: s.database_backend,
            schema_version: s.schema_version,
            secret_store: SecretStoreStatusDto {
                backend: s.secret_store.backend,
                usable: s.secret_store.usable,
                detail: s.secret_store.detail,
                warning: s.secret_store.warning,
            },
            unsaved_master_tokens: s.unsaved_master_tokens,
            environment: s
                .environment
                .into_iter()
                .map(|e| EnvSettingDto {
                    variable: e.variable,
                    value: e.value,
                    effect: e.effect,
                })
                .collect(),
        }
    }
}

/// The player gateway run by the app (Settings).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GatewayDto {
    /// Run it while the app runs (off by default).
    pub enabled: bool,
    /// The address it listens on (loopback).
    pub listen: String,
    /// Origins whose pages may call it from a browser (CORS).
    pub cors_origins: Vec<String>,
    /// `http://…` while it runs.
    pub url: Option<String>,
    /// Why it is not running although enabled.
    pub error: Option<String>,
}

impl From<lanyard_gateway::background::GatewayState> for GatewayDto {
    fn from(s: lanyard_gateway::background::GatewayState) -> Self {
        GatewayDto {
            enabled: s.settings.enabled,
            listen: s.settings.listen,
            cors_origins: s.settings.cors_origins,
            url: s.url,
            error: s.error,
        }
    }
}
