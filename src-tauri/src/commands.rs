//! The commands the UI may invoke (each also listed in `build.rs` and granted in
//! `capabilities/main.json`). Bodies stay short: the logic is in `lanyard-core`.

use lanyard_core::broker::{players, token_links};
use lanyard_core::oauth::provider::ProviderForm;
use lanyard_core::oauth::{channels, providers};
use lanyard_core::urltokens;
use lanyard_core::urltokens::tokens::{NewToken, TokenEdit};
use tauri::{AppHandle, Runtime, State};

use lanyard_gateway::background::{BackgroundGateway, GatewaySettings};

use crate::dto::preview::{HistoryEntryDto, PreviewInputDto, PreviewReportDto};
use crate::dto::{
    AuditEventDto, AuthorizationDto, ChannelDto, DecisionDto, DisconnectedDto, GatewayDto,
    IpcError, LinkDto, MatchReportDto, NewPlayerDto, PrincipalDto, ProviderDto, RemindersDto,
    SavedTokenDto, StatusDto, TokenLinkDto, UrlTokenDto,
};
use crate::oauth::{self, Waiting};
use crate::state::AppState;

type Reply<T> = Result<T, IpcError>;

/// Where data and secrets live, the schema version and the secret store's health.
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> Reply<StatusDto> {
    Ok(state.lanyard().await?.status().await?.into())
}

/// Every provider, templates included.
#[tauri::command]
pub async fn providers_list(state: State<'_, AppState>) -> Reply<Vec<ProviderDto>> {
    Ok(providers::list(state.lanyard().await?)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Adds a provider with the user's client id.
#[tauri::command]
pub async fn provider_add(state: State<'_, AppState>, input: ProviderForm) -> Reply<ProviderDto> {
    let (spec, secret) = input.into_spec()?;
    Ok(providers::add(state.lanyard().await?, spec, secret)
        .await?
        .into())
}

/// Removes a provider the user added.
#[tauri::command]
pub async fn provider_remove(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(providers::remove(state.lanyard().await?, &id).await?)
}

/// Every channel.
#[tauri::command]
pub async fn channels_list(state: State<'_, AppState>) -> Reply<Vec<ChannelDto>> {
    Ok(channels::list(state.lanyard().await?)
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
    Ok(oauth::connect(&app, state.lanyard().await?, &waiting, &provider_id).await?)
}

/// Starts re-authorizing a channel; the result arrives as an `oauth-result` event.
#[tauri::command]
pub async fn channel_reauth<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
    channel_id: String,
) -> Reply<AuthorizationDto> {
    Ok(oauth::reauth(&app, state.lanyard().await?, &waiting, &channel_id).await?)
}

/// Cancels a sign-in in progress.
#[tauri::command]
pub async fn oauth_cancel(
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
    pending_id: String,
) -> Reply<()> {
    Ok(oauth::cancel(state.lanyard().await?, &waiting, &pending_id).await?)
}

/// Disconnects a channel: every linked player loses access.
#[tauri::command]
pub async fn channel_disconnect(state: State<'_, AppState>, id: String) -> Reply<DisconnectedDto> {
    Ok(channels::disconnect(state.lanyard().await?, &id)
        .await?
        .into())
}

/// The desktop license and every player.
#[tauri::command]
pub async fn players_list(state: State<'_, AppState>) -> Reply<Vec<PrincipalDto>> {
    let l = state.lanyard().await?;
    let mut states = l.store().screen_states().await?;
    Ok(players::list(l)
        .await?
        .into_iter()
        .map(|p| {
            let at = states.iter().position(|s| s.player_id == p.id);
            let mut dto = PrincipalDto::from(p);
            dto.screen = at.map(|i| states.swap_remove(i).into());
            dto
        })
        .collect())
}

/// Registers a player (a serial is generated when none is given); the reply carries its
/// secret, shown once.
#[tauri::command]
pub async fn player_add(
    state: State<'_, AppState>,
    name: String,
    serial: Option<String>,
) -> Reply<NewPlayerDto> {
    Ok(
        players::add_player(state.lanyard().await?, &name, serial.as_deref())
            .await?
            .into(),
    )
}

/// Issues a new secret for a player (shown once); the old one stops working now.
#[tauri::command]
pub async fn player_rotate_secret(state: State<'_, AppState>, id: String) -> Reply<NewPlayerDto> {
    Ok(players::rotate_secret(state.lanyard().await?, &id)
        .await?
        .into())
}

/// The app's player gateway: the saved choice and whether it runs.
#[tauri::command]
pub async fn gateway_get(
    state: State<'_, AppState>,
    gateway: State<'_, BackgroundGateway>,
) -> Reply<GatewayDto> {
    Ok(gateway.state(state.lanyard().await?).await?.into())
}

/// Turns the app's player gateway on or off (and saves the choice).
#[tauri::command]
pub async fn gateway_set(
    state: State<'_, AppState>,
    gateway: State<'_, BackgroundGateway>,
    enabled: bool,
    listen: String,
    cors_origins: Vec<String>,
) -> Reply<GatewayDto> {
    let wanted = GatewaySettings {
        enabled,
        listen,
        cors_origins,
    };
    Ok(gateway.set(state.lanyard().await?, wanted).await?.into())
}

/// Removes a player: its access ends now.
#[tauri::command]
pub async fn player_remove(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(players::remove_player(state.lanyard().await?, &id).await?)
}

/// Every link.
#[tauri::command]
pub async fn links_list(state: State<'_, AppState>) -> Reply<Vec<LinkDto>> {
    Ok(players::links(state.lanyard().await?)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Links a principal to a channel.
#[tauri::command]
pub async fn link_add(
    state: State<'_, AppState>,
    principal_id: String,
    channel_id: String,
) -> Reply<()> {
    Ok(players::link(state.lanyard().await?, &principal_id, &channel_id).await?)
}

/// Unlinks a principal from a channel: its next grant is denied.
#[tauri::command]
pub async fn link_remove(
    state: State<'_, AppState>,
    principal_id: String,
    channel_id: String,
) -> Reply<()> {
    Ok(players::unlink(state.lanyard().await?, &principal_id, &channel_id).await?)
}

/// Every link between a principal and a URL token.
#[tauri::command]
pub async fn token_links_list(state: State<'_, AppState>) -> Reply<Vec<TokenLinkDto>> {
    let all = token_links::token_links(state.lanyard().await?).await?;
    Ok(all.into_iter().map(Into::into).collect())
}

/// Links a principal to a URL token (a player cannot be linked to a prompt token).
#[tauri::command]
pub async fn token_link_add(
    state: State<'_, AppState>,
    principal_id: String,
    token_id: String,
) -> Reply<()> {
    Ok(token_links::link_token(state.lanyard().await?, &principal_id, &token_id).await?)
}

/// Unlinks a principal from a URL token: its next request goes without it.
#[tauri::command]
pub async fn token_link_remove(
    state: State<'_, AppState>,
    principal_id: String,
    token_id: String,
) -> Reply<()> {
    Ok(token_links::unlink_token(state.lanyard().await?, &principal_id, &token_id).await?)
}

/// Sets a channel's hand-out mode (`proxy` or `token`).
#[tauri::command]
pub async fn channel_set_handout(
    state: State<'_, AppState>,
    channel_id: String,
    handout: String,
) -> Reply<()> {
    let handout = lanyard_core::oauth::channel::Handout::parse(&handout)?;
    Ok(token_links::set_handout(state.lanyard().await?, &channel_id, handout).await?)
}

/// Audit events, newest first (grants buffered in memory are written first).
#[tauri::command]
pub async fn audit_list(
    state: State<'_, AppState>,
    channel_id: Option<String>,
    since: Option<i64>,
    limit: Option<i64>,
) -> Reply<Vec<AuditEventDto>> {
    let query = lanyard_core::broker::audit_log::AuditQuery {
        channel_id: channel_id.as_deref(),
        since,
        limit,
    };
    let events = lanyard_core::broker::audit_log::list(state.lanyard().await?, query).await?;
    Ok(events.into_iter().map(Into::into).collect())
}

/// Every URL token (never a value).
#[tauri::command]
pub async fn tokens_list(state: State<'_, AppState>) -> Reply<Vec<UrlTokenDto>> {
    Ok(urltokens::tokens::list(state.lanyard().await?)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Adds a URL token; the value travels into the backend only.
#[tauri::command]
pub async fn token_add(state: State<'_, AppState>, input: NewToken) -> Reply<SavedTokenDto> {
    Ok(urltokens::tokens::add(state.lanyard().await?, input)
        .await?
        .into())
}

/// Edits a URL token (the value only by replacing it).
#[tauri::command]
pub async fn token_edit(
    state: State<'_, AppState>,
    id: String,
    edit: TokenEdit,
) -> Reply<SavedTokenDto> {
    Ok(urltokens::tokens::edit(state.lanyard().await?, &id, edit)
        .await?
        .into())
}

/// Removes a URL token.
#[tauri::command]
pub async fn token_remove(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(urltokens::tokens::remove(state.lanyard().await?, &id).await?)
}

/// What a request would carry (no values, nobody asked).
#[tauri::command]
pub async fn token_match(
    state: State<'_, AppState>,
    url: String,
    method: String,
) -> Reply<MatchReportDto> {
    Ok(
        urltokens::permission::match_url(state.lanyard().await?, &method, &url)
            .await?
            .into(),
    )
}

/// Stored "Accept all" decisions.
#[tauri::command]
pub async fn decisions_list(state: State<'_, AppState>) -> Reply<Vec<DecisionDto>> {
    Ok(urltokens::permission::decisions(state.lanyard().await?)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Revokes a decision.
#[tauri::command]
pub async fn decision_revoke(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(urltokens::permission::revoke(state.lanyard().await?, &id).await?)
}

/// The UI's answer to a `prompt-request`.
#[tauri::command]
pub fn prompt_answer(
    pending: State<'_, crate::prompter::Pending>,
    id: String,
    reply: crate::dto::PromptReplyDto,
) -> Reply<()> {
    if pending.answer(&id, reply) {
        Ok(())
    } else {
        Err(lanyard_core::Error::NotFound("that question is no longer waiting".into()).into())
    }
}

/// Fetches a data URL as a player would; questions go to the window's dialogs.
#[tauri::command]
pub async fn preview_send<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    pending: State<'_, crate::prompter::Pending>,
    input: PreviewInputDto,
) -> Reply<PreviewReportDto> {
    let prompter = crate::prompter::DesktopPrompter::new(app.clone(), pending.inner().clone());
    let who = lanyard_core::fetch::As::parse(input.as_principal.as_deref().unwrap_or("license"))?;
    let report = lanyard_core::preview::preview_and_remember(
        state.lanyard().await?,
        &who,
        input.into(),
        &prompter,
        Default::default(),
    )
    .await?;
    if report.channel.as_ref().is_some_and(|c| c.error.is_some()) {
        // A refresh the preview triggered may have found the channel needs re-authorization.
        crate::state::wake_reminders(&app);
    }
    Ok(report.into())
}

/// Recent previews (URLs and outcomes only).
#[tauri::command]
pub async fn preview_history(state: State<'_, AppState>) -> Reply<Vec<HistoryEntryDto>> {
    Ok(state
        .lanyard()
        .await?
        .store()
        .preview_history()
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Forgets recent previews.
#[tauri::command]
pub async fn preview_history_clear(state: State<'_, AppState>) -> Reply<()> {
    Ok(state
        .lanyard()
        .await?
        .store()
        .clear_preview_history()
        .await?)
}

/// Reminders: what is due, the thresholds, and whether notifications are paused.
#[tauri::command]
pub async fn reminders_get(state: State<'_, AppState>) -> Reply<RemindersDto> {
    let l = state.lanyard().await?;
    let schedule = lanyard_core::reminders::current(l).await?;
    let thresholds = lanyard_core::reminders::thresholds(l).await?;
    let paused_until = lanyard_core::reminders::paused_until(l).await?;
    Ok(RemindersDto::new(schedule, thresholds, paused_until))
}

/// What will stop when, per channel and URL token, with the screens it would blank (the
/// list the tray and notifications read).
#[tauri::command]
pub async fn health_get(state: State<'_, AppState>) -> Reply<crate::dto::health::HealthDto> {
    Ok(lanyard_core::health::current(state.lanyard().await?)
        .await?
        .into())
}

/// "Check now": refreshes every channel and fetches each screen's links as the screen.
#[tauri::command]
pub async fn health_check(
    app: AppHandle<impl Runtime>,
    state: State<'_, AppState>,
) -> Reply<crate::dto::health::HealthCheckDto> {
    let report = lanyard_core::health::check::run(state.lanyard().await?).await?;
    // A refresh may have found a channel needing re-authorization: the tray follows.
    crate::state::wake_reminders(&app);
    Ok(report.into())
}

/// Changes the reminder thresholds (days before the re-authorize-by date).
#[tauri::command]
pub async fn reminders_set_thresholds(
    app: AppHandle<impl Runtime>,
    state: State<'_, AppState>,
    soon_days: i64,
    imminent_days: i64,
) -> Reply<()> {
    let t = lanyard_core::reminders::Thresholds {
        soon_days,
        imminent_days,
    };
    lanyard_core::reminders::set_thresholds(state.lanyard().await?, t).await?;
    crate::state::wake_reminders(&app);
    Ok(())
}

/// Pauses reminder notifications for `hours` (0 resumes them).
#[tauri::command]
pub async fn reminders_pause(
    app: AppHandle<impl Runtime>,
    state: State<'_, AppState>,
    hours: i64,
) -> Reply<Option<i64>> {
    let until = lanyard_core::reminders::pause_for_hours(state.lanyard().await?, hours).await?;
    crate::state::wake_reminders(&app);
    Ok(until)
}

/// Whether Lanyard starts (in the tray) at login.
#[tauri::command]
pub fn autostart_get<R: Runtime>(app: AppHandle<R>) -> Reply<bool> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(autostart_error)
}

/// Turns starting at login on or off.
#[tauri::command]
pub fn autostart_set<R: Runtime>(app: AppHandle<R>, enabled: bool) -> Reply<bool> {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(autostart_error)?;
    launcher.is_enabled().map_err(autostart_error)
}

fn autostart_error(err: impl std::fmt::Display) -> IpcError {
    lanyard_core::Error::Io(format!("could not change starting at login: {err}")).into()
}
