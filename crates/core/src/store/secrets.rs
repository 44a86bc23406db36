//! The `secret` table: sealed secrets of the shared database secret store
//! ([`crate::secrets::shared`]). Only ciphertext and nonces are stored here; the key is
//! never in the database.
//!
//! These writes are the one exception to the writer lock: each is a single-statement
//! upsert or delete, atomic on its own, and callers write secrets while they hold the
//! lock (a refresh saves the rotated token before it commits the new generation).

use sqlx::Row;

use super::Store;
use crate::error::Result;

impl Store {
    /// The nonce and sealed bytes stored under `name`.
    pub async fn sealed_secret(&self, name: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let row = sqlx::query("SELECT nonce, sealed FROM secret WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((r.try_get("nonce")?, r.try_get("sealed")?)))
            .transpose()
    }

    /// Stores (or replaces) a sealed secret.
    pub async fn put_sealed_secret(
        &self,
        name: &str,
        nonce: &[u8],
        sealed: &[u8],
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO secret (name, nonce, sealed, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, \
             sealed = excluded.sealed, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(nonce)
        .bind(sealed)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The names of every sealed secret.
    pub async fn sealed_secret_names(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM secret ORDER BY name")
            .fetch_all(self.pool())
            .await?)
    }

    /// Replaces a sealed secret only if it still holds `old` (a reseal never overwrites
    /// a value a gateway wrote meanwhile). Whether it was replaced.
    pub async fn replace_sealed_secret(
        &self,
        name: &str,
        old: &[u8],
        nonce: &[u8],
        sealed: &[u8],
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE secret SET nonce = $1, sealed = $2, updated_at = $3 \
             WHERE name = $4 AND sealed = $5",
        )
        .bind(nonce)
        .bind(sealed)
        .bind(now)
        .bind(name)
        .bind(old)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Deletes a sealed secret (a missing one is not an error).
    pub async fn delete_sealed_secret(&self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM secret WHERE name = $1")
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
