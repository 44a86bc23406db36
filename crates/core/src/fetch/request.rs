//! What the fetch engine (and so the preview) is asked to do and within which limits.

use std::time::Duration;

use crate::error::{Error, Result};

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

/// The request's method, uppercased (GET when empty).
pub(crate) fn checked_method(method: &str) -> Result<String> {
    let method = match method.trim() {
        "" => "GET".to_string(),
        m => m.to_ascii_uppercase(),
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase()) || method.len() > 16 {
        return Err(Error::invalid(format!("{method:?} is not an HTTP method")));
    }
    Ok(method)
}
