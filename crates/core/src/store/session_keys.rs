//! The `session_keys` row: which gateway session key is current and which is previous
//! (ids only; the keys are in the secret store, see [`crate::broker::sessions`]). Created
//! insert-if-absent, so gateways starting at once on one database agree on one key;
//! rotated under the writer lock as an access change, so every gateway reloads it.

use sqlx::Row;

use super::Store;
use crate::error::Result;

/// The ids of the session keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeyIds {
    /// Signs new tokens; opens them.
    pub current: String,
    /// Opens tokens signed before the last rotation.
    pub previous: Option<String>,
}

impl Store {
    /// The session key ids, if any key was made.
    pub async fn session_key_ids(&self) -> Result<Option<SessionKeyIds>> {
        let row = sqlx::query("SELECT current_id, previous_id FROM session_keys WHERE slot = 1")
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(SessionKeyIds {
                current: r.try_get("current_id")?,
                previous: r.try_get("previous_id")?,
            })
        })
        .transpose()
    }

    /// Makes `id` the current key unless a key exists already; the ids in force after.
    pub async fn insert_session_key_if_absent(&self, id: &str, now: i64) -> Result<SessionKeyIds> {
        sqlx::query(
            "INSERT INTO session_keys (slot, current_id, previous_id, rotated_at) \
             VALUES (1, $1, NULL, $2) ON CONFLICT (slot) DO NOTHING",
        )
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?;
        let ids = self.session_key_ids().await?;
        Ok(ids.unwrap_or_else(|| unreachable!("the row was just inserted or existed")))
    }

    /// Makes `id` current and the current one previous (an access change: every gateway
    /// reloads its keys). The ids before and after.
    pub async fn rotate_session_key(
        &self,
        id: &str,
        now: i64,
    ) -> Result<(Option<SessionKeyIds>, SessionKeyIds)> {
        let mut tx = self.begin_write().await?;
        let before: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT current_id, previous_id FROM session_keys WHERE slot = 1")
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO session_keys (slot, current_id, previous_id, rotated_at) \
             VALUES (1, $1, NULL, $2) ON CONFLICT (slot) DO UPDATE SET \
             previous_id = session_keys.current_id, current_id = excluded.current_id, \
             rotated_at = excluded.rotated_at",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_access_change(tx).await?;
        let before = before.map(|(current, previous)| SessionKeyIds { current, previous });
        let after = SessionKeyIds {
            current: id.to_string(),
            previous: before.as_ref().map(|b| b.current.clone()),
        };
        Ok((before, after))
    }
}
