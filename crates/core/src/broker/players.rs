//! Players and links: registering and removing players, their secrets, linking principals
//! to channels. Every change takes effect for the very next grant, in every process.

use super::secret;
use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;
use crate::oauth::provider::check_text;
use crate::secrets::SecretValue;
use crate::store::principals::{Link, LinkedChannel, Principal};

/// A player just registered, with its secret: the only time the secret is available.
#[derive(Debug)]
pub struct NewPlayer {
    /// The player.
    pub player: Principal,
    /// Its secret (`Authorization: Bearer …` at a gateway). Show it once; it is not stored.
    pub secret: SecretValue,
}

/// Hashes a secret on the blocking pool (argon2id takes tens of milliseconds).
async fn hash_off_thread(secret: &SecretValue) -> Result<String> {
    let copy = SecretValue::new(secret.expose());
    tokio::task::spawn_blocking(move || secret::hash(&copy))
        .await
        .map_err(|_| Error::Internal("hashing a player secret panicked".into()))?
}

/// The desktop license's principal id.
pub const LICENSE: &str = "license";

/// Registers a player and issues its secret; a serial is generated when none is given.
pub async fn add_player(l: &Lanyard, name: &str, serial: Option<&str>) -> Result<NewPlayer> {
    check_text("player name", name, 200).map_err(|e| e.in_field(InputField::Name))?;
    let serial = match crate::input::given_str(serial) {
        Some(s) => {
            check_text("serial", s, 128).map_err(|e| e.in_field(InputField::Serial))?;
            s.trim().to_string()
        }
        None => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            format!("LY-{}", id[..12].to_uppercase())
        }
    };
    let player = Principal {
        id: uuid::Uuid::new_v4().to_string(),
        kind: crate::store::principals::PrincipalKind::Player,
        name: name.trim().to_string(),
        serial: Some(serial),
        active: true,
        created_at: l.clock().now(),
        last_seen_at: None,
    };
    let secret = secret::generate(&player.id)?;
    let hash = hash_off_thread(&secret).await?;
    l.store().insert_player(&player, &hash).await?;
    Ok(NewPlayer { player, secret })
}

/// Issues a new secret for a player; the old one stops working at once (in every process:
/// the change bumps the access epoch).
pub async fn rotate_secret(l: &Lanyard, id: &str) -> Result<NewPlayer> {
    require_id("player", id)?;
    let player = l.store().principal(id).await?;
    if player.kind != crate::store::principals::PrincipalKind::Player {
        return Err(Error::invalid(
            "the desktop license has no secret; only players do",
        ));
    }
    let secret = secret::generate(&player.id)?;
    let hash = hash_off_thread(&secret).await?;
    l.store()
        .set_secret_hash(&player.id, &hash, l.clock().now())
        .await?;
    Ok(NewPlayer { player, secret })
}

/// The channels a principal is linked to, with their status.
pub async fn linked_channels(l: &Lanyard, principal_id: &str) -> Result<Vec<LinkedChannel>> {
    l.store().linked_channels(principal_id).await
}

/// Every principal, the license first.
pub async fn list(l: &Lanyard) -> Result<Vec<Principal>> {
    l.store().principals().await
}

/// Removes a player: its links go with it and its next grant is denied.
pub async fn remove_player(l: &Lanyard, id: &str) -> Result<()> {
    l.store().delete_player(id, l.clock().now()).await
}

/// Links a principal to a channel.
pub async fn link(l: &Lanyard, principal_id: &str, channel_id: &str) -> Result<()> {
    l.store()
        .insert_link(principal_id, channel_id, l.clock().now())
        .await
}

/// Unlinks a principal from a channel.
pub async fn unlink(l: &Lanyard, principal_id: &str, channel_id: &str) -> Result<()> {
    l.store()
        .delete_link(principal_id, channel_id, l.clock().now())
        .await
}

/// Every link.
pub async fn links(l: &Lanyard) -> Result<Vec<Link>> {
    l.store().links().await
}

/// Refuses an empty id early with a clear message.
pub fn require_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid(format!("the {what} id must not be empty")));
    }
    Ok(())
}
