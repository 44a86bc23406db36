//! The `pending_revocation` table: revocations to ask the provider for again (see
//! [`crate::oauth::revocations`]). No token here; it waits in the secret store.

use sqlx::Row;

use super::Store;
use crate::error::Result;

/// A revocation to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRevocation {
    /// The disconnected channel whose refresh token it is.
    pub channel_id: String,
    /// Its provider.
    pub provider_id: String,
    /// When the channel was disconnected.
    pub created_at: i64,
    /// When to ask next.
    pub next_at: i64,
    /// Retries so far.
    pub attempts: i64,
}

impl Store {
    /// Remembers a revocation to retry at `next_at`.
    pub async fn insert_pending_revocation(&self, p: &PendingRevocation) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pending_revocation (channel_id, provider_id, created_at, next_at, \
             attempts) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id) DO UPDATE SET \
             next_at = excluded.next_at, attempts = excluded.attempts",
        )
        .bind(&p.channel_id)
        .bind(&p.provider_id)
        .bind(p.created_at)
        .bind(p.next_at)
        .bind(p.attempts)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revocations due at `now`, and (with `i64::MAX`) every one.
    pub async fn due_revocations(&self, now: i64) -> Result<Vec<PendingRevocation>> {
        let rows = sqlx::query(
            "SELECT channel_id, provider_id, created_at, next_at, attempts \
             FROM pending_revocation WHERE next_at <= $1 ORDER BY next_at",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PendingRevocation {
                    channel_id: r.try_get("channel_id")?,
                    provider_id: r.try_get("provider_id")?,
                    created_at: r.try_get("created_at")?,
                    next_at: r.try_get("next_at")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Forgets a revocation (done, refused for good, or given up).
    pub async fn delete_pending_revocation(&self, channel_id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM pending_revocation WHERE channel_id = $1")
            .bind(channel_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
