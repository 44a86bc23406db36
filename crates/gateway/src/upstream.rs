//! One request upstream for `/v1/fetch` ([`crate::data`]), owned by an [`Upstreamer`] so
//! it may outlive the request that started it: it holds its answer-size cap of the body
//! budget while it runs, goes through the core's fetch engine as the player, and passes on
//! the allow-listed headers ([`PASSED`]) with the credentials it matched (what
//! a cache key must hold exactly).

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use lanyard_core::fetch::{fetch, As, Fetched};
use lanyard_core::preview::report::CredentialSource;
use lanyard_core::preview::{PreviewOptions, PreviewRequest};
use lanyard_core::urltokens::permission::{Answer, Fixed};
use lanyard_core::{Error, Lanyard, Result};

use crate::cache::Upstream;
use crate::reply::Reply;

/// The only upstream headers passed to a player (the gateway sets framing, `Age` of its
/// own answers, CORS and caching headers itself). `cache-control` and `vary` are rewritten
/// for the player ([`crate::answer_headers`]).
pub const PASSED: [&str; 11] = [
    "content-type",
    "content-language",
    "content-encoding",
    "content-disposition",
    "etag",
    "last-modified",
    "age",
    "location",
    "retry-after",
    "cache-control",
    "vary",
];

/// The credentials the engine matched on any hop, sent or not, by name: what a cache key
/// must hold exactly for the answer to be stored or shared under it.
fn matched(fetched: &Fetched) -> Vec<String> {
    let mut names: Vec<String> = fetched
        .hops
        .iter()
        .flat_map(|h| {
            h.credentials
                .iter()
                .map(|c| (c.source, c.id.as_str()))
                .chain(h.not_sent.iter().map(|n| (n.source, n.id.as_str())))
        })
        .filter(|(source, _)| *source != CredentialSource::Header)
        .map(|(source, id)| format!("{}:{id}", source.as_str()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What a request upstream needs, owned: it may carry on after the request that started
/// it was answered stale ([`crate::cache::Cache::serve`]).
#[derive(Debug, Clone)]
pub struct Upstreamer {
    pub(crate) lanyard: Lanyard,
    pub(crate) budget: Arc<crate::quota::Budget>,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    pub(crate) who: As,
    pub(crate) options: PreviewOptions,
}

impl Upstreamer {
    /// One request through the fetch engine, as the gateway passes its answer on. It holds
    /// its answer-size cap of the body budget while it runs.
    pub async fn fetch(self, request: PreviewRequest) -> Result<Upstream> {
        upstream(&self, request).await
    }
}

async fn upstream(u: &Upstreamer, request: PreviewRequest) -> Result<Upstream> {
    let (options, who) = (u.options, &u.who);
    let Some(_room) = u.budget.reserve(options.max_body).await else {
        u.metrics.fetch_limited();
        return Err(Error::RateLimited(
            "the gateway is reading as many answers as its memory budget allows; try again \
             shortly"
                .into(),
        ));
    };
    let fetched = fetch(&u.lanyard, who, request, &Fixed(Answer::Deny), options)
        .await
        .inspect_err(|e| u.metrics.fetch(e.code()))?;
    if fetched.truncated {
        return Err(Error::RequestFailed(format!(
            "the upstream answer is larger than {} bytes",
            options.max_body
        )));
    }
    let status = StatusCode::from_u16(fetched.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut raw = HeaderMap::new();
    let mut passed = Vec::new();
    for (k, v) in &fetched.headers {
        let lower = k.to_ascii_lowercase();
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_str(v),
        ) else {
            continue;
        };
        raw.append(name.clone(), value.clone());
        if PASSED.contains(&lower.as_str()) {
            passed.push((name, value));
        }
    }
    let credentials = matched(&fetched);
    Ok(Upstream {
        reply: Reply {
            status,
            headers: crate::answer_headers::for_player(passed),
            attached: fetched.attached().join(", "),
            body: Bytes::from(fetched.body),
        },
        raw,
        redirected: fetched.hops.len() > 1,
        credentials,
    })
}

/// The fetch limits of a gateway: the preview's.
pub fn default_options() -> PreviewOptions {
    PreviewOptions::default()
}
