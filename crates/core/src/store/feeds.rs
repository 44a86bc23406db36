//! The `feed` table: feed links (DESIGN §14). A row holds the (player, data URL) pair, the
//! query parameter names a widget may add, and a keyed hash of the link's key — never the
//! key. Removing a feed leaves a tombstone (`removed_at`) so that its link answers `403`
//! rather than `404`. Every write is an access change: gateways cache feeds per access
//! epoch, so a rotation or removal is seen by the very next request in every process.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Store, WriteTx};
use crate::error::{Error, Result};
use crate::store::audit::{AuditAction, AuditEvent, AuditOutcome, AuditSubject};

/// A feed link as listed (no key, no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feed {
    /// Id (the link's first path segment after `/v1/feeds/`).
    pub id: String,
    /// What the user calls it.
    pub name: String,
    /// The player whose links the data is fetched with.
    pub player_id: String,
    /// The one data URL it serves.
    pub url: String,
    /// Query parameter names a widget may add to the link.
    pub allow_query: Vec<String>,
    /// When made (Unix seconds).
    pub created_at: i64,
    /// When its key was last replaced.
    pub rotated_at: Option<i64>,
}

/// A feed as the gateway checks it: the row, its key hash and whether it was removed.
#[derive(Debug, Clone)]
pub struct StoredFeed {
    /// The feed.
    pub feed: Feed,
    /// Hex HMAC-SHA256 of the key (see `crate::feeds::key`).
    pub key_hash: String,
    /// When removed (a tombstone), if it was.
    pub removed_at: Option<i64>,
}

fn feed(row: &AnyRow) -> Result<Feed> {
    let raw: String = row.try_get("allow_query")?;
    let allow_query = serde_json::from_str(&raw)
        .map_err(|e| Error::Storage(format!("a feed's allowed query names are damaged: {e}")))?;
    Ok(Feed {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        player_id: row.try_get("player_id")?,
        url: row.try_get("url")?,
        allow_query,
        created_at: row.try_get("created_at")?,
        rotated_at: row.try_get("rotated_at")?,
    })
}

fn unknown(id: &str) -> Error {
    Error::NotFound(format!("no feed link with id {id:?}"))
}

impl Store {
    /// Stores a new feed with the hash of its key.
    pub async fn insert_feed(&self, f: &Feed, key_hash: &str) -> Result<()> {
        let allow = serde_json::to_string(&f.allow_query)
            .map_err(|e| Error::Internal(format!("could not encode query names: {e}")))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO feed (id, name, player_id, url, allow_query, key_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&f.id)
        .bind(&f.name)
        .bind(&f.player_id)
        .bind(&f.url)
        .bind(allow)
        .bind(key_hash)
        .bind(f.created_at)
        .execute(&mut *tx)
        .await?;
        self.audit_feed(
            &mut tx,
            f.created_at,
            &f.player_id,
            &f.id,
            AuditAction::FeedAdded,
            &f.url,
        )
        .await?;
        self.commit_access_change(tx).await
    }

    /// Live feeds (not removed), optionally of one player, oldest first.
    pub async fn feeds(&self, player_id: Option<&str>) -> Result<Vec<Feed>> {
        let rows = sqlx::query(
            "SELECT * FROM feed WHERE removed_at IS NULL AND ($1 IS NULL OR player_id = $1) \
             ORDER BY created_at, id",
        )
        .bind(player_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(feed).collect()
    }

    /// One feed, removed or not, with its key hash (`None`: no such id).
    pub async fn stored_feed(&self, id: &str) -> Result<Option<StoredFeed>> {
        let row = sqlx::query("SELECT * FROM feed WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            Ok(StoredFeed {
                feed: feed(&row)?,
                key_hash: row.try_get("key_hash")?,
                removed_at: row.try_get("removed_at")?,
            })
        })
        .transpose()
    }

    /// One live feed.
    pub async fn feed(&self, id: &str) -> Result<Feed> {
        match self.stored_feed(id).await? {
            Some(s) if s.removed_at.is_none() => Ok(s.feed),
            _ => Err(unknown(id)),
        }
    }

    /// Replaces a live feed's key hash: the old link stops working in every process.
    pub async fn set_feed_key(&self, f: &Feed, key_hash: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE feed SET key_hash = $1, rotated_at = $2 WHERE id = $3 AND removed_at IS NULL",
        )
        .bind(key_hash)
        .bind(now)
        .bind(&f.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(unknown(&f.id));
        }
        self.audit_feed(
            &mut tx,
            now,
            &f.player_id,
            &f.id,
            AuditAction::FeedRotated,
            &f.url,
        )
        .await?;
        self.commit_access_change(tx).await
    }

    /// Removes a live feed, leaving a tombstone: its link answers `403` from now on.
    pub async fn remove_feed(&self, id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE feed SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL \
             RETURNING player_id, url",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| unknown(id))?;
        let (player, url): (String, String) = (row.try_get("player_id")?, row.try_get("url")?);
        self.audit_feed(&mut tx, now, &player, id, AuditAction::FeedRemoved, &url)
            .await?;
        self.commit_access_change(tx).await
    }

    /// Audits a feed change: the player, the feed id and its data URL without its query
    /// (which may hold values) — never the key.
    async fn audit_feed(
        &self,
        tx: &mut WriteTx,
        at: i64,
        player: &str,
        id: &str,
        action: AuditAction,
        url: &str,
    ) -> Result<()> {
        let shown = url::Url::parse(url)
            .map(|mut u| {
                u.set_query(None);
                u.set_fragment(None);
                u.to_string()
            })
            .unwrap_or_default();
        self.audit(
            tx,
            at,
            &AuditEvent {
                principal_id: Some(player),
                action,
                subject_kind: AuditSubject::Feed,
                subject_id: id,
                outcome: AuditOutcome::Ok,
                detail: Some(&shown),
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::clock::FixedClock;
    use crate::feeds::{self, key, NewFeedSpec};
    use crate::secrets::{SecretStoreKind, Secrets};
    use crate::store::principals::Principal;
    use crate::{Config, Lanyard};

    async fn open(dir: &std::path::Path) -> Lanyard {
        let config = Config {
            database: crate::store::testing::database().await.expect("database"),
            ..Config::new(dir.to_path_buf(), SecretStoreKind::Memory)
        };
        Lanyard::open_with(
            &config,
            Arc::new(FixedClock::at(1_900_000_000)),
            Some(Secrets::in_memory()),
        )
        .await
        .expect("open")
    }

    /// An installation with one player, "Lobby".
    async fn open_with_lobby(dir: &std::path::Path) -> (Lanyard, Principal) {
        let l = open(dir).await;
        let player = crate::broker::players::add_player(&l, "Lobby", None)
            .await
            .expect("player")
            .player;
        (l, player)
    }

    /// The feed's row as the gateway reads it (a removed feed's tombstone too).
    async fn stored_row(l: &Lanyard, id: &str) -> super::StoredFeed {
        let row = l.store().stored_feed(id).await.expect("read");
        row.expect("a row for the feed")
    }

    fn spec(player: &str) -> NewFeedSpec {
        NewFeedSpec {
            player_id: player.into(),
            url: "https://data.example/api/menu.json".into(),
            name: None,
            allow_query: vec!["page".into()],
        }
    }

    /// Each feed write moves the access epoch (gateways cache feeds under it), the key is
    /// never stored, rotation replaces the hash and removal leaves a tombstone — on SQLite
    /// and, under `LANYARD_TEST_POSTGRES`, on PostgreSQL.
    #[tokio::test]
    async fn feeds_are_stored_hashed_rotated_and_tombstoned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (l, player) = open_with_lobby(dir.path()).await;
        let e0 = l.store().access_epoch();
        let made = feeds::add(&l, spec(&player.id), Some("https://gw.example.com/"))
            .await
            .expect("add");
        assert_ne!(l.store().access_epoch(), e0, "adding moves the epoch");
        let link = made.link.expose().to_string();
        let prefix = format!("https://gw.example.com/v1/feeds/{}/", made.feed.id);
        assert!(link.starts_with(&prefix), "{link}");
        let secret = &link[prefix.len()..];
        assert_eq!(secret.len(), 43);
        assert_eq!(made.feed.name, "data.example/api/menu.json");
        assert_eq!(made.feed.allow_query, vec!["page".to_string()]);

        let stored = stored_row(&l, &made.feed.id).await;
        assert!(!stored.key_hash.contains(secret));
        let dump: Vec<String> = sqlx::query_scalar("SELECT key_hash || name || url FROM feed")
            .fetch_all(l.store().pool())
            .await
            .expect("dump");
        assert!(dump.iter().all(|row| !row.contains(secret)));
        let h = key::hasher(&l).await.expect("hasher");
        assert!(feeds::authorize(Some(&stored), &h, &made.feed.id, secret).is_ok());
        assert_eq!(
            feeds::list(&l, Some(&player.id)).await.expect("list"),
            vec![made.feed.clone()]
        );
        assert!(feeds::list(&l, Some("someone else"))
            .await
            .expect("list")
            .is_empty());

        let e1 = l.store().access_epoch();
        let rotated = feeds::rotate(&l, &made.feed.id, None)
            .await
            .expect("rotate");
        assert_ne!(l.store().access_epoch(), e1, "rotating moves the epoch");
        assert_ne!(rotated.link.expose(), link);
        let stored = stored_row(&l, &made.feed.id).await;
        let old = feeds::authorize(Some(&stored), &h, &made.feed.id, secret).expect_err("old");
        assert_eq!(old.code(), "not_found");
        let new_key = rotated.link.expose().rsplit('/').next().expect("key");
        assert!(feeds::authorize(Some(&stored), &h, &made.feed.id, new_key).is_ok());

        let e2 = l.store().access_epoch();
        feeds::remove(&l, &made.feed.id).await.expect("remove");
        assert_ne!(l.store().access_epoch(), e2, "removing moves the epoch");
        assert!(feeds::list(&l, None).await.expect("list").is_empty());
        let stored = stored_row(&l, &made.feed.id).await;
        let gone = feeds::authorize(Some(&stored), &h, &made.feed.id, new_key).expect_err("gone");
        assert_eq!(gone.code(), "not_linked");
        let audit = l
            .store()
            .audit_events(None, None, 100)
            .await
            .expect("audit");
        let mine: Vec<(&str, &str)> = audit
            .iter()
            .filter(|e| e.subject_kind.as_str() == "feed")
            .map(|e| (e.action.as_str(), e.subject_id.as_str()))
            .collect();
        let id = made.feed.id.as_str();
        assert_eq!(
            mine,
            vec![
                ("feed_removed", id),
                ("feed_rotated", id),
                ("feed_added", id)
            ]
        );
        for e in &audit {
            let text = format!("{e:?}");
            assert!(!text.contains(secret) && !text.contains(new_key), "{text}");
        }
        for again in [
            feeds::remove(&l, &made.feed.id).await.expect_err("twice"),
            feeds::rotate(&l, &made.feed.id, None)
                .await
                .expect_err("rotate removed"),
        ] {
            assert_eq!(again.code(), "not_found");
        }
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_stores_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (l, player) = open_with_lobby(dir.path()).await;
        let cases: Vec<(NewFeedSpec, Option<&str>, &str)> = vec![
            (spec("no-such-player"), None, "unknown_principal"),
            (spec("license"), None, "invalid_input"),
            (spec(""), None, "invalid_input"),
            (
                NewFeedSpec {
                    url: "ftp://data.example/x".into(),
                    ..spec(&player.id)
                },
                None,
                "invalid_input",
            ),
            (
                NewFeedSpec {
                    url: "https://user:pw@data.example/x".into(),
                    ..spec(&player.id)
                },
                None,
                "invalid_input",
            ),
            (
                NewFeedSpec {
                    allow_query: vec!["a=b".into()],
                    ..spec(&player.id)
                },
                None,
                "invalid_input",
            ),
            (
                spec(&player.id),
                Some("http://gw.example.com"),
                "invalid_input",
            ),
        ];
        for (s, gateway, code) in cases {
            let e = feeds::add(&l, s.clone(), gateway)
                .await
                .expect_err("refused");
            assert_eq!(e.code(), code, "{s:?} {gateway:?}");
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM feed")
            .fetch_one(l.store().pool())
            .await
            .expect("count");
        assert_eq!(n, 0);
    }

    #[tokio::test]
    async fn links_use_the_flag_the_saved_address_the_app_gateway_or_the_default() {
        use crate::feeds::link::{base, set_public_url, LinkBaseSource};
        let dir = tempfile::tempdir().expect("tempdir");
        let l = open(dir.path()).await;
        let b = base(&l, None).await.expect("default");
        assert_eq!(
            (b.url.as_str(), b.source),
            ("http://127.0.0.1:7443", LinkBaseSource::Default)
        );
        l.store()
            .set_setting(
                "gateway",
                &serde_json::json!({ "enabled": true, "listen": "127.0.0.1:8111" }),
                0,
            )
            .await
            .expect("app setting");
        let b = base(&l, None).await.expect("app");
        assert_eq!(
            (b.url.as_str(), b.source),
            ("http://127.0.0.1:8111", LinkBaseSource::App)
        );
        let b = set_public_url(&l, Some("https://gw.example.com/lanyard/"))
            .await
            .expect("saved");
        assert_eq!(
            (b.url.as_str(), b.source),
            ("https://gw.example.com/lanyard", LinkBaseSource::Setting)
        );
        let b = base(&l, Some("https://other.example")).await.expect("flag");
        assert_eq!(b.source, LinkBaseSource::Flag);
        assert!(set_public_url(&l, Some("http://gw.example.com"))
            .await
            .is_err());
        let b = set_public_url(&l, None).await.expect("cleared");
        assert_eq!(b.source, LinkBaseSource::App);
    }
}
