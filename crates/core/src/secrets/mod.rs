//! Where secrets live: refresh and access tokens, URL token values, client secrets,
//! PKCE verifiers, private keys. Never in SQLite.
//!
//! [`SecretStore`] is the backend trait (synchronous: the OS keyring APIs are). Callers use
//! [`Secrets`], which runs every backend call on tokio's blocking pool so a slow keyring
//! (a D-Bus round trip, an unlock prompt) never stalls the async runtime, and which refuses
//! every operation when the chosen backend is unusable — Lanyard never falls back to
//! another store silently.
//!
//! Backends: the OS keyring ([`keyring`]), an explicit opt-in file ([`mod@file`]) for headless
//! machines, secrets sealed in a shared PostgreSQL database ([`shared`]) for gateways on
//! several machines, and memory ([`memory`]) for tests.

mod chunked;
pub mod file;
pub mod keyring;
pub mod memory;
pub mod shared;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The keyring service name under which every Lanyard secret is stored.
pub const KEYRING_SERVICE: &str = "lanyard";

/// A secret value. `Debug` prints `[redacted]`; it cannot be serialized or compared, and
/// its memory is wiped on drop. It can be deserialized: a value comes in (from the UI's
/// forms), never goes out.
pub struct SecretValue(Zeroizing<String>);

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(SecretValue::new)
    }
}

impl SecretValue {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(Zeroizing::new(value.into()))
    }

    /// The secret itself. Call this only where the value is used (a request being signed).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Which backend holds the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SecretStoreKind {
    /// The OS keyring (Secret Service on Linux, Credential Manager on Windows).
    Keyring,
    /// A 0600 file inside the data directory (explicit opt-in).
    File,
    /// Process memory (tests only).
    Memory,
    /// Sealed in the shared PostgreSQL database under a key file's key (several gateways).
    Database,
}

impl SecretStoreKind {
    /// The name used on the command line and in `LANYARD_SECRET_STORE`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretStoreKind::Keyring => "keyring",
            SecretStoreKind::File => "file",
            SecretStoreKind::Memory => "memory",
            SecretStoreKind::Database => "database",
        }
    }
}

impl std::str::FromStr for SecretStoreKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "keyring" => Ok(SecretStoreKind::Keyring),
            "file" => Ok(SecretStoreKind::File),
            "database" => Ok(SecretStoreKind::Database),
            _ => Err(Error::invalid(format!(
                "unknown secret store {s:?}: use \"keyring\" (the default), \"file\" or \
                 \"database\" (with a shared PostgreSQL database)"
            ))),
        }
    }
}

/// A backend. Keys are opaque ASCII names such as `channel/<id>/refresh`.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// Which kind of store this is.
    fn kind(&self) -> SecretStoreKind;
    /// Reads a secret; `None` when there is none under `key`.
    fn get(&self, key: &str) -> Result<Option<SecretValue>>;
    /// Writes (or replaces) a secret.
    fn set(&self, key: &str, value: &SecretValue) -> Result<()>;
    /// Deletes a secret; deleting a missing one is not an error.
    fn delete(&self, key: &str) -> Result<()>;
    /// Checks that the store can be used right now; the error says why not.
    fn check(&self) -> Result<()>;
    /// Words for the user about where secrets are (no secret in them).
    fn describe(&self) -> String;
    /// A warning to show wherever secrets are listed, for stores weaker than the keyring.
    fn warning(&self) -> Option<String> {
        None
    }
}

/// What the UI and CLI show about the secret store in use.
#[derive(Debug, Clone, Serialize)]
pub struct SecretStoreStatus {
    /// The backend in use.
    pub backend: SecretStoreKind,
    /// Whether secrets can be stored and read right now.
    pub usable: bool,
    /// Where secrets are, or why the store cannot be used.
    pub detail: String,
    /// Shown wherever secrets are listed (file store).
    pub warning: Option<String>,
}

/// The secret store Lanyard uses: one backend, or the reason none is usable.
#[derive(Debug, Clone)]
pub struct Secrets {
    kind: SecretStoreKind,
    backend: std::result::Result<Arc<dyn SecretStore>, String>,
    namespace: Arc<str>,
}

impl Secrets {
    /// Wraps a working backend. `namespace` separates installations (data directories)
    /// that share one OS keyring.
    pub fn new(backend: Arc<dyn SecretStore>, namespace: &str) -> Self {
        Secrets {
            kind: backend.kind(),
            backend: Ok(backend),
            namespace: namespace.into(),
        }
    }

    /// A store that refuses every operation, saying why.
    pub fn unavailable(kind: SecretStoreKind, reason: impl Into<String>) -> Self {
        Secrets {
            kind,
            backend: Err(reason.into()),
            namespace: "".into(),
        }
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Self {
        Secrets::new(Arc::new(memory::MemoryStore::default()), "test")
    }

    /// Opens the backend `kind` for the data directory `data_dir`. Never fails: an unusable
    /// backend is kept with its reason, and every secret operation then says so.
    pub fn open(kind: SecretStoreKind, data_dir: &Path, namespace: &str) -> Self {
        let backend: Result<Arc<dyn SecretStore>> = match kind {
            SecretStoreKind::Keyring => {
                keyring::KeyringStore::connect().map(|s| Arc::new(s) as Arc<dyn SecretStore>)
            }
            SecretStoreKind::File => Ok(Arc::new(file::FileStore::new(data_dir))),
            SecretStoreKind::Memory => Ok(Arc::new(memory::MemoryStore::default())),
            SecretStoreKind::Database => Err(Error::Internal(
                "the database secret store is opened with the database".into(),
            )),
        };
        match backend {
            Ok(backend) => Secrets::new(backend, namespace),
            Err(err) => Secrets::unavailable(kind, err.to_string()),
        }
    }

    /// The backend's kind.
    pub fn kind(&self) -> SecretStoreKind {
        self.kind
    }

    fn backend(&self) -> Result<Arc<dyn SecretStore>> {
        self.backend
            .clone()
            .map_err(|reason| Error::SecretStoreUnavailable(unusable(self.kind, reason)))
    }

    fn full_key(&self, key: &str) -> Result<String> {
        let valid = !key.is_empty()
            && key.len() <= 200
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.:".contains(&b));
        if !valid {
            return Err(Error::Internal(format!("invalid secret key {key:?}")));
        }
        Ok(format!("{}/{key}", self.namespace))
    }

    /// Reads a secret without blocking the runtime.
    pub async fn get(&self, key: &str) -> Result<Option<SecretValue>> {
        let (backend, key) = (self.backend()?, self.full_key(key)?);
        blocking(move || backend.get(&key)).await
    }

    /// Writes a secret without blocking the runtime.
    pub async fn set(&self, key: &str, value: SecretValue) -> Result<()> {
        let (backend, key) = (self.backend()?, self.full_key(key)?);
        blocking(move || backend.set(&key, &value)).await
    }

    /// Deletes a secret without blocking the runtime.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let (backend, key) = (self.backend()?, self.full_key(key)?);
        blocking(move || backend.delete(&key)).await
    }

    /// Checks the store now and reports what the UI and CLI show.
    pub async fn status(&self) -> SecretStoreStatus {
        let backend = match self.backend.clone() {
            Ok(backend) => backend,
            Err(reason) => {
                return SecretStoreStatus {
                    backend: self.kind,
                    usable: false,
                    detail: unusable(self.kind, reason),
                    warning: None,
                }
            }
        };
        let probe = backend.clone();
        let checked = blocking(move || probe.check()).await;
        SecretStoreStatus {
            backend: self.kind,
            usable: checked.is_ok(),
            detail: match checked {
                Ok(()) => backend.describe(),
                Err(err) => unusable(self.kind, err.to_string()),
            },
            warning: backend.warning(),
        }
    }
}

fn unusable(kind: SecretStoreKind, reason: String) -> String {
    let advice = match kind {
        SecretStoreKind::Database => {
            "fix the key file or the database connection (every gateway needs the same key \
             file and --database), or choose another store with --secret-store"
        }
        _ => {
            "unlock or start the OS keyring, or choose the file store explicitly \
             (--secret-store file)"
        }
    };
    format!(
        "the secret store cannot be used: {reason}. Lanyard will not keep secrets anywhere \
         else; {advice}"
    )
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Error::Internal("a secret store call panicked".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let v = SecretValue::new("CANARY-1234");
        assert_eq!(format!("{v:?}"), "[redacted]");
    }

    #[tokio::test]
    async fn memory_round_trip_and_namespaces() {
        let backend: Arc<dyn SecretStore> = Arc::new(memory::MemoryStore::default());
        let a = Secrets::new(backend.clone(), "install-a");
        let b = Secrets::new(backend, "install-b");
        a.set("channel/1/refresh", SecretValue::new("one"))
            .await
            .expect("set");
        assert_eq!(
            a.get("channel/1/refresh")
                .await
                .expect("get")
                .expect("some")
                .expose(),
            "one"
        );
        assert!(
            b.get("channel/1/refresh").await.expect("get").is_none(),
            "namespaces leak"
        );
        a.delete("channel/1/refresh").await.expect("delete");
        a.delete("channel/1/refresh")
            .await
            .expect("delete twice is fine");
        assert!(a.get("channel/1/refresh").await.expect("get").is_none());
    }

    #[tokio::test]
    async fn unavailable_refuses_everything_and_says_why() {
        let s = Secrets::unavailable(SecretStoreKind::Keyring, "no D-Bus session");
        let err = s
            .set("k", SecretValue::new("v"))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), "secret_store_unavailable");
        assert!(err.to_string().contains("no D-Bus session"));
        assert!(s.get("k").await.is_err());
        let status = s.status().await;
        assert!(!status.usable);
        assert_eq!(status.backend, SecretStoreKind::Keyring);
    }

    #[tokio::test]
    async fn refuses_odd_keys() {
        let s = Secrets::in_memory();
        assert!(s.get("a b").await.is_err());
        assert!(s.get("").await.is_err());
        assert!(s.get("line\nbreak").await.is_err());
    }

    #[test]
    fn parses_store_names() {
        assert_eq!(
            "keyring".parse::<SecretStoreKind>().expect("k"),
            SecretStoreKind::Keyring
        );
        assert_eq!(
            "file".parse::<SecretStoreKind>().expect("f"),
            SecretStoreKind::File
        );
        assert_eq!(
            "database".parse::<SecretStoreKind>().expect("d"),
            SecretStoreKind::Database
        );
        assert!(
            "memory".parse::<SecretStoreKind>().is_err(),
            "memory is for tests only"
        );
    }
}
