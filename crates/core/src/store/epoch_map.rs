//! The access epoch file, mapped into memory (Unix): reading the epoch is two atomic
//! loads instead of a `pread` — the one syscall a cached grant or a cached `/v1/fetch`
//! made besides the socket's (docs/benchmarks.md, issue #30).
//!
//! This is the workspace's only `unsafe` code (`unsafe_code` is denied everywhere else,
//! and tests/structure.rs fails on any other `allow`). What makes it sound:
//! - **The mapping outlives every read**: [`EpochMap`] owns it; the pointer is never handed
//!   out.
//! - **Size and alignment**: the map is made only when the file holds at least [`LEN`]
//!   bytes (it is grown to that, never shrunk: Lanyard never truncates the file, and
//!   grows it with zeros, a settled epoch); a mapping starts on a page boundary, so both
//!   8-byte words are aligned.
//! - **Other processes write the bytes at any time** (`pwrite` through the page cache,
//!   which a shared mapping sees at once): this process only ever *loads* them, atomically,
//!   so no data race exists in this process; a load that straddles a write can only read
//!   a mix of two epochs, which differs from both — a harmless reload, never a hidden
//!   change (the same guarantee the `pread` gave, store/epoch.rs).
//! - **A file truncated behind Lanyard's back** (by hand, or another program) would make
//!   a load fault (SIGBUS): a data directory someone else writes into is outside the
//!   threat model (DESIGN §9: the data directory is the user's own).
//!
//! Windows keeps the `pread`: the desktop app's gateway there serves one designer's
//! previews, and Wine (the only Windows this project can test on) is not where a mapping's
//! coherence with another process's writes should be trusted untested.
#![allow(unsafe_code)]

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};

/// The size of an epoch (store/epoch.rs checks that it agrees).
pub(super) const LEN: usize = 16;

/// A read-only shared mapping of the first [`LEN`] bytes of the epoch file.
#[derive(Debug)]
pub(super) struct EpochMap {
    map: memmap2::Mmap,
}

impl EpochMap {
    /// Maps `file` (grown to [`LEN`] bytes first if it is shorter); `None` when the
    /// filesystem refuses (the caller keeps reading with `pread`).
    pub(super) fn new(file: &File) -> Option<EpochMap> {
        let len = file.metadata().ok()?.len();
        if len < LEN as u64 {
            // Zeros: a settled epoch (not a marker). Only ever grows the file.
            file.set_len(LEN as u64).ok()?;
        }
        // SAFETY: see the module documentation: the file is at least LEN bytes and is never
        // truncated by Lanyard; the mapping is read-only and owned by `self`.
        let map = unsafe { memmap2::MmapOptions::new().len(LEN).map(file) }.ok()?;
        let aligned = (map.as_ptr() as usize).is_multiple_of(std::mem::align_of::<AtomicU64>());
        (map.len() >= LEN && aligned).then_some(EpochMap { map })
    }

    /// The epoch's bytes as they are now.
    pub(super) fn read(&self) -> [u8; LEN] {
        let words = self.map.as_ptr().cast::<AtomicU64>();
        // SAFETY: `new` checked that the mapping holds LEN = 16 bytes, 8-byte aligned, so
        // both words are in bounds and aligned; they live as long as `self.map`. Other
        // processes change them only through the kernel; this process only loads them.
        let (a, b) = unsafe {
            (
                (*words).load(Ordering::Acquire),
                (*words.add(1)).load(Ordering::Acquire),
            )
        };
        let mut out = [0u8; LEN];
        out[..8].copy_from_slice(&a.to_ne_bytes());
        out[8..].copy_from_slice(&b.to_ne_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    use super::*;

    #[test]
    fn the_map_sees_every_write_to_the_file_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("access.epoch");
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .expect("open");
        let map = EpochMap::new(&file).expect("mapped");
        assert_eq!(
            map.read(),
            [0u8; LEN],
            "an empty file reads as a zero epoch"
        );
        assert_eq!(file.metadata().expect("meta").len(), LEN as u64);
        // Another handle (as another process's would be) writes; the map sees it.
        let other = File::options().write(true).open(&path).expect("other");
        for round in 0..100u8 {
            let epoch: [u8; LEN] = std::array::from_fn(|i| round.wrapping_mul(31) ^ i as u8);
            other.write_all_at(&epoch, 0).expect("write");
            assert_eq!(map.read(), epoch, "round {round}");
        }
    }

    #[test]
    fn a_longer_file_is_mapped_as_it_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("access.epoch");
        std::fs::write(&path, [7u8; 40]).expect("write");
        let file = File::options()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        let map = EpochMap::new(&file).expect("mapped");
        assert_eq!(map.read(), [7u8; LEN]);
        assert_eq!(file.metadata().expect("meta").len(), 40, "never shrunk");
    }
}
