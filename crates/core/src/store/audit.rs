//! The `audit_event` table: what happened, never a value.

use super::{Store, WriteTx};
use crate::error::Result;

/// One audit event.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// Who (a principal id), if anyone in particular.
    pub principal_id: Option<&'a str>,
    /// What: `connect`, `reauth`, `disconnect`, `grant`, …
    pub action: &'a str,
    /// The kind of thing acted on (`channel`, `provider`, …).
    pub subject_kind: &'a str,
    /// Its id.
    pub subject_id: &'a str,
    /// `ok`, `denied`, `failed`, …
    pub outcome: &'a str,
    /// Plain words (never a secret).
    pub detail: Option<&'a str>,
}

impl Store {
    /// Records an event inside an open write transaction.
    pub async fn audit(&self, tx: &mut WriteTx, at: i64, e: &AuditEvent<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_event (at, principal_id, action, subject_kind, subject_id, \
             outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(at)
        .bind(e.principal_id)
        .bind(e.action)
        .bind(e.subject_kind)
        .bind(e.subject_id)
        .bind(e.outcome)
        .bind(e.detail)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records an event in its own transaction.
    pub async fn audit_now(&self, at: i64, e: &AuditEvent<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.audit(&mut tx, at, e).await?;
        tx.commit().await?;
        Ok(())
    }
}
