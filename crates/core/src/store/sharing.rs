//! The `contact` and `token_offer` tables. An incoming offer keeps its value sealed to this
//! installation's key until it is accepted; then the sealed value is erased. Rejected and
//! accepted offers stay as tombstones (without a value) so a replayed offer id is refused.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::urltokens::{insert_url_token_tx, TokenColumns};
use super::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::sharing::types::{Contact, Offer, OfferDirection, OfferStatus};
use crate::sharing::{b64, PublicKeyBytes};
use crate::urltokens::{Placement, UrlToken};

fn contact_from_row(row: &AnyRow) -> Result<Contact> {
    Ok(Contact {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        fingerprint: row.try_get("fingerprint")?,
        sealing_key: b64(&row.try_get::<Vec<u8>, _>("sealing_key")?),
        signing_key: b64(&row.try_get::<Vec<u8>, _>("signing_key")?),
        created_at: row.try_get("created_at")?,
    })
}

const OFFER_SELECT: &str = "SELECT o.id, o.direction, o.contact_id, c.name AS contact_name, \
     c.fingerprint AS contact_fingerprint, o.prefix, o.key, o.placement, o.header_named, \
     o.requires_permission, o.status, o.created_at, o.received_at, o.decided_at \
     FROM token_offer o LEFT JOIN contact c ON c.id = o.contact_id";

fn offer_from_row(row: &AnyRow) -> Result<Offer> {
    let c = TokenColumns::read(row)?;
    Ok(Offer {
        id: row.try_get("id")?,
        direction: OfferDirection::from_stored(row.try_get("direction")?)?,
        contact_id: row.try_get("contact_id")?,
        contact_name: row.try_get("contact_name")?,
        contact_fingerprint: row.try_get("contact_fingerprint")?,
        prefix: c.prefix,
        key: c.key,
        placement: c.placement,
        requires_permission: c.requires_permission,
        status: OfferStatus::from_stored(row.try_get("status")?)?,
        created_at: row.try_get("created_at")?,
        received_at: row.try_get("received_at")?,
        decided_at: row.try_get("decided_at")?,
    })
}

/// A new offer row; incoming ones carry the sealed value.
#[derive(Debug)]
pub struct NewOffer<'a> {
    /// The offer's id (chosen by the sender).
    pub id: &'a str,
    /// Sent or received.
    pub direction: OfferDirection,
    /// The sender (incoming) or recipient (outgoing).
    pub contact_id: &'a str,
    /// The token's prefix.
    pub prefix: &'a str,
    /// The token's key.
    pub key: &'a str,
    /// Where it goes.
    pub placement: Placement,
    /// Ask before attaching.
    pub requires_permission: bool,
    /// The value sealed to this installation (incoming only).
    pub sealed_value: Option<&'a [u8]>,
    /// When the sender made it.
    pub created_at: i64,
    /// When it arrived here (incoming only).
    pub received_at: Option<i64>,
}

impl Store {
    /// Every contact, by name.
    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        let rows = sqlx::query("SELECT * FROM contact ORDER BY lower(name), id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// The contact whose signing key this is.
    pub async fn contact_by_signing_key(&self, key: &PublicKeyBytes) -> Result<Option<Contact>> {
        let row = sqlx::query("SELECT * FROM contact WHERE signing_key = $1")
            .bind(key.as_slice())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(contact_from_row).transpose()
    }

    /// Adds a contact.
    pub async fn insert_contact(
        &self,
        c: &Contact,
        sealing_key: &PublicKeyBytes,
        signing_key: &PublicKeyBytes,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO contact (id, name, sealing_key, signing_key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(sealing_key.as_slice())
        .bind(signing_key.as_slice())
        .bind(&c.fingerprint)
        .bind(c.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Renames a contact.
    pub async fn rename_contact(&self, id: &str, name: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE contact SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        commit_contact_change(tx, n, id).await
    }

    /// Removes a contact and the offers from them still waiting; tokens already accepted
    /// stay (their origin then names no contact).
    pub async fn delete_contact(&self, id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE token_offer SET status = 'rejected', sealed_value = NULL, decided_at = $1 \
             WHERE contact_id = $2 AND direction = 'incoming' AND status = 'pending'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query("DELETE FROM contact WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        commit_contact_change(tx, n, id).await
    }

    /// Records an offer. An id seen before (in either direction, in any state) is refused.
    pub async fn insert_offer(&self, o: &NewOffer<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "INSERT INTO token_offer (id, direction, contact_id, prefix, key, placement, \
             requires_permission, prompt, sealed_value, status, created_at, received_at, \
             header_named) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, 'pending', $9, $10, $11)",
        )
        .bind(o.id)
        .bind(o.direction.as_str())
        .bind(o.contact_id)
        .bind(o.prefix)
        .bind(o.key)
        .bind(o.placement.stored().0)
        .bind(o.requires_permission)
        .bind(o.sealed_value)
        .bind(o.created_at)
        .bind(o.received_at)
        .bind(o.placement.stored().1)
        .execute(&mut *tx)
        .await;
        match result.map_err(Error::from) {
            Err(Error::Conflict(_)) => {
                return Err(Error::Replayed(format!(
                    "offer {} was already imported here; an offer can be used only once",
                    o.id
                )))
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(())
    }

    /// Offers, newest first; `pending_incoming_only` narrows to the Token requests inbox.
    pub async fn offers(&self, pending_incoming_only: bool) -> Result<Vec<Offer>> {
        let filter = if pending_incoming_only {
            " WHERE o.direction = 'incoming' AND o.status = 'pending'"
        } else {
            ""
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{OFFER_SELECT}{filter} ORDER BY COALESCE(o.received_at, o.created_at) DESC, o.id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(offer_from_row).collect()
    }

    /// How many offers wait in Token requests.
    pub async fn pending_offer_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM token_offer WHERE direction = 'incoming' AND status = 'pending'",
        )
        .fetch_one(self.pool())
        .await?)
    }

    /// One offer and, for a pending incoming one, its sealed value.
    pub async fn offer(&self, id: &str) -> Result<(Offer, Option<Vec<u8>>)> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{OFFER_SELECT} WHERE o.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("no token offer with id {id:?}")))?;
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed_value FROM token_offer WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        Ok((offer_from_row(&row)?, sealed))
    }

    /// Marks a pending incoming offer accepted, erases its sealed value and inserts the
    /// received token, in one transaction.
    pub async fn accept_offer(
        &self,
        id: &str,
        token: &UrlToken,
        prefix_origin: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if !decide_offer(&mut tx, id, OfferStatus::Accepted, now).await? {
            return Err(Error::InvalidState(format!(
                "offer {id} is no longer waiting (it was accepted or rejected meanwhile)"
            )));
        }
        insert_url_token_tx(&mut tx, token, prefix_origin).await?;
        self.commit_access_change(tx).await
    }

    /// Marks a pending incoming offer rejected and erases its sealed value.
    pub async fn reject_offer(&self, id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if !decide_offer(&mut tx, id, OfferStatus::Rejected, now).await? {
            return Err(Error::InvalidState(format!(
                "offer {id} is not waiting in Token requests"
            )));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Commits a change to contact `id` that touched `rows` rows; none: not found, and the
/// transaction is dropped (nothing written).
async fn commit_contact_change(tx: WriteTx, rows: u64, id: &str) -> Result<()> {
    if rows == 0 {
        return Err(Error::NotFound(format!("no contact with id {id:?}")));
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a pending incoming offer `status` (`accepted` or `rejected`) and erases its sealed
/// value. Whether it was still pending.
async fn decide_offer(tx: &mut WriteTx, id: &str, status: OfferStatus, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE token_offer SET status = $1, sealed_value = NULL, decided_at = $2 \
         WHERE id = $3 AND direction = 'incoming' AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}
