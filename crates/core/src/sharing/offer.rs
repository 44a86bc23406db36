//! The offer on the wire: `lanyard://offer/<body>.<signature>` (unpadded base64url), the
//! same text whether it travels as a link or inside a `.lanyard-offer` file.
//!
//! The body (JSON) names the sender (name and both public keys), the recipient (both
//! public keys), the token's prefix, key, placement and flags, a unique id, the creation
//! time, and the value sealed to the recipient's X25519 key with a `crypto_box` sealed
//! box. The sender signs `"lanyard-offer-v1\0" ‖ body` with Ed25519.
//!
//! The sealed plaintext repeats the offer id, the sender's signing key, the prefix, key
//! and placement next to the value. A sealed box is anonymous, so without this binding
//! another contact who got hold of an offer could copy its sealed value into an offer of
//! their own, signed by them, pointing at their server; the recipient would then send
//! the first sender's value there. With it, such an offer fails to open.

use crypto_box::aead::OsRng;
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::identity::Keys;
use super::{b64, key_from_b64, unb64, PublicKeyBytes};
use crate::error::{Error, Result};
use crate::secrets::SecretValue;
use crate::urltokens::Placement;

/// The prefix of every offer.
pub const OFFER_PREFIX: &str = "lanyard://offer/";
/// The largest offer accepted (file or link).
pub const MAX_OFFER_LEN: usize = 64 * 1024;
/// Offers longer than this travel only as files.
pub const MAX_LINK_LEN: usize = 2 * 1024;
/// The extension of offer files.
pub const FILE_EXTENSION: &str = "lanyard-offer";
const CONTEXT: &[u8] = b"lanyard-offer-v1\0";

/// The sender as named in an offer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sender {
    pub(crate) name: String,
    pub(crate) seal: String,
    pub(crate) sign: String,
}

/// The recipient's keys as named in an offer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Recipient {
    pub(crate) seal: String,
    pub(crate) sign: String,
}

/// The signed part of an offer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Body {
    pub(crate) v: u32,
    pub(crate) id: String,
    pub(crate) created_at: i64,
    pub(crate) from: Sender,
    pub(crate) to: Recipient,
    pub(crate) prefix: String,
    pub(crate) key: String,
    pub(crate) placement: Placement,
    pub(crate) requires_permission: bool,
    pub(crate) sealed: String,
}

/// What is sealed: the value and what it is bound to.
#[derive(Serialize)]
struct InnerOut<'a> {
    id: &'a str,
    from: &'a str,
    prefix: &'a str,
    key: &'a str,
    placement: Placement,
    value: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InnerIn {
    id: String,
    from: String,
    prefix: String,
    key: String,
    placement: Placement,
    value: String,
}

/// What the sender puts in an offer.
#[derive(Debug)]
pub(crate) struct Contents<'a> {
    pub(crate) id: &'a str,
    pub(crate) created_at: i64,
    pub(crate) prefix: &'a str,
    pub(crate) key: &'a str,
    pub(crate) placement: Placement,
    pub(crate) requires_permission: bool,
    pub(crate) value: &'a SecretValue,
}

fn signed_bytes(body: &[u8]) -> Vec<u8> {
    [CONTEXT, body].concat()
}

/// Seals and signs an offer for the recipient; returns its text.
pub(crate) fn seal(
    keys: &Keys,
    to_seal: &PublicKeyBytes,
    to_sign: &PublicKeyBytes,
    c: &Contents<'_>,
) -> Result<String> {
    let from_sign = b64(&keys.signing_public);
    let inner = Zeroizing::new(
        serde_json::to_vec(&InnerOut {
            id: c.id,
            from: &from_sign,
            prefix: c.prefix,
            key: c.key,
            placement: c.placement,
            value: c.value.expose(),
        })
        .map_err(|e| Error::Internal(format!("could not encode an offer: {e}")))?,
    );
    let sealed = crypto_box::PublicKey::from_bytes(*to_seal)
        .seal(&mut OsRng, &inner)
        .map_err(|_| Error::Internal("could not seal the token value".into()))?;
    let body = serde_json::to_vec(&Body {
        v: 1,
        id: c.id.to_string(),
        created_at: c.created_at,
        from: Sender {
            name: keys.name.clone(),
            seal: b64(&keys.sealing_public),
            sign: from_sign,
        },
        to: Recipient {
            seal: b64(to_seal),
            sign: b64(to_sign),
        },
        prefix: c.prefix.to_string(),
        key: c.key.to_string(),
        placement: c.placement,
        requires_permission: c.requires_permission,
        sealed: b64(&sealed),
    })
    .map_err(|e| Error::Internal(format!("could not encode an offer: {e}")))?;
    let signature = keys.signing.sign(&signed_bytes(&body));
    Ok(format!(
        "{OFFER_PREFIX}{}.{}",
        b64(&body),
        b64(&signature.to_bytes())
    ))
}

/// An offer whose structure was checked but whose signature is not yet verified.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) body: Body,
    raw_body: Vec<u8>,
    signature: [u8; 64],
}

/// Parses an offer's text (surrounding whitespace and a leading byte order mark ignored).
/// Checks structure only.
pub(crate) fn parse(text: &str) -> Result<Parsed> {
    let malformed = || Error::invalid("this is not a valid Lanyard offer (it is malformed)");
    if text.len() > MAX_OFFER_LEN {
        return Err(Error::invalid(format!(
            "the offer is larger than {} KiB: refused",
            MAX_OFFER_LEN / 1024
        )));
    }
    let text = super::without_bom(text).trim();
    let rest = text.strip_prefix(OFFER_PREFIX).ok_or_else(|| {
        Error::invalid("not a Lanyard offer (it should start with lanyard://offer/)")
    })?;
    let (body, signature) = rest
        .split_once('.')
        .filter(|(_, s)| !s.contains('.'))
        .ok_or_else(malformed)?;
    let raw_body = unb64(body, "the offer").map_err(|_| malformed())?;
    let signature: [u8; 64] = unb64(signature, "the offer's signature")
        .map_err(|_| malformed())?
        .try_into()
        .map_err(|_| malformed())?;
    let body: Body = serde_json::from_slice(&raw_body).map_err(|_| malformed())?;
    if body.v != 1 {
        return Err(Error::invalid(format!(
            "this offer has version {}, which this Lanyard does not understand",
            body.v
        )));
    }
    if body.id.is_empty()
        || body.id.len() > 64
        || !body
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(malformed());
    }
    // The sender's name is shown before anything is verified: only a plain, short one.
    super::check_name(&body.from.name).map_err(|_| malformed())?;
    Ok(Parsed {
        body,
        raw_body,
        signature,
    })
}

impl Parsed {
    /// The sender's signing key as the offer names it.
    pub(crate) fn sender_signing_key(&self) -> Result<PublicKeyBytes> {
        key_from_b64(&self.body.from.sign, "the sender's signing key")
    }

    /// Verifies the signature with the contact's signing key.
    pub(crate) fn verify(&self, signing_key: &PublicKeyBytes) -> Result<()> {
        let bad = || {
            Error::BadSignature(
                "the offer's signature does not verify: it was altered or not made by that \
                 contact"
                    .into(),
            )
        };
        let key = VerifyingKey::from_bytes(signing_key).map_err(|_| bad())?;
        key.verify_strict(
            &signed_bytes(&self.raw_body),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| bad())
    }

    /// The sealed value's bytes.
    pub(crate) fn sealed(&self) -> Result<Vec<u8>> {
        unb64(&self.body.sealed, "the sealed value")
    }
}

/// What a sealed value must be bound to.
#[derive(Debug)]
pub(crate) struct Binding<'a> {
    pub(crate) id: &'a str,
    pub(crate) from_sign: &'a str,
    pub(crate) prefix: &'a str,
    pub(crate) key: &'a str,
    pub(crate) placement: Placement,
}

impl Body {
    /// What this offer's sealed value must be bound to.
    pub(crate) fn binding(&self) -> Binding<'_> {
        Binding {
            id: &self.id,
            from_sign: &self.from.sign,
            prefix: &self.prefix,
            key: &self.key,
            placement: self.placement,
        }
    }
}

/// Opens a sealed value with this installation's key and checks what it is bound to.
pub(crate) fn open(keys: &Keys, expected: &Binding<'_>, sealed: &[u8]) -> Result<SecretValue> {
    let plain = Zeroizing::new(keys.sealing.unseal(sealed).map_err(|_| {
        Error::WrongRecipient(
            "the offer's value cannot be opened with your key: it was sealed for someone else"
                .into(),
        )
    })?);
    let inner: InnerIn = serde_json::from_slice(&plain)
        .map_err(|_| Error::BadSignature("the offer's sealed value is malformed".into()))?;
    let value = SecretValue::new(inner.value);
    let bound = inner.id == expected.id
        && inner.from == expected.from_sign
        && inner.prefix == expected.prefix
        && inner.key == expected.key
        && inner.placement == expected.placement;
    if !bound {
        return Err(Error::BadSignature(
            "the offer's sealed value belongs to another offer: refused".into(),
        ));
    }
    Ok(value)
}
