//! The audit log as the window lists it (never a token).

use lanyard_core::store::audit::{AuditAction, AuditOutcome, AuditRecord, AuditSubject};
use serde::Serialize;
use ts_rs::TS;

/// One audit event (never a token).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditEventDto {
    /// Sequence number.
    #[ts(type = "number")]
    pub id: i64,
    /// When (Unix seconds).
    #[ts(type = "number")]
    pub at: i64,
    /// Who.
    pub principal_id: Option<String>,
    /// What.
    pub action: AuditAction,
    /// On what kind of thing.
    pub subject_kind: AuditSubject,
    /// On which.
    pub subject_id: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Plain words.
    pub detail: Option<String>,
}

impl From<AuditRecord> for AuditEventDto {
    fn from(e: AuditRecord) -> Self {
        AuditEventDto {
            id: e.id,
            at: e.at,
            principal_id: e.principal_id,
            action: e.action,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            outcome: e.outcome,
            detail: e.detail,
        }
    }
}
