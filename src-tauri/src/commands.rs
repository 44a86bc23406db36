//! The commands the UI may invoke (each also listed in `build.rs` and granted in
//! `capabilities/main.json`). Bodies stay short: the logic is in `lanyard-core`.

use tauri::State;

use crate::dto::{IpcError, StatusDto};
use crate::state::AppState;

/// Where data and secrets live, the schema version and the secret store's health.
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> Result<StatusDto, IpcError> {
    Ok(state.lanyard()?.status().await?.into())
}
