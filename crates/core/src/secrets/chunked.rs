//! Values longer than one keyring entry can hold, stored whole across several entries and
//! read back whole. Windows Credential Manager limits an entry to 2 560 bytes
//! (`CRED_MAX_CREDENTIAL_BLOB_SIZE`); a Microsoft refresh token can come close and a URL
//! token's value can be anything.
//!
//! A value that fits (and does not start with a NUL byte) is stored as it is under its key.
//! A longer one is cut into parts stored under `<key>#<generation>.<i>`, and the key's own
//! entry holds a header naming the generation, the number of parts and the total length.
//! The parts of a new value are written under a new generation before the header, and the
//! old generation's parts are deleted after it: a reader sees the old value or the new
//! one, never a mix. A missing part or a wrong length is an error, never a short secret.

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Entries of a keyring, by name, holding bytes.
pub(crate) trait Entries {
    /// The bytes under `name`, `None` when there is no such entry.
    fn read(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Writes (or replaces) the entry `name`.
    fn write(&self, name: &str, bytes: &[u8]) -> Result<()>;
    /// Deletes the entry `name`; a missing one is not an error.
    fn remove(&self, name: &str) -> Result<()>;
}

/// The header's prefix. Values starting with NUL are always split, so no stored value can
/// be mistaken for a header.
const HEADER: &[u8] = b"\0lanyard-split:v1:";

struct Split {
    generation: String,
    parts: usize,
    len: usize,
}

fn part_name(key: &str, generation: &str, i: usize) -> String {
    format!("{key}#{generation}.{i}")
}

fn parse_header(raw: &[u8]) -> Option<Result<Split>> {
    let rest = raw.strip_prefix(HEADER)?;
    let damaged =
        || Error::Internal("keyring: a secret stored in parts has a damaged header".into());
    let parsed = std::str::from_utf8(rest).ok().and_then(|text| {
        let mut fields = text.split(':');
        let generation = fields.next()?.to_string();
        let parts = fields.next()?.parse().ok()?;
        let len = fields.next()?.parse().ok()?;
        let valid = fields.next().is_none()
            && !generation.is_empty()
            && generation.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then_some(Split {
            generation,
            parts,
            len,
        })
    });
    Some(parsed.ok_or_else(damaged))
}

/// The split header under `key`, if the value there is split.
fn current_split(entries: &dyn Entries, key: &str) -> Result<Option<Split>> {
    match entries.read(key)? {
        Some(raw) => parse_header(&raw).transpose(),
        None => Ok(None),
    }
}

fn remove_parts(entries: &dyn Entries, key: &str, split: &Split) -> Result<()> {
    for i in 0..split.parts {
        entries.remove(&part_name(key, &split.generation, i))?;
    }
    Ok(())
}

/// Reads the whole value under `key`.
pub(crate) fn get(entries: &dyn Entries, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let Some(raw) = entries.read(key)? else {
        return Ok(None);
    };
    let split = match parse_header(&raw) {
        None => return Ok(Some(raw)),
        Some(split) => split?,
    };
    let mut whole = Zeroizing::new(Vec::with_capacity(split.len));
    for i in 0..split.parts {
        let part = entries
            .read(&part_name(key, &split.generation, i))?
            .ok_or_else(|| {
                Error::Internal(format!(
                    "keyring: a secret stored in {} parts is incomplete (part {} is missing)",
                    split.parts,
                    i + 1
                ))
            })?;
        whole.extend_from_slice(&part);
    }
    if whole.len() != split.len {
        return Err(Error::Internal(format!(
            "keyring: a secret stored in parts has {} bytes instead of {}",
            whole.len(),
            split.len
        )));
    }
    Ok(Some(whole))
}

/// Writes `value` under `key`, split into parts of at most `limit` bytes when it is longer.
pub(crate) fn set(entries: &dyn Entries, key: &str, value: &[u8], limit: usize) -> Result<()> {
    let old = current_split(entries, key).unwrap_or(None);
    if value.len() <= limit && !value.starts_with(b"\0") {
        entries.write(key, value)?;
    } else {
        let generation = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let split = Split {
            generation,
            parts: value.len().div_ceil(limit),
            len: value.len(),
        };
        for (i, part) in value.chunks(limit).enumerate() {
            if let Err(err) = entries.write(&part_name(key, &split.generation, i), part) {
                let _ = remove_parts(entries, key, &split);
                return Err(err);
            }
        }
        let mut header = HEADER.to_vec();
        header.extend_from_slice(
            format!("{}:{}:{}", split.generation, split.parts, split.len).as_bytes(),
        );
        if let Err(err) = entries.write(key, &header) {
            let _ = remove_parts(entries, key, &split);
            return Err(err);
        }
    }
    if let Some(old) = old {
        // The new value is in place; the old parts are only clutter now.
        let _ = remove_parts(entries, key, &old);
    }
    Ok(())
}

/// Deletes the value under `key` and all its parts.
pub(crate) fn delete(entries: &dyn Entries, key: &str) -> Result<()> {
    if let Some(split) = current_split(entries, key)? {
        remove_parts(entries, key, &split)?;
    }
    entries.remove(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// Entries that refuse anything over `limit` bytes, as Credential Manager does.
    struct Limited {
        limit: usize,
        map: RefCell<BTreeMap<String, Vec<u8>>>,
        fail_writes_after: RefCell<Option<usize>>,
    }

    impl Limited {
        fn new(limit: usize) -> Self {
            Limited {
                limit,
                map: RefCell::default(),
                fail_writes_after: RefCell::new(None),
            }
        }
    }

    impl Entries for Limited {
        fn read(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
            Ok(self.map.borrow().get(name).cloned().map(Zeroizing::new))
        }
        fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
            if bytes.len() > self.limit {
                return Err(Error::Internal("longer than the platform limit".into()));
            }
            if let Some(n) = self.fail_writes_after.borrow_mut().as_mut() {
                if *n == 0 {
                    return Err(Error::SecretStoreUnavailable("write refused".into()));
                }
                *n -= 1;
            }
            self.map.borrow_mut().insert(name.into(), bytes.to_vec());
            Ok(())
        }
        fn remove(&self, name: &str) -> Result<()> {
            self.map.borrow_mut().remove(name);
            Ok(())
        }
    }

    fn value(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| b'a' + ((i + seed as usize) % 26) as u8)
            .collect()
    }

    #[test]
    fn a_16_kib_value_is_stored_in_parts_and_read_back_whole() {
        let entries = Limited::new(2560);
        let big = value(16 * 1024, 0);
        set(&entries, "ns/url-token/1", &big, 2560).expect("set");
        assert_eq!(
            entries.map.borrow().len(),
            1 + 7,
            "a header and seven parts"
        );
        let back = get(&entries, "ns/url-token/1").expect("get").expect("some");
        assert_eq!(&back[..], &big[..]);
        // Replaced by a short value: stored as it is, the old parts are gone.
        set(&entries, "ns/url-token/1", b"short", 2560).expect("set");
        assert_eq!(entries.map.borrow().len(), 1);
        assert_eq!(
            &get(&entries, "ns/url-token/1").expect("get").expect("some")[..],
            b"short"
        );
        set(&entries, "ns/url-token/1", &big, 2560).expect("set");
        delete(&entries, "ns/url-token/1").expect("delete");
        assert!(entries.map.borrow().is_empty(), "every part deleted");
        assert!(get(&entries, "ns/url-token/1").expect("get").is_none());
    }

    #[test]
    fn values_at_the_limit_and_one_over() {
        let entries = Limited::new(2560);
        for len in [0, 1, 2559, 2560, 2561, 5120, 5121] {
            let v = value(len, 3);
            set(&entries, "k", &v, 2560).expect("set");
            assert_eq!(
                &get(&entries, "k").expect("get").expect("some")[..],
                &v[..],
                "{len}"
            );
        }
    }

    #[test]
    fn a_value_that_looks_like_a_header_is_stored_safely() {
        let entries = Limited::new(2560);
        let mut tricky = HEADER.to_vec();
        tricky.extend_from_slice(b"abc:1:3");
        set(&entries, "k", &tricky, 2560).expect("set");
        assert_eq!(
            &get(&entries, "k").expect("get").expect("some")[..],
            &tricky[..]
        );
    }

    #[test]
    fn a_missing_part_is_an_error_never_a_short_secret() {
        let entries = Limited::new(2560);
        set(&entries, "k", &value(6000, 1), 2560).expect("set");
        let part = entries
            .map
            .borrow()
            .keys()
            .find(|k| k.ends_with(".1"))
            .cloned()
            .expect("part");
        entries.map.borrow_mut().remove(&part);
        let err = get(&entries, "k").expect_err("incomplete");
        assert!(err.to_string().contains("part 2 is missing"), "{err}");
    }

    #[test]
    fn a_failed_write_keeps_the_old_value_and_leaves_no_parts() {
        let entries = Limited::new(2560);
        let old = value(6000, 2);
        set(&entries, "k", &old, 2560).expect("set");
        *entries.fail_writes_after.borrow_mut() = Some(2);
        assert!(set(&entries, "k", &value(9000, 4), 2560).is_err());
        assert_eq!(
            &get(&entries, "k").expect("get").expect("some")[..],
            &old[..]
        );
        assert_eq!(
            entries.map.borrow().len(),
            1 + 3,
            "only the old value's parts"
        );
    }
}
