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
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::store::{Backend, Store};

/// Environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "LANYARD_SECRET_KEY_FILE";

/// Secrets in the shared database, sealed under the first key file's key; older keys
/// (during a rotation) still open.
pub struct SharedStore {
    store: Store,
    runtime: tokio::runtime::Handle,
    keys: Vec<(XSalsa20Poly1305, PathBuf)>,
}

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files: Vec<_> = self.keys.iter().map(|(_, file)| file).collect();
        f.debug_struct("SharedStore")
            .field("key_files", &files)
            .finish_non_exhaustive()
    }
}

/// What [`SharedStore::reseal`] did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Resealed {
    /// Secrets moved from an older key to the first.
    pub resealed: usize,
    /// Secrets already under the first key.
    pub current: usize,
}

impl SharedStore {
    /// The store for `store` (which must be PostgreSQL) with the keys in `key_files` (the
    /// first seals, every one opens). Call from inside the tokio runtime; the secret calls
    /// then run on its blocking pool.
    pub fn open(store: &Store, key_files: &[PathBuf]) -> Result<SharedStore> {
        if store.backend() != Backend::Postgres {
            return Err(Error::invalid(
                "the database secret store keeps secrets in a shared PostgreSQL database: \
                 give --database postgres://… (a single installation keeps them in the \
                 keyring or the file store)",
            ));
        }
        if key_files.is_empty() {
            return Err(Error::invalid(format!(
                "the database secret store needs --secret-key-file FILE (or {KEY_FILE_ENV}): \
                 32 random bytes in base64 (`openssl rand -base64 32`), mode 0600, the same \
                 file on every gateway"
            )));
        }
        let keys = key_files
            .iter()
            .map(|file| {
                let key = read_key(file)?;
                Ok((XSalsa20Poly1305::new(key.as_slice().into()), file.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Internal("the database secret store needs a runtime".into()))?;
        Ok(SharedStore {
            store: store.clone(),
            runtime,
            keys,
        })
    }

    /// Seals every secret in the database under the first key (after a new key file was
    /// put first on every gateway, with the old one after it). A secret written meanwhile
    /// by a gateway is re-read, never overwritten. Secrets no key opens are left alone and
    /// reported as an error once the others are done.
    pub async fn reseal(&self) -> Result<Resealed> {
        let mut done = Resealed::default();
        let mut unreadable = Vec::new();
        for name in self.store.sealed_secret_names().await? {
            let mut attempts = 0;
            loop {
                let Some((nonce, sealed)) = self.store.sealed_secret(&name).await? else {
                    break; // Deleted meanwhile.
                };
                let (value, key) = match self.unseal(&name, &nonce, &sealed) {
                    Ok(opened) => opened,
                    Err(_) => {
                        unreadable.push(name.clone());
                        break;
                    }
                };
                if key == 0 {
                    done.current += 1;
                    break;
                }
                let (new_nonce, new_sealed) = self.seal(&name, value.expose())?;
                let replaced = self
                    .store
                    .replace_sealed_secret(
                        &name,
                        &sealed,
                        &new_nonce,
                        &new_sealed,
                        SystemClock.now(),
                    )
                    .await?;
                attempts += 1;
                if replaced {
                    done.resealed += 1;
                    break;
                }
                if attempts >= 5 {
                    unreadable.push(name.clone());
                    break;
                }
            }
        }
        if !unreadable.is_empty() {
            return Err(Error::SecretStoreUnavailable(format!(
                "{} secret(s) could not be resealed (no given key opens them, or they kept \
                 changing): {}; {} resealed, {} already under the first key",
                unreadable.len(),
                unreadable.join(", "),
                done.resealed,
                done.current
            )));
        }
        Ok(done)
    }

    fn seal(&self, name: &str, value: &str) -> Result<([u8; 24], Vec<u8>)> {
        let mut nonce = [0u8; 24];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| Error::Internal(format!("the OS random source failed: {e}")))?;
        let mut plain = Zeroizing::new(Vec::with_capacity(name.len() + 1 + value.len()));
        plain.extend_from_slice(name.as_bytes());
        plain.push(0);
        plain.extend_from_slice(value.as_bytes());
        let sealed = self.keys[0]
            .0
            .encrypt(&nonce.into(), plain.as_slice())
            .map_err(|_| Error::Internal("sealing a secret failed".into()))?;
        Ok((nonce, sealed))
    }

    /// Opens a sealed secret with the first key that can; also says which key that was.
    fn unseal(&self, name: &str, nonce: &[u8], sealed: &[u8]) -> Result<(SecretValue, usize)> {
        let refuse = || {
            let files: Vec<String> = self
                .keys
                .iter()
                .map(|(_, f)| f.display().to_string())
                .collect();
            Error::SecretStoreUnavailable(format!(
                "the secret {name:?} in the shared database cannot be opened with the key in \
                 {}: every process sharing the database must use the same key file",
                files.join(" or ")
            ))
        };
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| refuse())?;
        for (index, (cipher, _)) in self.keys.iter().enumerate() {
            let Ok(plain) = cipher.decrypt(&nonce.into(), sealed) else {
                continue;
            };
            let plain = Zeroizing::new(plain);
            let value = plain
                .strip_prefix(name.as_bytes())
                .and_then(|rest| rest.strip_prefix(&[0]))
                .ok_or_else(refuse)?;
            let value = std::str::from_utf8(value).map_err(|_| refuse())?;
            return Ok((SecretValue::new(value), index));
        }
        Err(refuse())
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
        row.map(|(nonce, sealed)| self.unseal(key, &nonce, &sealed).map(|(value, _)| value))
            .transpose()
    }

    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        let (nonce, sealed) = self.seal(key, value.expose())?;
        self.runtime.block_on(
            self.store
                .put_sealed_secret(key, &nonce, &sealed, SystemClock.now()),
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
        let older = match self.keys.len() {
            1 => String::new(),
            n => format!(" ({} older key file(s) still open them)", n - 1),
        };
        format!(
            "secrets are sealed (XSalsa20-Poly1305) in the shared database {} under the key \
             in {}{older}",
            self.store.location().display(),
            self.keys[0].1.display()
        )
    }
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;

    use super::*;
    use crate::secrets::Secrets;
    use crate::store::testing;

    /// The facade over a database secret store with `keys`, namespaced `install`.
    fn secrets(store: &Store, keys: &[PathBuf]) -> Secrets {
        let shared = SharedStore::open(store, keys).expect("keys");
        Secrets::new(Arc::new(shared), "install")
    }

    /// A store on the test PostgreSQL and two key files in a temporary directory, named
    /// `first` (32 bytes of 1) and `second` (32 bytes of 2); `None` when the test (`name`)
    /// is skipped for want of a database.
    async fn postgres_with_two_keys(
        name: &str,
        first: &str,
        second: &str,
    ) -> Option<(tempfile::TempDir, Store, PathBuf, PathBuf)> {
        let location = testing::postgres_or_skip(name).await.expect("database")?;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_at(&location).await.expect("open");
        let first = key_file(dir.path(), first, &[1; 32], 0o600);
        let second = key_file(dir.path(), second, &[2; 32], 0o600);
        Some((dir, store, first, second))
    }

    /// `mode` applies on Unix; Windows has no POSIX modes (the key file's protection is
    /// its directory's ACL there), so a readable key file cannot be made or refused.
    fn key_file(dir: &Path, name: &str, key: &[u8], mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, base64::engine::general_purpose::STANDARD.encode(key))
            .expect("write");
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        #[cfg(not(unix))]
        let _ = mode;
        path
    }

    #[tokio::test]
    async fn refuses_sqlite_a_missing_weak_or_readable_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = Store::open(&dir.path().join("lanyard.db"))
            .await
            .expect("open");
        let good = key_file(dir.path(), "good", &[1; 32], 0o600);
        let err = SharedStore::open(&sqlite, std::slice::from_ref(&good)).expect_err("sqlite");
        assert!(err.to_string().contains("PostgreSQL"), "{err}");
        let Some(pg) = testing::postgres_or_skip("secrets::shared: the rest of refuses_sqlite…")
            .await
            .expect("database")
        else {
            return;
        };
        let pg = Store::open_at(&pg).await.expect("open");
        let err = SharedStore::open(&pg, &[]).expect_err("no key file");
        assert!(err.to_string().contains("--secret-key-file"), "{err}");
        let short = key_file(dir.path(), "short", &[1; 16], 0o600);
        let err = SharedStore::open(&pg, &[short]).expect_err("16 bytes");
        assert!(err.to_string().contains("32 random bytes"), "{err}");
        #[cfg(unix)]
        {
            let readable = key_file(dir.path(), "readable", &[1; 32], 0o644);
            let err = SharedStore::open(&pg, &[readable]).expect_err("0644");
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        SharedStore::open(&pg, &[good]).expect("a good key");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn seals_and_refuses_another_key_or_a_moved_row() {
        let Some((_dir, store, ours, theirs)) = postgres_with_two_keys(
            "secrets::shared::seals_and_refuses_another_key_or_a_moved_row",
            "ours",
            "theirs",
        )
        .await
        else {
            return;
        };
        let a = secrets(&store, std::slice::from_ref(&ours));
        let b = secrets(&store, std::slice::from_ref(&ours));
        let stranger = secrets(&store, std::slice::from_ref(&theirs));
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_key_rotation_keeps_every_secret_readable() {
        let Some((dir, store, old, new)) = postgres_with_two_keys(
            "secrets::shared::a_key_rotation_keeps_every_secret_readable",
            "old",
            "new",
        )
        .await
        else {
            return;
        };
        let with = |keys: &[PathBuf]| secrets(&store, keys);
        let before = with(std::slice::from_ref(&old));
        for n in 0..3 {
            before
                .set(
                    &format!("channel/{n}/refresh"),
                    SecretValue::new(format!("v{n}")),
                )
                .await
                .expect("set");
        }
        // Gateways restarted with the new key first and the old one after it.
        let during = with(&[new.clone(), old.clone()]);
        assert_eq!(
            during
                .get("channel/1/refresh")
                .await
                .expect("get")
                .expect("some")
                .expose(),
            "v1"
        );
        during
            .set("channel/9/refresh", SecretValue::new("v9"))
            .await
            .expect("a write during the rotation");
        let shared = SharedStore::open(&store, &[new.clone(), old.clone()]).expect("both");
        let done = shared.reseal().await.expect("reseal");
        assert_eq!((done.resealed, done.current), (3, 1));
        let again = shared.reseal().await.expect("again");
        assert_eq!((again.resealed, again.current), (0, 4));
        // The old key can go: the new one alone opens everything, the old one nothing.
        let after = with(std::slice::from_ref(&new));
        for (n, v) in [(0, "v0"), (2, "v2"), (9, "v9")] {
            let got = after
                .get(&format!("channel/{n}/refresh"))
                .await
                .expect("get");
            assert_eq!(got.expect("some").expose(), v);
        }
        let stale = with(std::slice::from_ref(&old));
        let err = stale.get("channel/0/refresh").await.expect_err("old key");
        assert_eq!(err.code(), "secret_store_unavailable");
        // A key that opens nothing cannot reseal: told, with names, never values.
        let stranger = key_file(dir.path(), "stranger", &[3; 32], 0o600);
        let err = SharedStore::open(&store, &[stranger])
            .expect("open")
            .reseal()
            .await
            .expect_err("no key opens them");
        assert_eq!(err.code(), "secret_store_unavailable");
        assert!(
            err.to_string().contains("install/channel/0/refresh"),
            "{err}"
        );
        assert!(!err.to_string().contains("v0"), "{err}");
    }

    /// A gateway writes a secret while `reseal` is re-sealing it: the reseal's
    /// compare-and-swap finds the row changed, re-reads it and seals the new value, never
    /// the one it read first. The write lands exactly in between: the test holds the row
    /// lock, waits until PostgreSQL shows the reseal's UPDATE waiting for it, then writes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reseal_never_overwrites_a_write_made_while_it_runs() {
        let Some((_dir, store, old, new)) = postgres_with_two_keys(
            "secrets::shared::a_reseal_never_overwrites_a_write_made_while_it_runs",
            "old",
            "new",
        )
        .await
        else {
            return;
        };
        let name = "install/channel/1/refresh";
        secrets(&store, std::slice::from_ref(&old))
            .set("channel/1/refresh", SecretValue::new("CANARY-before"))
            .await
            .expect("set");
        // A gateway not yet restarted with the new key, about to save a rotated token.
        let gateway = SharedStore::open(&store, std::slice::from_ref(&old)).expect("old key");
        let (nonce, sealed) = gateway.seal(name, "CANARY-rotated").expect("seal");

        let mut writer = store.pool().begin().await.expect("begin");
        sqlx::query("SELECT name FROM secret WHERE name = $1 FOR UPDATE")
            .bind(name)
            .fetch_one(&mut *writer)
            .await
            .expect("row lock");
        let resealing = SharedStore::open(&store, &[new.clone(), old.clone()]).expect("both");
        let reseal = tokio::spawn(async move { resealing.reseal().await });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event_type = 'Lock' AND query LIKE 'UPDATE secret SET%'",
            )
            .fetch_one(store.pool())
            .await
            .expect("activity");
            if waiting > 0 {
                break;
            }
            assert!(!reseal.is_finished(), "the reseal did not wait for the row");
            assert!(
                std::time::Instant::now() < deadline,
                "the reseal never reached its UPDATE"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        sqlx::query("UPDATE secret SET nonce = $1, sealed = $2 WHERE name = $3")
            .bind(&nonce[..])
            .bind(&sealed)
            .bind(name)
            .execute(&mut *writer)
            .await
            .expect("the gateway's write");
        writer.commit().await.expect("commit");

        let done = reseal.await.expect("task").expect("reseal");
        assert_eq!((done.resealed, done.current), (1, 0));
        let read = secrets(&store, std::slice::from_ref(&new))
            .get("channel/1/refresh")
            .await
            .expect("get")
            .expect("some");
        assert_eq!(
            read.expose(),
            "CANARY-rotated",
            "the reseal overwrote a newer value"
        );
    }
}
