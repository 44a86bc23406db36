//! The `url_token` and `permission_decision` tables.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::urltokens::permission::Decision;
use crate::urltokens::{Placement, UrlToken};

/// The columns a stored token and a token offer (`token_offer`, store::sharing) share, read
/// from either table's row: the one place that knows `placement` is stored as a name and the
/// `header_named` flag.
pub(super) struct TokenColumns {
    pub prefix: String,
    pub key: String,
    pub placement: Placement,
    pub requires_permission: bool,
}

impl TokenColumns {
    /// Reads the shared columns from a `url_token` or `token_offer` row.
    pub(super) fn read(row: &AnyRow) -> Result<TokenColumns> {
        Ok(TokenColumns {
            prefix: row.try_get("prefix")?,
            key: row.try_get("key")?,
            placement: Placement::from_stored(
                row.try_get("placement")?,
                row.try_get::<super::Flag, _>("header_named")?.0,
            ),
            requires_permission: row.try_get::<super::Flag, _>("requires_permission")?.0,
        })
    }
}

fn from_row(row: &AnyRow) -> Result<UrlToken> {
    let c = TokenColumns::read(row)?;
    Ok(UrlToken {
        id: row.try_get("id")?,
        prefix: c.prefix,
        key: c.key,
        placement: c.placement,
        requires_permission: c.requires_permission,
        prompt: row.try_get::<super::Flag, _>("prompt")?.0,
        origin: crate::urltokens::TokenOrigin::from_stored(row.try_get("origin")?)?,
        received_from: row.try_get("received_from")?,
        viewable: row.try_get::<super::Flag, _>("viewable")?.0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn conflict(e: sqlx::Error, t: &UrlToken) -> Error {
    match Error::from(e) {
        Error::Conflict(_) => Error::Conflict(format!(
            "a token with key {:?} already exists for {}: edit it instead",
            t.key, t.prefix
        )),
        other => other,
    }
}

/// Inserts a token inside a write transaction (the caller commits and bumps the epoch).
pub(crate) async fn insert_url_token_tx(
    tx: &mut WriteTx,
    t: &UrlToken,
    origin: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO url_token (id, prefix, prefix_origin, key, placement, \
         requires_permission, prompt, origin, received_from, viewable, created_at, \
         updated_at, header_named) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&t.id)
    .bind(&t.prefix)
    .bind(origin)
    .bind(&t.key)
    .bind(t.placement.stored().0)
    .bind(t.requires_permission)
    .bind(t.prompt)
    .bind(t.origin.as_str())
    .bind(&t.received_from)
    .bind(t.viewable)
    .bind(t.created_at)
    .bind(t.updated_at)
    .bind(t.placement.stored().1)
    .execute(&mut **tx)
    .await
    .map_err(|e| conflict(e, t))?;
    // The license is linked to every token it adds or accepts (unlink it to stop).
    sqlx::query(
        "INSERT INTO token_link (principal_id, token_id, created_at) VALUES ('license', $1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&t.id)
    .bind(t.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Every token.
    pub async fn url_tokens(&self) -> Result<Vec<UrlToken>> {
        let rows = sqlx::query("SELECT * FROM url_token ORDER BY prefix, key, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// One token.
    pub async fn url_token(&self, id: &str) -> Result<UrlToken> {
        let row = sqlx::query("SELECT * FROM url_token WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::NotFound(format!("no URL token with id {id:?}")))?;
        from_row(&row)
    }

    /// Inserts a token (one token per prefix and key).
    pub async fn insert_url_token(&self, t: &UrlToken, origin: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_url_token_tx(&mut tx, t, origin).await?;
        self.commit_access_change(tx).await
    }

    /// Updates a token's fields.
    pub async fn update_url_token(&self, t: &UrlToken, origin: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE url_token SET prefix = $1, prefix_origin = $2, key = $3, placement = $4, \
             requires_permission = $5, prompt = $6, updated_at = $7, header_named = $8 \
             WHERE id = $9",
        )
        .bind(&t.prefix)
        .bind(origin)
        .bind(&t.key)
        .bind(t.placement.stored().0)
        .bind(t.requires_permission)
        .bind(t.prompt)
        .bind(t.updated_at)
        .bind(t.placement.stored().1)
        .bind(&t.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict(e, t))?;
        self.commit_access_change(tx).await
    }

    /// Deletes a token (its decisions go with it).
    pub async fn delete_url_token(&self, id: &str) -> Result<()> {
        let delete = "DELETE FROM url_token WHERE id = $1";
        self.delete_one(delete, id, "URL token").await
    }

    /// Ids of tokens with a stored "Accept all".
    pub async fn accepted_tokens(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT token_id FROM permission_decision \
             WHERE scope = 'always' AND decision = 'accept'",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Stores "Accept all" for a token.
    pub async fn insert_decision(&self, token_id: &str, url: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO permission_decision (id, token_id, scope, decision, url, decided_at) \
             VALUES ($1, $2, 'always', 'accept', $3, $4)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(token_id)
        .bind(url)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_access_change(tx).await
    }

    /// Stored decisions.
    pub async fn decisions(&self) -> Result<Vec<Decision>> {
        let rows = sqlx::query(
            "SELECT d.id, d.token_id, t.prefix, t.key, d.decision, d.url, d.decided_at \
             FROM permission_decision d JOIN url_token t ON t.id = d.token_id \
             ORDER BY d.decided_at DESC",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Decision {
                    id: r.try_get("id")?,
                    token_id: r.try_get("token_id")?,
                    prefix: r.try_get("prefix")?,
                    key: r.try_get("key")?,
                    decision: r.try_get("decision")?,
                    url: r.try_get("url")?,
                    decided_at: r.try_get("decided_at")?,
                })
            })
            .collect()
    }

    /// Deletes a decision.
    pub async fn delete_decision(&self, id: &str) -> Result<()> {
        let delete = "DELETE FROM permission_decision WHERE id = $1";
        self.delete_one(delete, id, "permission decision").await
    }

    /// Runs `delete` (`$1`: `id`) in a write transaction that bumps the access epoch; not
    /// found (naming `what`) when it deleted nothing.
    async fn delete_one(&self, delete: &'static str, id: &str, what: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(delete)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("no {what} with id {id:?}")));
        }
        self.commit_access_change(tx).await
    }
}
