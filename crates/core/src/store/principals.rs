//! The `principal` and `link` tables, and the one query the broker asks before every
//! grant: may this principal use this channel right now?

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::access::Linked;
use super::Store;
use crate::error::{Error, Result};
use crate::store::audit::AuditEvent;

crate::closed::stored_names! {
    /// What a principal is.
    PrincipalKind {
        /// The desktop license (id `license`): this installation's own previews.
        License = "license",
        /// A player (a screen, a device) that authenticates with its secret.
        Player = "player",
    }
}

/// A principal: the desktop license or a player.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// Id (`license` for the desktop license).
    pub id: String,
    /// The desktop license or a player.
    pub kind: PrincipalKind,
    /// Name.
    pub name: String,
    /// A player's serial.
    pub serial: Option<String>,
    /// Whether it may receive grants.
    pub active: bool,
    /// When registered.
    pub created_at: i64,
    /// When it last got a grant.
    pub last_seen_at: Option<i64>,
}

/// A link between a principal and a channel.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// The principal.
    pub principal_id: String,
    /// The principal's name.
    pub principal_name: String,
    /// The channel.
    pub channel_id: String,
    /// The channel's account label.
    pub channel_label: String,
    /// When linked.
    pub created_at: i64,
}

/// A channel a principal is linked to, as a player sees it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedChannel {
    /// The channel.
    pub channel_id: String,
    /// Its account label.
    pub label: String,
    /// Its provider's name.
    pub provider: String,
    /// `active`, `needs_reauth` or `revoked`.
    pub status: String,
    /// When linked.
    pub linked_at: i64,
    /// `proxy` (get its data through `/v1/fetch`) or `token` (`/v1/grants`).
    pub handout: String,
}

/// What the broker learns before a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Linked, active principal, active channel.
    Allowed,
    /// No such principal.
    UnknownPrincipal,
    /// The principal is deactivated.
    Inactive,
    /// No such channel.
    UnknownChannel,
    /// Not linked.
    NotLinked,
    /// The channel needs re-authorization.
    NeedsReauth,
    /// The channel is revoked.
    Revoked,
}

fn principal(row: &AnyRow) -> Result<Principal> {
    Ok(Principal {
        id: row.try_get("id")?,
        kind: PrincipalKind::from_stored(row.try_get("kind")?)?,
        name: row.try_get("name")?,
        serial: row.try_get("serial")?,
        active: row.try_get::<super::Flag, _>("active")?.0,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
    })
}

impl Store {
    /// Every principal, the license first.
    pub async fn principals(&self) -> Result<Vec<Principal>> {
        let rows = sqlx::query("SELECT * FROM principal ORDER BY kind = 'player', name, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(principal).collect()
    }

    /// One principal.
    pub async fn principal(&self, id: &str) -> Result<Principal> {
        let row = sqlx::query("SELECT * FROM principal WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| {
                Error::UnknownPrincipal(format!("no player or license with id {id:?}"))
            })?;
        principal(&row)
    }

    /// Registers a player with the argon2id hash of its secret.
    pub async fn insert_player(&self, p: &Principal, secret_hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO principal (id, kind, name, serial, active, secret_hash, created_at) \
             VALUES ($1, 'player', $2, $3, TRUE, $4, $5)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.serial)
        .bind(secret_hash)
        .bind(p.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict(format!(
                "a player with serial {:?} is already registered",
                p.serial.as_deref().unwrap_or_default()
            )),
            other => other,
        })?;
        self.audit(
            &mut tx,
            p.created_at,
            &AuditEvent {
                principal_id: Some(&p.id),
                action: crate::store::audit::AuditAction::PlayerAdded,
                subject_kind: crate::store::audit::AuditSubject::Principal,
                subject_id: &p.id,
                outcome: crate::store::audit::AuditOutcome::Ok,
                detail: None,
            },
        )
        .await?;
        self.commit_access_change(tx).await
    }

    /// Replaces a player's secret hash; the old secret stops working in every process.
    pub async fn set_secret_hash(&self, id: &str, secret_hash: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n =
            sqlx::query("UPDATE principal SET secret_hash = $1 WHERE id = $2 AND kind = 'player'")
                .bind(secret_hash)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(Error::UnknownPrincipal(format!("no player with id {id:?}")));
        }
        super::access::end_sessions(&mut tx, id).await?;
        self.audit(
            &mut tx,
            now,
            &AuditEvent {
                principal_id: Some(id),
                action: crate::store::audit::AuditAction::PlayerSecretRotated,
                subject_kind: crate::store::audit::AuditSubject::Principal,
                subject_id: id,
                outcome: crate::store::audit::AuditOutcome::Ok,
                detail: Some("the previous secret no longer works"),
            },
        )
        .await?;
        self.commit_access_change(tx).await
    }

    /// The stored secret hash of an active player (`None`: no such active player, or it
    /// has no secret yet).
    pub async fn secret_hash(&self, id: &str) -> Result<Option<String>> {
        let hash: Option<Option<String>> = sqlx::query_scalar(
            "SELECT secret_hash FROM principal WHERE id = $1 AND kind = 'player' AND active = TRUE",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(hash.flatten())
    }

    /// The channels a principal is linked to, with their status.
    pub async fn linked_channels(&self, principal_id: &str) -> Result<Vec<LinkedChannel>> {
        let rows = sqlx::query(
            "SELECT c.id, c.account_label, p.name AS provider, c.status, c.handout, l.created_at \
             FROM link l JOIN channel c ON c.id = l.channel_id \
             JOIN provider p ON p.id = c.provider_id \
             WHERE l.principal_id = $1 ORDER BY c.account_label, c.id",
        )
        .bind(principal_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LinkedChannel {
                    channel_id: r.try_get("id")?,
                    label: r.try_get("account_label")?,
                    provider: r.try_get("provider")?,
                    status: r.try_get("status")?,
                    linked_at: r.try_get("created_at")?,
                    handout: r.try_get("handout")?,
                })
            })
            .collect()
    }

    /// Removes a player and its links.
    pub async fn delete_player(&self, id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM principal WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        match kind.as_deref() {
            None => return Err(Error::UnknownPrincipal(format!("no player with id {id:?}"))),
            Some("license") => return Err(Error::invalid("the desktop license cannot be removed")),
            _ => {}
        }
        sqlx::query("DELETE FROM principal WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.audit(
            &mut tx,
            now,
            &AuditEvent {
                principal_id: Some(id),
                action: crate::store::audit::AuditAction::PlayerRemoved,
                subject_kind: crate::store::audit::AuditSubject::Principal,
                subject_id: id,
                outcome: crate::store::audit::AuditOutcome::Ok,
                detail: None,
            },
        )
        .await?;
        self.commit_access_change(tx).await
    }

    /// Links a principal to a channel (linking twice is not an error).
    pub async fn insert_link(&self, principal_id: &str, channel_id: &str, now: i64) -> Result<()> {
        self.link(Linked::Channel.ends(principal_id, channel_id), now)
            .await
    }

    /// Unlinks a principal from a channel; a player's gateway sessions end with it.
    pub async fn delete_link(&self, principal_id: &str, channel_id: &str, now: i64) -> Result<()> {
        self.unlink(Linked::Channel.ends(principal_id, channel_id), now)
            .await
    }

    /// Every link.
    pub async fn links(&self) -> Result<Vec<Link>> {
        let rows = sqlx::query(
            "SELECT l.principal_id, p.name AS principal_name, l.channel_id, \
             c.account_label AS channel_label, l.created_at FROM link l \
             JOIN principal p ON p.id = l.principal_id JOIN channel c ON c.id = l.channel_id \
             ORDER BY p.kind = 'player', p.name, c.account_label",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Link {
                    principal_id: r.try_get("principal_id")?,
                    principal_name: r.try_get("principal_name")?,
                    channel_id: r.try_get("channel_id")?,
                    channel_label: r.try_get("channel_label")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// May `principal_id` use `channel_id` now? One read, no write.
    pub async fn access(&self, principal_id: &str, channel_id: &str) -> Result<Access> {
        let row = sqlx::query(
            "SELECT (SELECT active FROM principal WHERE id = $1) AS active, \
             (SELECT status FROM channel WHERE id = $2) AS status, \
             EXISTS (SELECT 1 FROM link WHERE principal_id = $1 AND channel_id = $2) AS linked",
        )
        .bind(principal_id)
        .bind(channel_id)
        .fetch_one(self.pool())
        .await?;
        let active: Option<bool> = row
            .try_get::<Option<super::Flag>, _>("active")?
            .map(bool::from);
        let status: Option<String> = row.try_get("status")?;
        let linked = row.try_get::<super::Flag, _>("linked")?.0;
        Ok(match (active, status.as_deref(), linked) {
            (None, _, _) => Access::UnknownPrincipal,
            (Some(false), _, _) => Access::Inactive,
            (_, None, _) => Access::UnknownChannel,
            (_, _, false) => Access::NotLinked,
            (_, Some("needs_reauth"), _) => Access::NeedsReauth,
            (_, Some("revoked"), _) => Access::Revoked,
            _ => Access::Allowed,
        })
    }
}
