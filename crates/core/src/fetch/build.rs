//! Building one hop's request: form tokens into the query (GET/HEAD) or the form body, the
//! caller's headers (credential-bearing ones only to the trusted origin), the tokens'
//! own headers and `Authorization`; and the echo of it for the report (values redacted).

use url::Url;

use super::credentials::{Carried, HopRequest};
use super::headers;
use super::report::{CredentialSource, NotSent, SentRequest};
use crate::error::{Error, Result};
use crate::urltokens::decorate::encode_form;

/// One hop's request, built.
pub(crate) struct Built {
    pub request: reqwest::RequestBuilder,
    pub url: Url,
    pub echo: SentRequest,
    pub body_had_tokens: bool,
}

/// Builds one hop (see the module docs). `player`: the answer must arrive as sent (no
/// compression), to be searched for sent values.
pub(crate) fn build_hop(
    client: &reqwest::Client,
    hop: &HopRequest<'_>,
    body: Option<&Vec<u8>>,
    headers: &[(String, String)],
    creds: &mut Carried,
    player: bool,
) -> Result<Built> {
    let method = hop.method;
    let get_like = method == "GET" || method == "HEAD";
    let (send_url, send_body, content_type) = place_form(hop.target.url, body, creds, get_like);
    let http_method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| Error::invalid("invalid method"))?;
    let request = client.request(http_method, send_url.clone());
    let (mut request, mut echoed) =
        caller_headers(request, hop, headers, creds, content_type, player);
    for (name, value) in &creds.headers {
        request = request.header(name.as_str(), value.expose());
        echoed.push((name.clone(), "[redacted]".into()));
    }
    if let Some(auth) = &creds.authorization {
        request = request.header("Authorization", auth.expose());
        let scheme = auth.expose().split(' ').next().unwrap_or("").to_string();
        echoed.push(("Authorization".into(), format!("{scheme} [redacted]")));
    }
    if let Some(ct) = content_type {
        request = request.header("Content-Type", ct);
        echoed.push(("Content-Type".into(), ct.into()));
    }
    let asked_encoding = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("accept-encoding"));
    if player || !asked_encoding {
        request = request.header("Accept-Encoding", "identity");
        echoed.push(("Accept-Encoding".into(), "identity".into()));
    }
    let body_had_tokens = !creds.form.is_empty() && !get_like;
    if let Some(b) = &send_body {
        request = request.body(b.clone());
    }
    let echo = SentRequest {
        method: method.to_string(),
        url: send_url.to_string(),
        headers: echoed,
        body: send_body.as_ref().map(|b| match std::str::from_utf8(b) {
            Ok(text) => text.to_string(),
            Err(_) => format!("[{} bytes]", b.len()),
        }),
    };
    Ok(Built {
        request,
        url: send_url,
        echo,
        body_had_tokens,
    })
}

/// Form tokens go into a GET's (or HEAD's) query, else after the body (which becomes a
/// form): the URL and body to send, and the `Content-Type` that then goes with them.
fn place_form(
    url: &Url,
    body: Option<&Vec<u8>>,
    creds: &Carried,
    get_like: bool,
) -> (Url, Option<Vec<u8>>, Option<&'static str>) {
    let mut send_url = url.clone();
    let mut send_body = body.cloned();
    let mut content_type = None;
    if !creds.form.is_empty() {
        if get_like {
            let mut pairs = send_url.query_pairs_mut();
            for (k, v) in &creds.form {
                pairs.append_pair(k, v.expose());
            }
        } else {
            let encoded = encode_form(&creds.form);
            let mut joined = send_body.take().unwrap_or_default();
            if !joined.is_empty() {
                joined.push(b'&');
            }
            joined.extend_from_slice(encoded.expose().as_bytes());
            send_body = Some(joined);
            content_type = Some("application/x-www-form-urlencoded");
        }
    }
    (send_url, send_body, content_type)
}

/// The caller's headers that go on this hop (and their echo): none that would carry a
/// credential to another origin, none that a linked credential sets.
fn caller_headers(
    mut request: reqwest::RequestBuilder,
    hop: &HopRequest<'_>,
    headers: &[(String, String)],
    creds: &mut Carried,
    content_type: Option<&str>,
    player: bool,
) -> (reqwest::RequestBuilder, Vec<(String, String)>) {
    let mut echoed = Vec::new();
    let not_sent = |k: &String, reason: String| NotSent {
        source: CredentialSource::Header,
        id: k.clone(),
        key: None,
        reason,
    };
    for (k, v) in headers {
        if !hop.trust.trusted && !headers::safe_off_origin(k) {
            creds.not_sent.push(not_sent(k, hop.trust.reason()));
            continue;
        }
        if creds
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(k))
        {
            creds
                .not_sent
                .push(not_sent(k, "a linked URL token sets this header".into()));
            continue;
        }
        if k.eq_ignore_ascii_case("authorization") && creds.authorization.is_some() {
            creds.not_sent.push(not_sent(
                k,
                "a linked credential takes the Authorization header".into(),
            ));
            continue;
        }
        if content_type.is_some() && k.eq_ignore_ascii_case("content-type") {
            continue;
        }
        // A player's answer must arrive as sent, to be searched for sent values.
        if player && k.eq_ignore_ascii_case("accept-encoding") {
            continue;
        }
        request = request.header(k.as_str(), v.as_str());
        let shown = if headers::sensitive(k) {
            "[redacted]".to_string()
        } else {
            v.clone()
        };
        echoed.push((k.clone(), shown));
    }
    (request, echoed)
}
