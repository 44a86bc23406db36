//! The disk copy of the last good answers (DESIGN §13, issue 28 item 2): what lets a
//! gateway restarted during an outage still show every screen its last data, marked stale.
//!
//! - **What**: every answer the shared cache keeps as a key's last good copy
//!   ([`crate::cache`]: 2xx, fetched with exactly the key's credentials, not redirected, no
//!   cookie, not `no-store`) is also written to `<data dir>/`[`DIR`]`/<name>.`[`EXTENSION`],
//!   one file per cache key, sealed (`seal`: ChaCha20-Poly1305 under a key kept in the
//!   secret store as [`seal::KEY_NAME`], the associated data bound to the file's name,
//!   which is a keyed hash of the cache key). Nothing else is written: no index file, no
//!   URL in any name.
//! - **Never in the way**: a write is a task of its own, after the answer was handed over;
//!   the same content written less than [`REWRITE_AFTER`] ago is not written again. The
//!   disk is read only when the memory holds no good copy for a key (after a restart, or
//!   once the memory evicted it), and the copy read is kept in memory again.
//! - **Bounded**: at most `max_bytes` of files (256 MiB by default, `gateway serve
//!   --disk-cache-size`); the least recently written or served go first. A single answer
//!   over an eighth of the bound is not written.
//! - **Deleted when access is cut** (`access`): after every access change the gateway
//!   hears of (its own or another process's: the access epoch moved) and at startup, each
//!   copy is judged, and the file of a copy whose credential is gone or whose reader lost
//!   its access is removed from the disk.
//! - **Never served damaged**: a file that does not open — corrupt, truncated, tampered,
//!   moved to another key's name, from another installation's key — is logged (by file
//!   name only), deleted and never served.
//!
//! Several processes may share a data directory (each keeps its own index; files are
//! replaced by rename, and a file gone under one is simply not served).

mod access;
mod seal;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use lanyard_core::{Lanyard, Result};
use sha2::{Digest, Sha256};

pub use seal::{EXTENSION, KEY_NAME};

/// The folder of the disk cache inside the data directory.
pub const DIR: &str = "fetch-cache";

/// The default bound: 256 MiB of files.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// The same content is written again only when the copy on disk is older than this (its
/// "fetched at" then says so): a `no-cache` feed polled every second costs one write a
/// minute, not one a second.
pub const REWRITE_AFTER: Duration = Duration::from_secs(60);

/// How often the access epoch is looked at.
const POLL: Duration = Duration::from_millis(500);

/// How often every copy is judged even without an access change (keep-showing limits run
/// out with time).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// A good answer as kept on disk.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The cache key's URL.
    pub url: String,
    /// The cache key's credential names.
    pub credentials: Vec<String>,
    /// The content-negotiation headers it is served to, when the answer varies.
    pub variant: Option<Vec<(String, String)>>,
    /// Status.
    pub status: u16,
    /// Headers passed on (without `Age`).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The upstream's `Age` when fetched.
    pub age: u64,
    /// `X-Lanyard-Attached`.
    pub attached: String,
    /// When it was fetched.
    pub fetched_at: SystemTime,
    /// The body.
    pub body: Bytes,
}

/// A copy on disk as the index knows it.
#[derive(Debug, Clone)]
struct Indexed {
    url: String,
    credentials: Vec<String>,
    variant: Option<Vec<(String, String)>>,
    fetched_at: SystemTime,
    readers: Vec<(String, i64)>,
    size: u64,
    used: u64,
    /// Of the content (status, headers, body, variant), when written by this process.
    digest: Option<[u8; 32]>,
}

#[derive(Debug, Default)]
struct Index {
    entries: HashMap<String, Indexed>,
    bytes: u64,
    tick: u64,
}

impl Index {
    fn insert(&mut self, name: String, mut entry: Indexed) {
        self.tick += 1;
        entry.used = self.tick;
        self.bytes += entry.size;
        if let Some(old) = self.entries.insert(name, entry) {
            self.bytes -= old.size;
        }
    }

    fn remove(&mut self, name: &str) -> Option<Indexed> {
        let old = self.entries.remove(name)?;
        self.bytes -= old.size;
        Some(old)
    }

    /// The least recently used copies to delete to get under `max` bytes.
    fn over(&mut self, max: u64) -> Vec<String> {
        let mut out = Vec::new();
        while self.bytes > max {
            let Some(name) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(n, _)| n.clone())
            else {
                break;
            };
            self.remove(&name);
            out.push(name);
        }
        out
    }
}

/// The active players' session generations, by id.
type Generations = Arc<HashMap<String, i64>>;

struct Inner {
    lanyard: Lanyard,
    dir: PathBuf,
    max_bytes: u64,
    sealer: seal::Sealer,
    index: Mutex<Index>,
    /// Writes, rewrites and deletions one at a time (the index and the files agree).
    writing: tokio::sync::Mutex<()>,
    generations: Mutex<Option<([u8; 16], Generations)>>,
    sweep: tokio::sync::Notify,
    watcher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskCache")
            .field("dir", &self.dir)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// The disk cache of one gateway.
#[derive(Debug, Clone)]
pub struct DiskCache {
    inner: Arc<Inner>,
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn digest(entry: &Entry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(entry.status.to_le_bytes());
    for (k, v) in &entry.headers {
        h.update((k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v);
    }
    h.update(entry.attached.as_bytes());
    h.update(format!("{:?}", entry.variant).as_bytes());
    h.update(&entry.body);
    h.finalize().into()
}

/// Creates the folder, owner-only.
fn make_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, owner-only.
fn write_file(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!(
        ".{}.tmp",
        seal::hex(&seal::random::<8>().unwrap_or([0; 8]))
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut f| f.write_all(bytes));
    match written.and_then(|_| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(
            "could not delete the disk cache file {}: {e}",
            path.display()
        ),
    }
}

/// Reads the folder: every entry's meta (a file that does not open is logged and deleted;
/// a leftover temporary file deleted; anything else logged and left alone).
fn load(dir: &Path, sealer: &seal::Sealer) -> std::io::Result<Index> {
    let mut index = Index::default();
    let mut found: Vec<(String, Indexed)> = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let path = item?.path();
        let Some(file) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if file.starts_with('.') && file.ends_with(".tmp") {
            remove(&path);
            continue;
        }
        let Some(name) = file
            .strip_suffix(&format!(".{EXTENSION}"))
            .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            tracing::warn!(
                "the disk cache folder holds {file:?}, which is not one of its files: ignored"
            );
            continue;
        };
        let opened = std::fs::File::open(&path)
            .map_err(|e| e.to_string())
            .and_then(|mut f| {
                let size = f.metadata().map_err(|e| e.to_string())?.len();
                Ok((sealer.open_meta(name, &mut f)?, size))
            });
        match opened {
            Ok((meta, size)) => found.push((
                name.to_string(),
                Indexed {
                    url: meta.url,
                    credentials: meta.credentials,
                    variant: meta.variant,
                    fetched_at: from_millis(meta.fetched_at),
                    readers: meta.readers,
                    size,
                    used: 0,
                    digest: None,
                },
            )),
            Err(why) => {
                tracing::warn!("disk cache file {file} refused and deleted: {why}");
                remove(&path);
            }
        }
    }
    // Least recently fetched first: they go first when over the bound.
    found.sort_by_key(|(_, e)| e.fetched_at);
    for (name, entry) in found {
        index.insert(name, entry);
    }
    Ok(index)
}

impl DiskCache {
    /// Opens the disk cache of `l`'s data directory, bounded to `max_bytes`: reads what a
    /// previous run left (deleting what does not open), deletes the copies whose access
    /// was cut meanwhile, and starts watching access changes.
    pub async fn open(l: &Lanyard, max_bytes: u64) -> Result<DiskCache> {
        let master = zeroize::Zeroizing::new(seal::master_key(l).await?);
        let sealer = seal::Sealer::new(&master);
        let dir = l.data_dir().join(DIR);
        let (dir, loaded) = tokio::task::spawn_blocking(move || {
            let loaded = make_dir(&dir).and_then(|_| load(&dir, &sealer));
            (dir, loaded.map(|index| (index, sealer)))
        })
        .await
        .map_err(|_| lanyard_core::Error::Internal("the disk cache did not load".into()))?;
        let (index, sealer) = loaded.map_err(|e| {
            lanyard_core::Error::io(&format!("could not read {}", dir.display()), &e)
        })?;
        let cache = DiskCache {
            inner: Arc::new(Inner {
                lanyard: l.clone(),
                dir,
                max_bytes,
                sealer,
                index: Mutex::new(index),
                writing: tokio::sync::Mutex::new(()),
                generations: Mutex::new(None),
                sweep: tokio::sync::Notify::new(),
                watcher: Mutex::new(None),
            }),
        };
        cache.sweep().await;
        cache.evict().await;
        let watcher = tokio::spawn(watch(Arc::downgrade(&cache.inner)));
        *cache.lock_watcher() = Some(watcher);
        Ok(cache)
    }

    fn lock_watcher(&self) -> std::sync::MutexGuard<'_, Option<tokio::task::JoinHandle<()>>> {
        self.inner.watcher.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.inner.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.inner.dir.join(format!("{name}.{EXTENSION}"))
    }

    /// Stops watching access changes (the gateway stops).
    pub fn stop(&self) {
        if let Some(w) = self.lock_watcher().take() {
            w.abort();
        }
    }

    /// Bytes of files held.
    pub fn bytes(&self) -> u64 {
        self.index().bytes
    }

    /// Copies held.
    pub fn len(&self) -> usize {
        self.index().entries.len()
    }

    /// Whether no copy is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps `entry` on disk, in a task of its own (the answer is not kept waiting).
    pub fn keep(&self, entry: Entry) {
        let cache = self.clone();
        tokio::spawn(async move { cache.write(entry).await });
    }

    /// The session generations of the active players, read once per access epoch.
    async fn generations(&self, epoch: [u8; 16]) -> Result<Generations> {
        if let Some((e, g)) = self
            .inner
            .generations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if *e == epoch {
                return Ok(g.clone());
            }
        }
        let g = Arc::new(self.inner.lanyard.store().session_generations().await?);
        *self
            .inner
            .generations
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((epoch, g.clone()));
        Ok(g)
    }

    async fn write(&self, entry: Entry) {
        if let Err(e) = self.try_write(entry).await {
            tracing::warn!(code = e.code(), "could not write to the disk cache: {e}");
        }
    }

    async fn try_write(&self, entry: Entry) -> Result<()> {
        let too_big = entry.body.len() as u64 > self.inner.max_bytes / 8;
        let l = &self.inner.lanyard;
        let epoch = l.store().access_epoch();
        let snapshot = l.snapshot().await?;
        let generations = self.generations(epoch).await?;
        let name = self.inner.sealer.name(&entry.url, &entry.credentials);
        let readers = access::readers(&snapshot, &generations, &entry.credentials);
        let keep = access::keep_limit(&snapshot, &entry.credentials);
        let digest = digest(&entry);
        let writing = self.inner.writing.lock().await;
        if too_big || readers.is_empty() || keep.is_zero() {
            // Nothing (any more) to keep for this key.
            if self.index().remove(&name).is_some() {
                let path = self.path(&name);
                let _ = tokio::task::spawn_blocking(move || remove(&path)).await;
            }
            return Ok(());
        }
        if let Some(held) = self.index().entries.get(&name) {
            let young = entry
                .fetched_at
                .duration_since(held.fetched_at)
                .is_ok_and(|d| d < REWRITE_AFTER);
            if young && held.digest == Some(digest) && held.readers == readers {
                return Ok(());
            }
        }
        let mut meta = seal::Meta {
            url: entry.url.clone(),
            credentials: entry.credentials.clone(),
            variant: entry.variant.clone(),
            status: entry.status,
            headers: entry.headers,
            age: entry.age,
            attached: entry.attached,
            fetched_at: millis(entry.fetched_at),
            readers: readers.clone(),
            file_id: String::new(),
            body_len: 0,
        };
        let bytes = self.inner.sealer.seal(&name, &mut meta, &entry.body)?;
        let size = bytes.len() as u64;
        let (dir, path) = (self.inner.dir.clone(), self.path(&name));
        tokio::task::spawn_blocking(move || write_file(&dir, &path, &bytes))
            .await
            .map_err(|_| lanyard_core::Error::Internal("the disk write stopped".into()))?
            .map_err(|e| lanyard_core::Error::io("could not write a disk cache file", &e))?;
        self.index().insert(
            name,
            Indexed {
                url: entry.url,
                credentials: entry.credentials,
                variant: entry.variant,
                fetched_at: entry.fetched_at,
                readers,
                size,
                used: 0,
                digest: Some(digest),
            },
        );
        drop(writing);
        self.evict().await;
        // Access changed while this was written: judge it (and the rest) again.
        if l.store().access_epoch() != epoch {
            self.inner.sweep.notify_one();
        }
        Ok(())
    }

    /// Deletes the least recently used files over the bound.
    async fn evict(&self) {
        let _writing = self.inner.writing.lock().await;
        let out = self.index().over(self.inner.max_bytes);
        if out.is_empty() {
            return;
        }
        let paths: Vec<PathBuf> = out.iter().map(|n| self.path(n)).collect();
        let _ = tokio::task::spawn_blocking(move || paths.iter().for_each(|p| remove(p))).await;
    }

    /// The copy of the key `url` + `credentials` for a request with `negotiation`, if one
    /// is on disk, fetched at most `keep` ago, and opens.
    pub async fn find(
        &self,
        url: &str,
        credentials: &[String],
        negotiation: &[(String, String)],
        keep: Duration,
    ) -> Option<Entry> {
        if self.is_empty() {
            return None;
        }
        let name = self.inner.sealer.name(url, credentials);
        {
            let mut index = self.index();
            index.tick += 1;
            let tick = index.tick;
            let held = index.entries.get_mut(&name)?;
            let young = SystemTime::now()
                .duration_since(held.fetched_at)
                .map_or(true, |age| age <= keep);
            let variant = held.variant.as_deref().is_none_or(|v| v == negotiation);
            if !young || !variant {
                return None;
            }
            held.used = tick;
        }
        let path = self.path(&name);
        let sealer = self.clone();
        let file = name.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| format!("unreadable: {e}"))?;
            sealer.inner.sealer.open(&file, bytes)
        })
        .await
        .ok()?;
        match opened {
            Ok((meta, body)) => Some(Entry {
                url: meta.url,
                credentials: meta.credentials,
                variant: meta.variant,
                status: meta.status,
                headers: meta.headers,
                age: meta.age,
                attached: meta.attached,
                fetched_at: from_millis(meta.fetched_at),
                body: Bytes::from(body),
            }),
            Err(why) => {
                tracing::warn!(
                    "disk cache file {name}.{EXTENSION} refused, deleted and not served: {why}"
                );
                let _writing = self.inner.writing.lock().await;
                self.index().remove(&name);
                let path = self.path(&name);
                let _ = tokio::task::spawn_blocking(move || remove(&path)).await;
                None
            }
        }
    }

    /// Judges every copy (see `access`): deletes the files of those whose access was cut,
    /// records the screens linked since.
    pub async fn sweep(&self) {
        if let Err(e) = self.try_sweep().await {
            tracing::warn!(code = e.code(), "could not check the disk cache: {e}");
        }
    }

    async fn try_sweep(&self) -> Result<()> {
        let l = &self.inner.lanyard;
        let epoch = l.store().access_epoch();
        let snapshot = l.snapshot().await?;
        let generations = self.generations(epoch).await?;
        let _writing = self.inner.writing.lock().await;
        let now = SystemTime::now();
        let mut deleted: Vec<(String, &'static str)> = Vec::new();
        let mut readers: Vec<(String, Vec<(String, i64)>)> = Vec::new();
        // Judged on a copy of the index (requests reading it are not kept waiting), the
        // readers computed once per credential set.
        let held: Vec<(String, Indexed)> = self
            .index()
            .entries
            .iter()
            .map(|(n, e)| (n.clone(), e.clone()))
            .collect();
        let mut by_credentials: HashMap<Vec<String>, Vec<(String, i64)>> = HashMap::new();
        for (name, e) in held {
            let age = now.duration_since(e.fetched_at).unwrap_or_default();
            let current = by_credentials
                .entry(e.credentials.clone())
                .or_insert_with(|| access::readers(&snapshot, &generations, &e.credentials));
            match access::judge_with(&snapshot, current, &e.url, &e.credentials, &e.readers, age) {
                access::Verdict::Keep => {}
                access::Verdict::Readers(r) => readers.push((name, r)),
                access::Verdict::Delete(why) => deleted.push((name, why)),
            }
        }
        for (name, why) in &deleted {
            self.index().remove(name);
            tracing::info!("disk cache file {name}.{EXTENSION} deleted: {why}");
        }
        let paths: Vec<PathBuf> = deleted.iter().map(|(n, _)| self.path(n)).collect();
        let mut rewrites = Vec::new();
        for (name, r) in readers {
            if let Some(e) = self.index().entries.get_mut(&name) {
                e.readers = r.clone();
            }
            rewrites.push((name.clone(), self.path(&name), r));
        }
        let this = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            paths.iter().for_each(|p| remove(p));
            for (name, path, r) in rewrites {
                this.rewrite_readers(&name, &path, r);
            }
        })
        .await;
        Ok(())
    }

    /// Rewrites a file's meta with new readers, its body box as it was.
    fn rewrite_readers(&self, name: &str, path: &Path, readers: Vec<(String, i64)>) {
        let sealer = &self.inner.sealer;
        let rewritten = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|old| {
                let mut meta = sealer.open_meta(name, &mut old.as_slice())?;
                meta.readers = readers;
                let bytes = sealer
                    .reseal_meta(name, &meta, &old)
                    .map_err(|e| e.to_string())?;
                write_file(&self.inner.dir, path, &bytes).map_err(|e| e.to_string())
            });
        if let Err(why) = rewritten {
            tracing::warn!("disk cache file {name}.{EXTENSION} deleted: {why}");
            self.index().remove(name);
            remove(path);
        }
    }
}

/// Sweeps when the access epoch moves (or a write asks for it), and every [`SWEEP_EVERY`].
async fn watch(inner: Weak<Inner>) {
    let mut seen: Option<[u8; 16]> = None;
    let mut last = tokio::time::Instant::now();
    let mut asked = false;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let cache = DiskCache { inner: strong };
        let epoch = cache.inner.lanyard.store().access_epoch();
        if asked || seen.is_some_and(|s| s != epoch) || last.elapsed() >= SWEEP_EVERY {
            cache.sweep().await;
            last = tokio::time::Instant::now();
        }
        seen = Some(epoch);
        let wanted = cache.inner.clone();
        drop(cache);
        asked = tokio::select! {
            _ = tokio::time::sleep(POLL) => false,
            _ = wanted.sweep.notified() => true,
        };
    }
}
