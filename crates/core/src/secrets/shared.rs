//! Secrets sealed in the shared PostgreSQL database (`--secret-store database`), for
//! gateways on several machines: every process sharing the database must reach the same
//! master tokens, and a rotated refresh token saved by one gateway must be the one the
//! next gateway uses. Each secret is an XSalsa20-Poly1305 box (a fresh 24-byte random nonce
//! per write) under a 32-byte key read from a key file (`--secret-key-file`, mode 0600,
//! the same file on every gateway, deployed like a TLS key). The database holds nonces and
//! ciphertext only; the key is never written anywhere by Lanyard.
//!
//! The sealed plaintext starts with the secret's full name, checked on opening, so a
//! ciphertext copied to another row (another channel's master token) is refused.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use zeroize::Zeroizing;

use super::{SecretStore, SecretStoreKind, SecretValue};
use crate::error::{Error, Result};
use crate::store::{Backend, Store};

/// Environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "LANYARD_SECRET_KEY_FILE";

/// Secrets in the shared database, sealed under the key file's key.
pub struct SharedStore {
    store: Store,
    runtime: tokio::runtime::Handle,
    cipher: XSalsa20Poly1305,
    key_file: PathBuf,
}

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedStore")
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

impl SharedStore {
    /// The store for `store` (which must be PostgreSQL) with the key in `key_file`. Call
    /// from inside the tokio runtime; the secret calls then run on its blocking pool.
    pub fn open(store: &Store, key_file: Option<&Path>) -> Result<SharedStore> {
        if store.backend() != Backend::Postgres {
            return Err(Error::invalid(
                "the database secret store keeps secrets in a shared PostgreSQL database: \
                 give --database postgres://… (a single installation keeps them in the \
                 keyring or the file store)",
            ));
        }
        let key_file = key_file.ok_or_else(|| {
            Error::invalid(format!(
                "the database secret store needs --secret-key-file FILE (or {KEY_FILE_ENV}): \
                 32 random bytes in base64 (`openssl rand -base64 32`), mode 0600, the same \
                 file on every gateway"
            ))
        })?;
        let key = read_key(key_file)?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Internal("the database secret store needs a runtime".into()))?;
        Ok(SharedStore {
            store: store.clone(),
            runtime,
            cipher: XSalsa20Poly1305::new(key.as_slice().into()),
            key_file: key_file.to_path_buf(),
        })
    }

    fn seal(&self, name: &str, value: &str) -> Result<([u8; 24], Vec<u8>)> {
        let mut nonce = [0u8; 24];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| Error::Internal(format!("the OS random source failed: {e}")))?;
        let mut plain = Zeroizing::new(Vec::with_capacity(name.len() + 1 + value.len()));
        plain.extend_from_slice(name.as_bytes());
        plain.push(0);
        plain.extend_from_slice(value.as_bytes());
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), plain.as_slice())
            .map_err(|_| Error::Internal("sealing a secret failed".into()))?;
        Ok((nonce, sealed))
    }

    fn unseal(&self, name: &str, nonce: &[u8], sealed: &[u8]) -> Result<SecretValue> {
        let refuse = || {
            Error::SecretStoreUnavailable(format!(
                "the secret {name:?} in the shared database cannot be opened with the key in \
                 {}: every process sharing the database must use the same key file",
                self.key_file.display()
            ))
        };
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| refuse())?;
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(&nonce.into(), sealed)
                .map_err(|_| refuse())?,
        );
        let value = plain
            .strip_prefix(name.as_bytes())
            .and_then(|rest| rest.strip_prefix(&[0]))
            .ok_or_else(refuse)?;
        let value = std::str::from_utf8(value).map_err(|_| refuse())?;
        Ok(SecretValue::new(value))
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// Reads a base64 key of 32 bytes from a file only its owner can read.
fn read_key(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let shown = path.display();
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| Error::io(&format!("could not read the key file {shown}"), &e))?,
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| Error::io(&format!("could not read the key file {shown}"), &e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::SecretStoreUnavailable(format!(
                "the key file {shown} can be read by other users (mode {:o}); run \
                 `chmod 600 {shown}`",
                mode & 0o777
            )));
        }
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            Error::invalid(format!(
                "the key file {shown} must hold 32 random bytes in base64 \
                 (`openssl rand -base64 32`)"
            ))
        })?;
    Ok(Zeroizing::new(key))
}

impl SecretStore for SharedStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::Database
    }

    // Called on the blocking pool (see `Secrets`), where waiting on the runtime is allowed.
    fn get(&self, key: &str) -> Result<Option<SecretValue>> {
        let row = self.runtime.block_on(self.store.sealed_secret(key))?;
        row.map(|(nonce, sealed)| self.unseal(key, &nonce, &sealed))
            .transpose()
    }

    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        let (nonce, sealed) = self.seal(key, value.expose())?;
        self.runtime.block_on(
            self.store
                .put_sealed_secret(key, &nonce, &sealed, Self::now()),
        )
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.runtime.block_on(self.store.delete_sealed_secret(key))
    }

    fn check(&self) -> Result<()> {
        let probe = format!("probe/{}", uuid::Uuid::new_v4().simple());
        self.set(&probe, &SecretValue::new("probe"))?;
        let read = self.get(&probe);
        self.delete(&probe)?;
        match read? {
            Some(v) if v.expose() == "probe" => Ok(()),
            _ => Err(Error::SecretStoreUnavailable(
                "a probe secret did not read back from the shared database".into(),
            )),
        }
    }

    fn describe(&self) -> String {
        format!(
            "secrets are sealed (XSalsa20-Poly1305) in the shared database {} under the key \
             in {}",
            self.store.location().display(),
            self.key_file.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;

    use super::*;
    use crate::secrets::Secrets;
    use crate::store::testing;

    fn key_file(dir: &Path, name: &str, key: &[u8], mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, base64::engine::general_purpose::STANDARD.encode(key))
            .expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[tokio::test]
    async fn refuses_sqlite_a_missing_weak_or_readable_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = Store::open(&dir.path().join("lanyard.db"))
            .await
            .expect("open");
        let good = key_file(dir.path(), "good", &[1; 32], 0o600);
        let err = SharedStore::open(&sqlite, Some(&good)).expect_err("sqlite");
        assert!(err.to_string().contains("PostgreSQL"), "{err}");
        let Some(pg) = testing::database().await.expect("database") else {
            return; // The rest needs PostgreSQL (CI runs this again with it).
        };
        let pg = Store::open_at(&pg).await.expect("open");
        let err = SharedStore::open(&pg, None).expect_err("no key file");
        assert!(err.to_string().contains("--secret-key-file"), "{err}");
        let short = key_file(dir.path(), "short", &[1; 16], 0o600);
        let err = SharedStore::open(&pg, Some(&short)).expect_err("16 bytes");
        assert!(err.to_string().contains("32 random bytes"), "{err}");
        let readable = key_file(dir.path(), "readable", &[1; 32], 0o644);
        let err = SharedStore::open(&pg, Some(&readable)).expect_err("0644");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        SharedStore::open(&pg, Some(&good)).expect("a good key");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn seals_and_refuses_another_key_or_a_moved_row() {
        let Some(location) = testing::database().await.expect("database") else {
            return; // Needs PostgreSQL (CI runs this again with it).
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_at(&location).await.expect("open");
        let ours = key_file(dir.path(), "ours", &[1; 32], 0o600);
        let theirs = key_file(dir.path(), "theirs", &[2; 32], 0o600);
        let a = Secrets::new(
            Arc::new(SharedStore::open(&store, Some(&ours)).expect("a")),
            "install",
        );
        let b = Secrets::new(
            Arc::new(SharedStore::open(&store, Some(&ours)).expect("b")),
            "install",
        );
        let stranger = Secrets::new(
            Arc::new(SharedStore::open(&store, Some(&theirs)).expect("c")),
            "install",
        );
        a.set("channel/1/refresh", SecretValue::new("CANARY-one"))
            .await
            .expect("set");
        a.set("channel/2/refresh", SecretValue::new("CANARY-two"))
            .await
            .expect("set");
        let read = b
            .get("channel/1/refresh")
            .await
            .expect("get")
            .expect("some");
        assert_eq!(read.expose(), "CANARY-one", "another process reads it");
        let err = stranger
            .get("channel/1/refresh")
            .await
            .expect_err("another key");
        assert_eq!(err.code(), "secret_store_unavailable");
        assert!(!err.to_string().contains("CANARY"), "{err}");

        // Channel 2's box copied onto channel 1's row does not open as channel 1's.
        sqlx::query(
            "UPDATE secret SET nonce = (SELECT nonce FROM secret WHERE name = $1), \
             sealed = (SELECT sealed FROM secret WHERE name = $1) WHERE name = $2",
        )
        .bind("install/channel/2/refresh")
        .bind("install/channel/1/refresh")
        .execute(store.pool())
        .await
        .expect("move");
        let err = a.get("channel/1/refresh").await.expect_err("moved row");
        assert_eq!(err.code(), "secret_store_unavailable");

        let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM secret")
            .fetch_all(store.pool())
            .await
            .expect("rows");
        assert!(rows.iter().all(|r| !r.windows(6).any(|w| w == b"CANARY")));
        a.delete("channel/2/refresh").await.expect("delete");
        assert!(b.get("channel/2/refresh").await.expect("get").is_none());
        assert!(a.status().await.usable);
    }
}
