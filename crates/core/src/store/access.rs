//! What a principal may fetch with: URL token links (`token_link`, the counterpart of the
//! channel `link` table), a channel's hand-out mode, and a player's session generation
//! (bumped when its sessions must end). Every change bumps the access epoch.

use serde::Serialize;
use sqlx::Row;

use super::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::oauth::channel::Handout;
use crate::store::audit::AuditEvent;

/// A link between a principal and a URL token.
#[derive(Debug, Clone, Serialize)]
pub struct TokenLink {
    /// The principal.
    pub principal_id: String,
    /// The token.
    pub token_id: String,
    /// When linked.
    pub created_at: i64,
}

/// Every link of every principal, as the request snapshot keeps them.
#[derive(Debug, Default, Clone)]
pub struct AllLinks {
    /// (principal, channel).
    pub channels: Vec<(String, String)>,
    /// (principal, token).
    pub tokens: Vec<(String, String)>,
}

/// Ends a player's gateway sessions (inside the caller's transaction).
pub(crate) async fn end_sessions(tx: &mut WriteTx, principal_id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE principal SET session_generation = session_generation + 1 \
         WHERE id = $1 AND kind = 'player'",
    )
    .bind(principal_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Links a principal to a URL token (linking twice is not an error).
    pub async fn insert_token_link(
        &self,
        principal_id: &str,
        token_id: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let known: super::Flag =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM principal WHERE id = $1)")
                .bind(principal_id)
                .fetch_one(&mut *tx)
                .await?;
        if !known.0 {
            return Err(Error::UnknownPrincipal(format!(
                "no player or license with id {principal_id:?}"
            )));
        }
        let token: super::Flag =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM url_token WHERE id = $1)")
                .bind(token_id)
                .fetch_one(&mut *tx)
                .await?;
        if !token.0 {
            return Err(Error::NotFound(format!(
                "no URL token with id {token_id:?}"
            )));
        }
        sqlx::query(
            "INSERT INTO token_link (principal_id, token_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(principal_id)
        .bind(token_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.audit(
            &mut tx,
            now,
            &link_event(
                principal_id,
                token_id,
                crate::store::audit::AuditAction::Link,
            ),
        )
        .await?;
        self.commit_access_change(tx).await
    }

    /// Unlinks a principal from a URL token; a player's gateway sessions end with it.
    pub async fn delete_token_link(
        &self,
        principal_id: &str,
        token_id: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM token_link WHERE principal_id = $1 AND token_id = $2")
            .bind(principal_id)
            .bind(token_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!(
                "{principal_id} is not linked to URL token {token_id}"
            )));
        }
        end_sessions(&mut tx, principal_id).await?;
        self.audit(
            &mut tx,
            now,
            &link_event(
                principal_id,
                token_id,
                crate::store::audit::AuditAction::Unlink,
            ),
        )
        .await?;
        self.commit_access_change(tx).await
    }

    /// Every URL token link.
    pub async fn token_links(&self) -> Result<Vec<TokenLink>> {
        let rows = sqlx::query(
            "SELECT principal_id, token_id, created_at FROM token_link \
             ORDER BY principal_id, token_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenLink {
                    principal_id: r.try_get("principal_id")?,
                    token_id: r.try_get("token_id")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Every channel and token link, in two reads (for the request snapshot).
    pub async fn all_links(&self) -> Result<AllLinks> {
        let channels = sqlx::query("SELECT principal_id, channel_id FROM link")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("principal_id")?, r.try_get("channel_id")?)))
            .collect::<Result<Vec<_>>>()?;
        let tokens = sqlx::query("SELECT principal_id, token_id FROM token_link")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("principal_id")?, r.try_get("token_id")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(AllLinks { channels, tokens })
    }

    /// Sets a channel's hand-out mode.
    pub async fn set_handout(&self, channel_id: &str, handout: Handout) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE channel SET handout = $1 WHERE id = $2")
            .bind(handout.as_str())
            .bind(channel_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!(
                "no channel with id {channel_id:?}"
            )));
        }
        self.commit_access_change(tx).await
    }

    /// The session generation of an active player (`None`: no such active player).
    pub async fn session_generation(&self, player_id: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT session_generation FROM principal \
             WHERE id = $1 AND kind = 'player' AND active = TRUE",
        )
        .bind(player_id)
        .fetch_optional(self.pool())
        .await?)
    }
}

fn link_event<'a>(
    principal_id: &'a str,
    token_id: &'a str,
    action: crate::store::audit::AuditAction,
) -> AuditEvent<'a> {
    AuditEvent {
        principal_id: Some(principal_id),
        action,
        subject_kind: crate::store::audit::AuditSubject::UrlToken,
        subject_id: token_id,
        outcome: crate::store::audit::AuditOutcome::Ok,
        detail: None,
    }
}
