//! What a player is sent, in one shape wherever it comes from — the upstream's answer,
//! a stored answer, the last good copy: the status, the headers passed on, the body and
//! what was attached (`X-Lanyard-Attached`). The cache's entries and the gateway's
//! answers each hold one, beside what is theirs alone.

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, StatusCode};

/// Status, headers passed on, body and what was attached.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// The headers passed on to the player (already the player's: see
    /// [`crate::answer_headers::for_player`]).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Bytes,
    /// `X-Lanyard-Attached`: what was attached, by name.
    pub attached: String,
}

impl Reply {
    /// The bytes it holds (body, headers, attached names), for the cache's weigher.
    pub fn weight(&self) -> usize {
        self.body.len() + headers_weight(&self.headers) + self.attached.len()
    }

    /// The same reply with `Age: seconds` in place of any `Age` it had.
    pub fn aged(&self, seconds: u64) -> Reply {
        let mut headers = Vec::with_capacity(self.headers.len() + 1);
        headers.extend(
            self.headers
                .iter()
                .filter(|(k, _)| k != axum::http::header::AGE)
                .cloned(),
        );
        headers.push((axum::http::header::AGE, HeaderValue::from(seconds)));
        Reply {
            status: self.status,
            headers,
            body: self.body.clone(),
            attached: self.attached.clone(),
        }
    }
}

fn headers_weight(headers: &[(HeaderName, HeaderValue)]) -> usize {
    headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aged_replaces_any_age_and_keeps_the_rest() {
        let reply = Reply {
            status: StatusCode::OK,
            headers: vec![
                (axum::http::header::AGE, HeaderValue::from(5u64)),
                (axum::http::header::ETAG, HeaderValue::from_static("\"v1\"")),
            ],
            body: Bytes::from_static(b"{}"),
            attached: "channel:c1".into(),
        };
        let aged = reply.aged(42);
        let ages: Vec<_> = aged
            .headers
            .iter()
            .filter(|(k, _)| k == axum::http::header::AGE)
            .map(|(_, v)| v.to_str().expect("ascii").to_string())
            .collect();
        assert_eq!(ages, ["42"]);
        assert!(aged
            .headers
            .iter()
            .any(|(k, _)| k == axum::http::header::ETAG));
        assert_eq!(
            (aged.status, &aged.body[..], aged.attached.as_str()),
            (StatusCode::OK, &b"{}"[..], "channel:c1")
        );
        assert_eq!(
            reply.weight(),
            2 + "age".len() + 1 + "etag".len() + 4 + "channel:c1".len()
        );
    }
}
