//! The OS keyring through `keyring-core` with a real platform store chosen explicitly
//! (keyring v4 has no default store, so a silent in-memory fallback cannot happen).
//! On Linux: the freedesktop Secret Service over D-Bus (GNOME Keyring, KWallet).
//! On Windows: Credential Manager (generic credentials, target `<user>.lanyard`), whose
//! 2 560-byte limit per entry (`secrets::chunked`) works around: values are stored as UTF-8
//! bytes, split across entries when longer, and always read back whole.
//!
//! Entries: service [`KEYRING_SERVICE`], user
//! `<installation namespace>/<key>`.
//!
//! The Secret Service client blocks on its own async runtime, and even dropping it does;
//! inside a tokio worker that panics. So the platform store lives on a dedicated thread
//! that owns it from creation to drop, and every call is sent there.

use std::sync::mpsc;
use std::sync::Arc;

use keyring_core::CredentialStore;
use zeroize::Zeroizing;

use super::{chunked, SecretStore, SecretStoreKind, SecretValue, KEYRING_SERVICE};
use crate::error::{Error, Result};

type Job = Box<dyn FnOnce(&CredentialStore) + Send>;

/// The OS keyring.
pub struct KeyringStore {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyringStore")
    }
}

impl KeyringStore {
    /// Connects to the platform's keyring. Fails (saying why) when none is reachable.
    pub fn connect() -> Result<Self> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::channel::<Result<()>>();
        std::thread::Builder::new()
            .name("lanyard-keyring".into())
            .spawn(move || {
                let store = match platform_store() {
                    Ok(store) => {
                        let _ = ready_tx.send(Ok(()));
                        store
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                while let Ok(job) = inbox.recv() {
                    job(store.as_ref());
                }
            })
            .map_err(|e| Error::io("could not start the keyring thread", &e))?;
        ready
            .recv()
            .map_err(|_| Error::Internal("the keyring thread stopped while starting".into()))??;
        Ok(KeyringStore { jobs })
    }

    /// Runs `f` with the entry for `key` on the keyring thread and waits for its answer.
    fn with_entry<T: Send + 'static>(
        &self,
        key: &str,
        f: impl FnOnce(keyring_core::Entry) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let key = key.to_string();
        self.with_store(move |store| {
            store
                .build(KEYRING_SERVICE, &key, None)
                .map_err(map_err)
                .and_then(f)
        })
    }

    /// Runs `f` with the store on the keyring thread and waits for its answer.
    fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&CredentialStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply_tx, reply) = mpsc::channel();
        let job: Job = Box::new(move |store: &CredentialStore| {
            let _ = reply_tx.send(f(store));
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::Internal("the keyring thread has stopped".into()))?;
        reply
            .recv()
            .map_err(|_| Error::Internal("the keyring thread has stopped".into()))?
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

#[cfg(windows)]
fn platform_store() -> Result<Arc<CredentialStore>> {
    windows_native_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| {
            Error::SecretStoreUnavailable(format!(
                "Windows Credential Manager cannot be used ({})",
                describe(&e)
            ))
        })
}

// macOS and the BSDs: no store wired up yet (the macOS one is apple-native-keyring-store).
#[cfg(not(any(target_os = "linux", windows)))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    Err(Error::SecretStoreUnavailable(
        "this build of Lanyard has no keyring backend for this operating system yet".into(),
    ))
}

/// The most bytes one entry holds, where the platform has a limit: Credential Manager's
/// `CRED_MAX_CREDENTIAL_BLOB_SIZE`. Longer values are split ([`super::chunked`]).
const ENTRY_LIMIT: Option<usize> = if cfg!(windows) { Some(2560) } else { None };

/// The keyring's entries by name, as bytes, for [`super::chunked`].
struct ByteEntries<'a>(&'a CredentialStore);

impl ByteEntries<'_> {
    fn entry(&self, name: &str) -> Result<keyring_core::Entry> {
        self.0.build(KEYRING_SERVICE, name, None).map_err(map_err)
    }
}

impl chunked::Entries for ByteEntries<'_> {
    fn read(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(name)?.get_secret() {
            Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_err(err)),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.entry(name)?.set_secret(bytes).map_err(map_err)
    }

    fn remove(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_err(err)),
        }
    }
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
        if ENTRY_LIMIT.is_some() {
            let key = key.to_string();
            return self.with_store(move |store| {
                let Some(bytes) = chunked::get(&ByteEntries(store), &key)? else {
                    return Ok(None);
                };
                let text = std::str::from_utf8(&bytes).map_err(|_| {
                    Error::Internal("keyring: a stored value is not UTF-8 text".into())
                })?;
                Ok(Some(SecretValue::new(text)))
            });
        }
        self.with_entry(key, |entry| match entry.get_password() {
            Ok(value) => Ok(Some(SecretValue::new(value))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_err(err)),
        })
    }

    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        let value = SecretValue::new(value.expose());
        if let Some(limit) = ENTRY_LIMIT {
            let key = key.to_string();
            return self.with_store(move |store| {
                chunked::set(&ByteEntries(store), &key, value.expose().as_bytes(), limit)
            });
        }
        self.with_entry(key, move |entry| {
            entry.set_password(value.expose()).map_err(map_err)
        })
    }

    fn delete(&self, key: &str) -> Result<()> {
        if ENTRY_LIMIT.is_some() {
            let key = key.to_string();
            return self.with_store(move |store| chunked::delete(&ByteEntries(store), &key));
        }
        self.with_entry(key, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_err(err)),
        })
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
        } else if cfg!(windows) {
            "secrets are in Windows Credential Manager (generic credentials ending in \
             \".lanyard\")"
                .into()
        } else {
            "secrets are in the OS keyring, service \"lanyard\"".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(text: &str) -> keyring_core::error::PlatformError {
        text.to_string().into()
    }

    #[test]
    fn a_locked_keyring_and_a_missing_service_are_unavailable_each_in_its_own_words() {
        let locked = map_err(keyring_core::Error::NoStorageAccess(platform(
            "org.freedesktop.Secret.Error.IsLocked",
        )));
        assert_eq!(locked.code(), "secret_store_unavailable");
        assert!(
            locked.to_string().contains("locked or access was refused"),
            "{locked}"
        );
        let missing = map_err(keyring_core::Error::PlatformFailure(platform(
            "org.freedesktop.DBus.Error.ServiceUnknown",
        )));
        assert_eq!(missing.code(), "secret_store_unavailable");
        assert!(
            missing.to_string().contains("platform failure"),
            "{missing}"
        );
        assert!(!missing.to_string().contains("locked"), "{missing}");
    }

    #[test]
    fn other_keyring_errors_are_internal_and_never_show_a_value() {
        let bad = map_err(keyring_core::Error::BadEncoding(b"CANARY-\xff".to_vec()));
        assert_eq!(bad.code(), "internal");
        assert!(!bad.to_string().contains("CANARY"), "{bad}");
        assert!(bad.to_string().contains("unexpected format"), "{bad}");
        let ambiguous = map_err(keyring_core::Error::Ambiguous(vec![]));
        assert_eq!(ambiguous.code(), "internal");
        assert!(
            ambiguous.to_string().contains("more than one"),
            "{ambiguous}"
        );
    }

    /// The real Credential Manager (Wine's, in the Windows pass): one entry refuses 16 KiB,
    /// the store keeps it whole across entries, reads it back and deletes every part.
    #[cfg(windows)]
    #[test]
    fn a_16_kib_secret_survives_credential_manager() {
        let store = KeyringStore::connect().expect("Credential Manager");
        let key = format!("lanyard-test-{}/url-token/big", std::process::id());
        // Multi-byte characters, so parts are cut inside a character too.
        let big: String = "é-token-ßø-".repeat(16 * 1024 / 14 + 1);
        assert!(big.len() >= 16 * 1024, "{}", big.len());
        let platform = store.with_entry(&key, {
            let big = big.clone();
            move |entry| Ok(entry.set_secret(big.as_bytes()).is_err())
        });
        assert!(platform.expect("probe"), "one entry accepted 16 KiB");
        store
            .set(&key, &SecretValue::new(big.clone()))
            .expect("set");
        let back = store.get(&key).expect("get").expect("some");
        assert!(back.expose() == big, "read back whole");
        store
            .set(&key, &SecretValue::new("short"))
            .expect("set short");
        assert_eq!(
            store.get(&key).expect("get").expect("some").expose(),
            "short"
        );
        store.set(&key, &SecretValue::new(big)).expect("set again");
        store.delete(&key).expect("delete");
        assert!(store.get(&key).expect("get").is_none());
    }
}
