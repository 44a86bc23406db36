//! The `preview_history` table: recent previews, URLs and outcomes only.

use serde::Serialize;
use sqlx::Row;

use super::Store;
use crate::error::Result;

/// How many entries are kept.
pub const KEEP: i64 = 200;

/// One remembered preview.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// Id.
    pub id: i64,
    /// When (Unix seconds).
    pub at: i64,
    /// Method.
    pub method: String,
    /// URL as typed.
    pub url: String,
    /// HTTP status, when a response came.
    pub status: Option<i64>,
    /// Error code, when none did.
    pub error: Option<String>,
    /// Duration (ms).
    pub total_ms: Option<f64>,
}

impl Store {
    /// Remembers a preview (and forgets the oldest beyond [`KEEP`]).
    pub async fn record_preview(
        &self,
        at: i64,
        method: &str,
        url: &str,
        status: Option<u16>,
        error: Option<&str>,
        total_ms: Option<f64>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO preview_history (at, method, url, status, error, total_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(at)
        .bind(method)
        .bind(url)
        .bind(status.map(i64::from))
        .bind(error)
        .bind(total_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM preview_history WHERE id NOT IN \
             (SELECT id FROM preview_history ORDER BY id DESC LIMIT $1)",
        )
        .bind(KEEP)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Recent previews, newest first.
    pub async fn preview_history(&self) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query("SELECT * FROM preview_history ORDER BY id DESC")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    method: r.try_get("method")?,
                    url: r.try_get("url")?,
                    status: r.try_get("status")?,
                    error: r.try_get("error")?,
                    total_ms: r.try_get("total_ms")?,
                })
            })
            .collect()
    }

    /// Forgets every preview.
    pub async fn clear_preview_history(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM preview_history")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
