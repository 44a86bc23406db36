//! The `pending_authorization` table: authorizations started and not yet finished.
//! Single use: [`Store::consume_pending`] marks a row used in the same write transaction
//! that finds it, so a replayed callback finds nothing.

use sqlx::Row;

use super::Store;
use crate::error::{Error, Result};

/// A pending authorization (the PKCE verifier is in the secret store).
#[derive(Debug, Clone)]
pub struct Pending {
    /// Id (names the verifier in the secret store).
    pub id: String,
    /// Provider.
    pub provider_id: String,
    /// The channel being re-authorized, if any.
    pub channel_id: Option<String>,
    /// OpenID nonce.
    pub nonce: Option<String>,
    /// The redirect URI sent to the provider.
    pub redirect_uri: String,
    /// When it expires.
    pub expires_at: i64,
}

/// Why a callback's state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateProblem {
    /// No pending authorization has this state.
    Unknown,
    /// It was already used.
    Used,
    /// It expired.
    Expired,
}

impl Store {
    /// Records a new pending authorization.
    pub async fn insert_pending(&self, p: &Pending, state_hash: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pending_authorization (id, state_hash, provider_id, channel_id, nonce, \
             redirect_uri, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.id)
        .bind(state_hash)
        .bind(&p.provider_id)
        .bind(&p.channel_id)
        .bind(&p.nonce)
        .bind(&p.redirect_uri)
        .bind(now)
        .bind(p.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finds the pending authorization with `state_hash` and marks it used, atomically.
    pub async fn consume_pending(
        &self,
        state_hash: &str,
        now: i64,
    ) -> Result<std::result::Result<Pending, StateProblem>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT * FROM pending_authorization WHERE state_hash = $1")
            .bind(state_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(Err(StateProblem::Unknown));
        };
        let consumed: Option<i64> = row.try_get("consumed_at")?;
        if consumed.is_some() {
            return Ok(Err(StateProblem::Used));
        }
        let expires_at: i64 = row.try_get("expires_at")?;
        sqlx::query("UPDATE pending_authorization SET consumed_at = $1 WHERE state_hash = $2")
            .bind(now)
            .bind(state_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if now >= expires_at {
            return Ok(Err(StateProblem::Expired));
        }
        Ok(Ok(Pending {
            id: row.try_get("id")?,
            provider_id: row.try_get("provider_id")?,
            channel_id: row.try_get("channel_id")?,
            nonce: row.try_get("nonce")?,
            redirect_uri: row.try_get("redirect_uri")?,
            expires_at,
        }))
    }

    /// Pending authorizations that expired before `before` (consumed or abandoned).
    pub async fn stale_pending(&self, before: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM pending_authorization WHERE expires_at < $1")
            .bind(before)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| r.try_get("id").map_err(Into::into))
            .collect()
    }

    /// Deletes pending authorizations by id.
    pub async fn delete_pending(&self, ids: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for id in ids {
            sqlx::query("DELETE FROM pending_authorization WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Withdraws a pending authorization (the user cancelled).
    pub async fn cancel_pending(&self, id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE pending_authorization SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        if n == 0 {
            return Err(Error::NotFound("no such authorization in progress".into()));
        }
        Ok(())
    }
}
