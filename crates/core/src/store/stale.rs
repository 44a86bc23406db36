//! "Keep showing for" limits of channels and URL tokens (seconds, a day by default, 0 for
//! never): how long after it was fetched the gateway may still serve the last good answer
//! fetched with them when a fresh one cannot be had (DESIGN §13). A cache key's limit is
//! the smallest of its credentials'.

use std::collections::HashMap;

use sqlx::Row;

use super::refetch::RefetchOf;
use super::Store;
use crate::error::{Error, Result};

/// The default limit: a day.
pub const DEFAULT_KEEP_STALE_SECS: u64 = 86_400;

/// The longest limit: 30 days.
pub const MAX_KEEP_STALE_SECS: u64 = 30 * 86_400;

fn update(of: RefetchOf) -> &'static str {
    match of {
        RefetchOf::Channel => "UPDATE channel SET keep_stale_secs = $1 WHERE id = $2",
        RefetchOf::UrlToken => "UPDATE url_token SET keep_stale_secs = $1 WHERE id = $2",
    }
}

fn select(of: RefetchOf) -> &'static str {
    match of {
        RefetchOf::Channel => "SELECT keep_stale_secs FROM channel WHERE id = $1",
        RefetchOf::UrlToken => "SELECT keep_stale_secs FROM url_token WHERE id = $1",
    }
}

fn select_all(of: RefetchOf) -> &'static str {
    match of {
        RefetchOf::Channel => "SELECT id, keep_stale_secs FROM channel WHERE keep_stale_secs <> $1",
        RefetchOf::UrlToken => {
            "SELECT id, keep_stale_secs FROM url_token WHERE keep_stale_secs <> $1"
        }
    }
}

/// Refuses a limit out of range.
pub fn check_keep_stale(secs: u64) -> Result<()> {
    if secs > MAX_KEEP_STALE_SECS {
        return Err(Error::InvalidInput {
            field: Some(crate::error::InputField::KeepStaleFor),
            message: format!(
                "the keep-showing limit is at most {MAX_KEEP_STALE_SECS} seconds (30 days)"
            ),
        });
    }
    Ok(())
}

impl Store {
    /// Sets how long a stale answer fetched with a channel or URL token may be served.
    pub async fn set_keep_stale(&self, of: RefetchOf, id: &str, secs: u64) -> Result<()> {
        check_keep_stale(secs)?;
        self.set_per_credential(update(of), of, id, secs).await
    }

    /// The limit of one channel or URL token.
    pub async fn keep_stale(&self, of: RefetchOf, id: &str) -> Result<u64> {
        self.per_credential(select(of), of, id).await
    }

    /// Every limit other than the default, keyed `channel:<id>` and `url_token:<id>`.
    pub async fn keep_stale_all(&self) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        for of in [RefetchOf::Channel, RefetchOf::UrlToken] {
            for row in sqlx::query(select_all(of))
                .bind(DEFAULT_KEEP_STALE_SECS as i64)
                .fetch_all(self.pool())
                .await?
            {
                let id: String = row.try_get("id")?;
                let secs: i64 = row.try_get("keep_stale_secs")?;
                out.insert(format!("{}:{id}", of.table()), secs.max(0) as u64);
            }
        }
        Ok(out)
    }
}
