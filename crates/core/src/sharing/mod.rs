//! Sharing URL tokens with contacts (DESIGN §6). Lanyard has no server: offers travel as
//! files or links and are protected by cryptography instead.
//!
//! - [`identity`]: this installation's X25519 (sealing) and Ed25519 (signing) key pairs,
//!   created on first use; private keys in the secret store.
//! - [`card`]: the signed contact card, a `lanyard://contact/…` link.
//! - [`contacts`]: add (from a card), list, rename, remove, find.
//! - [`offer`]: the wire format of an offer: the value sealed to the recipient
//!   (`crypto_box` sealed box) together with what it is bound to, the whole offer signed
//!   by the sender (Ed25519).
//! - [`inbox`]: sending an own token, importing an offer into "Token requests", accepting
//!   (a received token: usable, never viewable, never re-pointable) and rejecting.
//!
//! Invariant: a token value exists in plaintext only in the secret store, in the sealed
//! box's input at the sender and its output at the recipient (both wiped on drop), and in
//! the request it finally decorates.

pub mod card;
pub mod contacts;
pub mod identity;
pub mod inbox;
pub mod offer;
pub mod types;

#[cfg(test)]
mod tests;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A public key (X25519 or Ed25519): 32 bytes.
pub type PublicKeyBytes = [u8; 32];

/// Encodes bytes as unpadded base64url (the alphabet links allow).
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; `what` names the field in the error.
pub fn unb64(text: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::invalid(format!("{what} is not valid base64url")))
}

/// Decodes a 32-byte key from base64url.
pub fn key_from_b64(text: &str, what: &str) -> Result<PublicKeyBytes> {
    unb64(text, what)?
        .try_into()
        .map_err(|_| Error::invalid(format!("{what} is not a 32-byte key")))
}

/// The short fingerprint people compare out of band: the first 10 bytes of
/// SHA-256("lanyard-fingerprint-v1" ‖ signing key ‖ sealing key), as five groups of four
/// hex digits (`3F2A-…`).
pub fn fingerprint(signing_key: &PublicKeyBytes, sealing_key: &PublicKeyBytes) -> String {
    let digest = Sha256::new()
        .chain_update(b"lanyard-fingerprint-v1")
        .chain_update(signing_key)
        .chain_update(sealing_key)
        .finalize();
    digest[..10]
        .chunks(2)
        .map(|pair| format!("{:02X}{:02X}", pair[0], pair[1]))
        .collect::<Vec<_>>()
        .join("-")
}

/// A user-edited file's text as its parsers read it: without the UTF-8 byte order mark
/// that Windows editors (Notepad among them) put first. Line endings need nothing here:
/// cards and offers are one line whose surrounding whitespace (`\r\n` included) is
/// trimmed, and JSON takes `\r` as whitespace. A CR or LF *inside* a value is still
/// refused by each value's own check.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Checks a display name (own or a contact's): 1–64 characters, no control characters,
/// trimmed.
pub fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("a name cannot be empty"));
    }
    if name.chars().count() > 64 {
        return Err(Error::invalid("a name is limited to 64 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "a name cannot contain control characters (CR, LF, NUL, …)",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn fingerprints_differ_per_key_and_read_well() {
        let a = fingerprint(&[1; 32], &[2; 32]);
        assert_eq!(a.len(), 24);
        assert_eq!(a.split('-').count(), 5);
        assert_ne!(a, fingerprint(&[1; 32], &[3; 32]));
        assert_ne!(a, fingerprint(&[2; 32], &[1; 32]));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("  Alice ").expect("name"), "Alice");
        for bad in ["", "   ", "a\nb", "a\rb", "x\u{0}"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"é".repeat(64)).is_ok());
        assert!(check_name(&"é".repeat(65)).is_err());
    }
}
