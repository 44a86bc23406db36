//! The fetch engine: `fetch(as, request) -> response + report`, one path for the preview
//! (the license, or a player to see what a screen gets), the gateway's `/v1/fetch` (a
//! player) and the CLI. Credentials never leave it: values are attached here and reported
//! by name only.
//!
//! - [`request`]: what is asked ([`PreviewRequest`]) and within which limits
//!   ([`PreviewOptions`]); [`report`]: the hops, what each carried and did not, the
//!   channel, timings (the preview adds only the typed body).
//! - [`target`]: each hop's URL parsed once (origin, path segments) for every coverage
//!   rule.
//! - [`credentials`]: the channel (by API base) and URL tokens (by prefix) the principal
//!   is linked to; per hop, what it carries (`credentials_for_hop`).
//! - [`coverage`]: for players, whether a URL is covered at all (never an open proxy) and
//!   may be reached (loopback and link-local addresses only when a linked prefix names the
//!   address literally; every other name through a resolver that refuses names resolving
//!   inward, `not_covered`).
//! - `chain` (one hop checked, given its credentials, built by `build` and sent; the
//!   redirect decision) and `answer` (the last answer read, redacted, the reflected-value
//!   rule): what [`fetch`] loops over.
//! - [`headers`]: the caller's headers — hop-by-hop, framing and cookie headers refused;
//!   only credential-free ones follow a redirect to another origin.
//! - [`redirect`]: the redirect policy, by hand, at most [`redirect::MAX_HOPS`].
//! - [`redact`]: redaction by value of everything sent, everywhere in the report.
//! - [`client`]: clients without redirects that time their own connections.
//!
//! Credentials go only to the first request's origin; matching is re-run at every hop
//! there; an https → http hop carries nothing. A player's request must be covered by a
//! linked credential on every hop: a redirect to an uncovered URL is `not_covered`.

mod answer;
mod build;
mod chain;
pub mod client;
pub mod coverage;
pub mod credentials;
pub mod headers;
pub(crate) mod once;
pub mod redact;
pub mod redirect;
pub mod report;
pub mod request;
pub mod target;

use std::sync::Arc;
use std::time::Instant;

use crate::broker::players::LICENSE;
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::oauth::endpoint::is_loopback;
use crate::snapshot::Snapshot;
use crate::urltokens::permission::{At, Prompter};
use crate::urltokens::prefix::parse_request_url;

use chain::{Chain, Fixed, Step};
use credentials::HopContext;
use report::{ChannelUse, Hop, SentRequest, Timings};
pub use request::{PreviewOptions, PreviewRequest, MAX_BODY};
use target::Target;

/// Who a request is made as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum As {
    /// The desktop license: its links, and a person answers permission and prompt
    /// questions.
    License,
    /// A player: its links only; the link is the permission; nobody can be asked.
    Player(String),
}

impl As {
    /// `license` or `player:<id>`.
    pub fn parse(text: &str) -> Result<As> {
        let text = text.trim();
        if text == LICENSE {
            return Ok(As::License);
        }
        match text.strip_prefix("player:") {
            Some(id) if !id.trim().is_empty() => Ok(As::Player(id.trim().to_string())),
            _ => Err(Error::invalid(format!(
                "{text:?} names no principal: use \"license\" or \"player:<player id>\""
            ))),
        }
    }

    /// The principal id.
    pub fn id(&self) -> &str {
        match self {
            As::License => LICENSE,
            As::Player(id) => id,
        }
    }

    /// Whether it is a player.
    pub fn is_player(&self) -> bool {
        matches!(self, As::Player(_))
    }
}

/// What came back, with the report of what was sent (never a value).
#[derive(Debug)]
pub struct Fetched {
    /// Final status.
    pub status: u16,
    /// Final response headers (values sent on any hop redacted).
    pub headers: Vec<(String, String)>,
    /// The final body, at most `max_body` bytes (values sent redacted).
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// The size announced or read.
    pub size: u64,
    /// The body was cut at `max_body`.
    pub truncated: bool,
    /// Every hop.
    pub hops: Vec<Hop>,
    /// The channel.
    pub channel: Option<ChannelUse>,
    /// Timings.
    pub timings: Timings,
    /// The first request as sent.
    pub request: SentRequest,
    /// Notes.
    pub notes: Vec<String>,
}

impl Fetched {
    /// What was attached on any hop, by name: `channel:<id>`, `url_token:<id>:<key>`.
    pub fn attached(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.hops.iter().flat_map(|h| &h.credentials) {
            let name = match &c.key {
                Some(key) => format!("{}:{}:{key}", c.source, c.id),
                None => format!("{}:{}", c.source, c.id),
            };
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }
}

/// What becomes of an answer that still holds a value that was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reflected {
    /// Refused for a player (`reflected_credential`): what a screen gets.
    Refuse,
    /// Shown redacted, with a note: the preview (a person looking, never a screen).
    Redact,
}

/// Fetches `request` as `who`, following redirects by hand, and reports what went where.
/// For a player, an answer whose headers or body still hold a value that was sent, in any
/// form, is refused (`reflected_credential`); so is one encoded so that it cannot be
/// checked.
pub async fn fetch(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Fetched> {
    run(l, who, request, prompter, options, Reflected::Refuse).await
}

/// [`fetch`] for the preview: a reflected value is shown redacted, with a note.
pub(crate) async fn fetch_for_preview(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Fetched> {
    run(l, who, request, prompter, options, Reflected::Redact).await
}

async fn run(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
    reflected: Reflected,
) -> Result<Fetched> {
    let started = Instant::now();
    let first_url = parse_request_url(&request.url)?;
    // The access epoch, read once, before anything it guards: the snapshot, the grant's
    // access decision and the stored URL-token values all go by it, so a change committed
    // by any process before this read is seen, at one read per fetch.
    let epoch = l.store().access_epoch();
    let (method, snapshot) = admit(l, who, &request, &first_url, epoch).await?;
    let first = Target::of(&first_url);
    coverage::require_covered_at(&snapshot, who, &first)?;
    let prompter = once::Once::new(prompter);
    let wanted = request.channel.as_deref();
    let (channel, grant) = match credentials::channel_at(&snapshot, who, &first, wanted)? {
        Some(chosen) => {
            let (used, grant) = credentials::grant_for(l, who, chosen, &first, &epoch).await?;
            (Some(used), grant)
        }
        None => (None, None),
    };
    let fixed = Fixed {
        ctx: HopContext {
            l,
            who,
            linked: snapshot.linked(who.id()),
            prompter: &prompter,
            grant: grant.as_ref(),
            at: At {
                epoch: &epoch,
                snapshot: &snapshot,
            },
        },
        snapshot: &snapshot,
        first: &first,
        headers: &request.headers,
        form_content: headers::is_form(&request.headers),
        timeouts: (options.connect_timeout, options.timeout),
    };
    let mut chain = Chain::new(&request.headers);
    let mut step = Step {
        url: first_url.clone(),
        method,
        body: request.body.clone(),
    };
    loop {
        let (response, body_had_tokens) = chain.send(&fixed, &step).await?;
        match chain.redirect(step, &response, body_had_tokens, &first.origin) {
            Some(next) => step = next,
            None => {
                let started = (started, prompter.waited());
                let max_body = options.max_body;
                return answer::finish(response, chain, channel, started, max_body, reflected)
                    .await;
            }
        }
    }
}

/// Checks a request before anything is sent: https (plain http to loopback only), the
/// caller's headers, the method, and that a player is active. The method (uppercased)
/// and the snapshot the fetch goes by (the one for `epoch`).
async fn admit(
    l: &Lanyard,
    who: &As,
    request: &PreviewRequest,
    first: &url::Url,
    epoch: [u8; 16],
) -> Result<(String, Arc<Snapshot>)> {
    if first.scheme() == "http" && !is_loopback(first) {
        return Err(Error::invalid(
            "data URLs use https (plain http only for 127.0.0.1, ::1 or localhost)",
        ));
    }
    headers::check(&request.headers)?;
    let method = request::checked_method(&request.method)?;
    let snapshot = l.snapshot_at(epoch).await?;
    if let As::Player(id) = who {
        if !snapshot.active_players.contains(id) {
            return Err(Error::UnknownPrincipal(format!(
                "no active player with id {id:?}"
            )));
        }
    }
    Ok((method, snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_parse_from_text() {
        assert_eq!(As::parse("license").expect("license"), As::License);
        assert_eq!(
            As::parse("player:abc").expect("player"),
            As::Player("abc".into())
        );
        for bad in ["", "player:", "alice", "players:x"] {
            assert_eq!(As::parse(bad).expect_err(bad).code(), "invalid_input");
        }
    }
}
