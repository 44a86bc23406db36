//! A channel's token bookkeeping in the `channel` row: the refresh-token generation, the
//! cached access token's expiry, and the cross-process refresh lease. The tokens
//! themselves are in the secret store; writes that touch both happen inside one
//! `BEGIN IMMEDIATE` transaction so processes take turns.

use sqlx::Row;

use super::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::oauth::channel::ChannelStatus;

/// What the row says about a channel's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenState {
    /// Channel status.
    pub status: ChannelStatus,
    /// Provider id.
    pub provider_id: String,
    /// Refresh-token generation.
    pub generation: i64,
    /// When the stored access token expires.
    pub access_expires_at: Option<i64>,
    /// When it was received.
    pub received_at: Option<i64>,
    /// Who holds the refresh lease.
    pub lease_owner: Option<String>,
    /// Until when.
    pub lease_until: Option<i64>,
}

/// The outcome of asking for the refresh lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// We hold it now.
    Taken(TokenState),
    /// Someone else does.
    Held(TokenState),
}

/// Whose refresh a write records: the channel, and the lease holder and generation the
/// refresh started from. A write under a fence that moved changes nothing.
#[derive(Debug, Clone, Copy)]
pub struct Fence<'a> {
    /// The channel.
    pub channel_id: &'a str,
    /// The lease holder (this process's broker owner).
    pub owner: &'a str,
    /// The refresh-token generation the refresh started from.
    pub generation: i64,
}

/// What a refresh wrote, for [`Store::record_refresh`]. Every form releases the lease and
/// marks the channel active but [`RefreshRecord::Unsaved`], which keeps the lease.
#[derive(Debug, Clone, Copy)]
pub enum RefreshRecord<'a> {
    /// The channel's own access token: its expiry and the refresh time; the generation
    /// bumped when the refresh token rotated (and was saved).
    Own {
        /// The refresh token rotated.
        rotated: bool,
        /// When the new access token expires.
        access_expires_at: Option<i64>,
        /// When the refresh token expires, when the provider says.
        refresh_expires_at: Option<i64>,
        /// The refresh time.
        now: i64,
    },
    /// A token for another resource (its expiry lives with the token in the secret
    /// store): the channel's own access token untouched.
    Resource {
        /// The refresh token rotated.
        rotated: bool,
        /// When the refresh token expires, when the provider says.
        refresh_expires_at: Option<i64>,
    },
    /// The rotated refresh token could not be saved: the new access token's expiry and
    /// `warning`, the generation unchanged and the lease kept (the holder retries the
    /// write; see [`crate::broker::rotation`]).
    Unsaved {
        /// When the new access token expires.
        access_expires_at: Option<i64>,
        /// The refresh time.
        now: i64,
        /// The channel's warning.
        warning: &'a str,
    },
}

const SELECT_STATE: &str = "SELECT status, provider_id, token_generation, \
    access_token_expires_at, last_refreshed_at, refresh_lease_owner, refresh_lease_until \
    FROM channel WHERE id = $1";

impl Store {
    /// Reads a channel's token state.
    pub async fn token_state(&self, channel_id: &str) -> Result<TokenState> {
        let row = sqlx::query(SELECT_STATE)
            .bind(channel_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::Revoked(format!("channel {channel_id} is disconnected")))?;
        state(&row)
    }

    /// Takes the refresh lease unless a live owner holds it. `alive` decides whether a
    /// holder whose lease has not run out is still running. On PostgreSQL the lease is
    /// timed by the database's clock, not `now`: processes on several machines then agree
    /// on when it runs out whatever their own clocks say.
    pub async fn take_lease(
        &self,
        channel_id: &str,
        owner: &str,
        now: i64,
        ttl: i64,
        alive: impl Fn(&str) -> bool,
    ) -> Result<Lease> {
        let mut tx = self.begin_write().await?;
        let now = self.lease_clock(&mut tx, now).await?;
        let row = sqlx::query(SELECT_STATE)
            .bind(channel_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::Revoked(format!("channel {channel_id} is disconnected")))?;
        let st = state(&row)?;
        let held = match (&st.lease_owner, st.lease_until) {
            (Some(o), Some(until)) if o != owner && until > now => alive(o),
            _ => false,
        };
        if held {
            return Ok(Lease::Held(st));
        }
        sqlx::query(
            "UPDATE channel SET refresh_lease_owner = $1, refresh_lease_until = $2 WHERE id = $3",
        )
        .bind(owner)
        .bind(now + ttl)
        .bind(channel_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Lease::Taken(st))
    }

    /// Reads the token state inside a write transaction.
    pub async fn token_state_in(&self, tx: &mut WriteTx, channel_id: &str) -> Result<TokenState> {
        let row = sqlx::query(SELECT_STATE)
            .bind(channel_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::Revoked(format!("channel {channel_id} is disconnected")))?;
        state(&row)
    }

    /// Records a refresh made under `fence` (this process's lease from a generation), as
    /// `what` says (see [`RefreshRecord`]). Fenced: when the row no longer names the owner
    /// as the lease holder or has another generation (a peer took the lease over, a
    /// re-authorization wrote newer tokens), nothing is written and `false` comes back.
    pub async fn record_refresh(
        &self,
        tx: &mut WriteTx,
        fence: Fence<'_>,
        what: RefreshRecord<'_>,
    ) -> Result<bool> {
        let query = match what {
            RefreshRecord::Own {
                rotated,
                access_expires_at,
                refresh_expires_at,
                now,
            } => sqlx::query(
                "UPDATE channel SET token_generation = token_generation + $1, \
                 access_token_expires_at = $2, last_refreshed_at = $3, \
                 refresh_token_expires_at = COALESCE($4, refresh_token_expires_at), \
                 status = 'active', last_error = NULL, refresh_lease_owner = NULL, \
                 refresh_lease_until = NULL \
                 WHERE id = $5 AND refresh_lease_owner = $6 AND token_generation = $7",
            )
            .bind(i64::from(rotated))
            .bind(access_expires_at)
            .bind(now)
            .bind(refresh_expires_at),
            RefreshRecord::Resource {
                rotated,
                refresh_expires_at,
            } => sqlx::query(
                "UPDATE channel SET token_generation = token_generation + $1, \
                 refresh_token_expires_at = COALESCE($2, refresh_token_expires_at), \
                 status = 'active', last_error = NULL, refresh_lease_owner = NULL, \
                 refresh_lease_until = NULL \
                 WHERE id = $3 AND refresh_lease_owner = $4 AND token_generation = $5",
            )
            .bind(i64::from(rotated))
            .bind(refresh_expires_at),
            RefreshRecord::Unsaved {
                access_expires_at,
                now,
                warning,
            } => sqlx::query(
                "UPDATE channel SET access_token_expires_at = $1, last_refreshed_at = $2, \
                 status = 'active', last_error = $3 \
                 WHERE id = $4 AND refresh_lease_owner = $5 AND token_generation = $6",
            )
            .bind(access_expires_at)
            .bind(now)
            .bind(warning),
        };
        // Parameters are numbered in the order they appear (SQLite names `$N`, it does not
        // number them): the fence's three come last in every form.
        let done = query
            .bind(fence.channel_id)
            .bind(fence.owner)
            .bind(fence.generation)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(done == 1)
    }

    /// Records that a rotated refresh token held in memory reached the secret store:
    /// generation bumped, warning cleared, lease released. Fenced like
    /// [`Store::record_refresh`].
    pub async fn record_saved_rotation(
        &self,
        channel_id: &str,
        owner: &str,
        generation: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE channel SET token_generation = token_generation + 1, last_error = NULL, \
             refresh_lease_owner = NULL, refresh_lease_until = NULL \
             WHERE id = $1 AND refresh_lease_owner = $2 AND token_generation = $3",
        )
        .bind(channel_id)
        .bind(owner)
        .bind(generation)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Extends `owner`'s lease to `ttl` seconds from now; `false` when it is no longer
    /// theirs. Timed like [`Store::take_lease`].
    pub async fn renew_lease(
        &self,
        channel_id: &str,
        owner: &str,
        now: i64,
        ttl: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let now = self.lease_clock(&mut tx, now).await?;
        let done = sqlx::query(
            "UPDATE channel SET refresh_lease_until = $1 \
             WHERE id = $2 AND refresh_lease_owner = $3",
        )
        .bind(now + ttl)
        .bind(channel_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// The time leases are measured by: `now` on SQLite, the database's clock on
    /// PostgreSQL.
    async fn lease_clock(&self, tx: &mut WriteTx, now: i64) -> Result<i64> {
        Ok(match self.backend() {
            super::Backend::Sqlite => now,
            super::Backend::Postgres => {
                sqlx::query_scalar("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)")
                    .fetch_one(&mut **tx)
                    .await?
            }
        })
    }

    /// Releases the lease after a failed refresh, keeping the status, noting the error.
    pub async fn release_lease(
        &self,
        channel_id: &str,
        owner: &str,
        error: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE channel SET refresh_lease_owner = NULL, refresh_lease_until = NULL, \
             last_error = $1 WHERE id = $2 AND refresh_lease_owner = $3",
        )
        .bind(error)
        .bind(channel_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a channel as needing re-authorization (the provider refused its refresh
    /// token) and drops its cached access token expiry.
    pub async fn mark_needs_reauth(
        &self,
        tx: &mut WriteTx,
        channel_id: &str,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE channel SET status = 'needs_reauth', last_error = $1, \
             access_token_expires_at = NULL, refresh_lease_owner = NULL, \
             refresh_lease_until = NULL WHERE id = $2",
        )
        .bind(error)
        .bind(channel_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

fn state(row: &sqlx::any::AnyRow) -> Result<TokenState> {
    Ok(TokenState {
        status: ChannelStatus::parse(row.try_get("status")?)?,
        provider_id: row.try_get("provider_id")?,
        generation: row.try_get("token_generation")?,
        access_expires_at: row.try_get("access_token_expires_at")?,
        received_at: row.try_get("last_refreshed_at")?,
        lease_owner: row.try_get("refresh_lease_owner")?,
        lease_until: row.try_get("refresh_lease_until")?,
    })
}
