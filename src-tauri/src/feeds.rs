//! Feed links in the window (issue 31): list, make, give a new key, remove, and the gateway
//! address links point at. Thin: every rule is `lanyard_core::feeds`. The "as player"
//! preview of what a link returns is the Preview's own `preview_send` as that player.

use lanyard_core::feeds;
use tauri::State;

use crate::dto::feeds::{FeedDto, FeedInputDto, LinkBaseDto, NewFeedDto};
use crate::dto::IpcError;
use crate::state::AppState;

type Reply<T> = Result<T, IpcError>;

/// Feed links (never their keys), optionally of one player, each with whether it
/// answers data now.
#[tauri::command]
pub async fn feeds_list(
    state: State<'_, AppState>,
    player_id: Option<String>,
) -> Reply<Vec<FeedDto>> {
    let l = state.lanyard().await?;
    let mut out = Vec::new();
    for feed in feeds::list(l, player_id.as_deref()).await? {
        let covered = feeds::covered(l, &feed).await?;
        out.push(FeedDto::new(feed, covered));
    }
    Ok(out)
}

/// Makes a feed link; the reply carries the link, shown once.
#[tauri::command]
pub async fn feed_add(state: State<'_, AppState>, input: FeedInputDto) -> Reply<NewFeedDto> {
    let l = state.lanyard().await?;
    let made = feeds::add(l, input.into(), None).await?;
    let covered = feeds::covered(l, &made.feed).await?;
    Ok(NewFeedDto::new(made, covered))
}

/// Gives a feed link a new key (the reply carries the new link); the old one dies now.
#[tauri::command]
pub async fn feed_rotate(state: State<'_, AppState>, id: String) -> Reply<NewFeedDto> {
    let l = state.lanyard().await?;
    let made = feeds::rotate(l, &id, None).await?;
    let covered = feeds::covered(l, &made.feed).await?;
    Ok(NewFeedDto::new(made, covered))
}

/// Removes a feed link: it answers 403 from now on.
#[tauri::command]
pub async fn feed_remove(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(feeds::remove(state.lanyard().await?, &id).await?)
}

/// The gateway address new links use, and where it comes from.
#[tauri::command]
pub async fn feed_gateway_get(state: State<'_, AppState>) -> Reply<LinkBaseDto> {
    Ok(feeds::link::base(state.lanyard().await?, None)
        .await?
        .into())
}

/// Saves the gateway's public address for new links (null or blank: forget it).
#[tauri::command]
pub async fn feed_gateway_set(
    state: State<'_, AppState>,
    url: Option<String>,
) -> Reply<LinkBaseDto> {
    Ok(
        feeds::link::set_public_url(state.lanyard().await?, url.as_deref())
            .await?
            .into(),
    )
}
