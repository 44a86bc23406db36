//! The `setting` table: small JSON values keyed by name (the install id, thresholds, …).

use serde::{de::DeserializeOwned, Serialize};

use super::Store;
use crate::error::{Error, Result};

impl Store {
    /// Reads a setting, `None` when it was never written.
    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let raw: Option<String> = sqlx::query_scalar("SELECT value FROM setting WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        raw.map(|raw| {
            serde_json::from_str(&raw)
                .map_err(|e| Error::Storage(format!("setting {key} is not valid: {e}")))
        })
        .transpose()
    }

    /// Writes a setting.
    pub async fn set_setting<T: Serialize>(&self, key: &str, value: &T, now: i64) -> Result<()> {
        let raw = serde_json::to_string(value)
            .map_err(|e| Error::Internal(format!("setting {key} cannot be encoded: {e}")))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO setting (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(raw)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets a setting (nothing happens when it was never written).
    pub async fn delete_setting(&self, key: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM setting WHERE key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads a setting, or writes `make()` if it is missing — atomically, so that two
    /// processes racing on a new data directory agree on one value.
    pub async fn setting_or_init<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
        make: impl FnOnce() -> T,
        now: i64,
    ) -> Result<T> {
        if let Some(value) = self.setting(key).await? {
            return Ok(value);
        }
        let raw = serde_json::to_string(&make())
            .map_err(|e| Error::Internal(format!("setting {key} cannot be encoded: {e}")))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO setting (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(raw)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.setting(key)
            .await?
            .ok_or_else(|| Error::Internal(format!("setting {key} vanished after writing")))
    }
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn round_trips_and_inits_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::testing::temp_store(dir.path())
            .await
            .expect("open");
        assert_eq!(store.setting::<u32>("n").await.expect("get"), None);
        store.set_setting("n", &7u32, 1).await.expect("set");
        assert_eq!(store.setting::<u32>("n").await.expect("get"), Some(7));
        let first = store
            .setting_or_init("id", || "a".to_string(), 1)
            .await
            .expect("init");
        let second = store
            .setting_or_init("id", || "b".to_string(), 2)
            .await
            .expect("init");
        assert_eq!((first.as_str(), second.as_str()), ("a", "a"));
    }
}
