//! The `audit_event` table: what happened, never a value.

use super::{Store, WriteTx};
use crate::error::Result;

/// One audit event.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// Who (a principal id), if anyone in particular.
    pub principal_id: Option<&'a str>,
    /// What: `connect`, `reauth`, `disconnect`, `grant`, …
    pub action: &'a str,
    /// The kind of thing acted on (`channel`, `provider`, …).
    pub subject_kind: &'a str,
    /// Its id.
    pub subject_id: &'a str,
    /// `ok`, `denied`, `failed`, …
    pub outcome: &'a str,
    /// Plain words (never a secret).
    pub detail: Option<&'a str>,
}

impl Store {
    /// Records an event inside an open write transaction.
    pub async fn audit(&self, tx: &mut WriteTx, at: i64, e: &AuditEvent<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_event (at, principal_id, action, subject_kind, subject_id, \
             outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(at)
        .bind(e.principal_id)
        .bind(e.action)
        .bind(e.subject_kind)
        .bind(e.subject_id)
        .bind(e.outcome)
        .bind(e.detail)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records many events inside an open write transaction, a few hundred rows per
    /// statement (a busy gateway buffers tens of thousands of grants between flushes).
    pub async fn audit_many(
        &self,
        tx: &mut WriteTx,
        events: &[(i64, AuditEvent<'_>)],
    ) -> Result<()> {
        // 7 parameters a row: 3 500 a statement, under SQLite's limit of 32 766 and
        // PostgreSQL's of 65 535.
        for chunk in events.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO audit_event (at, principal_id, action, subject_kind, subject_id, \
                 outcome, detail) VALUES ",
            );
            for i in 0..chunk.len() {
                let n = i * 7;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7
                ));
            }
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (at, e) in chunk {
                insert = insert
                    .bind(*at)
                    .bind(e.principal_id)
                    .bind(e.action)
                    .bind(e.subject_kind)
                    .bind(e.subject_id)
                    .bind(e.outcome)
                    .bind(e.detail);
            }
            insert.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Records an event in its own transaction.
    pub async fn audit_now(&self, at: i64, e: &AuditEvent<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.audit(&mut tx, at, e).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An audit event as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRecord {
    /// Sequence number.
    pub id: i64,
    /// When (Unix seconds).
    pub at: i64,
    /// Who.
    pub principal_id: Option<String>,
    /// What.
    pub action: String,
    /// On what kind of thing.
    pub subject_kind: String,
    /// On which.
    pub subject_id: String,
    /// Outcome.
    pub outcome: String,
    /// Plain words.
    pub detail: Option<String>,
}

impl Store {
    /// Audit events, newest first, optionally for one channel and since a time.
    pub async fn audit_events(
        &self,
        channel_id: Option<&str>,
        since: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT * FROM audit_event WHERE ($1 IS NULL OR (subject_kind = 'channel' AND \
             subject_id = $1)) AND ($2 IS NULL OR at >= $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(channel_id)
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    principal_id: r.try_get("principal_id")?,
                    action: r.try_get("action")?,
                    subject_kind: r.try_get("subject_kind")?,
                    subject_id: r.try_get("subject_id")?,
                    outcome: r.try_get("outcome")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::AuditEvent;

    #[tokio::test]
    async fn many_events_are_written_across_statements_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::testing::temp_store(dir.path())
            .await
            .expect("open");
        let ids: Vec<String> = (0..1203).map(|i| format!("p{i}")).collect();
        let events: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                (
                    1_000 + i as i64,
                    AuditEvent {
                        principal_id: Some(id),
                        action: "grant",
                        subject_kind: "channel",
                        subject_id: "ch",
                        outcome: if i % 2 == 0 { "ok" } else { "denied" },
                        detail: (i % 2 == 1).then_some("not_linked"),
                    },
                )
            })
            .collect();
        let mut tx = store.begin_write().await.expect("tx");
        store.audit_many(&mut tx, &events).await.expect("write");
        tx.commit().await.expect("commit");
        let stored = store
            .audit_events(Some("ch"), None, 5_000)
            .await
            .expect("read");
        assert_eq!(stored.len(), 1203);
        let newest = &stored[0];
        assert_eq!(newest.at, 1_000 + 1202);
        assert_eq!(newest.principal_id.as_deref(), Some("p1202"));
        assert_eq!(newest.outcome, "ok");
        let second = &stored[1];
        assert_eq!(second.detail.as_deref(), Some("not_linked"));
    }
}
