//! Gateway session tokens: what HTML5 content on a screen holds instead of the player
//! secret. `lyg_<payload>.<mac>`: the payload names the key that signed it, the player, the
//! player's session generation and the expiry (≤ 15 minutes); the MAC is HMAC-SHA256 under
//! that key, checked in constant time. A token is useless after its expiry, and at once
//! when the player is removed, or its secret rotated, or one of its links removed (each
//! bumps the session generation, see [`crate::store::access`]).
//!
//! Keys: 32 random bytes each in the secret store (`gateway/session-key/<id>`), never in the
//! database; the database's `session_keys` row ([`crate::store::session_keys`]) names the
//! current key (signs and opens) and the previous one (still opens). The row is created
//! insert-if-absent, so gateways starting at once on one database (and one secret store,
//! `--secret-store database` across machines) agree on one key and accept each other's
//! tokens. [`rotate`] (`lanyard gateway rotate-session-key`) makes a new key current; tokens
//! signed with the one before keep working until they expire, and the key before that is
//! deleted. An installation from before key ids keeps its key as the id `legacy` (its
//! secret keeps its old name, `gateway/session-key`), and its `v1` tokens (no key id) open
//! with it while it is current or previous.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::MAX_GRANT_SECONDS;
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;
use crate::store::session_keys::SessionKeyIds;

/// The prefix of a session token.
pub const PREFIX: &str = "lyg_";

/// Secret store key of the session key made before key ids (id [`LEGACY_ID`]); the others
/// are `gateway/session-key/<id>`.
pub const KEY_NAME: &str = "gateway/session-key";

/// The id of the key made before key ids.
pub const LEGACY_ID: &str = "legacy";

/// How long a session lives.
pub const SESSION_SECONDS: i64 = MAX_GRANT_SECONDS;

const REFUSED: &str = "the session token is not valid (expired, ended, or not issued here): \
                       get a new one from POST /v1/sessions";

/// The secret store key of session key `id`.
pub fn key_secret_name(id: &str) -> String {
    if id == LEGACY_ID {
        KEY_NAME.to_string()
    } else {
        format!("{KEY_NAME}/{id}")
    }
}

/// A MAC key and its id (the key is never printed).
#[derive(Clone)]
pub struct SessionKey {
    id: String,
    bytes: [u8; 32],
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionKey({}, [redacted])", self.id)
    }
}

impl SessionKey {
    /// A key from bytes (tests).
    pub fn from_bytes(id: &str, bytes: [u8; 32]) -> Self {
        SessionKey {
            id: id.to_string(),
            bytes,
        }
    }

    /// Its id (carried in the tokens it signs).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }
}

/// The keys in force: the current one signs, both open.
#[derive(Debug, Clone)]
pub struct SessionKeys {
    /// Signs new tokens.
    pub current: SessionKey,
    /// The one before the last rotation.
    pub previous: Option<SessionKey>,
}

impl SessionKeys {
    /// The key with this id, if it is in force.
    pub fn get(&self, id: &str) -> Option<&SessionKey> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.id == id)
    }

    /// Their ids.
    pub fn ids(&self) -> SessionKeyIds {
        SessionKeyIds {
            current: self.current.id.clone(),
            previous: self.previous.as_ref().map(|k| k.id.clone()),
        }
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out)
        .map_err(|_| Error::Internal("the OS random generator failed".into()))?;
    Ok(out)
}

/// A new key, written to the secret store.
async fn new_key(l: &Lanyard) -> Result<SessionKey> {
    let key = SessionKey {
        id: URL_SAFE_NO_PAD.encode(random::<9>()?),
        bytes: random::<32>()?,
    };
    l.secrets()
        .set(
            &key_secret_name(&key.id),
            SecretValue::new(URL_SAFE_NO_PAD.encode(key.bytes)),
        )
        .await?;
    Ok(key)
}

/// Session key `id` from the secret store.
async fn load(l: &Lanyard, id: &str) -> Result<SessionKey> {
    let name = key_secret_name(id);
    let stored = l.secrets().get(&name).await?.ok_or_else(|| {
        Error::SecretStoreUnavailable(format!(
            "the database names session key {id}, but this secret store does not hold \
             {name}: gateways sharing a database must share their secrets too \
             (--secret-store database)"
        ))
    })?;
    let bytes = URL_SAFE_NO_PAD
        .decode(stored.expose())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| Error::Internal(format!("the stored {name} is damaged")))?;
    Ok(SessionKey {
        id: id.to_string(),
        bytes,
    })
}

/// The keys `ids` name, taking those `cached` holds already from there.
pub async fn load_keys(
    l: &Lanyard,
    ids: &SessionKeyIds,
    cached: Option<&SessionKeys>,
) -> Result<SessionKeys> {
    let one = |id: String| async move {
        match cached.and_then(|c| c.get(&id)) {
            Some(k) => Ok(k.clone()),
            None => load(l, &id).await,
        }
    };
    let current = one(ids.current.clone()).await?;
    // A previous key whose secret is gone (deleted by hand) opens nothing; the current
    // one still works.
    let previous = match &ids.previous {
        Some(id) => one(id.clone()).await.ok(),
        None => None,
    };
    Ok(SessionKeys { current, previous })
}

/// The ids of the keys in force, the first key made if there is none: insert-if-absent, so
/// gateways starting at once agree on one. An installation's key from before key ids is
/// adopted as [`LEGACY_ID`].
pub async fn ensure_keys(l: &Lanyard) -> Result<SessionKeyIds> {
    if let Some(ids) = l.store().session_key_ids().await? {
        return Ok(ids);
    }
    let now = l.clock().now();
    if l.secrets().get(KEY_NAME).await?.is_some() {
        return l.store().insert_session_key_if_absent(LEGACY_ID, now).await;
    }
    let key = new_key(l).await?;
    let ids = l.store().insert_session_key_if_absent(&key.id, now).await?;
    if ids.current != key.id {
        // Another gateway's key went in first: ours signs nothing.
        l.secrets().delete(&key_secret_name(&key.id)).await?;
    }
    Ok(ids)
}

/// The installation's session keys, created on first use (see [`ensure_keys`]).
pub async fn session_keys(l: &Lanyard) -> Result<SessionKeys> {
    let ids = ensure_keys(l).await?;
    load_keys(l, &ids, None).await
}

/// What [`rotate`] did (ids only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rotated {
    /// The new key: signs from now on.
    pub current: String,
    /// The key it replaced: still opens the tokens it signed, until they expire.
    pub previous: Option<String>,
    /// The key before that: deleted; its tokens are refused.
    pub retired: Option<String>,
}

/// Makes a new key current; the current one becomes previous (its tokens keep working
/// until they expire) and the previous one is deleted. An access change: every gateway
/// sharing the database reloads its keys.
pub async fn rotate(l: &Lanyard) -> Result<Rotated> {
    ensure_keys(l).await?;
    let key = new_key(l).await?;
    let (before, after) = match l.store().rotate_session_key(&key.id, l.clock().now()).await {
        Ok(done) => done,
        Err(e) => {
            let _ = l.secrets().delete(&key_secret_name(&key.id)).await;
            return Err(e);
        }
    };
    let retired = before.and_then(|b| b.previous);
    if let Some(id) = &retired {
        l.secrets().delete(&key_secret_name(id)).await?;
    }
    Ok(Rotated {
        current: after.current,
        previous: after.previous,
        retired,
    })
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

/// Mints a token for `claims`, signed with (and naming) `key`.
pub fn seal(key: &SessionKey, claims: &Claims) -> Result<SecretValue> {
    let nonce = random::<12>()?;
    let payload = format!(
        "v2\n{}\n{}\n{}\n{}\n{}",
        key.id,
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

/// The id of the key a token names (`v1` tokens: [`LEGACY_ID`]); not verified — only to
/// choose the key, or to see that the keys must be reloaded.
pub fn key_id(token: &str) -> Option<String> {
    let (payload, _) = token.strip_prefix(PREFIX)?.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let text = std::str::from_utf8(&payload).ok()?;
    let mut fields = text.split('\n');
    match fields.next()? {
        "v1" => Some(LEGACY_ID.to_string()),
        "v2" => fields.next().map(str::to_string),
        _ => None,
    }
}

/// Checks a token's MAC under the key it names (constant time) and its expiry; the caller
/// checks the generation.
pub fn open(keys: &SessionKeys, token: &str, now: i64) -> Result<Claims> {
    let refused = || Error::Unauthenticated(REFUSED.into());
    let id = key_id(token).ok_or_else(refused)?;
    let key = keys.get(&id).ok_or_else(refused)?;
    let body = token.strip_prefix(PREFIX).ok_or_else(refused)?;
    let (payload, tag) = body.split_once('.').ok_or_else(refused)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| refused())?;
    let mut mac = key.mac();
    mac.update(&payload);
    mac.verify_slice(&tag).map_err(|_| refused())?;
    let text = String::from_utf8(payload).map_err(|_| refused())?;
    let fields: Vec<&str> = text.split('\n').collect();
    let (player, generation, expires_at) = match fields[..] {
        ["v1", player, generation, expires_at, _nonce] => (player, generation, expires_at),
        ["v2", _id, player, generation, expires_at, _nonce] => (player, generation, expires_at),
        _ => return Err(refused()),
    };
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

    fn only(key: &SessionKey) -> SessionKeys {
        SessionKeys {
            current: key.clone(),
            previous: None,
        }
    }

    #[test]
    fn a_token_opens_only_with_its_key_before_its_expiry() {
        let key = SessionKey::from_bytes("k1", [7; 32]);
        let token = seal(&key, &claims(1_000)).expect("seal");
        assert!(token.expose().starts_with(PREFIX));
        assert_eq!(key_id(token.expose()).as_deref(), Some("k1"));
        assert_eq!(
            open(&only(&key), token.expose(), 999).expect("open"),
            claims(1_000)
        );
        let expired = open(&only(&key), token.expose(), 1_000).expect_err("expired");
        assert_eq!(expired.code(), "unauthenticated");
        // Another key, under the same id or another: refused.
        for other in [
            SessionKey::from_bytes("k1", [8; 32]),
            SessionKey::from_bytes("k2", [7; 32]),
        ] {
            assert!(open(&only(&other), token.expose(), 0).is_err());
        }
        // Two tokens for the same claims differ (a nonce), so none can be predicted.
        assert_ne!(
            seal(&key, &claims(1_000)).expect("seal").expose(),
            token.expose()
        );
    }

    #[test]
    fn the_previous_key_still_opens_and_v1_tokens_open_with_the_legacy_key() {
        let (old, new) = (
            SessionKey::from_bytes("k1", [1; 32]),
            SessionKey::from_bytes("k2", [2; 32]),
        );
        let keys = SessionKeys {
            current: new.clone(),
            previous: Some(old.clone()),
        };
        for key in [&old, &new] {
            let token = seal(key, &claims(1_000)).expect("seal");
            assert_eq!(open(&keys, token.expose(), 0).expect("open"), claims(1_000));
        }
        let dropped = seal(&SessionKey::from_bytes("k0", [1; 32]), &claims(1_000)).expect("seal");
        assert!(
            open(&keys, dropped.expose(), 0).is_err(),
            "a retired key id"
        );

        // A token from before key ids (v1), as the old code minted it.
        let legacy = SessionKey::from_bytes(LEGACY_ID, [9; 32]);
        let payload = format!("v1\n{}\n3\n1000\nbm9uY2U", claims(0).player_id);
        let mut mac = legacy.mac();
        mac.update(payload.as_bytes());
        let v1 = format!(
            "{PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(key_id(&v1).as_deref(), Some(LEGACY_ID));
        let with_legacy = SessionKeys {
            current: new.clone(),
            previous: Some(legacy),
        };
        assert_eq!(open(&with_legacy, &v1, 0).expect("v1"), claims(1_000));
        assert!(open(&keys, &v1, 0).is_err(), "the legacy key was retired");
    }

    async fn install(dir: &tempfile::TempDir) -> Lanyard {
        let config = crate::Config {
            database: crate::store::testing::database().await.expect("database"),
            ..crate::Config::new(
                dir.path().to_path_buf(),
                crate::secrets::SecretStoreKind::Memory,
            )
        };
        let clock = std::sync::Arc::new(crate::clock::FixedClock::at(1_800_000_000));
        Lanyard::open_with(&config, clock, Some(crate::secrets::Secrets::in_memory()))
            .await
            .expect("open")
    }

    #[tokio::test]
    async fn an_installation_from_before_key_ids_keeps_its_key_and_sessions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = install(&dir).await;
        // What the old code stored, and a v1 token it minted.
        l.secrets()
            .set(
                KEY_NAME,
                SecretValue::new(URL_SAFE_NO_PAD.encode([9u8; 32])),
            )
            .await
            .expect("legacy key");
        let legacy = SessionKey::from_bytes(LEGACY_ID, [9; 32]);
        let payload = format!("v1\nplayer-1\n3\n{}\nbm9uY2U", 1_800_000_600);
        let mut mac = legacy.mac();
        mac.update(payload.as_bytes());
        let v1 = format!(
            "{PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );

        let keys = session_keys(&l).await.expect("keys");
        assert_eq!(keys.current.id(), LEGACY_ID, "the old key is adopted");
        assert!(open(&keys, &v1, 1_800_000_000).is_ok());
        // Rotated once: a new key signs, the old one still opens.
        let done = rotate(&l).await.expect("rotate");
        assert_eq!(done.previous.as_deref(), Some(LEGACY_ID));
        assert_eq!(done.retired, None);
        let keys = session_keys(&l).await.expect("keys");
        assert_eq!(keys.current.id(), done.current);
        assert!(open(&keys, &v1, 1_800_000_000).is_ok());
        let fresh = seal(&keys.current, &claims(1_800_000_600)).expect("seal");
        // Rotated twice: the old key is deleted and opens nothing; the one between opens.
        let again = rotate(&l).await.expect("rotate");
        assert_eq!(again.retired.as_deref(), Some(LEGACY_ID));
        assert!(l.secrets().get(KEY_NAME).await.expect("get").is_none());
        let keys = session_keys(&l).await.expect("keys");
        assert!(open(&keys, &v1, 1_800_000_000).is_err());
        assert!(open(&keys, fresh.expose(), 1_800_000_000).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gateways_starting_at_once_make_one_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = install(&dir).await;
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let l = l.clone();
            set.spawn(async move { session_keys(&l).await });
        }
        let mut ids = std::collections::HashSet::new();
        while let Some(made) = set.join_next().await {
            ids.insert(made.expect("join").expect("keys").current.id().to_string());
        }
        assert_eq!(ids.len(), 1, "{ids:?}");
        let id = ids.into_iter().next().expect("one");
        assert!(l
            .secrets()
            .get(&key_secret_name(&id))
            .await
            .expect("get")
            .is_some());
    }

    #[test]
    fn an_altered_token_is_refused() {
        let key = SessionKey::from_bytes("k1", [7; 32]);
        let token = seal(&key, &claims(1_000)).expect("seal");
        let (payload, tag) = token.expose()[PREFIX.len()..]
            .split_once('.')
            .expect("two parts");
        // Extend the expiry in the payload, keep the tag.
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("utf8");
        let forged = text.replace("\n1000\n", "\n9999\n");
        let forged = format!("{PREFIX}{}.{tag}", URL_SAFE_NO_PAD.encode(forged));
        assert!(open(&only(&key), &forged, 0).is_err());
        for bad in [
            "",
            "lyg_",
            "lyg_x.y",
            "lyp_abc",
            &token.expose()[..token.expose().len() - 2],
        ] {
            assert_eq!(
                open(&only(&key), bad, 0).expect_err(bad).code(),
                "unauthenticated"
            );
        }
    }
}
