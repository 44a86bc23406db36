//! Gateway session tokens: what HTML5 content on a screen holds instead of the player
//! secret. `lyg_<payload>.<mac>`: the payload names the player, the player's session
//! generation and the expiry (≤ 15 minutes); the MAC is HMAC-SHA256 under a key kept in
//! the secret store (`gateway/session-key`, shared by gateways on one store), checked in
//! constant time. A token is useless after its expiry, and at once when the player is
//! removed, or its secret rotated, or one of its links removed (each bumps the session
//! generation, see [`crate::store::access`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::MAX_GRANT_SECONDS;
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;

/// The prefix of a session token.
pub const PREFIX: &str = "lyg_";

/// Secret store key of the MAC key.
pub const KEY_NAME: &str = "gateway/session-key";

/// How long a session lives.
pub const SESSION_SECONDS: i64 = MAX_GRANT_SECONDS;

const REFUSED: &str = "the session token is not valid (expired, ended, or not issued here): \
                       get a new one from POST /v1/sessions";

/// The MAC key (never printed).
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey([redacted])")
    }
}

impl SessionKey {
    /// A key from bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SessionKey(bytes)
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }
}

/// The installation's session key, created on first use.
pub async fn session_key(l: &Lanyard) -> Result<SessionKey> {
    if let Some(stored) = l.secrets().get(KEY_NAME).await? {
        return decode_key(&stored);
    }
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key)
        .map_err(|_| Error::Internal("the OS random generator failed".into()))?;
    l.secrets()
        .set(KEY_NAME, SecretValue::new(URL_SAFE_NO_PAD.encode(key)))
        .await?;
    // Two gateways starting at once: whichever wrote last wins, and both use it.
    match l.secrets().get(KEY_NAME).await? {
        Some(stored) => decode_key(&stored),
        None => Ok(SessionKey(key)),
    }
}

fn decode_key(stored: &SecretValue) -> Result<SessionKey> {
    let bytes = URL_SAFE_NO_PAD
        .decode(stored.expose())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| Error::Internal(format!("the stored {KEY_NAME} is damaged")))?;
    Ok(SessionKey(bytes))
}

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The player.
    pub player_id: String,
    /// The player's session generation when minted.
    pub generation: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A minted session.
#[derive(Debug)]
pub struct Session {
    /// `lyg_…`.
    pub token: SecretValue,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Mints a token for `claims`.
pub fn seal(key: &SessionKey, claims: &Claims) -> Result<SecretValue> {
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut nonce)
        .map_err(|_| Error::Internal("the OS random generator failed".into()))?;
    let payload = format!(
        "v1\n{}\n{}\n{}\n{}",
        claims.player_id,
        claims.generation,
        claims.expires_at,
        URL_SAFE_NO_PAD.encode(nonce)
    );
    let mut mac = key.mac();
    mac.update(payload.as_bytes());
    let tag = mac.finalize().into_bytes();
    Ok(SecretValue::new(format!(
        "{PREFIX}{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(tag)
    )))
}

/// Checks a token's MAC (constant time) and expiry; the caller checks the generation.
pub fn open(key: &SessionKey, token: &str, now: i64) -> Result<Claims> {
    let refused = || Error::Unauthenticated(REFUSED.into());
    let body = token.strip_prefix(PREFIX).ok_or_else(refused)?;
    let (payload, tag) = body.split_once('.').ok_or_else(refused)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| refused())?;
    let mut mac = key.mac();
    mac.update(&payload);
    mac.verify_slice(&tag).map_err(|_| refused())?;
    let text = String::from_utf8(payload).map_err(|_| refused())?;
    let fields: Vec<&str> = text.split('\n').collect();
    let [version, player, generation, expires_at, _nonce] = fields[..] else {
        return Err(refused());
    };
    if version != "v1" {
        return Err(refused());
    }
    let claims = Claims {
        player_id: player.to_string(),
        generation: generation.parse().map_err(|_| refused())?,
        expires_at: expires_at.parse().map_err(|_| refused())?,
    };
    if claims.expires_at <= now {
        return Err(refused());
    }
    Ok(claims)
}

/// Mints a session for an authenticated player.
pub async fn mint(l: &Lanyard, key: &SessionKey, player_id: &str) -> Result<Session> {
    mint_for(l, key, player_id, SESSION_SECONDS).await
}

/// Mints a session living `seconds` (clamped to 1 ..= [`SESSION_SECONDS`]: a gateway may
/// hand out shorter sessions, never longer ones).
pub async fn mint_for(
    l: &Lanyard,
    key: &SessionKey,
    player_id: &str,
    seconds: i64,
) -> Result<Session> {
    let generation = l
        .store()
        .session_generation(player_id)
        .await?
        .ok_or_else(|| Error::Unauthenticated("missing or invalid player secret".into()))?;
    let expires_at = l.clock().now() + seconds.clamp(1, SESSION_SECONDS);
    let token = seal(
        key,
        &Claims {
            player_id: player_id.to_string(),
            generation,
            expires_at,
        },
    )?;
    Ok(Session { token, expires_at })
}

/// Whether `claims` still hold: the player exists, is active and has the same session
/// generation. One indexed read (callers cache it per access epoch).
pub async fn still_valid(l: &Lanyard, claims: &Claims) -> Result<bool> {
    Ok(l.store().session_generation(&claims.player_id).await? == Some(claims.generation))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(expires_at: i64) -> Claims {
        Claims {
            player_id: "6f1c2c5e-0000-4000-8000-000000000001".into(),
            generation: 3,
            expires_at,
        }
    }

    #[test]
    fn a_token_opens_only_with_its_key_before_its_expiry() {
        let key = SessionKey::from_bytes([7; 32]);
        let token = seal(&key, &claims(1_000)).expect("seal");
        assert!(token.expose().starts_with(PREFIX));
        assert_eq!(
            open(&key, token.expose(), 999).expect("open"),
            claims(1_000)
        );
        let expired = open(&key, token.expose(), 1_000).expect_err("expired");
        assert_eq!(expired.code(), "unauthenticated");
        let other = SessionKey::from_bytes([8; 32]);
        assert!(open(&other, token.expose(), 0).is_err());
        // Two tokens for the same claims differ (a nonce), so none can be predicted.
        assert_ne!(
            seal(&key, &claims(1_000)).expect("seal").expose(),
            token.expose()
        );
    }

    #[test]
    fn an_altered_token_is_refused() {
        let key = SessionKey::from_bytes([7; 32]);
        let token = seal(&key, &claims(1_000)).expect("seal");
        let (payload, tag) = token.expose()[PREFIX.len()..]
            .split_once('.')
            .expect("two parts");
        // Extend the expiry in the payload, keep the tag.
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("utf8");
        let forged = text.replace("\n1000\n", "\n9999\n");
        let forged = format!("{PREFIX}{}.{tag}", URL_SAFE_NO_PAD.encode(forged));
        assert!(open(&key, &forged, 0).is_err());
        for bad in [
            "",
            "lyg_",
            "lyg_x.y",
            "lyp_abc",
            &token.expose()[..token.expose().len() - 2],
        ] {
            assert_eq!(open(&key, bad, 0).expect_err(bad).code(), "unauthenticated");
        }
    }
}
