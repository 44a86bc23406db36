//! An opened installation: its data directory, database and secret store, and the status
//! report (`lanyard status`, the Settings page).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::secrets::{SecretStoreKind, SecretStoreStatus, Secrets};
use crate::store::Store;

/// The setting naming this installation; it namespaces its secrets in a shared keyring.
const INSTALL_ID: &str = "install_id";

/// An opened installation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Lanyard {
    data_dir: PathBuf,
    store: Store,
    secrets: Secrets,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    broker: Arc<crate::broker::Broker>,
    snapshot: Arc<crate::snapshot::SnapshotCache>,
    token_values: Arc<crate::urltokens::values::ValueCache>,
    environment: Arc<Vec<EnvSetting>>,
}

/// A setting taken from the environment that widens what Lanyard trusts or changes where
/// secrets go: the status lists each, so none is in effect unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvSetting {
    /// The environment variable.
    pub variable: String,
    /// Its value (a path or a name; never a secret).
    pub value: String,
    /// What it does, in plain words.
    pub effect: String,
}

/// The settings in effect from the environment, for an installation opened with `config`.
fn environment(config: &Config) -> Vec<EnvSetting> {
    let mut settings = Vec::new();
    if let Some(path) = crate::oauth::http::extra_ca_file() {
        settings.push(EnvSetting {
            variable: crate::oauth::http::EXTRA_CA_ENV.into(),
            value: path.display().to_string(),
            effect: "the certificate authorities in this file are trusted for every provider \
                     and preview request, besides the public ones"
                .into(),
        });
    }
    if config.secret_store_from_env {
        settings.push(EnvSetting {
            variable: crate::config::SECRET_STORE_ENV.into(),
            value: config.secret_store.as_str().into(),
            effect: match config.secret_store {
                SecretStoreKind::File => format!(
                    "secrets are kept unencrypted in {} instead of the OS keyring",
                    config
                        .data_dir
                        .join(crate::secrets::file::SECRETS_FILE)
                        .display()
                ),
                kind => format!(
                    "the secret store is {} (chosen by the environment)",
                    kind.as_str()
                ),
            },
        });
    }
    settings
}

/// What `lanyard status` and the Settings page show.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Lanyard's version.
    pub version: String,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The database: the SQLite file, or the PostgreSQL URL without its password.
    pub database_path: String,
    /// `sqlite` or `postgres`.
    pub database_backend: crate::store::Backend,
    /// The schema version applied to the database.
    pub schema_version: i64,
    /// The secret store in use and its health.
    pub secret_store: SecretStoreStatus,
    /// Settings taken from the environment that widen trust or move secrets.
    pub environment: Vec<EnvSetting>,
    /// Channels whose rotated master token this process holds in memory because the
    /// secret store refused to save it (retried; see `broker::rotation`).
    pub unsaved_master_tokens: Vec<String>,
}

impl Lanyard {
    /// Opens the installation `config` describes: creates the data directory (0700),
    /// opens and migrates the database, connects the secret store.
    pub async fn open(config: &Config) -> Result<Lanyard> {
        Self::open_with(config, Arc::new(SystemClock), None).await
    }

    /// Opens with an injected clock and, optionally, an injected secret store (tests).
    pub async fn open_with(
        config: &Config,
        clock: Arc<dyn Clock>,
        secrets: Option<Secrets>,
    ) -> Result<Lanyard> {
        create_private_dir(&config.data_dir)?;
        let store = Store::open_at(&config.database_location()).await?;
        let install_id: String = store
            .setting_or_init(INSTALL_ID, new_install_id, clock.now())
            .await?;
        startup_step("install id read");
        let secrets = match secrets {
            Some(secrets) => secrets,
            None if config.secret_store == SecretStoreKind::Database => {
                match crate::secrets::shared::SharedStore::open(&store, &config.secret_key_files) {
                    Ok(shared) => Secrets::new(Arc::new(shared), &install_id),
                    Err(err) => Secrets::unavailable(SecretStoreKind::Database, err.to_string()),
                }
            }
            None => {
                let (kind, dir) = (config.secret_store, config.data_dir.clone());
                tokio::task::spawn_blocking(move || Secrets::open(kind, &dir, &install_id))
                    .await
                    .map_err(|_| Error::Internal("opening the secret store panicked".into()))?
            }
        };
        startup_step("secret store connected");
        let http = crate::oauth::http::client()?;
        startup_step("HTTP client built");
        Ok(Lanyard {
            data_dir: config.data_dir.clone(),
            store,
            secrets,
            clock,
            http,
            broker: Arc::default(),
            snapshot: Arc::default(),
            token_values: Arc::default(),
            environment: Arc::new(environment(config)),
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The secret store.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The HTTP client for providers (no redirects; extra CAs from the environment).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// This process's broker state (token cache, single-flight locks, audit buffer).
    pub fn broker(&self) -> &crate::broker::Broker {
        &self.broker
    }

    /// What data requests consult (tokens, decisions, channel API bases), cached per
    /// process and revalidated by the access epoch.
    pub async fn snapshot(&self) -> Result<Arc<crate::snapshot::Snapshot>> {
        self.snapshot.get(&self.store).await
    }

    /// [`Lanyard::snapshot`] for an access epoch the caller has just read
    /// ([`crate::store::Store::access_epoch`]): one epoch read for a whole operation.
    pub async fn snapshot_at(&self, epoch: [u8; 16]) -> Result<Arc<crate::snapshot::Snapshot>> {
        self.snapshot.at(&self.store, epoch).await
    }

    /// Stored URL-token values read under the current access epoch.
    pub(crate) fn token_values(&self) -> &crate::urltokens::values::ValueCache {
        &self.token_values
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Which secret store backend is configured.
    pub fn secret_store_kind(&self) -> SecretStoreKind {
        self.secrets.kind()
    }

    /// Reports where data and secrets are and whether the secret store works right now.
    pub async fn status(&self) -> Result<Status> {
        Ok(Status {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.data_dir.clone(),
            database_path: self.store.location().display(),
            database_backend: self.store.backend(),
            schema_version: self.store.schema_version().await?,
            secret_store: self.secrets.status().await,
            environment: self.environment.as_ref().clone(),
            unsaved_master_tokens: self.broker().unsaved_channels(),
        })
    }
}

/// Notes that a step of opening the installation is done (a debug event on the
/// `lanyard_core::startup` target; the log's timestamp is the step's time, which
/// `tests/e2e/measure.mjs` reads to break the window's start-up down).
pub(crate) fn startup_step(step: &str) {
    tracing::debug!(target: "lanyard_core::startup", "{step}");
}

fn new_install_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        Error::io(
            &format!("could not create the data directory {}", dir.display()),
            &e,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretValue;

    #[tokio::test]
    async fn opens_a_new_directory_and_reports_status() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path().join("nested/data"), SecretStoreKind::File);
        let lanyard = Lanyard::open(&config).await.expect("open");
        // A secret in the store before the status is taken: the status (which checks the
        // store's health by writing, reading back and deleting a probe) never shows it.
        lanyard
            .secrets()
            .set("x", SecretValue::new("CANARY-x"))
            .await
            .expect("set");
        let status = lanyard.status().await.expect("status");
        assert_eq!(status.data_dir, config.data_dir);
        assert_eq!(status.schema_version, Store::known_schema_version());
        assert_eq!(status.secret_store.backend, SecretStoreKind::File);
        assert!(status.secret_store.usable, "{}", status.secret_store.detail);
        assert!(status.secret_store.warning.is_some());
        let json = serde_json::to_string(&status).expect("json");
        assert!(!json.contains("CANARY"), "{json}");
        assert!(
            std::fs::read_to_string(config.data_dir.join("secrets"))
                .expect("the file store")
                .contains("CANARY-x"),
            "the canary is where the status could have read it"
        );
    }

    #[tokio::test]
    async fn install_id_is_stable_across_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
        let a = Lanyard::open(&config).await.expect("open");
        a.secrets()
            .set("k", SecretValue::new("v"))
            .await
            .expect("set");
        let b = Lanyard::open(&config).await.expect("reopen");
        assert_eq!(
            b.secrets()
                .get("k")
                .await
                .expect("get")
                .expect("some")
                .expose(),
            "v"
        );
    }
}
