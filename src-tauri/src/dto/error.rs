//! The error every command and event carries: the core's stable code, its message and,
//! for refused input, the form field at fault.

use lanyard_core::error::{ErrorCode, InputField};
use serde::Serialize;
use ts_rs::TS;

/// An error as the UI sees it: the core's stable code and its message.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    /// Stable machine-readable code (`not_found`, `secret_store_unavailable`, …).
    pub code: ErrorCode,
    /// What happened and what to do, in plain words.
    pub message: String,
    /// For refused input (`invalid_input`): the form field at fault (`prefix`, `key`,
    /// `value`, `name`, …), so the UI shows the message next to it. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<InputField>,
}

impl From<lanyard_core::Error> for IpcError {
    fn from(err: lanyard_core::Error) -> Self {
        IpcError {
            code: err.error_code(),
            field: err.field(),
            message: err.to_string(),
        }
    }
}
