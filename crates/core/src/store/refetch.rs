//! Minimum refetch intervals of channels and URL tokens (seconds, 0 by default): how long
//! the gateway's shared cache keeps serving a response fetched with them when the
//! upstream sends no caching headers.

use std::collections::HashMap;

use sqlx::Row;

use super::Store;
use crate::error::{Error, Result};

/// The longest minimum refetch interval: a day.
pub const MAX_MIN_REFETCH_SECS: u64 = 86_400;

/// What a minimum refetch interval is set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefetchOf {
    /// A channel.
    Channel,
    /// A URL token.
    UrlToken,
}

impl RefetchOf {
    fn update(self) -> &'static str {
        match self {
            RefetchOf::Channel => "UPDATE channel SET min_refetch_secs = $1 WHERE id = $2",
            RefetchOf::UrlToken => "UPDATE url_token SET min_refetch_secs = $1 WHERE id = $2",
        }
    }

    fn select(self) -> &'static str {
        match self {
            RefetchOf::Channel => "SELECT min_refetch_secs FROM channel WHERE id = $1",
            RefetchOf::UrlToken => "SELECT min_refetch_secs FROM url_token WHERE id = $1",
        }
    }

    fn select_all(self) -> &'static str {
        match self {
            RefetchOf::Channel => {
                "SELECT id, min_refetch_secs FROM channel WHERE min_refetch_secs > 0"
            }
            RefetchOf::UrlToken => {
                "SELECT id, min_refetch_secs FROM url_token WHERE min_refetch_secs > 0"
            }
        }
    }

    /// What messages call it.
    pub(super) fn noun(self) -> &'static str {
        match self {
            RefetchOf::Channel => "channel",
            RefetchOf::UrlToken => "URL token",
        }
    }

    /// Its table, also the prefix the fetch engine reports attached credentials by.
    pub(super) fn table(self) -> &'static str {
        match self {
            RefetchOf::Channel => "channel",
            RefetchOf::UrlToken => "url_token",
        }
    }
}

impl Store {
    /// Sets the minimum refetch interval of a channel or URL token.
    pub async fn set_min_refetch(&self, of: RefetchOf, id: &str, secs: u64) -> Result<()> {
        if secs > MAX_MIN_REFETCH_SECS {
            return Err(Error::invalid(format!(
                "the minimum refetch interval is at most {MAX_MIN_REFETCH_SECS} seconds (a day)"
            )));
        }
        self.set_per_credential(of.update(), of, id, secs).await
    }

    /// The minimum refetch interval of one channel or URL token.
    pub async fn min_refetch(&self, of: RefetchOf, id: &str) -> Result<u64> {
        self.per_credential(of.select(), of, id).await
    }

    /// Writes one per-credential setting (`sql` binds the seconds, then the id) as an
    /// access change; an unknown id is `not_found` and changes nothing.
    pub(super) async fn set_per_credential(
        &self,
        sql: &'static str,
        of: RefetchOf,
        id: &str,
        secs: u64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(sql)
            .bind(secs as i64)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("no {} with id {id:?}", of.noun())));
        }
        self.commit_access_change(tx).await
    }

    /// Reads one per-credential setting (`sql` selects the seconds by id).
    pub(super) async fn per_credential(
        &self,
        sql: &'static str,
        of: RefetchOf,
        id: &str,
    ) -> Result<u64> {
        let secs: Option<i64> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        secs.map(|s| s.max(0) as u64)
            .ok_or_else(|| Error::NotFound(format!("no {} with id {id:?}", of.noun())))
    }

    /// Every non-zero minimum refetch interval, keyed `channel:<id>` and `url_token:<id>`
    /// (the names the fetch engine reports attached credentials by).
    pub async fn min_refetch_all(&self) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        for of in [RefetchOf::Channel, RefetchOf::UrlToken] {
            for row in sqlx::query(of.select_all()).fetch_all(self.pool()).await? {
                let id: String = row.try_get("id")?;
                let secs: i64 = row.try_get("min_refetch_secs")?;
                out.insert(format!("{}:{id}", of.table()), secs.max(0) as u64);
            }
        }
        Ok(out)
    }
}
