//! Players and links: registering and removing players, linking principals to channels.
//! Every change is audited and takes effect for the very next grant, in every process.

use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::oauth::provider::check_text;
use crate::store::principals::{Link, Principal};

/// The desktop license's principal id.
pub const LICENSE: &str = "license";

/// Registers a player; a serial is generated when none is given.
pub async fn add_player(l: &Lanyard, name: &str, serial: Option<&str>) -> Result<Principal> {
    check_text("player name", name, 200)?;
    let serial = match serial {
        Some(s) => {
            check_text("serial", s, 128)?;
            s.trim().to_string()
        }
        None => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            format!("LY-{}", id[..12].to_uppercase())
        }
    };
    let player = Principal {
        id: uuid::Uuid::new_v4().to_string(),
        kind: "player".into(),
        name: name.trim().to_string(),
        serial: Some(serial),
        active: true,
        created_at: l.clock().now(),
        last_seen_at: None,
    };
    l.store().insert_player(&player).await?;
    Ok(player)
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
