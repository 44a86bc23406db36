//! The fetch engine's report types: every hop with the credentials it carried (never a
//! value), what was not sent and why, the channel used, timings and the request as sent.

use serde::Serialize;

use crate::error::Error;

crate::closed::stored_names! {
    /// What a credential (sent or not) is.
    CredentialSource {
        /// The channel's access token.
        Channel = "channel",
        /// A URL token.
        UrlToken = "url_token",
        /// A header of the request itself (refused or not sent across origins).
        Header = "header",
    }
}

/// One credential on one hop.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialUse {
    /// The channel or a URL token.
    pub source: CredentialSource,
    /// Channel or token id.
    pub id: String,
    /// The token key (URL tokens).
    pub key: Option<String>,
    /// Where it went.
    pub placement: String,
}

/// Something that matched but was not sent, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotSent {
    /// The channel, a URL token or a header.
    pub source: CredentialSource,
    /// Id (or header name).
    pub id: String,
    /// Token key.
    pub key: Option<String>,
    /// Why.
    pub reason: String,
}

/// One request of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// Method.
    pub method: String,
    /// URL as sent (token values in the query redacted).
    pub url: String,
    /// Status.
    pub status: u16,
    /// Credentials it carried.
    pub credentials: Vec<CredentialUse>,
    /// What it did not carry.
    pub not_sent: Vec<NotSent>,
}

/// The channel used (or why not).
#[derive(Debug, Clone, Serialize)]
pub struct ChannelUse {
    /// The channel.
    pub channel_id: String,
    /// Its account.
    pub account_label: String,
    /// The grant expiry, when one was issued.
    pub grant_expires_at: Option<i64>,
    /// The problem, when none was issued.
    pub error: Option<Problem>,
}

/// An error as reported inside a report (`{ code, message }`).
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Stable code.
    pub code: String,
    /// Plain words.
    pub message: String,
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// Timings of the first hop and the whole fetch.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    /// DNS + TCP connect to the first origin, measured separately (ms).
    pub connect_ms: Option<f64>,
    /// Request sent → response headers, first hop (ms).
    pub ttfb_ms: f64,
    /// Everything, all hops and the body (ms).
    pub total_ms: f64,
}

/// The request as sent (first hop), credentials redacted.
#[derive(Debug, Clone, Serialize)]
pub struct SentRequest {
    /// Method.
    pub method: String,
    /// URL (token values redacted).
    pub url: String,
    /// Headers (`Authorization` redacted).
    pub headers: Vec<(String, String)>,
    /// Body (token values redacted), if text.
    pub body: Option<String>,
}
