//! A feed link's key: 256 random bits (base64url, 43 characters), shown once. Only
//! `HMAC-SHA256(k, "lanyard-feed-v1\0" ‖ id ‖ "\0" ‖ key)` is stored, `k` being 32 random
//! bytes kept in the secret store under [`KEY_NAME`] (created on first use, shared by every
//! process on the same store). Binding the id means a hash copied to another row matches
//! nothing. Verification recomputes the MAC and compares in constant time.
//!
//! The key has 256 bits of entropy, so a plain hash would resist guessing too; the keyed
//! MAC also makes a leaked database useless for checking candidate links offline.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;

/// Secret store key of the MAC key.
pub const KEY_NAME: &str = "gateway/feed-key";

/// What the redacted last segment of a feed link's path reads as in logs.
pub const REDACTED: &str = "[redacted]";

/// The MAC key (never printed).
#[derive(Clone)]
pub struct FeedHasher([u8; 32]);

impl std::fmt::Debug for FeedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedHasher([redacted])")
    }
}

impl FeedHasher {
    /// A hasher from bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        FeedHasher(bytes)
    }

    fn mac(&self, id: &str, key: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(b"lanyard-feed-v1\0");
        mac.update(id.as_bytes());
        mac.update(b"\0");
        mac.update(key.as_bytes());
        mac
    }

    /// The stored form of `key` for feed `id`.
    pub fn hash(&self, id: &str, key: &SecretValue) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(id, key.expose()).finalize().into_bytes())
    }

    /// Whether `presented` is the key whose hash is `stored` (constant time).
    pub fn verify(&self, id: &str, presented: &str, stored: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(stored) else {
            return false;
        };
        self.mac(id, presented).verify_slice(&tag).is_ok()
    }
}

/// The installation's feed hasher, its key created on first use.
pub async fn hasher(l: &Lanyard) -> Result<FeedHasher> {
    if let Some(stored) = l.secrets().get(KEY_NAME).await? {
        return decode(&stored);
    }
    let mut key = [0u8; 32];
    random(&mut key)?;
    l.secrets()
        .set(KEY_NAME, SecretValue::new(URL_SAFE_NO_PAD.encode(key)))
        .await?;
    // Two processes creating it at once: whichever wrote last wins, and both use it.
    match l.secrets().get(KEY_NAME).await? {
        Some(stored) => decode(&stored),
        None => Ok(FeedHasher(key)),
    }
}

fn decode(stored: &SecretValue) -> Result<FeedHasher> {
    URL_SAFE_NO_PAD
        .decode(stored.expose())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(FeedHasher)
        .ok_or_else(|| Error::Internal(format!("the stored {KEY_NAME} is damaged")))
}

fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf).map_err(|_| Error::Internal("the OS random generator failed".into()))
}

/// A new link key: 256 random bits, base64url without padding.
pub fn generate() -> Result<SecretValue> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    random(bytes.as_mut())?;
    Ok(SecretValue::new(URL_SAFE_NO_PAD.encode(bytes.as_ref())))
}

/// A request path (or URL, or a log line's target) with a feed link's key replaced by
/// [`REDACTED`]: `/v1/feeds/<id>/<key>…` → `/v1/feeds/<id>/[redacted]`. Anything after the
/// key (a query, more segments) goes too. Other paths are returned as they are. Use it
/// wherever a request's target is logged, recorded or labelled.
pub fn redact_path(path: &str) -> std::borrow::Cow<'_, str> {
    const MARK: &str = "/v1/feeds/";
    let Some(at) = path.find(MARK) else {
        return path.into();
    };
    let rest = &path[at + MARK.len()..];
    let id_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if !rest[id_end..].starts_with('/') {
        return path.into();
    }
    format!("{}{}/{REDACTED}", &path[..at + MARK.len()], &rest[..id_end]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_256_random_bits_and_verify_only_for_their_feed() {
        let h = FeedHasher::from_bytes([7; 32]);
        let k = generate().expect("key");
        assert_eq!(k.expose().len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(k.expose()).expect("b64").len(), 32);
        assert_ne!(k.expose(), generate().expect("key").expose());
        let stored = h.hash("a", &k);
        assert!(!stored.contains(k.expose()));
        assert!(h.verify("a", k.expose(), &stored));
        assert!(!h.verify("b", k.expose(), &stored), "bound to its id");
        assert!(!h.verify("a", "x", &stored));
        assert!(!h.verify("a", k.expose(), "not base64!"));
        let other = FeedHasher::from_bytes([8; 32]);
        assert!(!other.verify("a", k.expose(), &stored), "keyed");
    }

    #[test]
    fn the_key_segment_is_redacted() {
        for (raw, want) in [
            ("/v1/feeds/abc/SECRET", "/v1/feeds/abc/[redacted]"),
            ("/v1/feeds/abc/SECRET?x=1", "/v1/feeds/abc/[redacted]"),
            ("/v1/feeds/abc/SECRET/more", "/v1/feeds/abc/[redacted]"),
            (
                "GET https://gw.example/v1/feeds/abc/SECRET HTTP/1.1",
                "GET https://gw.example/v1/feeds/abc/[redacted]",
            ),
            ("/v1/feeds/abc", "/v1/feeds/abc"),
            ("/v1/feeds/abc?x", "/v1/feeds/abc?x"),
            ("/v1/fetch?url=x", "/v1/fetch?url=x"),
        ] {
            assert_eq!(redact_path(raw), want, "{raw}");
        }
    }
}
