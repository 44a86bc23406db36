//! The `audit_event` table: what happened, never a value. Its closed sets (action,
//! subject kind, outcome) are enums here, the one list the CLI, the gateway and the UI's
//! labels follow.

use super::{Store, WriteTx};
use crate::closed::stored_names;
use crate::error::{Error, Result};

stored_names! {
    /// What an audit event records (the `action` column's CHECK constraint lists the same).
    AuditAction {
        /// A token or a proxied request handed to a principal.
        Grant = "grant",
        /// A channel's token refreshed (or the attempt failed).
        Refresh = "refresh",
        /// A channel connected.
        Connect = "connect",
        /// A channel re-authorized.
        Reauth = "reauth",
        /// A channel disconnected (and what revocation achieved).
        Disconnect = "disconnect",
        /// A URL token attached to a request (kept for rows written by earlier versions).
        TokenAttached = "token_attached",
        /// A permission or value prompt answered.
        PromptAnswered = "prompt_answered",
        /// A principal linked to a channel or URL token.
        Link = "link",
        /// A link removed.
        Unlink = "unlink",
        /// A player registered.
        PlayerAdded = "player_added",
        /// A player removed.
        PlayerRemoved = "player_removed",
        /// A player given a new secret.
        PlayerSecretRotated = "player_secret_rotated",
        /// A feed link made for a player and a data URL.
        FeedAdded = "feed_added",
        /// A feed link given a new key (the old link ended).
        FeedRotated = "feed_rotated",
        /// A feed link removed.
        FeedRemoved = "feed_removed",
    }
}

stored_names! {
    /// The kind of thing an audit event is about.
    AuditSubject {
        /// A channel (`subject_id` is its id).
        Channel = "channel",
        /// A principal (the desktop license or a player).
        Principal = "principal",
        /// A URL token.
        UrlToken = "url_token",
        /// A feed link (`subject_id` is its id; never its key).
        Feed = "feed",
    }
}

stored_names! {
    /// How an audited action ended.
    AuditOutcome {
        /// Done.
        Ok = "ok",
        /// Refused (not linked, revoked, …).
        Denied = "denied",
        /// Failed (provider, network, store).
        Failed = "failed",
        /// The provider refused the master token: the channel needs re-authorization.
        NeedsReauth = "needs_reauth",
        /// Revocation confirmed by the provider.
        Revoked = "revoked",
        /// Revocation not confirmed yet; asked again later.
        Pending = "pending",
        /// A prompt accepted once.
        Accept = "accept",
        /// A prompt accepted for every later request to the URL.
        AcceptAll = "accept_all",
        /// A prompt denied.
        Deny = "deny",
    }
}

/// One audit event.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// Who (a principal id), if anyone in particular.
    pub principal_id: Option<&'a str>,
    /// What.
    pub action: AuditAction,
    /// The kind of thing acted on.
    pub subject_kind: AuditSubject,
    /// Its id.
    pub subject_id: &'a str,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Plain words (never a secret).
    pub detail: Option<&'a str>,
}

/// Audit rows one `INSERT` of [`Store::audit_many`] carries (see there).
pub const AUDIT_ROWS_PER_STATEMENT: usize = 50;

impl Store {
    /// Records an event inside an open write transaction.
    pub async fn audit(&self, tx: &mut WriteTx, at: i64, e: &AuditEvent<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_event (at, principal_id, action, subject_kind, subject_id, \
             outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(at)
        .bind(e.principal_id)
        .bind(e.action.as_str())
        .bind(e.subject_kind.as_str())
        .bind(e.subject_id)
        .bind(e.outcome.as_str())
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
        if self.backend() == super::Backend::Sqlite {
            return audit_many_sqlite(tx, events).await;
        }
        // 7 parameters a row, 50 rows a statement. Not more: binding each parameter costs
        // SQLite a scan of the statement's parameter list (`sqlite3_bind_parameter_name`
        // in sqlx's bind), so a statement's binding grows with the square of its size: at
        // 500 rows (3 500 parameters) the flush took a fifth of a loaded gateway's CPU.
        for chunk in events.chunks(AUDIT_ROWS_PER_STATEMENT) {
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
                    .bind(e.action.as_str())
                    .bind(e.subject_kind.as_str())
                    .bind(e.subject_id)
                    .bind(e.outcome.as_str())
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
    pub action: AuditAction,
    /// On what kind of thing.
    pub subject_kind: AuditSubject,
    /// On which.
    pub subject_id: String,
    /// Outcome.
    pub outcome: AuditOutcome,
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
                    action: AuditAction::from_stored(r.try_get("action")?)?,
                    subject_kind: AuditSubject::from_stored(r.try_get("subject_kind")?)?,
                    subject_id: r.try_get("subject_id")?,
                    outcome: AuditOutcome::from_stored(r.try_get("outcome")?)?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

/// [`Store::audit_many`] on SQLite: every row in one statement with one parameter, a JSON
/// array of rows that SQLite unpacks itself. Binding costs SQLite a scan of the
/// statement's parameter list per parameter, so the 7-parameters-a-row `VALUES` form cost
/// the square of its size: with 50 rows a statement the flush still took an eighth of a
/// loaded gateway's CPU (docs/benchmarks.md).
///
/// `jsonb_each` parses the text once into SQLite's binary JSON and hands each row on as
/// binary, so `->>` reads its fields without parsing the row again; `json_each` handed each
/// row on as text that every `json_extract` parsed anew (1.4 µs a row more, measured with
/// SQLite 3.54 on 50 000 rows: docs/benchmarks.md, "The hot paths again, stop 35").
async fn audit_many_sqlite(tx: &mut WriteTx, events: &[(i64, AuditEvent<'_>)]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    // Tuples serialize as JSON arrays, straight into the text (no value tree).
    let rows: Vec<_> = events
        .iter()
        .map(|(at, e)| {
            (
                at,
                e.principal_id,
                e.action.as_str(),
                e.subject_kind.as_str(),
                e.subject_id,
                e.outcome.as_str(),
                e.detail,
            )
        })
        .collect();
    // Sized for the usual row (two UUIDs and short names, ~130 bytes): no regrowing.
    let mut text = Vec::with_capacity(rows.len() * 160);
    serde_json::to_writer(&mut text, &rows).map_err(|e| Error::Internal(e.to_string()))?;
    let rows = String::from_utf8(text).map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO audit_event (at, principal_id, action, subject_kind, subject_id, \
         outcome, detail) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, \
         value ->> 4, value ->> 5, value ->> 6 FROM jsonb_each($1)",
    )
    .bind(rows)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{AuditAction, AuditEvent, AuditOutcome, AuditSubject};

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
                        action: AuditAction::Grant,
                        subject_kind: AuditSubject::Channel,
                        subject_id: "ch",
                        outcome: if i % 2 == 0 {
                            AuditOutcome::Ok
                        } else {
                            AuditOutcome::Denied
                        },
                        detail: if i == 7 {
                            Some("quotes \" and ' , a newline\n, é and $1 survive")
                        } else {
                            (i % 2 == 1).then_some("not_linked")
                        },
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
        assert_eq!(newest.outcome, AuditOutcome::Ok);
        let second = &stored[1];
        assert_eq!(second.detail.as_deref(), Some("not_linked"));
        let odd = stored.iter().find(|e| e.at == 1_000 + 7).expect("row 7");
        assert_eq!(
            odd.detail.as_deref(),
            Some("quotes \" and ' , a newline\n, é and $1 survive")
        );
        let first = stored.last().expect("row 0");
        assert_eq!((first.at, first.detail.as_deref()), (1_000, None));
    }

    #[test]
    fn stored_names_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
        }
        for o in AuditOutcome::ALL {
            assert_eq!(AuditOutcome::parse(o.as_str()), Some(*o));
        }
        for k in AuditSubject::ALL {
            assert_eq!(AuditSubject::parse(k.as_str()), Some(*k));
        }
        assert_eq!(AuditAction::parse("nonsense"), None);
    }

    /// Every action the SQLite CHECK constraint allows is an [`AuditAction`], and no more.
    #[test]
    fn actions_match_the_check_constraint() {
        let sql =
            include_str!("../../migrations/sqlite/20261207000100_audit_check_comparisons.sql");
        let check = sql
            .split("CHECK (")
            .nth(1)
            .and_then(|rest| rest.split("),").next())
            .expect("the CHECK");
        let mut allowed: Vec<&str> = check
            .split("action = '")
            .skip(1)
            .map(|n| n.split('\'').next().expect("a name"))
            .collect();
        allowed.sort_unstable();
        let mut known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        known.sort_unstable();
        assert_eq!(allowed, known);
    }
}
