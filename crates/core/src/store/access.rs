//! What a principal may fetch with: URL token links (`token_link`, the counterpart of the
//! channel `link` table), a channel's hand-out mode, and a player's session generation
//! (bumped when its sessions must end). Every change bumps the access epoch.

use serde::Serialize;
use sqlx::Row;

use super::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::oauth::channel::Handout;
use crate::store::audit::{AuditAction, AuditEvent, AuditOutcome, AuditSubject};

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
    pub async fn insert_token_link(&self, principal_id: &str, token: &str, now: i64) -> Result<()> {
        self.link(Linked::Token.ends(principal_id, token), now)
            .await
    }

    /// Unlinks a principal from a URL token; a player's gateway sessions end with it.
    pub async fn delete_token_link(&self, principal_id: &str, token: &str, now: i64) -> Result<()> {
        self.unlink(Linked::Token.ends(principal_id, token), now)
            .await
    }

    /// Links the principal to the target (a channel or a URL token): both must exist;
    /// linking twice is not an error. Audited; bumps the access epoch.
    pub(super) async fn link(&self, ends: LinkEnds<'_>, now: i64) -> Result<()> {
        let (principal_id, target_id) = (ends.principal_id, ends.target_id);
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
        let target: super::Flag = sqlx::query_scalar(ends.kind.table().exists)
            .bind(target_id)
            .fetch_one(&mut *tx)
            .await?;
        if !target.0 {
            return Err(Error::NotFound(format!(
                "no {} with id {target_id:?}",
                ends.kind.table().what
            )));
        }
        sqlx::query(ends.kind.table().insert)
            .bind(principal_id)
            .bind(target_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.audit(&mut tx, now, &ends.event(AuditAction::Link))
            .await?;
        self.commit_access_change(tx).await
    }

    /// Removes the principal's link to the target; a player's gateway sessions end with it
    /// (its next request must authenticate again and finds the link gone).
    pub(super) async fn unlink(&self, ends: LinkEnds<'_>, now: i64) -> Result<()> {
        let (principal_id, target_id) = (ends.principal_id, ends.target_id);
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(ends.kind.table().delete)
            .bind(principal_id)
            .bind(target_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!(
                "{principal_id} is not linked to {} {target_id}",
                ends.kind.table().what
            )));
        }
        end_sessions(&mut tx, principal_id).await?;
        self.audit(&mut tx, now, &ends.event(AuditAction::Unlink))
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

    /// Every active player's session generation, by id (one read; the gateway's disk
    /// cache compares them to tell an access cut: an unlink, a rotation, a removal).
    pub async fn session_generations(&self) -> Result<std::collections::HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id, session_generation FROM principal \
             WHERE kind = 'player' AND active = TRUE",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
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

/// What a principal is linked to: the `link` table (channels) or `token_link` (URL tokens).
#[derive(Debug, Clone, Copy)]
pub(super) enum Linked {
    /// A channel (`link`).
    Channel,
    /// A URL token (`token_link`).
    Token,
}

/// The statements and names of one kind of link, one table per [`Linked`] variant.
struct LinkTable {
    /// Whether the target exists (`$1` its id).
    exists: &'static str,
    /// Adds the link (`$1` principal, `$2` target, `$3` now); nothing if it exists.
    insert: &'static str,
    /// Removes the link (`$1` principal, `$2` target).
    delete: &'static str,
    /// The target's name in messages.
    what: &'static str,
    /// The target's kind in the audit log.
    subject: AuditSubject,
}

const CHANNEL_LINKS: LinkTable = LinkTable {
    exists: "SELECT EXISTS (SELECT 1 FROM channel WHERE id = $1)",
    insert: "INSERT INTO link (principal_id, channel_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
    delete: "DELETE FROM link WHERE principal_id = $1 AND channel_id = $2",
    what: "channel",
    subject: AuditSubject::Channel,
};

const TOKEN_LINKS: LinkTable = LinkTable {
    exists: "SELECT EXISTS (SELECT 1 FROM url_token WHERE id = $1)",
    insert: "INSERT INTO token_link (principal_id, token_id, created_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    delete: "DELETE FROM token_link WHERE principal_id = $1 AND token_id = $2",
    what: "URL token",
    subject: AuditSubject::UrlToken,
};

impl Linked {
    /// This kind's statements and names.
    fn table(self) -> &'static LinkTable {
        match self {
            Linked::Channel => &CHANNEL_LINKS,
            Linked::Token => &TOKEN_LINKS,
        }
    }

    /// A link of this kind between `principal_id` and `target_id`.
    pub(super) fn ends<'a>(self, principal_id: &'a str, target_id: &'a str) -> LinkEnds<'a> {
        LinkEnds {
            kind: self,
            principal_id,
            target_id,
        }
    }
}

/// One link's kind and two ends, as [`Store::link`] and [`Store::unlink`] take them.
#[derive(Debug, Clone, Copy)]
pub(super) struct LinkEnds<'a> {
    kind: Linked,
    principal_id: &'a str,
    target_id: &'a str,
}

impl<'a> LinkEnds<'a> {
    /// The audit event recording `action` on this link.
    fn event(self, action: AuditAction) -> AuditEvent<'a> {
        AuditEvent {
            principal_id: Some(self.principal_id),
            action,
            subject_kind: self.kind.table().subject,
            subject_id: self.target_id,
            outcome: AuditOutcome::Ok,
            detail: None,
        }
    }
}
