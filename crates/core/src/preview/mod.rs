//! Preview: fetch a data URL exactly as a player would — with the license's grant for the
//! channel whose API covers the URL, plus the matching URL tokens — and report what came
//! back and exactly which credentials went where (never a value).
//!
//! Redirects are followed by hand (at most [`MAX_HOPS`]): matching is re-run at every hop,
//! credentials only ever go to the first request's origin, a 307/308 body that carried
//! form tokens is never re-sent to another origin, and an https → http hop carries nothing.

pub mod body;
pub(crate) mod once;
mod redact;
pub mod report;

use std::time::Duration;

use url::Url;

use crate::error::Result;
use crate::fetch::{fetch, As};
use crate::instance::Lanyard;
use crate::urltokens::permission::Prompter;
use crate::urltokens::prefix::{origin_of, parse_prefix, segments_of};

pub use crate::fetch::redirect::MAX_HOPS;
pub use body::Body;
pub use report::{ChannelUse, CredentialUse, Hop, NotSent, Problem, Report, SentRequest, Timings};
/// Default response size cap.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// What to fetch.
#[derive(Debug, Clone, Default)]
pub struct PreviewRequest {
    /// The URL.
    pub url: String,
    /// The method (GET when empty).
    pub method: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// A body.
    pub body: Option<Vec<u8>>,
    /// Use this channel (else the one whose API base covers the URL).
    pub channel: Option<String>,
}

/// Limits.
#[derive(Debug, Clone, Copy)]
pub struct PreviewOptions {
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Total timeout per request.
    pub timeout: Duration,
    /// Response body cap.
    pub max_body: usize,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: MAX_BODY,
        }
    }
}

pub(crate) fn covers(base: &str, url: &Url) -> bool {
    let Ok(prefix) = parse_prefix(base) else {
        return false;
    };
    origin_of(url).as_deref() == Some(prefix.origin.as_str())
        && segments_of(url).starts_with(&prefix.segments)
}

/// [`preview_as`], remembered in the history (outcome, and the URL without query values,
/// user-info or fragment).
pub async fn preview_and_remember(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Report> {
    let (method, url) = (
        request.method.trim().to_ascii_uppercase(),
        redact::history_url(&request.url),
    );
    let method = if method.is_empty() {
        "GET".to_string()
    } else {
        method
    };
    let result = preview_as(l, who, request, prompter, options).await;
    let now = l.clock().now();
    let recorded = match &result {
        Ok(r) => {
            l.store()
                .record_preview(
                    now,
                    &method,
                    &url,
                    Some(r.status),
                    None,
                    Some(r.timings.total_ms),
                )
                .await
        }
        Err(e) => {
            l.store()
                .record_preview(now, &method, &url, None, Some(e.code()), None)
                .await
        }
    };
    if let Err(err) = recorded {
        tracing::warn!("could not remember the preview: {err}");
    }
    result
}

/// Fetches a URL as the license and reports (see [`preview_as`]).
pub async fn preview(
    l: &Lanyard,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Report> {
    preview_as(l, &As::License, request, prompter, options).await
}

/// Fetches a URL through the fetch engine as `who` — the license, or a player to see
/// exactly what a screen gets, refusals included — and types the body for display.
pub async fn preview_as(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Report> {
    let f = fetch(l, who, request, prompter, options).await?;
    let body = if f.truncated {
        body::classify(Some("application/octet-stream"), &f.body)
    } else {
        body::classify(f.content_type.as_deref(), &f.body)
    };
    Ok(Report {
        status: f.status,
        headers: f.headers,
        body,
        size: f.size,
        truncated: f.truncated,
        hops: f.hops,
        channel: f.channel,
        timings: f.timings,
        request: f.request,
        notes: f.notes,
    })
}
