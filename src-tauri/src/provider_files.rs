//! Provider files in the window: a `.lanyard-provider` file double-clicked, dropped on the
//! window or chosen with File → Open, or a `lanyard://provider/…` link. The core reads and
//! checks it; the window is shown what it would add (a `provider-file` event, also kept
//! for a window that was not listening yet) and adds it only when the user accepts. The
//! window comes forward only for a file that passed its checks.
//!
//! The parsed file — with its client secret, when it carries one — stays here, under an
//! offer id: the UI only ever sees the offer, never the secret.

use std::path::Path;
use std::sync::Mutex;

use lanyard_core::oauth::provider_file::{self, ProviderFile};
use lanyard_core::Lanyard;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::dto::provider_file::{ProviderFileEventDto, ProviderFileOfferDto};
use crate::dto::{IpcError, ProviderDto};
use crate::events::EventName;
use crate::sharing::Incoming;
use crate::state::AppState;
use crate::window;

type Reply<T> = Result<T, IpcError>;

/// The event announcing a provider file to confirm (or why it was refused).
pub const EVENT: &str = EventName::ProviderFile.as_str();

/// Files opened at most this many at a time waiting for an answer (older ones drop).
const MAX_WAITING: usize = 8;

/// Opened files waiting for the user's answer, by offer id.
#[derive(Debug, Default)]
pub struct Waiting(Mutex<Vec<(String, ProviderFile)>>);

impl Waiting {
    fn put(&self, file: ProviderFile) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut waiting = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if waiting.len() >= MAX_WAITING {
            waiting.remove(0);
        }
        waiting.push((id.clone(), file));
        id
    }

    fn take(&self, offer_id: &str) -> Option<ProviderFile> {
        let mut waiting = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let i = waiting.iter().position(|(id, _)| id == offer_id)?;
        Some(waiting.remove(i).1)
    }
}

/// Whether a path names a provider file.
pub fn is_provider_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == provider_file::FILE_EXTENSION)
}

async fn offer_for(
    l: &Lanyard,
    waiting: &Waiting,
    text: &str,
) -> Result<ProviderFileOfferDto, IpcError> {
    let file = provider_file::parse(text)?;
    let offer = provider_file::offer(l, &file).await?;
    let offer_id = waiting.put(file);
    Ok(ProviderFileOfferDto::new(offer_id, offer))
}

/// Asks for a `.lanyard-provider` file (File → Open) and returns what it would add (none
/// when the user cancels). Nothing is added yet.
#[tauri::command]
pub async fn provider_file_choose<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
) -> Reply<Option<ProviderFileOfferDto>> {
    let l = state.lanyard().await?;
    let filter = (provider_file::WHAT, provider_file::FILE_EXTENSION);
    let Some(path) = crate::sharing::dialog_path(&app, filter, None).await? else {
        return Ok(None);
    };
    let text = provider_file::read(&path)?;
    Ok(Some(offer_for(l, &waiting, &text).await?))
}

/// Adds the provider of an opened file; one whose tokens would go to another host than
/// its sign-in only with `accept_foreign_endpoints` (the dialog's explicit checkbox).
#[tauri::command]
pub async fn provider_file_accept(
    state: State<'_, AppState>,
    waiting: State<'_, Waiting>,
    offer_id: String,
    accept_foreign_endpoints: bool,
) -> Reply<ProviderDto> {
    let l = state.lanyard().await?;
    let file = waiting.take(&offer_id).ok_or_else(|| {
        IpcError::from(lanyard_core::Error::NotFound(
            "this provider file is no longer open: open it again".into(),
        ))
    })?;
    Ok(provider_file::import(l, file, accept_foreign_endpoints)
        .await?
        .into())
}

/// Forgets an opened file without adding anything.
#[tauri::command]
pub fn provider_file_reject(waiting: State<'_, Waiting>, offer_id: String) -> Reply<()> {
    waiting.take(&offer_id);
    Ok(())
}

/// Announces a file or link that arrived from outside (and keeps it for a window that
/// was not listening yet); brings the window forward only when it passed its checks.
pub async fn receive<R: Runtime>(app: &AppHandle<R>, l: &Lanyard, text: Result<String, IpcError>) {
    let event = match text {
        Ok(text) => match offer_for(l, &app.state::<Waiting>(), &text).await {
            Ok(offer) => ProviderFileEventDto {
                offer: Some(offer),
                error: None,
            },
            Err(error) => ProviderFileEventDto {
                offer: None,
                error: Some(error),
            },
        },
        Err(error) => ProviderFileEventDto {
            offer: None,
            error: Some(error),
        },
    };
    if let Some(err) = &event.error {
        tracing::warn!(code = %err.code, "provider file refused: {}", err.message);
    }
    if let Some(incoming) = app.try_state::<Incoming>() {
        incoming.keep_provider_file(event.clone());
    }
    // Only a file that passed its checks asks the user anything; a refused one waits (kept
    // above) for the next time the user opens the window.
    if event.offer.is_some() {
        window::show_main(app);
    }
    if let Err(err) = app.emit(EVENT, &event) {
        tracing::warn!("could not announce a provider file to the UI: {err}");
    }
}

/// Opens provider files passed to a launch or dropped on the window.
pub fn receive_files<R: Runtime>(app: &AppHandle<R>, l: Lanyard, paths: Vec<std::path::PathBuf>) {
    if paths.is_empty() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        for path in paths {
            let text = provider_file::read(&path).map_err(IpcError::from);
            receive(&app, &l, text).await;
        }
    });
}

/// Opens a `lanyard://provider/<payload>` link.
pub async fn receive_link<R: Runtime>(app: &AppHandle<R>, l: &Lanyard, payload: &str) {
    let text = provider_file::from_link_payload(payload).map_err(IpcError::from);
    receive(app, l, text).await;
}
