//! URL tokens for players, and what players may be handed: linking principals to URL
//! tokens (a player's link is its permission; prompt tokens cannot be linked to players),
//! a channel's hand-out mode, and the grant a player may take away (`token` mode only).

use super::grant::{issue_grant_at, issue_grant_for, Grant};
use super::players::{require_id, LICENSE};
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::oauth::channel::Handout;
use crate::store::access::TokenLink;

/// Links a principal to a URL token. Own and received tokens alike: a received token's
/// value still never leaves the backend (the engine attaches it). A prompt token cannot
/// be linked to a player: nobody can type its value on a screen (`needs_prompt`).
pub async fn link_token(l: &Lanyard, principal_id: &str, token_id: &str) -> Result<()> {
    require_id("principal", principal_id)?;
    require_id("URL token", token_id)?;
    let token = l.store().url_token(token_id).await?;
    if token.prompt && principal_id != LICENSE {
        return Err(Error::NeedsPrompt(format!(
            "URL token {} ({}) asks for its value at use time, which a player cannot \
             answer: store a value for it first",
            token.key, token.prefix
        )));
    }
    l.store()
        .insert_token_link(principal_id, token_id, l.clock().now())
        .await
}

/// Unlinks a principal from a URL token: its next request goes without it, and a
/// player's gateway sessions end.
pub async fn unlink_token(l: &Lanyard, principal_id: &str, token_id: &str) -> Result<()> {
    l.store()
        .delete_token_link(principal_id, token_id, l.clock().now())
        .await
}

/// Every URL token link.
pub async fn token_links(l: &Lanyard) -> Result<Vec<TokenLink>> {
    l.store().token_links().await
}

/// Sets a channel's hand-out mode.
pub async fn set_handout(l: &Lanyard, channel_id: &str, handout: Handout) -> Result<()> {
    require_id("channel", channel_id)?;
    l.store().set_handout(channel_id, handout).await
}

/// A grant a principal may take away: the license always; a player only from a channel
/// in `token` mode (`proxy_only` otherwise — it gets the data through `/v1/fetch`).
pub async fn hand_out(
    l: &Lanyard,
    principal_id: &str,
    channel_id: &str,
    url: Option<&str>,
) -> Result<Grant> {
    if principal_id == LICENSE {
        return issue_grant_for(l, principal_id, channel_id, url).await;
    }
    // One epoch read for the whole request: the hand-out check and the grant go by it.
    let epoch = l.store().access_epoch();
    let snapshot = l.snapshot_at(epoch).await?;
    if snapshot.proxy_only.contains(channel_id)
        && snapshot.linked(principal_id).channels.contains(channel_id)
    {
        return Err(Error::ProxyOnly(format!(
            "channel {channel_id} hands out data, not tokens: fetch through the \
             gateway's /v1/fetch (or switch it with `lanyard channel set \
             {channel_id} --handout token`)"
        )));
    }
    issue_grant_at(l, &epoch, principal_id, channel_id, url).await
}
