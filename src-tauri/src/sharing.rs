//! Sharing in the window: the identity and its card (with a QR code), contacts, sending
//! an own token, and the Token requests inbox. Offers arrive as `lanyard://offer/…` links,
//! `.lanyard-offer` files opened with Lanyard (a second launch's arguments) or dropped on
//! the window, or through the Open dialog; each is verified by the core and announced with
//! a `token-requests` event. A `lanyard://contact/…` link is only previewed (a
//! `contact-card` event): adding it takes the user's confirmation.
//!
//! File dialogs are shown from here, so the UI never names a path to write or read.

use std::path::{Path, PathBuf};

use lanyard_core::sharing::card::MAX_CARD_LEN;
use lanyard_core::sharing::offer::{FILE_EXTENSION, MAX_OFFER_LEN};
use lanyard_core::sharing::{contacts, identity, inbox};
use lanyard_core::Lanyard;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::dto::sharing::{
    CardPreviewDto, ContactDto, IdentityDto, IncomingDto, OfferDto, SentOfferDto,
    TokenRequestsEvent,
};
use crate::dto::{IpcError, UrlTokenDto};
use crate::events::EventName;
use crate::state::AppState;
use crate::window;

type Reply<T> = Result<T, IpcError>;

/// The last card and refusal that arrived from outside, kept for a window that was not
/// listening yet (a double-clicked card or offer that started Lanyard): events are not
/// queued, so the UI asks for them once when it starts ([`incoming_take`]).
#[derive(Debug, Default)]
pub struct Incoming(std::sync::Mutex<IncomingDto>);

impl Incoming {
    /// Keeps the last provider file that arrived (see [`crate::provider_files`]).
    pub fn keep_provider_file(&self, event: crate::dto::provider_file::ProviderFileEventDto) {
        if let Ok(mut kept) = self.0.lock() {
            kept.provider_file = Some(event);
        }
    }
}

fn keep<R: Runtime>(app: &AppHandle<R>, card: Option<CardPreviewDto>, error: Option<IpcError>) {
    use tauri::Manager;
    if let Some(incoming) = app.try_state::<Incoming>() {
        if let Ok(mut kept) = incoming.0.lock() {
            kept.card = card;
            kept.error = error;
        }
    }
}

/// What arrived before the window listened (and forgets it).
#[tauri::command]
pub fn incoming_take(incoming: State<'_, Incoming>) -> IncomingDto {
    incoming
        .0
        .lock()
        .map(|mut kept| std::mem::take(&mut *kept))
        .unwrap_or_default()
}

/// The event announcing a change of the Token requests inbox.
pub const REQUESTS_EVENT: &str = EventName::TokenRequests.as_str();
/// The event carrying a contact card that arrived by link or file, for confirmation.
pub const CARD_EVENT: &str = EventName::ContactCard.as_str();
/// The extension of contact card files.
pub const CARD_EXTENSION: &str = "lanyard-contact";

fn ipc_invalid(message: &str) -> IpcError {
    IpcError::from(lanyard_core::Error::invalid(message))
}

/// This installation's identity (created on first use).
#[tauri::command]
pub async fn identity_show(state: State<'_, AppState>) -> Reply<IdentityDto> {
    Ok(identity::show(state.lanyard().await?).await?.into())
}

/// Changes the name on this installation's card.
#[tauri::command]
pub async fn identity_rename(state: State<'_, AppState>, name: String) -> Reply<IdentityDto> {
    Ok(identity::rename(state.lanyard().await?, &name)
        .await?
        .into())
}

/// A QR code of `text` (a card) as an SVG document.
#[tauri::command]
pub fn qr_code(text: String) -> Reply<String> {
    if text.len() > MAX_CARD_LEN {
        return Err(ipc_invalid("too long for a QR code"));
    }
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ipc_invalid(&format!("cannot make a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

/// Every contact.
#[tauri::command]
pub async fn contacts_list(state: State<'_, AppState>) -> Reply<Vec<ContactDto>> {
    Ok(contacts::list(state.lanyard().await?)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

async fn preview_card(l: &Lanyard, card: &str) -> Result<CardPreviewDto, IpcError> {
    Ok(CardPreviewDto::new(card, contacts::inspect(l, card).await?))
}

/// Verifies a card and shows who it is, without adding it.
#[tauri::command]
pub async fn contact_preview(state: State<'_, AppState>, card: String) -> Reply<CardPreviewDto> {
    preview_card(state.lanyard().await?, &card).await
}

/// Adds a contact from their card.
#[tauri::command]
pub async fn contact_add(
    state: State<'_, AppState>,
    card: String,
    name: Option<String>,
) -> Reply<ContactDto> {
    Ok(
        contacts::add(state.lanyard().await?, &card, name.as_deref())
            .await?
            .into(),
    )
}

/// Renames a contact.
#[tauri::command]
pub async fn contact_rename(
    state: State<'_, AppState>,
    id: String,
    name: String,
) -> Reply<ContactDto> {
    Ok(contacts::rename(state.lanyard().await?, &id, &name)
        .await?
        .into())
}

/// Removes a contact (offers from them still waiting are dropped).
#[tauri::command]
pub async fn contact_remove<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Reply<()> {
    let l = state.lanyard().await?;
    contacts::remove(l, &id).await?;
    announce(&app, l, None, None).await;
    Ok(())
}

pub(crate) async fn dialog_path<R: Runtime>(
    app: &AppHandle<R>,
    filter: (&str, &str),
    save_as: Option<String>,
) -> Result<Option<PathBuf>, IpcError> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    if app.try_state::<tauri_plugin_dialog::Dialog<R>>().is_none() {
        return Err(IpcError::from(lanyard_core::Error::InvalidState(
            "file dialogs are not available here".into(),
        )));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app.dialog().file().add_filter(filter.0, &[filter.1]);
    let send = move |picked: Option<tauri_plugin_dialog::FilePath>| {
        let _ = tx.send(picked.and_then(|p| p.into_path().ok()));
    };
    match save_as {
        Some(name) => dialog.set_file_name(name).save_file(send),
        None => dialog.pick_file(send),
    }
    Ok(rx.await.ok().flatten())
}

/// Seals one of your tokens for a contact. With `save_file`, asks where to save the
/// `.lanyard-offer` file (none when the user cancels); otherwise returns the link.
#[tauri::command]
pub async fn token_send<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    to: String,
    save_file: bool,
) -> Reply<Option<SentOfferDto>> {
    let l = state.lanyard().await?;
    let path = if save_file {
        // Refuse what cannot be sent before asking where to save it.
        let token = inbox::sendable(l, &id).await?;
        let contact = contacts::find(l, &to).await?;
        let name = format!(
            "{}-for-{}.{FILE_EXTENSION}",
            file_stem(&token.key),
            file_stem(&contact.name)
        );
        match dialog_path(&app, ("Lanyard offer", FILE_EXTENSION), Some(name)).await? {
            Some(path) => Some(path),
            None => return Ok(None),
        }
    } else {
        None
    };
    Ok(Some(
        inbox::send(l, &id, &to, path.as_deref()).await?.into(),
    ))
}

fn file_stem(text: &str) -> String {
    let stem: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .take(32)
        .collect();
    if stem.trim_matches('-').is_empty() {
        "token".into()
    } else {
        stem
    }
}

/// Offers waiting in Token requests (`all`: every offer sent and received).
#[tauri::command]
pub async fn offers_list(state: State<'_, AppState>, all: bool) -> Reply<Vec<OfferDto>> {
    Ok(inbox::list(state.lanyard().await?, all)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// How many offers wait in Token requests.
#[tauri::command]
pub async fn offers_pending(state: State<'_, AppState>) -> Reply<i64> {
    Ok(inbox::pending_count(state.lanyard().await?).await?)
}

/// Imports a pasted offer link.
#[tauri::command]
pub async fn offer_import<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    text: String,
) -> Reply<OfferDto> {
    let l = state.lanyard().await?;
    let offer: OfferDto = inbox::import(l, &text).await?.into();
    announce(&app, l, Some(offer.clone()), None).await;
    Ok(offer)
}

/// Asks for a `.lanyard-offer` file and imports it (none when the user cancels).
#[tauri::command]
pub async fn offer_import_file<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Reply<Option<OfferDto>> {
    let l = state.lanyard().await?;
    let Some(path) = dialog_path(&app, ("Lanyard offer", FILE_EXTENSION), None).await? else {
        return Ok(None);
    };
    let text = inbox::read_limited(&path, MAX_OFFER_LEN, "Lanyard offer")?;
    let offer: OfferDto = inbox::import(l, &text).await?.into();
    announce(&app, l, Some(offer.clone()), None).await;
    Ok(Some(offer))
}

/// Accepts an offer: the token becomes usable, never viewable.
#[tauri::command]
pub async fn offer_accept<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Reply<UrlTokenDto> {
    let l = state.lanyard().await?;
    let token = inbox::accept(l, &id).await?;
    announce(&app, l, None, None).await;
    Ok(token.into())
}

/// Rejects an offer: it leaves Token requests and its sealed value is erased.
#[tauri::command]
pub async fn offer_reject<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Reply<OfferDto> {
    let l = state.lanyard().await?;
    let offer = inbox::reject(l, &id).await?;
    announce(&app, l, None, None).await;
    Ok(offer.into())
}

async fn announce<R: Runtime>(
    app: &AppHandle<R>,
    l: &Lanyard,
    imported: Option<OfferDto>,
    error: Option<IpcError>,
) {
    let pending = inbox::pending_count(l).await.unwrap_or(0);
    let event = TokenRequestsEvent {
        pending,
        imported,
        error,
    };
    if let Err(err) = app.emit(REQUESTS_EVENT, &event) {
        tracing::warn!("could not announce Token requests to the UI: {err}");
    }
}

/// Imports an offer that arrived from outside (a link, a file) and announces the outcome.
pub async fn receive_offer<R: Runtime>(app: &AppHandle<R>, l: &Lanyard, text: &str) {
    match inbox::import(l, text).await {
        Ok(offer) => {
            tracing::info!(offer = %offer.id, "offer received");
            // Verified (signature, sender, expiry): now it may ask the user.
            window::show_main(app);
            announce(app, l, Some(offer.into()), None).await;
        }
        Err(err) => {
            tracing::warn!(code = err.code(), "offer refused: {err}");
            let error = IpcError::from(err);
            keep(app, None, Some(error.clone()));
            announce(app, l, None, Some(error)).await;
        }
    }
}

/// Shows a card that arrived from outside for the user to confirm.
pub async fn receive_card<R: Runtime>(app: &AppHandle<R>, l: &Lanyard, text: &str) {
    let event = preview_card(l, text).await;
    let outcome = match event {
        Ok(preview) => {
            keep(app, Some(preview.clone()), None);
            // Verified: now it may ask the user.
            window::show_main(app);
            app.emit(CARD_EVENT, &preview)
        }
        Err(error) => {
            keep(app, None, Some(error.clone()));
            app.emit(
                REQUESTS_EVENT,
                &TokenRequestsEvent {
                    pending: inbox::pending_count(l).await.unwrap_or(0),
                    imported: None,
                    error: Some(error),
                },
            )
        }
    };
    if let Err(err) = outcome {
        tracing::warn!("could not announce a contact card to the UI: {err}");
    }
}

/// The offer and card files among a launch's arguments or a drop (`file://` URLs and
/// paths relative to `cwd` included).
pub fn shared_files(args: &[String], cwd: &Path) -> Vec<PathBuf> {
    paths_in(args, cwd)
        .into_iter()
        .filter(|p| is_shared_file(p))
        .collect()
}

/// Every path among a launch's arguments (`file://` URLs and paths relative to `cwd`
/// included).
pub fn paths_in(args: &[String], cwd: &Path) -> Vec<PathBuf> {
    args.iter()
        .filter_map(|arg| {
            let path = match arg.strip_prefix("file://") {
                Some(rest) => url::Url::parse(arg)
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .or_else(|| Some(PathBuf::from(rest)))?,
                None => PathBuf::from(arg),
            };
            Some(cwd.join(path))
        })
        .collect()
}

/// Whether a path names an offer or card file.
pub fn is_shared_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == FILE_EXTENSION || e == CARD_EXTENSION)
}

/// Opens offer and card files (double-clicked, passed to a second launch, or dropped); the
/// window comes forward for each one that verified, never for a refused one.
pub fn receive_files<R: Runtime>(app: &AppHandle<R>, l: Lanyard, paths: Vec<PathBuf>) {
    if paths.is_empty() {
        return;
    }
    // The window comes forward for a file that verified only (receive_offer/receive_card).
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        for path in paths {
            let is_card = path.extension().is_some_and(|e| e == CARD_EXTENSION);
            let (max, what) = if is_card {
                (MAX_CARD_LEN, "contact card")
            } else {
                (MAX_OFFER_LEN, "Lanyard offer")
            };
            match inbox::read_limited(&path, max, what) {
                Ok(text) if is_card => receive_card(&app, &l, &text).await,
                Ok(text) => receive_offer(&app, &l, &text).await,
                Err(err) => {
                    let error = IpcError::from(err);
                    keep(&app, None, Some(error.clone()));
                    announce(&app, &l, None, Some(error)).await
                }
            }
        }
    });
}
