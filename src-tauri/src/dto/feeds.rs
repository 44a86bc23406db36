//! IPC types for feed links. A link (with its key) crosses IPC exactly once, in the reply
//! that made it ([`NewFeedDto`]); listings never carry it.

use lanyard_core::feeds::{Feed, LinkBase, LinkBaseSource, MadeFeed, NewFeedSpec};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A feed link as listed (never its key).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FeedDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The player (screen) whose links the data is fetched with.
    pub player_id: String,
    /// The one data URL it serves.
    pub url: String,
    /// Query parameter names a widget may add.
    pub allow_query: Vec<String>,
    /// When made (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When its key was last replaced.
    #[ts(type = "number | null")]
    pub rotated_at: Option<i64>,
    /// Whether it answers data now (an active player linked to what the URL needs); a
    /// listing after a change says so, a made link says nothing yet (true).
    pub covered: bool,
}

impl FeedDto {
    /// From the core's feed and whether it is covered.
    pub fn new(f: Feed, covered: bool) -> Self {
        FeedDto {
            id: f.id,
            name: f.name,
            player_id: f.player_id,
            url: f.url,
            allow_query: f.allow_query,
            created_at: f.created_at,
            rotated_at: f.rotated_at,
            covered,
        }
    }
}

/// The gateway address feed links are made with, and where it came from.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LinkBaseDto {
    /// `https://gateway.example.com`.
    pub url: String,
    /// `flag`, `setting`, `app` or `default`.
    pub source: LinkBaseSource,
}

impl From<LinkBase> for LinkBaseDto {
    fn from(b: LinkBase) -> Self {
        LinkBaseDto {
            url: b.url,
            source: b.source,
        }
    }
}

/// A feed link just made or given a new key: the one reply that carries the link.
#[derive(Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewFeedDto {
    /// The feed.
    pub feed: FeedDto,
    /// `https://<gateway>/v1/feeds/<id>/<key>`: shown once, not stored anywhere.
    pub link: String,
    /// The gateway address the link uses.
    pub gateway: LinkBaseDto,
}

impl std::fmt::Debug for NewFeedDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewFeedDto")
            .field("feed", &self.feed)
            .field("link", &"[redacted]")
            .finish()
    }
}

impl NewFeedDto {
    /// From the core's made feed, with whether it answers data now.
    pub fn new(m: MadeFeed, covered: bool) -> Self {
        NewFeedDto {
            link: m.link.expose().to_string(),
            feed: FeedDto::new(m.feed, covered),
            gateway: m.gateway.into(),
        }
    }
}

/// A new feed link from the UI.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FeedInputDto {
    /// The player (screen).
    pub player_id: String,
    /// The data URL.
    pub url: String,
    /// A name (null or blank: the URL's host and path).
    pub name: Option<String>,
    /// Query parameter names a widget may add.
    pub allow_query: Vec<String>,
}

impl From<FeedInputDto> for NewFeedSpec {
    fn from(i: FeedInputDto) -> Self {
        NewFeedSpec {
            player_id: i.player_id,
            url: i.url,
            name: i.name,
            allow_query: i.allow_query,
        }
    }
}
