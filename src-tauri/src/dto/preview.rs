//! IPC types of the preview report (mirrors `lanyard_core::preview::Report`; never a
//! credential value — the core's report carries none).

use lanyard_core::error::ErrorCode;
use lanyard_core::preview::report::CredentialSource;
use lanyard_core::preview::{self as core};
use lanyard_core::store::history::HistoryEntry;
use lanyard_core::urltokens::decorate::Attached;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the Preview page sends.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PreviewInputDto {
    /// URL.
    pub url: String,
    /// Method.
    pub method: String,
    /// Headers as name/value pairs.
    pub headers: Vec<(String, String)>,
    /// Body text (null for none).
    pub body: Option<String>,
    /// A channel to use (null: the one whose API covers the URL).
    pub channel_id: Option<String>,
    /// Fetch as `license` or `player:<id>` (null: the license).
    #[serde(default)]
    pub as_principal: Option<String>,
}

impl From<PreviewInputDto> for core::PreviewRequest {
    fn from(i: PreviewInputDto) -> Self {
        core::PreviewRequest {
            url: i.url,
            method: i.method,
            headers: i.headers,
            body: i.body.filter(|b| !b.is_empty()).map(String::into_bytes),
            channel: i.channel_id.filter(|c| !c.is_empty()),
        }
    }
}

/// The body, typed: the core's own type (its TypeScript name is `BodyDto`).
pub use lanyard_core::preview::Body as BodyDto;

/// A credential on a hop.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CredentialUseDto {
    /// The channel or a URL token.
    pub source: CredentialSource,
    /// Channel or token id.
    pub id: String,
    /// Token key.
    pub key: Option<String>,
    /// Where it went.
    pub placement: Attached,
}

/// Something not sent, and why.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NotSentDto {
    /// The channel, a URL token or a header.
    pub source: CredentialSource,
    /// Id or header name.
    pub id: String,
    /// Token key.
    pub key: Option<String>,
    /// Why.
    pub reason: String,
}

/// One request of the chain.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HopDto {
    /// Method.
    pub method: String,
    /// URL (token values redacted).
    pub url: String,
    /// Status.
    pub status: u16,
    /// Sent.
    pub credentials: Vec<CredentialUseDto>,
    /// Not sent.
    pub not_sent: Vec<NotSentDto>,
}

/// The channel used.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChannelUseDto {
    /// Channel id.
    pub channel_id: String,
    /// Account.
    pub account_label: String,
    /// Grant expiry (Unix seconds).
    #[ts(type = "number | null")]
    pub grant_expires_at: Option<i64>,
    /// Why no grant.
    pub error: Option<crate::dto::IpcError>,
}

/// Timings.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TimingsDto {
    /// DNS + connect (ms).
    pub connect_ms: Option<f64>,
    /// Time to first byte (ms).
    pub ttfb_ms: f64,
    /// Total (ms).
    pub total_ms: f64,
}

/// The request as sent.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SentRequestDto {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers (Authorization redacted).
    pub headers: Vec<(String, String)>,
    /// Body (token values redacted).
    pub body: Option<String>,
}

/// The report.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PreviewReportDto {
    /// Final status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: BodyDto,
    /// Size (bytes).
    #[ts(type = "number")]
    pub size: u64,
    /// Cut at the cap.
    pub truncated: bool,
    /// Hops.
    pub hops: Vec<HopDto>,
    /// Channel.
    pub channel: Option<ChannelUseDto>,
    /// Timings.
    pub timings: TimingsDto,
    /// The first request as sent.
    pub request: SentRequestDto,
    /// Notes.
    pub notes: Vec<String>,
}

impl From<core::Report> for PreviewReportDto {
    fn from(r: core::Report) -> Self {
        PreviewReportDto {
            status: r.status,
            headers: r.headers,
            body: r.body,
            size: r.size,
            truncated: r.truncated,
            hops: r
                .hops
                .into_iter()
                .map(|h| HopDto {
                    method: h.method,
                    url: h.url,
                    status: h.status,
                    credentials: h
                        .credentials
                        .into_iter()
                        .map(|c| CredentialUseDto {
                            source: c.source,
                            id: c.id,
                            key: c.key,
                            placement: attached(&c.placement),
                        })
                        .collect(),
                    not_sent: h
                        .not_sent
                        .into_iter()
                        .map(|n| NotSentDto {
                            source: n.source,
                            id: n.id,
                            key: n.key,
                            reason: n.reason,
                        })
                        .collect(),
                })
                .collect(),
            channel: r.channel.map(|c| ChannelUseDto {
                channel_id: c.channel_id,
                account_label: c.account_label,
                grant_expires_at: c.grant_expires_at,
                error: c.error.map(|e| crate::dto::IpcError {
                    code: error_code(&e.code),
                    message: e.message,
                    field: None,
                }),
            }),
            timings: TimingsDto {
                connect_ms: r.timings.connect_ms,
                ttfb_ms: r.timings.ttfb_ms,
                total_ms: r.timings.total_ms,
            },
            request: SentRequestDto {
                method: r.request.method,
                url: r.request.url,
                headers: r.request.headers,
                body: r.request.body,
            },
            notes: r.notes,
        }
    }
}

/// A remembered preview.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HistoryEntryDto {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// When (Unix seconds).
    #[ts(type = "number")]
    pub at: i64,
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Status.
    #[ts(type = "number | null")]
    pub status: Option<i64>,
    /// Error code.
    pub error: Option<String>,
    /// Duration (ms).
    pub total_ms: Option<f64>,
}

impl From<HistoryEntry> for HistoryEntryDto {
    fn from(h: HistoryEntry) -> Self {
        HistoryEntryDto {
            id: h.id,
            at: h.at,
            method: h.method,
            url: h.url,
            status: h.status,
            error: h.error,
            total_ms: h.total_ms,
        }
    }
}

/// Where a credential went: the core's report names it by [`Attached::as_str`] (the fetch
/// engine writes nothing else), read back into the closed set here.
fn attached(text: &str) -> Attached {
    Attached::parse(text).unwrap_or_else(|| {
        tracing::warn!("the preview report names an unknown placement {text:?}");
        Attached::Header
    })
}

/// A problem's code: the core's report holds [`ErrorCode::as_str`] (it is made from an
/// `Error`), read back into the closed set here.
fn error_code(text: &str) -> ErrorCode {
    ErrorCode::parse(text).unwrap_or_else(|| {
        tracing::warn!("the preview report names an unknown error code {text:?}");
        ErrorCode::Internal
    })
}
