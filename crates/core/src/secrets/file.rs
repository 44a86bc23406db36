//! Secrets in a file inside the data directory — an explicit opt-in for headless machines
//! and CI, never chosen silently. The file is created with mode 0600, replaced atomically,
//! and refused when anyone but its owner can read it. It is not encrypted: every place
//! that lists secrets shows [`FileStore::warning`].

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{SecretStore, SecretStoreKind, SecretValue};
use crate::error::{Error, Result};

/// The file's name inside the data directory.
pub const SECRETS_FILE: &str = "secrets";

/// A JSON object of key → value, in `<data dir>/secrets`.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
}

impl FileStore {
    /// The store for `data_dir`. Nothing is created until the first write.
    pub fn new(data_dir: &Path) -> Self {
        FileStore {
            path: data_dir.join(SECRETS_FILE),
            lock_path: data_dir.join(format!("{SECRETS_FILE}.lock")),
        }
    }

    /// Holds an exclusive advisory lock for a read-modify-write, so that two processes on
    /// one data directory never lose each other's writes.
    fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let lock = open_private(&self.lock_path, false)?;
        lock.lock()
            .map_err(|e| Error::io("could not lock the secrets file", &e))?;
        let out = f();
        let _ = lock.unlock();
        out
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        let raw = match fs::read(&self.path) {
            Ok(raw) => raw,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(Error::io("could not read the secrets file", &e)),
        };
        check_private(&self.path)?;
        // Never echo the parse error: it may quote the file's contents.
        serde_json::from_slice(&raw).map_err(|_| {
            Error::SecretStoreUnavailable(format!(
                "the secrets file {} is damaged (not a JSON object of strings)",
                self.path.display()
            ))
        })
    }

    fn write(&self, entries: &BTreeMap<String, String>) -> Result<()> {
        let tmp = self.path.with_extension("tmp");
        let raw = zeroize::Zeroizing::new(
            serde_json::to_vec(entries)
                .map_err(|_| Error::Internal("secrets cannot be encoded".into()))?,
        );
        let mut file = open_private(&tmp, true)?;
        file.write_all(&raw)
            .map_err(|e| Error::io("could not write the secrets file", &e))?;
        file.sync_all()
            .map_err(|e| Error::io("could not write the secrets file", &e))?;
        fs::rename(&tmp, &self.path)
            .map_err(|e| Error::io("could not replace the secrets file", &e))?;
        Ok(())
    }
}

fn open_private(path: &Path, truncate: bool) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| Error::io("could not create the data directory", &e))?;
    }
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(true)
        .truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| Error::io(&format!("could not open {}", path.display()), &e))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|e| Error::io("could not read the secrets file", &e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::SecretStoreUnavailable(format!(
            "the secrets file {} can be read by other users (mode {mode:o}); run \
             `chmod 600 {}` and try again",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

impl SecretStore for FileStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::File
    }

    fn get(&self, key: &str) -> Result<Option<SecretValue>> {
        self.locked(|| Ok(self.read()?.get(key).map(|v| SecretValue::new(v.as_str()))))
    }

    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        self.locked(|| {
            let mut entries = self.read()?;
            entries.insert(key.to_string(), value.expose().to_string());
            let out = self.write(&entries);
            entries.values_mut().for_each(zeroize::Zeroize::zeroize);
            out
        })
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.locked(|| {
            let mut entries = self.read()?;
            if entries.remove(key).is_some() {
                self.write(&entries)?;
            }
            entries.values_mut().for_each(zeroize::Zeroize::zeroize);
            Ok(())
        })
    }

    fn check(&self) -> Result<()> {
        self.locked(|| self.read().map(|_| ()))
    }

    fn describe(&self) -> String {
        format!(
            "secrets are in the file {} (mode 0600)",
            self.path.display()
        )
    }

    fn warning(&self) -> Option<String> {
        Some(format!(
            "Secrets are stored unencrypted in {} (readable only by you). Use the OS \
             keyring wherever one is available.",
            self.path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_private_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        assert!(store.get("a").expect("get").is_none());
        store.set("a", &SecretValue::new("x&y\"z")).expect("set");
        store.set("b", &SecretValue::new("2")).expect("set");
        assert_eq!(
            store.get("a").expect("get").expect("some").expose(),
            "x&y\"z"
        );
        store.delete("a").expect("delete");
        assert!(store.get("a").expect("get").is_none());
        assert_eq!(store.get("b").expect("get").expect("some").expose(), "2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SECRETS_FILE))
                .expect("meta")
                .permissions();
            assert_eq!(mode.mode() & 0o777, 0o600);
        }
        assert!(store.warning().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        store
            .set("a", &SecretValue::new("CANARY-secret"))
            .expect("set");
        let path = dir.path().join(SECRETS_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = store.get("a").expect_err("refused");
        assert_eq!(err.code(), "secret_store_unavailable");
        assert!(err.to_string().contains("chmod 600"));
        assert!(!err.to_string().contains("CANARY"));
    }

    #[test]
    fn damaged_file_error_does_not_quote_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        store.set("a", &SecretValue::new("v")).expect("set");
        fs::write(dir.path().join(SECRETS_FILE), b"{\"a\": CANARY-broken").expect("write");
        let err = store.get("a").expect_err("damaged");
        assert!(!err.to_string().contains("CANARY"), "{err}");
    }
}
