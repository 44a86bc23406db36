//! The sealed file format of the disk cache, and its key.
//!
//! **The key**: 32 random bytes in the secret store under [`KEY_NAME`] (created on first
//! use; the OS keyring, the file store or the shared database, as for every other
//! secret). Two keys are derived from it with HMAC-SHA256: one names files, one seals them.
//!
//! **The name** of a cache key's file is `HMAC-SHA256(name key, "v1\0" ‖ url ‖ ("\0" ‖
//! credential)*)` in hex, plus [`EXTENSION`]: it tells nothing of the URL or the
//! credentials, and without the key a guessed URL cannot be checked against it.
//!
//! **A file** is
//!
//! ```text
//! "LYDC" | version (1 byte) | nonce (12) | meta length (u32 LE) | sealed meta | nonce (12) | sealed body
//! ```
//!
//! Both boxes are ChaCha20-Poly1305 (ring) with a random 96-bit nonce each. The meta
//! (JSON: URL, credential names, status, headers, `Age`, when fetched, the variant, the
//! screens that could read it with their session generations, a random file id, the body
//! length) is sealed with associated data `"lanyard-fetch-cache v1 meta\0" ‖ header ‖
//! name`; the body with `"lanyard-fetch-cache v1 body\0" ‖ name ‖ file id`. So a file
//! renamed to another key's name, a body spliced from another file, a flipped bit or a
//! truncation all fail to open, and the meta's URL and credentials are checked against the
//! name once more.

use std::io::Read;

use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use lanyard_core::secrets::SecretValue;
use lanyard_core::{Error, Lanyard, Result};

/// Secret store key of the disk cache's key.
pub const KEY_NAME: &str = "gateway/disk-cache-key";

/// The extension of an entry's file.
pub const EXTENSION: &str = "lyc";

const MAGIC: &[u8; 4] = b"LYDC";
const VERSION: u8 = 1;
/// Magic, version, nonce, meta length.
const HEADER: usize = 4 + 1 + NONCE_LEN + 4;
const TAG: usize = 16;
/// A meta box larger than this is not read (a damaged length).
const MAX_META: usize = 1024 * 1024;

/// Why a file was not opened (said in the log line, with the file's name).
pub(super) type Refused = String;

/// What a file says besides the body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) struct Meta {
    pub url: String,
    pub credentials: Vec<String>,
    pub variant: Option<Vec<(String, String)>>,
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub age: u64,
    pub attached: String,
    /// Unix milliseconds.
    pub fetched_at: i64,
    /// The active players linked to every credential of the key when it was written or
    /// last swept, with their session generations.
    pub readers: Vec<(String, i64)>,
    /// Random; binds the body box to this meta box.
    pub file_id: String,
    pub body_len: u64,
}

/// The derived keys (never printed).
pub(super) struct Sealer {
    names: [u8; 32],
    seal: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(label);
    mac.finalize().into_bytes().into()
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

pub(super) fn random<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out)
        .map_err(|_| Error::Internal("the OS random generator failed".into()))?;
    Ok(out)
}

/// The installation's disk cache key, created on first use.
pub(super) async fn master_key(l: &Lanyard) -> Result<[u8; 32]> {
    if let Some(stored) = l.secrets().get(KEY_NAME).await? {
        return decode(&stored);
    }
    let key = zeroize::Zeroizing::new(random::<32>()?);
    l.secrets()
        .set(KEY_NAME, SecretValue::new(hex(key.as_ref())))
        .await?;
    // Two processes creating it at once: whichever wrote last wins, and both use it.
    match l.secrets().get(KEY_NAME).await? {
        Some(stored) => decode(&stored),
        None => Ok(*key),
    }
}

fn decode(stored: &SecretValue) -> Result<[u8; 32]> {
    unhex(stored.expose())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| Error::Internal(format!("the stored {KEY_NAME} is damaged")))
}

impl Sealer {
    pub(super) fn new(master: &[u8; 32]) -> Sealer {
        let seal = derive(master, b"lanyard-fetch-cache v1 seal");
        Sealer {
            names: derive(master, b"lanyard-fetch-cache v1 name"),
            seal: LessSafeKey::new(
                UnboundKey::new(&CHACHA20_POLY1305, &seal)
                    .unwrap_or_else(|_| unreachable!("a 32-byte key")),
            ),
        }
    }

    /// The file name (without extension) of the cache key `url` + `credentials`.
    pub(super) fn name(&self, url: &str, credentials: &[String]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.names)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(b"v1\0");
        mac.update(url.as_bytes());
        for c in credentials {
            mac.update(b"\0");
            mac.update(c.as_bytes());
        }
        hex(&mac.finalize().into_bytes())
    }

    fn seal_box(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>> {
        let nonce = random::<NONCE_LEN>()?;
        let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + TAG);
        out.extend_from_slice(&nonce);
        let mut sealed = plain.to_vec();
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut sealed,
            )
            .map_err(|_| Error::Internal("could not seal a disk cache entry".into()))?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open_box(&self, aad: &[u8], nonce: &[u8], sealed: &mut [u8]) -> Option<usize> {
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = self
            .seal
            .open_in_place(nonce, Aad::from(aad), sealed)
            .ok()?;
        Some(plain.len())
    }

    fn meta_aad(header: &[u8], name: &str) -> Vec<u8> {
        let mut aad = b"lanyard-fetch-cache v1 meta\0".to_vec();
        aad.extend_from_slice(header);
        aad.extend_from_slice(name.as_bytes());
        aad
    }

    fn body_aad(name: &str, file_id: &str) -> Vec<u8> {
        let mut aad = b"lanyard-fetch-cache v1 body\0".to_vec();
        aad.extend_from_slice(name.as_bytes());
        aad.extend_from_slice(file_id.as_bytes());
        aad
    }

    /// The sealed meta box with its header.
    fn seal_meta(&self, name: &str, meta: &Meta) -> Result<Vec<u8>> {
        let plain = serde_json::to_vec(meta)
            .map_err(|e| Error::Internal(format!("could not write a disk cache entry: {e}")))?;
        let nonce = random::<NONCE_LEN>()?;
        let len = u32::try_from(plain.len() + TAG)
            .map_err(|_| Error::Internal("a disk cache entry's headers are too large".into()))?;
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.push(VERSION);
        header.extend_from_slice(&nonce);
        header.extend_from_slice(&len.to_le_bytes());
        let mut sealed = plain;
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::meta_aad(&header, name)),
                &mut sealed,
            )
            .map_err(|_| Error::Internal("could not seal a disk cache entry".into()))?;
        header.extend_from_slice(&sealed);
        Ok(header)
    }

    /// A whole file: `meta` (whose `file_id` and `body_len` are set here) and `body`.
    pub(super) fn seal(&self, name: &str, meta: &mut Meta, body: &[u8]) -> Result<Vec<u8>> {
        meta.file_id = hex(&random::<16>()?);
        meta.body_len = body.len() as u64;
        let mut out = self.seal_meta(name, meta)?;
        out.extend_from_slice(&self.seal_box(&Self::body_aad(name, &meta.file_id), body)?);
        Ok(out)
    }

    /// A file with a new meta (same file id) and the sealed body of `old` (a whole file
    /// whose meta opened), unopened.
    pub(super) fn reseal_meta(&self, name: &str, meta: &Meta, old: &[u8]) -> Result<Vec<u8>> {
        let body_at =
            meta_end(old).ok_or_else(|| Error::Internal("a disk cache entry is damaged".into()))?;
        let mut out = self.seal_meta(name, meta)?;
        out.extend_from_slice(&old[body_at..]);
        Ok(out)
    }

    /// The meta of a file read from `reader` (only the meta box is read), checked against
    /// its `name`.
    pub(super) fn open_meta(&self, name: &str, reader: &mut impl Read) -> Result<Meta, Refused> {
        let mut header = [0u8; HEADER];
        reader
            .read_exact(&mut header)
            .map_err(|_| "truncated (no header)".to_string())?;
        let len = check_header(&header)?;
        let mut sealed = vec![0u8; len];
        reader
            .read_exact(&mut sealed)
            .map_err(|_| "truncated (meta)".to_string())?;
        self.open_meta_box(name, &header, &mut sealed)
    }

    fn open_meta_box(&self, name: &str, header: &[u8], sealed: &mut [u8]) -> Result<Meta, Refused> {
        let n = self
            .open_box(
                &Self::meta_aad(header, name),
                &header[5..5 + NONCE_LEN],
                sealed,
            )
            .ok_or_else(|| {
                "does not open with this installation's key under its own name (tampered, \
                 damaged, moved, or from another installation)"
                    .to_string()
            })?;
        let meta: Meta =
            serde_json::from_slice(&sealed[..n]).map_err(|_| "unreadable meta".to_string())?;
        if self.name(&meta.url, &meta.credentials) != name {
            return Err("names another cache key".into());
        }
        Ok(meta)
    }

    /// A whole file opened: its meta and body.
    pub(super) fn open(&self, name: &str, mut file: Vec<u8>) -> Result<(Meta, Vec<u8>), Refused> {
        let header: [u8; HEADER] = file
            .get(..HEADER)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| "truncated (no header)".to_string())?;
        let len = check_header(&header)?;
        let body_at = HEADER + len;
        if file.len() < body_at + NONCE_LEN + TAG {
            return Err("truncated".into());
        }
        let (head, rest) = file.split_at_mut(body_at);
        let meta = self.open_meta_box(name, &header, &mut head[HEADER..])?;
        let (nonce, sealed) = rest.split_at_mut(NONCE_LEN);
        let n = self
            .open_box(&Self::body_aad(name, &meta.file_id), nonce, sealed)
            .ok_or_else(|| "the body does not open (tampered, damaged or spliced)".to_string())?;
        if n as u64 != meta.body_len {
            return Err("the body's length differs from its meta's".into());
        }
        let start = body_at + NONCE_LEN;
        file.truncate(start + n);
        file.drain(..start);
        Ok((meta, file))
    }
}

/// The sealed meta box's length, from a file's header.
fn check_header(header: &[u8; HEADER]) -> Result<usize, Refused> {
    if &header[..4] != MAGIC {
        return Err("not a Lanyard disk cache file".into());
    }
    if header[4] != VERSION {
        return Err(format!("format version {} is not this one's", header[4]));
    }
    let len = u32::from_le_bytes(
        header[HEADER - 4..]
            .try_into()
            .unwrap_or_else(|_| unreachable!("4 bytes")),
    ) as usize;
    if !(TAG..=MAX_META).contains(&len) {
        return Err("damaged (meta length)".into());
    }
    Ok(len)
}

/// Where the body box of a whole file starts.
fn meta_end(file: &[u8]) -> Option<usize> {
    let header: [u8; HEADER] = file.get(..HEADER)?.try_into().ok()?;
    let end = HEADER + check_header(&header).ok()?;
    (file.len() >= end).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            url: "https://a.example/feed".into(),
            credentials: vec!["channel:c".into()],
            variant: None,
            status: 200,
            headers: vec![("content-type".into(), b"text/plain".to_vec())],
            age: 0,
            attached: "channel:c".into(),
            fetched_at: 1,
            readers: vec![("p".into(), 1)],
            file_id: String::new(),
            body_len: 0,
        }
    }

    #[test]
    fn a_file_opens_only_under_its_own_name_and_key_and_whole() {
        let sealer = Sealer::new(&[1; 32]);
        let mut m = meta();
        let name = sealer.name(&m.url, &m.credentials);
        let file = sealer.seal(&name, &mut m, b"data").expect("seal");
        let (opened, body) = sealer.open(&name, file.clone()).expect("opens");
        assert_eq!((opened, body.as_slice()), (m.clone(), &b"data"[..]));
        assert_eq!(
            sealer
                .open_meta(&name, &mut file.as_slice())
                .expect("meta")
                .url,
            m.url
        );
        // The name tells nothing of the URL or credentials.
        assert_eq!(name.len(), 64);
        assert!(!name.contains("example"));

        // Another key's name (the file moved), another installation's key, a flipped
        // bit anywhere, a truncation: refused.
        let other = sealer.name("https://a.example/other", &m.credentials);
        assert!(sealer.open(&other, file.clone()).is_err());
        assert!(Sealer::new(&[2; 32]).open(&name, file.clone()).is_err());
        for at in [0, 4, 10, HEADER + 3, file.len() - 20, file.len() - 1] {
            let mut bad = file.clone();
            bad[at] ^= 1;
            assert!(sealer.open(&name, bad).is_err(), "bit at {at}");
        }
        for len in [0, HEADER, file.len() - 1] {
            assert!(sealer.open(&name, file[..len].to_vec()).is_err(), "{len}");
        }
        // A body spliced from another file of the same key: refused.
        let mut m2 = meta();
        let file2 = sealer.seal(&name, &mut m2, b"atad").expect("seal");
        let at = meta_end(&file).expect("end");
        let at2 = meta_end(&file2).expect("end");
        let mut spliced = file[..at].to_vec();
        spliced.extend_from_slice(&file2[at2..]);
        assert!(sealer.open(&name, spliced).is_err());

        // A new meta keeps the body.
        m.readers.push(("q".into(), 3));
        let resealed = sealer.reseal_meta(&name, &m, &file).expect("reseal");
        let (opened, body) = sealer.open(&name, resealed).expect("opens");
        assert_eq!(opened.readers.len(), 2);
        assert_eq!(body, b"data");
    }
}
