//! Feed links (DESIGN §14): the data address a designer pastes into a no-code signage
//! widget. A feed is a capability for one (player, data URL) pair; the gateway serves
//! `…/v1/feeds/<id>/<key>` exactly as `/v1/fetch` serves that player, for that one URL.
//!
//! - [`key`]: the 256-bit key (shown once), its keyed hash, constant-time verification,
//!   and [`key::redact_path`] for anything that logs a request target.
//! - [`link`]: which gateway address links are made with, and why.
//! - this module: make, list, rotate and remove feeds; [`authorize`] and [`target`], the
//!   checks the gateway makes before anything is fetched.
//!
//! Refusals, in the order the gateway meets them: an unknown id or a wrong key is
//! `not_found` (404, the same words for both); a removed feed is `not_linked` (403); a
//! query parameter the feed does not allow by name is `not_covered` (403); then the
//! engine's own checks as that player (removed → `unknown_principal`, unlinked →
//! `not_covered`/`not_linked`, all 403) before anything is fetched.

pub mod key;
pub mod link;

use serde::Serialize;

use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;
use crate::oauth::provider::check_text;
use crate::secrets::SecretValue;
pub use crate::store::feeds::{Feed, StoredFeed};
use crate::store::principals::PrincipalKind;
use crate::urltokens::prefix::parse_request_url;
pub use key::{redact_path, FeedHasher};
pub use link::{LinkBase, LinkBaseSource};

/// At most this many query parameter names per feed.
pub const MAX_ALLOWED_QUERY: usize = 20;

/// What a new feed needs.
#[derive(Debug, Clone, Default)]
pub struct NewFeedSpec {
    /// The player whose links the data is fetched with.
    pub player_id: String,
    /// The data URL.
    pub url: String,
    /// A name (blank: the URL's host and path).
    pub name: Option<String>,
    /// Query parameter names a widget may add.
    pub allow_query: Vec<String>,
}

/// A feed with its link: the only time the key is available.
#[derive(Debug)]
pub struct MadeFeed {
    /// The feed.
    pub feed: Feed,
    /// `https://<gateway>/v1/feeds/<id>/<key>`. Show it once; the key is not stored.
    pub link: SecretValue,
    /// The gateway address the link uses, and where it came from.
    pub gateway: LinkBase,
}

/// The message of every unknown-id-or-wrong-key refusal: it says nothing about which.
pub const NO_SUCH_LINK: &str = "no such feed link";

fn default_name(url: &url::Url) -> String {
    let mut name = format!("{}{}", url.host_str().unwrap_or_default(), url.path());
    if name.ends_with('/') && name.len() > 1 {
        name.pop();
    }
    name.chars().take(200).collect()
}

fn check_query_names(names: &[String]) -> Result<Vec<String>> {
    let field = |m: String| Error::invalid_field(InputField::AllowQuery, m);
    let mut out: Vec<String> = Vec::new();
    for raw in names {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        check_text("query parameter name", name, 100)
            .map_err(|e| e.in_field(InputField::AllowQuery))?;
        if name.contains(['&', '=', '#', ' ']) {
            return Err(field(format!(
                "{name:?} is not a query parameter name (no &, =, # or spaces)"
            )));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    if out.len() > MAX_ALLOWED_QUERY {
        return Err(field(format!(
            "at most {MAX_ALLOWED_QUERY} query parameter names may be allowed"
        )));
    }
    Ok(out)
}

/// Makes a feed link for a player and a data URL. The player must exist; the URL must be
/// an http(s) URL without user-info. Coverage is not required yet (links may come later:
/// until then the link answers 403), but [`covered`] says whether it is.
pub async fn add(l: &Lanyard, spec: NewFeedSpec, gateway: Option<&str>) -> Result<MadeFeed> {
    crate::broker::players::require_id("player", &spec.player_id)?;
    let url = parse_request_url(&spec.url).map_err(|e| e.in_field(InputField::Url))?;
    if url.fragment().is_some() {
        return Err(Error::invalid_field(
            InputField::Url,
            "a data URL has no #fragment (it is never sent to the server)",
        ));
    }
    let name = match crate::input::given_str(spec.name.as_deref()) {
        Some(n) => {
            check_text("feed name", n, 200).map_err(|e| e.in_field(InputField::Name))?;
            n.trim().to_string()
        }
        None => default_name(&url),
    };
    let allow_query = check_query_names(&spec.allow_query)?;
    let base = link::base(l, gateway).await?;
    let player = l.store().principal(spec.player_id.trim()).await?;
    if player.kind != PrincipalKind::Player {
        return Err(Error::invalid_field(
            InputField::Player,
            "feed links are made for players (screens), not for the desktop license",
        ));
    }
    let hasher = key::hasher(l).await?;
    let feed = Feed {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name,
        player_id: player.id,
        url: url.to_string(),
        allow_query,
        created_at: l.clock().now(),
        rotated_at: None,
    };
    let secret = key::generate()?;
    l.store()
        .insert_feed(&feed, &hasher.hash(&feed.id, &secret))
        .await?;
    Ok(MadeFeed {
        link: SecretValue::new(link::link(&base, &feed.id, &secret)),
        feed,
        gateway: base,
    })
}

/// Live feeds, optionally of one player.
pub async fn list(l: &Lanyard, player_id: Option<&str>) -> Result<Vec<Feed>> {
    l.store()
        .feeds(crate::input::given_str(player_id).map(str::trim))
        .await
}

/// One live feed.
pub async fn show(l: &Lanyard, id: &str) -> Result<Feed> {
    crate::broker::players::require_id("feed", id)?;
    l.store().feed(id.trim()).await
}

/// Gives a feed a new key: the old link answers 404 from the very next request, in every
/// process (the change moves the access epoch).
pub async fn rotate(l: &Lanyard, id: &str, gateway: Option<&str>) -> Result<MadeFeed> {
    let feed = show(l, id).await?;
    let base = link::base(l, gateway).await?;
    let hasher = key::hasher(l).await?;
    let secret = key::generate()?;
    let now = l.clock().now();
    l.store()
        .set_feed_key(&feed, &hasher.hash(&feed.id, &secret), now)
        .await?;
    Ok(MadeFeed {
        link: SecretValue::new(link::link(&base, &feed.id, &secret)),
        feed: Feed {
            rotated_at: Some(now),
            ..feed
        },
        gateway: base,
    })
}

/// Removes a feed: its link answers 403 from the very next request, in every process.
pub async fn remove(l: &Lanyard, id: &str) -> Result<()> {
    crate::broker::players::require_id("feed", id)?;
    l.store().remove_feed(id.trim(), l.clock().now()).await
}

/// Whether the feed's player may fetch its URL right now (an active player, and a linked
/// credential covering the URL): what the link answers besides 403.
pub async fn covered(l: &Lanyard, feed: &Feed) -> Result<bool> {
    let snapshot = l.snapshot().await?;
    let url = parse_request_url(&feed.url)?;
    let who = crate::fetch::As::Player(feed.player_id.clone());
    Ok(snapshot.active_players.contains(&feed.player_id)
        && crate::fetch::coverage::require_covered(&snapshot, &who, &url).is_ok())
}

/// The gateway's first checks: the feed `id` exists and `presented` is its key (else
/// `not_found`, the same for both), and it was not removed (else `not_linked`).
pub fn authorize<'a>(
    stored: Option<&'a StoredFeed>,
    hasher: &FeedHasher,
    id: &str,
    presented: &str,
) -> Result<&'a Feed> {
    let Some(stored) = stored else {
        // Spend the same MAC as a real check, so timing does not tell ids apart.
        let _ = hasher.verify(id, presented, "");
        return Err(Error::NotFound(NO_SUCH_LINK.into()));
    };
    if !hasher.verify(id, presented, &stored.key_hash) {
        return Err(Error::NotFound(NO_SUCH_LINK.into()));
    }
    if stored.removed_at.is_some() {
        return Err(Error::NotLinked(
            "this feed link was removed: make a new one in Lanyard".into(),
        ));
    }
    Ok(&stored.feed)
}

/// The URL to fetch for a request to the feed's link with `query`: the feed's URL, with
/// each parameter the feed allows by name set to the widget's value(s) (replacing the
/// URL's own). Any other parameter is `not_covered` (403).
pub fn target(feed: &Feed, query: Option<&str>) -> Result<String> {
    let query = query.unwrap_or_default();
    if query.is_empty() {
        return Ok(feed.url.clone());
    }
    let given: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if given.is_empty() {
        return Ok(feed.url.clone());
    }
    if let Some((refused, _)) = given
        .iter()
        .find(|(k, _)| !feed.allow_query.iter().any(|a| a == k))
    {
        let shown: String = refused.chars().take(100).collect();
        return Err(Error::NotCovered(format!(
            "this feed link does not allow the query parameter {shown:?}"
        )));
    }
    let mut url = parse_request_url(&feed.url)?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !given.iter().any(|(g, _)| g == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(given);
    Ok(url.to_string())
}

/// A feed as the CLI and the window show it, with whether it answers data now.
#[derive(Debug, Clone, Serialize)]
pub struct FeedState {
    /// The feed.
    #[serde(flatten)]
    pub feed: Feed,
    /// An active player with a linked credential covering the URL.
    pub covered: bool,
}

#[cfg(test)]
mod tests;
