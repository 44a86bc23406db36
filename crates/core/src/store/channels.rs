//! The `channel` and `link` tables (links beyond the license arrive with the broker).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::oauth::channel::{Channel, ChannelStatus, Handout};

const SELECT: &str = "SELECT c.*, p.name AS provider_name FROM channel c \
                      JOIN provider p ON p.id = c.provider_id";

fn from_row(row: &AnyRow) -> Result<Channel> {
    Ok(Channel {
        id: row.try_get("id")?,
        provider_id: row.try_get("provider_id")?,
        provider_name: row.try_get("provider_name")?,
        account_subject: row.try_get("account_subject")?,
        account_label: row.try_get("account_label")?,
        scopes: serde_json::from_str(row.try_get("scopes")?)
            .map_err(|_| Error::Storage("stored scopes are damaged".into()))?,
        status: ChannelStatus::parse(row.try_get("status")?)?,
        connected_at: row.try_get("connected_at")?,
        last_refreshed_at: row.try_get("last_refreshed_at")?,
        reauth_due_at: row.try_get("reauth_due_at")?,
        refresh_token_expires_at: row.try_get("refresh_token_expires_at")?,
        last_error: row.try_get("last_error")?,
        token_generation: row.try_get("token_generation")?,
        access_token_expires_at: row.try_get("access_token_expires_at")?,
        handout: Handout::parse(row.try_get("handout")?)?,
    })
}

/// What a completed authorization writes about a channel.
#[derive(Debug, Clone)]
pub struct ChannelTokens {
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// Access token expiry.
    pub access_token_expires_at: Option<i64>,
    /// Refresh token expiry.
    pub refresh_token_expires_at: Option<i64>,
    /// Re-authorize by.
    pub reauth_due_at: Option<i64>,
}

impl Store {
    /// Every channel, by provider and account.
    pub async fn channels(&self) -> Result<Vec<Channel>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} ORDER BY p.name, c.account_label, c.id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// One channel.
    pub async fn channel(&self, id: &str) -> Result<Channel> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::NotFound(format!("no channel with id {id:?}")))?;
        from_row(&row)
    }

    /// The channel of `provider_id` for `subject`, if connected.
    pub async fn channel_for_account(
        &self,
        tx: &mut WriteTx,
        provider_id: &str,
        subject: &str,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM channel WHERE provider_id = $1 AND account_subject = $2",
        )
        .bind(provider_id)
        .bind(subject)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// Inserts a new channel (generation 1) and links the license principal to it.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_channel(
        &self,
        tx: &mut WriteTx,
        id: &str,
        provider_id: &str,
        subject: &str,
        label: &str,
        tokens: &ChannelTokens,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO channel (id, provider_id, account_subject, account_label, scopes, \
             status, connected_at, last_refreshed_at, reauth_due_at, refresh_token_expires_at, \
             token_generation, access_token_expires_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9, 1, $10)",
        )
        .bind(id)
        .bind(provider_id)
        .bind(subject)
        .bind(label)
        .bind(serde_json::to_string(&tokens.scopes).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .bind(now)
        .bind(tokens.reauth_due_at)
        .bind(tokens.refresh_token_expires_at)
        .bind(tokens.access_token_expires_at)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO link (principal_id, channel_id, created_at) \
             VALUES ('license', $1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records fresh tokens from a re-authorization: active again, generation bumped.
    pub async fn reauthorize_channel(
        &self,
        tx: &mut WriteTx,
        id: &str,
        label: &str,
        tokens: &ChannelTokens,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE channel SET account_label = $1, scopes = $2, status = 'active', \
             last_refreshed_at = $3, reauth_due_at = $4, refresh_token_expires_at = $5, \
             last_error = NULL, token_generation = token_generation + 1, \
             access_token_expires_at = $6, refresh_lease_owner = NULL, \
             refresh_lease_until = NULL WHERE id = $7",
        )
        .bind(label)
        .bind(serde_json::to_string(&tokens.scopes).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .bind(tokens.reauth_due_at)
        .bind(tokens.refresh_token_expires_at)
        .bind(tokens.access_token_expires_at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Deletes a channel with its links and pending authorizations.
    pub async fn delete_channel(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM channel WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(Error::NotFound(format!("no channel with id {id:?}")));
        }
        self.commit_access_change(tx).await
    }

    /// Principals linked to a channel.
    pub async fn links_of_channel(&self, id: &str) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT principal_id FROM link WHERE channel_id = $1 ORDER BY 1")
                .bind(id)
                .fetch_all(self.pool())
                .await?,
        )
    }
}
