//! This installation's identity: an X25519 key pair that offers are sealed to and an
//! Ed25519 key pair that signs cards and offers. Created on first use; the private keys
//! live only in the secret store, the public half and the display name in the `setting`
//! table.
//!
//! Two processes opening a new data directory at once may both generate keys: each writes
//! its private keys under its own key id, then `setting_or_init` picks one winner and the
//! loser deletes its keys, so everyone ends up with the same identity.

use crypto_box::aead::rand_core::RngCore;
use crypto_box::aead::OsRng;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::card::ContactCard;
use super::{b64, check_name, fingerprint, key_from_b64, unb64, PublicKeyBytes};
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;

const SETTING: &str = "identity";

/// What others see of this installation (no private key).
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// The display name put on the card.
    pub name: String,
    /// The short fingerprint to compare out of band.
    pub fingerprint: String,
    /// The X25519 public key offers are sealed to (base64url).
    pub sealing_key: String,
    /// The Ed25519 public key cards and offers are verified with (base64url).
    pub signing_key: String,
    /// The contact card: a `lanyard://contact/…` link.
    pub card: String,
    /// When the keys were created.
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    key_id: String,
    name: String,
    sealing_key: String,
    signing_key: String,
    created_at: i64,
}

/// The private keys, loaded for one operation.
pub(crate) struct Keys {
    pub(crate) signing: SigningKey,
    pub(crate) sealing: crypto_box::SecretKey,
    pub(crate) sealing_public: PublicKeyBytes,
    pub(crate) signing_public: PublicKeyBytes,
    pub(crate) name: String,
    created_at: i64,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn signing_secret(key_id: &str) -> String {
    format!("identity/{key_id}/signing")
}

fn sealing_secret(key_id: &str) -> String {
    format!("identity/{key_id}/sealing")
}

fn default_name() -> String {
    ["LANYARD_NAME", "USER", "USERNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find_map(|n| check_name(&n).ok())
        .unwrap_or_else(|| "Lanyard user".into())
}

fn random32() -> Zeroizing<[u8; 32]> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(bytes.as_mut());
    bytes
}

async fn stored(l: &Lanyard) -> Result<Stored> {
    if let Some(s) = l.store().setting::<Stored>(SETTING).await? {
        return Ok(s);
    }
    let key_id = uuid::Uuid::new_v4().to_string();
    let signing = SigningKey::from_bytes(&random32());
    let sealing = crypto_box::SecretKey::from_bytes(*random32());
    l.secrets()
        .set(
            &signing_secret(&key_id),
            SecretValue::new(b64(signing.as_bytes())),
        )
        .await?;
    let sealing_bytes = Zeroizing::new(sealing.to_bytes());
    if let Err(e) = l
        .secrets()
        .set(
            &sealing_secret(&key_id),
            SecretValue::new(b64(sealing_bytes.as_ref())),
        )
        .await
    {
        let _ = l.secrets().delete(&signing_secret(&key_id)).await;
        return Err(e);
    }
    let mine = Stored {
        key_id: key_id.clone(),
        name: default_name(),
        sealing_key: b64(sealing.public_key().as_bytes()),
        signing_key: b64(signing.verifying_key().as_bytes()),
        created_at: l.clock().now(),
    };
    let winner = l
        .store()
        .setting_or_init(SETTING, || mine, l.clock().now())
        .await?;
    if winner.key_id != key_id {
        let _ = l.secrets().delete(&signing_secret(&key_id)).await;
        let _ = l.secrets().delete(&sealing_secret(&key_id)).await;
    }
    Ok(winner)
}

async fn secret32(l: &Lanyard, key: &str) -> Result<Zeroizing<[u8; 32]>> {
    let value = l.secrets().get(key).await?.ok_or_else(|| {
        Error::InvalidState(
            "this installation's identity keys are missing from the secret store (was the \
             keyring reset?): sharing cannot work with this data directory until they are back"
                .into(),
        )
    })?;
    let bytes = Zeroizing::new(unb64(value.expose(), "a stored identity key")?);
    let array: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| Error::Storage("a stored identity key has the wrong length".into()))?;
    Ok(Zeroizing::new(array))
}

/// Loads the private keys (creating the identity on first use).
pub(crate) async fn keys(l: &Lanyard) -> Result<Keys> {
    let s = stored(l).await?;
    let signing = SigningKey::from_bytes(&*secret32(l, &signing_secret(&s.key_id)).await?);
    let sealing =
        crypto_box::SecretKey::from_bytes(*secret32(l, &sealing_secret(&s.key_id)).await?);
    let keys = Keys {
        signing_public: signing.verifying_key().to_bytes(),
        sealing_public: *sealing.public_key().as_bytes(),
        signing,
        sealing,
        name: s.name,
        created_at: s.created_at,
    };
    if b64(&keys.signing_public) != s.signing_key || b64(&keys.sealing_public) != s.sealing_key {
        return Err(Error::Storage(
            "the identity's private keys do not match its public keys".into(),
        ));
    }
    Ok(keys)
}

impl Keys {
    /// The public identity, with a freshly signed card.
    pub(crate) fn public(&self) -> Identity {
        let card = ContactCard {
            name: self.name.clone(),
            sealing_key: self.sealing_public,
            signing_key: self.signing_public,
        };
        Identity {
            name: self.name.clone(),
            fingerprint: fingerprint(&self.signing_public, &self.sealing_public),
            sealing_key: b64(&self.sealing_public),
            signing_key: b64(&self.signing_public),
            card: card.to_link(&self.signing),
            created_at: self.created_at,
        }
    }
}

/// This installation's identity and card (created on first use).
pub async fn show(l: &Lanyard) -> Result<Identity> {
    Ok(keys(l).await?.public())
}

/// Changes the name on this installation's card (contacts who already added it keep the
/// name they gave it).
pub async fn rename(l: &Lanyard, name: &str) -> Result<Identity> {
    let name = check_name(name)?;
    let mut s = stored(l).await?;
    s.name = name;
    l.store().set_setting(SETTING, &s, l.clock().now()).await?;
    show(l).await
}

/// This installation's public keys, without touching the secret store (none when the
/// identity was never created).
pub async fn public_keys(l: &Lanyard) -> Result<Option<(PublicKeyBytes, PublicKeyBytes)>> {
    let Some(s) = l.store().setting::<Stored>(SETTING).await? else {
        return Ok(None);
    };
    Ok(Some((
        key_from_b64(&s.signing_key, "the stored signing key")?,
        key_from_b64(&s.sealing_key, "the stored sealing key")?,
    )))
}
