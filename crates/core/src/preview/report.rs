//! The preview report: what the preview window shows — the fetch engine's report (see
//! [`crate::fetch::report`], re-exported here) with the body typed for display.

use serde::Serialize;

pub use crate::fetch::report::{
    ChannelUse, CredentialSource, CredentialUse, Hop, NotSent, Problem, SentRequest, Timings,
};

use super::Body;

/// The preview report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Final status.
    pub status: u16,
    /// Final response headers.
    pub headers: Vec<(String, String)>,
    /// Final body.
    pub body: Body,
    /// Size read (bytes).
    pub size: u64,
    /// The body was cut at the cap.
    pub truncated: bool,
    /// Every hop.
    pub hops: Vec<Hop>,
    /// The channel.
    pub channel: Option<ChannelUse>,
    /// Timings.
    pub timings: Timings,
    /// The first request as sent.
    pub request: SentRequest,
    /// Notes (form tokens moved to the query of a GET, redirects stopped, …).
    pub notes: Vec<String>,
}
