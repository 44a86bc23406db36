//! The access epoch: 16 bytes in a file next to the database that change after every
//! committed change that can alter who may use which channel or what a request carries —
//! players, links, channel status, channels, providers, URL tokens, permission decisions. Any process can cache access decisions and revalidate
//! them with one `pread` instead of a SQLite query, and still see another process's change
//! on its very next grant: the writer bumps after its commit returns, the reader reads the
//! epoch before it reads the database. A torn read can only look like a change (a harmless
//! reload), never hide one.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use super::Store;
use crate::error::{Error, Result};

/// The file's name in the data directory.
pub const EPOCH_FILE: &str = "access.epoch";

/// Size of an epoch.
const LEN: usize = 16;

impl Store {
    fn epoch_path(&self) -> PathBuf {
        self.path().with_file_name(EPOCH_FILE)
    }

    fn epoch_file(&self) -> Option<&File> {
        if let Some(file) = self.epoch.get() {
            return Some(file);
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.epoch_path())
            .ok()?;
        Some(self.epoch.get_or_init(|| file))
    }

    /// The current access epoch.
    pub fn access_epoch(&self) -> [u8; LEN] {
        let mut buf = [0u8; LEN];
        if let Some(file) = self.epoch_file() {
            read_at(file, &mut buf);
        }
        buf
    }

    /// Announces a committed access change to every process.
    pub fn bump_access_epoch(&self) -> Result<()> {
        let file = self
            .epoch_file()
            .ok_or_else(|| Error::Io("could not open the access epoch file".into()))?;
        let epoch = *uuid::Uuid::new_v4().as_bytes();
        write_at(file, &epoch).map_err(|e| Error::io("could not record an access change", &e))
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8]) {
    use std::os::unix::fs::FileExt;
    let _ = file.read_at(buf, 0);
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(buf, 0)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8]) {
    use std::os::windows::fs::FileExt;
    let _ = file.seek_read(buf, 0);
}

#[cfg(windows)]
fn write_at(file: &File, buf: &[u8]) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    file.seek_write(buf, 0).map(|_| ())
}

#[cfg(test)]
mod tests {
    use crate::store::{Store, DATABASE_FILE};

    #[tokio::test]
    async fn a_bump_is_seen_by_another_store_on_the_same_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Store::open(&dir.path().join(DATABASE_FILE))
            .await
            .expect("a");
        let b = Store::open(&dir.path().join(DATABASE_FILE))
            .await
            .expect("b");
        let before = b.access_epoch();
        a.bump_access_epoch().expect("bump");
        assert_ne!(b.access_epoch(), before);
        assert_eq!(a.access_epoch(), b.access_epoch());
    }
}
