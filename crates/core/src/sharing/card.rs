//! The contact card: a name and two public keys, signed with the card's own Ed25519 key
//! (so a card cannot be altered in transit without it showing), carried as
//! `lanyard://contact/<payload>.<signature>` (both unpadded base64url).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{b64, check_name, key_from_b64, unb64, PublicKeyBytes};
use crate::error::{Error, Result};

/// The prefix of every contact card link.
pub const CARD_PREFIX: &str = "lanyard://contact/";
/// The longest card text accepted.
pub const MAX_CARD_LEN: usize = 4 * 1024;
const CONTEXT: &[u8] = b"lanyard-contact-v1\0";

/// A verified contact card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCard {
    /// The name its owner chose.
    pub name: String,
    /// X25519 public key (offers are sealed to it).
    pub sealing_key: PublicKeyBytes,
    /// Ed25519 public key (offers are verified with it).
    pub signing_key: PublicKeyBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    v: u32,
    name: String,
    seal: String,
    sign: String,
}

fn signed_bytes(payload: &[u8]) -> Vec<u8> {
    [CONTEXT, payload].concat()
}

impl ContactCard {
    /// The card as a link, signed with `key` (which must be the card's signing key).
    pub(crate) fn to_link(&self, key: &SigningKey) -> String {
        let payload = serde_json::to_vec(&Payload {
            v: 1,
            name: self.name.clone(),
            seal: b64(&self.sealing_key),
            sign: b64(&self.signing_key),
        })
        .unwrap_or_default();
        let signature = key.sign(&signed_bytes(&payload));
        format!(
            "{CARD_PREFIX}{}.{}",
            b64(&payload),
            b64(&signature.to_bytes())
        )
    }

    /// Parses and verifies a card from a link or pasted text (surrounding whitespace and
    /// a leading byte order mark, as Notepad saves a file, are ignored).
    pub fn parse(text: &str) -> Result<ContactCard> {
        let text = super::without_bom(text).trim();
        if text.len() > MAX_CARD_LEN {
            return Err(Error::invalid("that is too long to be a contact card"));
        }
        let body = text.strip_prefix(CARD_PREFIX).ok_or_else(|| {
            Error::invalid("not a contact card (it should start with lanyard://contact/)")
        })?;
        let (payload, signature) = body
            .split_once('.')
            .filter(|(_, s)| !s.contains('.'))
            .ok_or_else(|| Error::invalid("the contact card is malformed"))?;
        let payload = unb64(payload, "the contact card")?;
        let signature: [u8; 64] = unb64(signature, "the card's signature")?
            .try_into()
            .map_err(|_| Error::invalid("the card's signature has the wrong length"))?;
        let parsed: Payload = serde_json::from_slice(&payload)
            .map_err(|_| Error::invalid("the contact card is malformed"))?;
        if parsed.v != 1 {
            return Err(Error::invalid(format!(
                "this contact card has version {}, which this Lanyard does not understand",
                parsed.v
            )));
        }
        let signing_key = key_from_b64(&parsed.sign, "the card's signing key")?;
        let sealing_key = key_from_b64(&parsed.seal, "the card's sealing key")?;
        let verifying = VerifyingKey::from_bytes(&signing_key)
            .map_err(|_| Error::invalid("the card's signing key is not a valid key"))?;
        verifying
            .verify_strict(&signed_bytes(&payload), &Signature::from_bytes(&signature))
            .map_err(|_| {
                Error::BadSignature(
                    "the contact card's signature does not match its content: it was altered"
                        .into(),
                )
            })?;
        Ok(ContactCard {
            name: check_name(&parsed.name)?,
            sealing_key,
            signing_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> (ContactCard, SigningKey) {
        let key = SigningKey::from_bytes(&[7; 32]);
        let card = ContactCard {
            name: "Alice".into(),
            sealing_key: [9; 32],
            signing_key: key.verifying_key().to_bytes(),
        };
        (card, key)
    }

    #[test]
    fn round_trips() {
        let (card, key) = card();
        let link = card.to_link(&key);
        assert!(link.starts_with(CARD_PREFIX));
        assert_eq!(
            ContactCard::parse(&format!("  {link}\n")).expect("parse"),
            card
        );
        crate::deep_links::DeepLink::parse(&link).expect("a valid deep link");
    }

    /// Notepad saves a card with a UTF-8 byte order mark and CRLF line endings: it opens
    /// exactly like the link. A CR or LF inside the card (or its signed name) is refused.
    #[test]
    fn a_card_saved_by_notepad_opens_like_the_link() {
        let (card, key) = card();
        let link = card.to_link(&key);
        for saved in [
            format!("\u{feff}{link}\r\n"),
            format!("\u{feff}{link}"),
            format!("{link}\r\n"),
            format!("\u{feff}\r\n{link}\r\n\r\n"),
        ] {
            assert_eq!(ContactCard::parse(&saved).expect(&saved), card, "{saved:?}");
        }
        let (payload, sig) = link[CARD_PREFIX.len()..].split_once('.').expect("dot");
        for smuggled in [
            format!("{CARD_PREFIX}{}\r\n{}.{sig}", &payload[..8], &payload[8..]),
            format!("{CARD_PREFIX}{payload}.{sig}\r\n{CARD_PREFIX}{payload}.{sig}"),
            format!("\u{feff}\u{feff}{link}"),
        ] {
            assert_eq!(
                ContactCard::parse(&smuggled).expect_err(&smuggled).code(),
                "invalid_input",
                "{smuggled:?}"
            );
        }
        let crlf_name = ContactCard {
            name: "Alice\r\nBob".into(),
            ..card
        };
        assert_eq!(
            ContactCard::parse(&format!("\u{feff}{}\r\n", crlf_name.to_link(&key)))
                .expect_err("a CRLF in the name")
                .code(),
            "invalid_input"
        );
    }

    #[test]
    fn refuses_altered_or_malformed_cards() {
        let (card, key) = card();
        let link = card.to_link(&key);
        let (payload, sig) = link[CARD_PREFIX.len()..].split_once('.').expect("dot");
        let mut json: serde_json::Value =
            serde_json::from_slice(&unb64(payload, "p").expect("b64")).expect("json");
        json["name"] = "Mallory".into();
        let forged = format!(
            "{CARD_PREFIX}{}.{sig}",
            b64(&serde_json::to_vec(&json).expect("json"))
        );
        assert_eq!(
            ContactCard::parse(&forged).expect_err("forged").code(),
            "bad_signature"
        );
        let other = SigningKey::from_bytes(&[8; 32]);
        let wrong_signer = card.to_link(&other);
        assert_eq!(
            ContactCard::parse(&wrong_signer)
                .expect_err("wrong signer")
                .code(),
            "bad_signature"
        );
        for bad in [
            "",
            "hello",
            "lanyard://contact/",
            "lanyard://contact/abc",
            "lanyard://contact/a.b.c",
            "lanyard://offer/abc.def",
            &format!("{CARD_PREFIX}{payload}.AAAA"),
            &format!("{CARD_PREFIX}{payload}.{sig}{}", "A".repeat(MAX_CARD_LEN)),
        ] {
            assert_eq!(
                ContactCard::parse(bad).expect_err(bad).code(),
                "invalid_input",
                "{bad}"
            );
        }
    }
}
