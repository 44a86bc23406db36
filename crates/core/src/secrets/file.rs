//! Secrets in a file inside the data directory — an explicit opt-in for headless machines
//! and CI, never chosen silently. It is not encrypted: every place that lists secrets
//! shows [`FileStore::warning`].
//!
//! - The data directory must belong to this user and not be writable by group or others
//!   (whoever can write there could swap the files); otherwise the store is refused.
//! - Every file is opened without following a symlink. A new version is written to
//!   `secrets.tmp`, created exclusively (`O_EXCL | O_NOFOLLOW`, mode 0600): a symlink or
//!   anything but a regular file of ours at that name is refused; a regular file of ours
//!   is what a crashed write left, and is removed first.
//! - The temporary file is fsynced, renamed over `secrets`, and the directory fsynced, so
//!   after a power loss the file is the old or the new version — never a rotated-out
//!   refresh token coming back after the new one was reported saved.
//! - The file is refused when anyone but its owner can read it.
//! - On Windows there are no POSIX modes: every file the store creates gets an owner-only
//!   DACL (inheritance removed, full control for the current user alone) from the
//!   system's `icacls.exe`, by its full path under `%SystemRoot%`; when that cannot be
//!   done the write is refused with the reason, and nothing is written.

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
        let lock = open_private(&self.lock_path)?;
        lock.lock()
            .map_err(|e| Error::io("could not lock the secrets file", &e))?;
        let out = f();
        let _ = lock.unlock();
        out
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        let raw = match read_no_follow(&self.path) {
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
        let mut file = create_new_private(&tmp)?;
        file.write_all(&raw)
            .map_err(|e| Error::io("could not write the secrets file", &e))?;
        file.sync_all()
            .map_err(|e| Error::io("could not write the secrets file", &e))?;
        fs::rename(&tmp, &self.path)
            .map_err(|e| Error::io("could not replace the secrets file", &e))?;
        sync_dir(self.path.parent())
    }
}

/// Creates `path` anew (exclusively, no symlink followed, mode 0600). A regular file of
/// ours already there is a crashed write's leftover and is removed first; anything else
/// is refused.
fn create_new_private(path: &Path) -> Result<File> {
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.file_type().is_file() || !owned_by_me(&meta) {
            return Err(Error::SecretStoreUnavailable(format!(
                "{} exists and is not a file Lanyard left (a symlink or another user's \
                 file); remove it after checking what it is",
                path.display()
            )));
        }
        fs::remove_file(path)
            .map_err(|e| Error::io("could not remove a leftover secrets.tmp", &e))?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    no_follow_private(&mut options);
    let file = options
        .open(path)
        .map_err(|e| Error::io(&format!("could not create {}", path.display()), &e))?;
    if let Err(err) = restrict_to_owner(path) {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(err);
    }
    Ok(file)
}

/// POSIX: the mode given at creation (0600) already restricts the file.
#[cfg(not(windows))]
fn restrict_to_owner(_path: &Path) -> Result<()> {
    Ok(())
}

/// Windows: replaces the file's DACL by one entry, full control for the current user,
/// with `%SystemRoot%\System32\icacls.exe` (never one found on `PATH`).
#[cfg(windows)]
fn restrict_to_owner(path: &Path) -> Result<()> {
    restrict_with(path, &std::env::var_os("SystemRoot").unwrap_or_default())
}

#[cfg(windows)]
fn restrict_with(path: &Path, root: &std::ffi::OsStr) -> Result<()> {
    let refused = |why: String| {
        Error::SecretStoreUnavailable(format!(
            "the secrets file cannot be restricted to your user ({why}); use Windows \
             Credential Manager (--secret-store keyring, the default) instead"
        ))
    };
    let user = std::env::var("USERNAME").map_err(|_| refused("USERNAME is not set".into()))?;
    if root.is_empty() {
        return Err(refused("SystemRoot is not set".into()));
    }
    let icacls = Path::new(root).join("System32").join("icacls.exe");
    let out = std::process::Command::new(&icacls)
        .arg(path)
        .args(["/inheritance:r", "/grant:r"])
        .arg(format!("{user}:F"))
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| refused(format!("{} could not be run: {e}", icacls.display())))?;
    if !out.status.success() {
        return Err(refused(format!(
            "icacls said: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

#[cfg(unix)]
fn no_follow_private(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
    options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
}

#[cfg(not(unix))]
fn no_follow_private(_options: &mut OpenOptions) {}

#[cfg(unix)]
fn owned_by_me(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == rustix::process::geteuid().as_raw()
}

#[cfg(not(unix))]
fn owned_by_me(_meta: &fs::Metadata) -> bool {
    true
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: Option<&Path>) -> Result<()> {
    let Some(dir) = dir else { return Ok(()) };
    let synced = File::open(dir).and_then(|d| d.sync_all());
    #[cfg(test)]
    tests::DIR_SYNCS.with(|n| n.set(n.get() + 1));
    synced.map_err(|e| Error::io("could not make the secrets file durable", &e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: Option<&Path>) -> Result<()> {
    Ok(())
}

/// Refuses a data directory that is not this user's or that others may write into.
#[cfg(unix)]
fn check_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("could not read the data directory", &e)),
    };
    let mode = meta.permissions().mode() & 0o777;
    if !meta.is_dir() || !owned_by_me(&meta) || mode & 0o022 != 0 {
        return Err(Error::SecretStoreUnavailable(format!(
            "the data directory {} must be a directory of yours that only you can write \
             (it is mode {mode:o}{}); fix it (`chmod 700 {}`) or choose another data \
             directory",
            dir.display(),
            if owned_by_me(&meta) {
                ""
            } else {
                ", owned by another user"
            },
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

fn read_no_follow(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut options = OpenOptions::new();
    options.read(true);
    no_follow_private(&mut options);
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut options.open(path)?, &mut raw)?;
    Ok(raw)
}

fn open_private(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| Error::io("could not create the data directory", &e))?;
    }
    if let Some(dir) = path.parent() {
        check_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    no_follow_private(&mut options);
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
        let private = if cfg!(windows) {
            "readable by your user only"
        } else {
            "mode 0600"
        };
        format!(
            "secrets are in the file {} ({private})",
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

    thread_local! {
        /// Directory fsyncs made by this thread (see `sync_dir`).
        pub(super) static DIR_SYNCS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::symlink_metadata(path)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_temporary_name_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let target = elsewhere.path().join("victim");
        fs::write(&target, b"untouched").expect("write");
        let store = FileStore::new(dir.path());
        store.set("a", &SecretValue::new("one")).expect("set");
        std::os::unix::fs::symlink(&target, dir.path().join("secrets.tmp")).expect("symlink");
        let err = store
            .set("a", &SecretValue::new("CANARY-two"))
            .expect_err("refused");
        assert_eq!(err.code(), "secret_store_unavailable", "{err}");
        assert_eq!(fs::read(&target).expect("read"), b"untouched");
        assert_eq!(store.get("a").expect("get").expect("some").expose(), "one");
        // A symlink in place of the secrets file itself is not followed either.
        fs::remove_file(dir.path().join("secrets.tmp")).expect("rm");
        fs::remove_file(dir.path().join(SECRETS_FILE)).expect("rm");
        std::os::unix::fs::symlink(&target, dir.path().join(SECRETS_FILE)).expect("symlink");
        assert!(store.get("a").is_err());
        assert_eq!(fs::read(&target).expect("read"), b"untouched");
    }

    #[cfg(unix)]
    #[test]
    fn a_leftover_temporary_file_is_replaced_by_a_new_private_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        let tmp = dir.path().join("secrets.tmp");
        fs::write(&tmp, b"{}").expect("write");
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).expect("chmod");
        store.set("a", &SecretValue::new("v")).expect("set");
        assert_eq!(mode(&dir.path().join(SECRETS_FILE)), 0o600);
        assert_eq!(store.get("a").expect("get").expect("some").expose(), "v");
    }

    #[cfg(unix)]
    #[test]
    fn a_data_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        store.set("a", &SecretValue::new("v")).expect("set");
        for loose in [0o770, 0o707, 0o777] {
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(loose)).expect("chmod");
            let err = store.get("a").expect_err("refused");
            assert_eq!(err.code(), "secret_store_unavailable", "{loose:o}: {err}");
            assert!(err.to_string().contains("chmod 700"), "{err}");
            assert!(store.set("b", &SecretValue::new("w")).is_err());
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o750)).expect("chmod");
        assert_eq!(store.get("a").expect("get").expect("some").expose(), "v");
    }

    #[cfg(unix)]
    #[test]
    fn a_data_directory_of_another_user_is_refused() {
        // Runs everywhere, never skipped: as root (CI) a fresh directory is given to
        // `nobody` (65534); as anyone else, `/` is root's.
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid();
        let dir = tempfile::tempdir().expect("tempdir");
        let theirs = if me.is_root() {
            rustix::fs::chown(
                dir.path(),
                Some(rustix::process::Uid::from_raw(65534)),
                None,
            )
            .expect("root can give a directory away");
            dir.path().to_path_buf()
        } else {
            std::path::PathBuf::from("/")
        };
        let meta = fs::metadata(&theirs).expect("meta");
        assert_ne!(
            meta.uid(),
            me.as_raw(),
            "the directory must be someone else's"
        );
        assert_eq!(meta.mode() & 0o022, 0, "only its owner may write it");
        let err = FileStore::new(&theirs)
            .set("a", &SecretValue::new("v"))
            .expect_err("refused");
        assert_eq!(err.code(), "secret_store_unavailable", "{err}");
        assert!(err.to_string().contains("another user"), "{err}");
        assert!(FileStore::new(&theirs).get("a").is_err());
    }

    #[test]
    fn the_directory_is_synced_after_the_rename() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        let before = DIR_SYNCS.with(|n| n.get());
        store.set("a", &SecretValue::new("v")).expect("set");
        store.delete("a").expect("delete");
        let synced = DIR_SYNCS.with(|n| n.get()) - before;
        assert_eq!(synced, usize::from(cfg!(unix)) * 2, "one per replaced file");
    }

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

    /// Windows: the file gets an owner-only DACL, and without `icacls.exe` to set it the
    /// store refuses, saying why.
    #[cfg(windows)]
    #[test]
    fn windows_refuses_a_file_it_cannot_restrict_to_the_user() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        store
            .set("a", &SecretValue::new("v"))
            .expect("set with icacls");
        assert!(store.describe().contains("readable by your user only"));
        let file = dir.path().join("probe");
        fs::write(&file, b"").expect("write");
        let err =
            restrict_with(&file, dir.path().join("no-windows").as_os_str()).expect_err("refused");
        assert_eq!(err.code(), "secret_store_unavailable", "{err}");
        assert!(err.to_string().contains("restricted to your user"), "{err}");
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
