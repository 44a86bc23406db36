//! Preview: fetch a data URL through the fetch engine ([`crate::fetch`]) as the license or
//! as a player ("as", [`preview_as`]), remember it in the history ([`preview_and_remember`])
//! and shape the report for the window ([`Report`], the body typed by [`body`]). The
//! request, its limits and the hop types are the engine's, re-exported here.
//!
//! Redirects are followed by hand (at most [`MAX_HOPS`]): matching is re-run at every hop,
//! credentials only ever go to the first request's origin, a 307/308 body that carried
//! form tokens is never re-sent to another origin, and an https → http hop carries nothing.

pub mod body;
mod redact;
pub mod report;

use crate::error::Result;
use crate::fetch::{fetch_for_preview, As};
use crate::instance::Lanyard;
use crate::urltokens::permission::Prompter;

pub use crate::fetch::redirect::MAX_HOPS;
pub use crate::fetch::request::{PreviewOptions, PreviewRequest, MAX_BODY};
pub use body::Body;
pub use report::{ChannelUse, CredentialUse, Hop, NotSent, Problem, Report, SentRequest, Timings};

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
    let f = fetch_for_preview(l, who, request, prompter, options).await?;
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
