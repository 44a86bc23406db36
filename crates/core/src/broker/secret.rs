//! Player secrets: what a player presents to a gateway (`Authorization: Bearer …`).
//!
//! A secret reads `lyp_<player id, 32 hex>_<43 base64url characters>`: the player id lets
//! the verifier find the one hash to check (no scan over every player), and the random
//! part carries 256 bits from the OS generator. Only an argon2id hash (PHC string, OWASP
//! parameters: 19 MiB, 2 passes, 1 lane) is stored, in `principal.secret_hash`. The
//! secret itself is shown once, when it is issued (`player add`, `player rotate-secret`).
//!
//! Verification is slow on purpose; a gateway verifies a secret once and then remembers
//! the result (see the gateway crate's `auth` module).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;

use crate::error::{Error, Result};
use crate::secrets::SecretValue;

/// The prefix every player secret starts with.
pub const PREFIX: &str = "lyp_";

/// Random bytes in a secret.
const RANDOM_BYTES: usize = 32;

/// A new secret for `player_id` (a UUID).
pub fn generate(player_id: &str) -> Result<SecretValue> {
    let id = uuid::Uuid::parse_str(player_id)
        .map_err(|_| Error::Internal("a player id is not a UUID".into()))?;
    let mut random = [0u8; RANDOM_BYTES];
    getrandom::getrandom(&mut random)
        .map_err(|_| Error::Internal("the OS random generator failed".into()))?;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random);
    random.fill(0);
    Ok(SecretValue::new(format!("{PREFIX}{}_{text}", id.simple())))
}

/// The player id a secret names, when it has the right shape; `None` otherwise. Says
/// nothing about whether the secret is right.
pub fn player_id(secret: &str) -> Option<String> {
    let rest = secret.strip_prefix(PREFIX)?;
    let (id, random) = rest.split_once('_')?;
    if id.len() != 32 || random.len() != 43 {
        return None;
    }
    if !random
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let id = uuid::Uuid::try_parse(id).ok()?;
    Some(id.hyphenated().to_string())
}

/// The argon2id hash (PHC string) to store for `secret`. Slow: call off the async workers.
pub fn hash(secret: &SecretValue) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)
        .map_err(|_| Error::Internal("the OS random generator failed".into()))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|_| Error::Internal("could not encode a salt".into()))?;
    Argon2::default()
        .hash_password(secret.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::Internal("could not hash a player secret".into()))
}

/// Whether `secret` matches `stored` (a PHC string); the final comparison is constant
/// time. Slow: call off the async workers. A malformed stored hash never matches.
pub fn verify(secret: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash no secret matches, with the same parameters as real ones: verifying against it
/// costs what a real verification costs, so an unknown player id answers no faster than a
/// wrong secret.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash(&SecretValue::new(format!("decoy-{}", uuid::Uuid::new_v4())))
            .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$invalid"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b7c6a34-4f0e-4c0f-9d2e-5a1f3c2b1a00";

    #[test]
    fn a_secret_names_its_player_and_verifies_against_its_hash_only() {
        let secret = generate(ID).expect("secret");
        assert_eq!(player_id(secret.expose()).as_deref(), Some(ID));
        let stored = hash(&secret).expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains(secret.expose()));
        assert!(verify(secret.expose(), &stored));
        let other = generate(ID).expect("other");
        assert_ne!(other.expose(), secret.expose());
        assert!(!verify(other.expose(), &stored));
        assert!(!verify(secret.expose(), decoy_hash()));
        assert!(!verify(secret.expose(), "not a hash"));
    }

    #[test]
    fn malformed_secrets_name_no_player() {
        let good = generate(ID).expect("secret");
        let good = good.expose();
        assert!(player_id(&good[1..]).is_none());
        assert!(player_id(&format!("{good}x")).is_none());
        assert!(player_id(&good.replace('_', "-")).is_none());
        assert!(player_id("lyp_zz_").is_none());
        assert!(player_id("").is_none());
        let mut bad = good.to_string();
        bad.replace_range(bad.len() - 1.., "!");
        assert!(player_id(&bad).is_none());
    }
}
