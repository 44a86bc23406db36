//! The OS keyring through `keyring-core` with a real platform store chosen explicitly
//! (keyring v4 has no default store, so a silent in-memory fallback cannot happen).
//! On Linux: the freedesktop Secret Service over D-Bus (GNOME Keyring, KWallet).
//!
//! Entries: service [`KEYRING_SERVICE`](super::KEYRING_SERVICE), user
//! `<installation namespace>/<key>`.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use super::{SecretStore, SecretStoreKind, SecretValue, KEYRING_SERVICE};
use crate::error::{Error, Result};

/// The OS keyring.
pub struct KeyringStore {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyringStore")
    }
}

impl KeyringStore {
    /// Connects to the platform's keyring. Fails (saying why) when none is reachable.
    pub fn connect() -> Result<Self> {
        Ok(KeyringStore {
            store: platform_store()?,
        })
    }

    fn entry(&self, key: &str) -> Result<Entry> {
        self.store
            .build(KEYRING_SERVICE, key, None)
            .map_err(map_err)
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    zbus_secret_service_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| {
            Error::SecretStoreUnavailable(format!(
                "no Secret Service is reachable on the D-Bus session bus ({})",
                describe(&e)
            ))
        })
}

#[cfg(not(target_os = "linux"))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    Err(Error::SecretStoreUnavailable(
        "this build of Lanyard has no keyring backend for this operating system yet".into(),
    ))
}

/// Describes a keyring error without ever including secret bytes (some variants carry
/// the raw value that failed to decode).
fn describe(err: &keyring_core::Error) -> String {
    use keyring_core::Error as K;
    match err {
        K::PlatformFailure(e) => format!("platform failure: {e}"),
        K::NoStorageAccess(e) => format!("the keyring is locked or access was refused: {e}"),
        K::NoEntry => "no such entry".into(),
        K::BadEncoding(_) | K::BadDataFormat(..) => {
            "a stored value has an unexpected format".into()
        }
        K::BadStoreFormat(m) => format!("the keyring is damaged: {m}"),
        K::TooLong(attr, limit) => format!("{attr} is longer than the keyring allows ({limit})"),
        K::Invalid(attr, why) => format!("{attr} {why}"),
        K::Ambiguous(_) => "more than one keyring entry matches".into(),
        K::NoDefaultStore => "no keyring store is configured".into(),
        K::NotSupportedByStore(m) => format!("not supported by this keyring: {m}"),
        _ => "unknown keyring error".into(),
    }
}

fn map_err(err: keyring_core::Error) -> Error {
    match err {
        keyring_core::Error::PlatformFailure(_) | keyring_core::Error::NoStorageAccess(_) => {
            Error::SecretStoreUnavailable(describe(&err))
        }
        other => Error::Internal(format!("keyring: {}", describe(&other))),
    }
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::Keyring
    }

    fn get(&self, key: &str) -> Result<Option<SecretValue>> {
        match self.entry(key)?.get_password() {
            Ok(value) => Ok(Some(SecretValue::new(value))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_err(err)),
        }
    }

    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        self.entry(key)?
            .set_password(value.expose())
            .map_err(map_err)
    }

    fn delete(&self, key: &str) -> Result<()> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_err(err)),
        }
    }

    /// Writes, reads back and deletes a probe entry: a locked keyring that can still be
    /// searched would pass a read-only probe.
    fn check(&self) -> Result<()> {
        let key = format!("health-probe/{}", std::process::id());
        let probe = SecretValue::new("probe");
        self.set(&key, &probe)?;
        let back = self.get(&key)?;
        self.delete(&key)?;
        match back {
            Some(v) if v.expose() == "probe" => Ok(()),
            _ => Err(Error::SecretStoreUnavailable(
                "the keyring accepted a value but did not return it".into(),
            )),
        }
    }

    fn describe(&self) -> String {
        if cfg!(target_os = "linux") {
            "secrets are in the OS keyring (Secret Service), service \"lanyard\"".into()
        } else {
            "secrets are in the OS keyring, service \"lanyard\"".into()
        }
    }
}
