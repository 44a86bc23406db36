//! The redirect policy: whether to follow a `3xx`, and with which method and body.
//! At most [`MAX_HOPS`] redirects; only `http`/`https`; a 307/308 body that carried URL
//! tokens is never re-sent to another origin; a URL that holds a value sent on an earlier
//! hop is never requested at another origin.

use url::Url;

use super::redact::Redactor;
use crate::urltokens::prefix::{origin_of, parse_request_url};

/// The most redirects followed.
pub const MAX_HOPS: usize = 5;

/// What to do after a redirect.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Request `url` with `method` (and the body when it is kept).
    Follow {
        /// The next URL.
        url: Url,
        /// Its method.
        method: String,
        /// Whether the body goes along (307/308).
        keep_body: bool,
    },
    /// Stop here and report the redirect as the answer; the note says why.
    Stop(String),
}

/// Where the redirect came from.
#[derive(Debug)]
pub struct From<'a> {
    /// The URL that answered.
    pub url: &'a Url,
    /// The method it was requested with.
    pub method: &'a str,
    /// Redirects followed so far.
    pub followed: usize,
    /// Its body carried URL tokens.
    pub body_had_tokens: bool,
    /// The first request's origin.
    pub first_origin: &'a str,
}

/// Decides about a redirect answer (`None`: not a redirect, or no usable `Location`).
pub fn decide(
    from: &From<'_>,
    status: u16,
    location: Option<&str>,
    sent: &Redactor,
) -> Option<Next> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let next = from.url.join(location?).ok()?;
    if from.followed >= MAX_HOPS {
        return Some(Next::Stop(format!("stopped after {MAX_HOPS} redirects")));
    }
    if !matches!(next.scheme(), "http" | "https") || parse_request_url(next.as_str()).is_err() {
        return Some(Next::Stop(
            "the redirect points somewhere Lanyard does not follow".into(),
        ));
    }
    let next_origin = origin_of(&next).unwrap_or_default();
    let elsewhere = next_origin != from.first_origin;
    if elsewhere && matches!(status, 307 | 308) && from.body_had_tokens {
        return Some(Next::Stop(format!(
            "not following the {status} to {next_origin}: the request body carried URL tokens \
             and would be re-sent to another origin"
        )));
    }
    if elsewhere && sent.holds_url(&next) {
        return Some(Next::Stop(format!(
            "not following the redirect to {next_origin}: its URL holds a credential value \
             sent to {}, which must not reach another origin",
            from.first_origin
        )));
    }
    let (method, keep_body) = match status {
        307 | 308 => (from.method.to_string(), true),
        _ if from.method == "HEAD" => ("HEAD".to_string(), false),
        _ => ("GET".to_string(), false),
    };
    Some(Next::Follow {
        url: next,
        method,
        keep_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from<'a>(url: &'a Url, method: &'a str, followed: usize, tokens: bool) -> From<'a> {
        From {
            url,
            method,
            followed,
            body_had_tokens: tokens,
            first_origin: "https://a.example:443",
        }
    }

    #[test]
    fn methods_and_bodies_follow_the_status() {
        let here = Url::parse("https://a.example/x").expect("url");
        let none = Redactor::default();
        let follow =
            |status, method| decide(&from(&here, method, 0, false), status, Some("/y"), &none);
        for (status, method, expect, body) in [
            (301, "POST", "GET", false),
            (302, "POST", "GET", false),
            (303, "POST", "GET", false),
            (303, "HEAD", "HEAD", false),
            (307, "POST", "POST", true),
            (308, "PUT", "PUT", true),
        ] {
            match follow(status, method) {
                Some(Next::Follow {
                    url,
                    method,
                    keep_body,
                }) => {
                    assert_eq!(url.as_str(), "https://a.example/y");
                    assert_eq!((method.as_str(), keep_body), (expect, body), "{status}");
                }
                other => panic!("{status}: {other:?}"),
            }
        }
        assert_eq!(follow(200, "GET"), None);
        assert_eq!(follow(304, "GET"), None);
    }

    #[test]
    fn limits_and_refusals() {
        let here = Url::parse("https://a.example/x").expect("url");
        let mut sent = Redactor::default();
        sent.add("TOKEN-VALUE-1");
        let stop = |f: &From<'_>, status, loc: &str| match decide(f, status, Some(loc), &sent) {
            Some(Next::Stop(note)) => note,
            other => panic!("{loc}: {other:?}"),
        };
        assert!(stop(&from(&here, "GET", MAX_HOPS, false), 302, "/y").contains("stopped"));
        assert!(stop(&from(&here, "GET", 0, false), 302, "ftp://b.example/")
            .contains("does not follow"));
        let note = stop(&from(&here, "POST", 0, true), 307, "https://b.example/");
        assert!(note.contains("re-sent"), "{note}");
        // The same 307 within the origin is followed.
        assert!(matches!(
            decide(&from(&here, "POST", 0, true), 307, Some("/z"), &sent),
            Some(Next::Follow { .. })
        ));
        // A token value in the next URL: never to another origin, raw or encoded.
        for loc in [
            "https://b.example/?k=TOKEN-VALUE-1",
            "https://b.example/TOKEN-VALUE-1/x",
            "https://b.example/?k=TOKEN%2DVALUE%2D1",
            "https://b.example/TOKEN%2DVALUE%2D1",
        ] {
            let note = stop(&from(&here, "GET", 0, false), 302, loc);
            assert!(
                note.contains("credential value") && !note.contains("TOKEN"),
                "{note}"
            );
        }
        assert!(matches!(
            decide(
                &from(&here, "GET", 0, false),
                302,
                Some("/?k=TOKEN-VALUE-1"),
                &sent
            ),
            Some(Next::Follow { .. })
        ));
    }
}
