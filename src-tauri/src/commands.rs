//! The commands the UI may invoke (each also listed in `build.rs` and granted in
//! `capabilities/main.json`). Bodies stay short: the logic is in `lanyard-core`.

use lanyard_core::oauth::{channels, providers};
use tauri::{AppHandle, Runtime, State};

use crate::dto::{
    AuthorizationDto, ChannelDto, DisconnectedDto, IpcError, ProviderDto, ProviderInputDto,
    StatusDto,
};
use crate::oauth::{self, Waiting};
use crate::state::AppState;

type Reply<T> = Result<T, IpcError>;

/// Where data and secrets live, the schema version and the secret store's health.
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> Reply<StatusDto> {
    Ok(state.lanyard()?.status().await?.into())
}

/// Every provider, templates included.
#[tauri::command]
pub async fn providers_list(state: State<'_, AppState>) -> Reply<Vec<ProviderDto>> {
    Ok(providers::list(state.lanyard()?)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Adds a provider with the user's client id.
#[tauri::command]
pub async fn provider_add(
    state: State<'_, AppState>,
    input: ProviderInputDto,
) -> Reply<ProviderDto> {
    let (spec, secret) = input.into_spec();
    Ok(providers::add(state.lanyard()?, spec, secret).await?.into())
}

/// Removes a provider the user added.
#[tauri::command]
pub async fn provider_remove(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(providers::remove(state.lanyard()?, &id).await?)
}

/// Every channel.
#[tauri::command]
pub async fn channels_list(state: State<'_, AppState>) -> Reply<Vec<ChannelDto>> {
    Ok(channels::list(state.lanyard()?)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Starts connecting an account; the result arrives as an `oauth-result` event.
#[tauri::command]
pub async fn channel_connect<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
    provider_id: String,
) -> Reply<AuthorizationDto> {
    Ok(oauth::start(&app, state.lanyard()?, &waiting, &provider_id, None).await?)
}

/// Starts re-authorizing a channel; the result arrives as an `oauth-result` event.
#[tauri::command]
pub async fn channel_reauth<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
    channel_id: String,
) -> Reply<AuthorizationDto> {
    let lanyard = state.lanyard()?;
    let provider = channels::show(lanyard, &channel_id).await?.provider_id;
    Ok(oauth::start(&app, lanyard, &waiting, &provider, Some(&channel_id)).await?)
}

/// Cancels a sign-in in progress.
#[tauri::command]
pub async fn oauth_cancel(
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
    pending_id: String,
) -> Reply<()> {
    Ok(oauth::cancel(state.lanyard()?, &waiting, &pending_id).await?)
}

/// Disconnects a channel: every linked player loses access.
#[tauri::command]
pub async fn channel_disconnect(state: State<'_, AppState>, id: String) -> Reply<DisconnectedDto> {
    Ok(channels::disconnect(state.lanyard()?, &id).await?.into())
}
