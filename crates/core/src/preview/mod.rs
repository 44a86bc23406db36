//! Preview: fetch a data URL exactly as a player would — with the license's grant for the
//! channel whose API covers the URL, plus the matching URL tokens — and report what came
//! back and exactly which credentials went where (never a value).
//!
//! Redirects are followed by hand (at most [`MAX_HOPS`]): matching is re-run at every hop,
//! credentials only ever go to the first request's origin, a 307/308 body that carried
//! form tokens is never re-sent to another origin, and an https → http hop carries nothing.

pub mod body;
mod once;
mod redact;
pub mod report;

use std::time::{Duration, Instant};

use url::Url;

use crate::broker::grant::issue_grant_for;
use crate::broker::players::LICENSE;
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::oauth::endpoint::is_loopback;
use crate::oauth::http::{client_with, describe};
use crate::secrets::SecretValue;
use crate::urltokens::decorate::{encode_form, Attached};
use crate::urltokens::permission::{resolve, Prompter};
use crate::urltokens::prefix::{origin_of, parse_prefix, parse_request_url, segments_of};

pub use body::Body;
pub use report::{ChannelUse, CredentialUse, Hop, NotSent, Problem, Report, SentRequest, Timings};

use redact::{redact_body, redact_url};

/// The most redirects followed.
pub const MAX_HOPS: usize = 5;
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

/// Finds the channel for a URL: the one named, else the one whose provider's API base
/// covers it.
async fn channel_for(
    l: &Lanyard,
    url: &Url,
    wanted: Option<&str>,
) -> Result<Option<(String, String, Vec<String>)>> {
    let snapshot = l.snapshot().await?;
    let found = match wanted {
        Some(id) => Some(
            snapshot
                .channels
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| Error::NotFound(format!("no channel with id {id:?}")))?,
        ),
        None => snapshot
            .channels
            .iter()
            .find(|c| c.bases.iter().any(|b| covers(b, url))),
    };
    Ok(found.map(|c| (c.id.clone(), c.label.clone(), c.bases.clone())))
}

fn check_headers(headers: &[(String, String)]) -> Result<()> {
    for (name, value) in headers {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(Error::invalid(format!(
                "{name:?} is not a valid header name"
            )));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(Error::invalid(format!(
                "the value of header {name} contains control characters"
            )));
        }
    }
    Ok(())
}

fn sensitive(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "cookie" | "proxy-authorization"
    )
}

/// [`preview`], remembered in the history (outcome, and the URL without query values,
/// user-info or fragment).
pub async fn preview_and_remember(
    l: &Lanyard,
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
    let result = preview(l, request, prompter, options).await;
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

/// Fetches a URL as a player would and reports.
pub async fn preview(
    l: &Lanyard,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Report> {
    let started = Instant::now();
    let first = parse_request_url(&request.url)?;
    if first.scheme() == "http" && !is_loopback(&first) {
        return Err(Error::invalid(
            "previews use https (plain http only for 127.0.0.1, ::1 or localhost)",
        ));
    }
    check_headers(&request.headers)?;
    let method = if request.method.trim().is_empty() {
        "GET".to_string()
    } else {
        request.method.trim().to_ascii_uppercase()
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase()) || method.len() > 16 {
        return Err(Error::invalid(format!("{method:?} is not an HTTP method")));
    }
    let client = if options.connect_timeout == Duration::from_secs(10)
        && options.timeout == Duration::from_secs(30)
    {
        l.http().clone()
    } else {
        client_with(options.connect_timeout, options.timeout)?
    };
    let prompter = once::Once::new(prompter);
    let first_origin = origin_of(&first).unwrap_or_default();

    // The channel and its grant (license principal), as a player would get it.
    let mut channel_use = None;
    let mut grant_token: Option<(String, SecretValue, Vec<String>)> = None;
    let mut audience: Option<String> = None;
    if let Some((id, label, bases)) = channel_for(l, &first, request.channel.as_deref()).await? {
        match issue_grant_for(l, LICENSE, &id, Some(first.as_str())).await {
            Ok(g) => {
                channel_use = Some(ChannelUse {
                    channel_id: id.clone(),
                    account_label: label,
                    grant_expires_at: Some(g.expires_at),
                    error: None,
                });
                audience = g.audience;
                grant_token = Some((id, SecretValue::new(g.access_token), bases));
            }
            Err(err) => {
                let err = match err {
                    Error::NeedsReauth(m) => Error::NeedsReauth(format!(
                        "{m}. Re-authorize it on the Channels page or with `lanyard channel reauth {id}`"
                    )),
                    other => other,
                };
                channel_use = Some(ChannelUse {
                    channel_id: id,
                    account_label: label,
                    grant_expires_at: None,
                    error: Some(err.into()),
                });
            }
        }
    }

    // Measured on its own connection, concurrently with the request.
    let connect_probe = tokio::spawn(measure_connect(first.clone(), options.connect_timeout));
    let mut url = first.clone();
    let mut method = method;
    let mut body = request.body.clone();
    let mut hops = Vec::new();
    let mut notes = Vec::new();
    let mut sent_request = None;
    let mut ttfb_ms = 0.0;
    let mut downgraded = false;
    loop {
        let same_origin = origin_of(&url).as_deref() == Some(first_origin.as_str());
        if url.scheme() == "http" && first.scheme() == "https" {
            downgraded = true;
        }
        let trusted = same_origin && !downgraded;
        let mut credentials = Vec::new();
        let mut not_sent = Vec::new();
        let mut authorization: Option<SecretValue> = None;
        let mut form: Vec<(String, SecretValue)> = Vec::new();
        let mut form_keys: Vec<String> = Vec::new();

        if let Some((id, token, bases)) = &grant_token {
            let for_here = audience
                .as_deref()
                .is_none_or(|a| url.origin().ascii_serialization() == a);
            if trusted && for_here && bases.iter().any(|b| covers(b, &url)) {
                authorization = Some(SecretValue::new(format!("Bearer {}", token.expose())));
                credentials.push(CredentialUse {
                    source: "channel",
                    id: id.clone(),
                    key: None,
                    placement: "authorization_bearer".into(),
                });
            } else {
                not_sent.push(NotSent {
                    source: "channel",
                    id: id.clone(),
                    key: None,
                    reason: cross_reason(trusted, downgraded),
                });
            }
        }
        if trusted {
            let decoration = resolve(l, &method, &url, &prompter).await?;
            if let Some(auth) = decoration.authorization {
                if authorization.is_some() {
                    for line in decoration.report.attached.iter().filter(|a| {
                        matches!(
                            a.attached,
                            Some(Attached::AuthorizationBasic | Attached::AuthorizationBearer)
                        )
                    }) {
                        not_sent.push(NotSent {
                            source: "url_token",
                            id: line.token_id.clone(),
                            key: Some(line.key.clone()),
                            reason: "the channel's grant takes the Authorization header".into(),
                        });
                    }
                } else {
                    authorization = Some(auth);
                }
            }
            let body_is_form = body.is_none()
                || request.headers.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case("content-type")
                        && v.to_ascii_lowercase()
                            .starts_with("application/x-www-form-urlencoded")
                });
            for line in decoration.report.attached {
                let Some(placement) = line.attached.map(Attached::as_str) else {
                    continue;
                };
                if matches!(
                    line.attached,
                    Some(Attached::AuthorizationBasic | Attached::AuthorizationBearer)
                ) && credentials.iter().any(|c| c.source == "channel")
                {
                    continue;
                }
                if line.attached == Some(Attached::FormBody) && !body_is_form {
                    not_sent.push(NotSent {
                        source: "url_token",
                        id: line.token_id,
                        key: Some(line.key),
                        reason:
                            "the request body is not a form, so form tokens cannot be added to it"
                                .into(),
                    });
                    continue;
                }
                credentials.push(CredentialUse {
                    source: "url_token",
                    id: line.token_id,
                    key: Some(line.key),
                    placement: placement.into(),
                });
            }
            for line in decoration.report.ignored {
                not_sent.push(NotSent {
                    source: "url_token",
                    id: line.token_id,
                    key: Some(line.key),
                    reason: line.reason.unwrap_or_default(),
                });
            }
            if !(body.is_some() && !body_is_form && !decoration.form_in_query) {
                form_keys = decoration.form.iter().map(|(k, _)| k.clone()).collect();
                form = decoration.form;
            }
            if decoration.form_in_query && !form.is_empty() && hops.is_empty() {
                notes.push(
                    "form tokens were sent as query parameters because the request is a GET".into(),
                );
            }
        } else if !hops.is_empty() {
            notes.push(format!(
                "no credentials were sent to {}: {}",
                origin_of(&url).unwrap_or_default(),
                cross_reason(trusted, downgraded)
            ));
        }

        // Build the request.
        let mut send_url = url.clone();
        let mut send_body = body.clone();
        let mut content_type = None;
        if !form.is_empty() {
            if method == "GET" || method == "HEAD" {
                let mut pairs = send_url.query_pairs_mut();
                for (k, v) in &form {
                    pairs.append_pair(k, v.expose());
                }
            } else {
                let encoded = encode_form(&form);
                let mut joined = send_body.take().unwrap_or_default();
                if !joined.is_empty() {
                    joined.push(b'&');
                }
                joined.extend_from_slice(encoded.expose().as_bytes());
                send_body = Some(joined);
                content_type = Some("application/x-www-form-urlencoded");
            }
        }
        let http_method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::invalid("invalid method"))?;
        let mut builder = client.request(http_method, send_url.clone());
        let mut echoed_headers = Vec::new();
        for (k, v) in &request.headers {
            if sensitive(k) && !trusted {
                not_sent.push(NotSent {
                    source: "header",
                    id: k.clone(),
                    key: None,
                    reason: cross_reason(trusted, downgraded),
                });
                continue;
            }
            if sensitive(k) && authorization.is_some() && k.eq_ignore_ascii_case("authorization") {
                continue;
            }
            builder = builder.header(k.as_str(), v.as_str());
            echoed_headers.push((
                k.clone(),
                if sensitive(k) {
                    "[redacted]".into()
                } else {
                    v.clone()
                },
            ));
        }
        if let Some(auth) = &authorization {
            builder = builder.header("Authorization", auth.expose());
            let scheme = auth.expose().split(' ').next().unwrap_or("").to_string();
            echoed_headers.push(("Authorization".into(), format!("{scheme} [redacted]")));
        }
        if let Some(ct) = content_type {
            builder = builder.header("Content-Type", ct);
            echoed_headers.push(("Content-Type".into(), ct.into()));
        }
        let body_had_tokens = !(form.is_empty() || method == "GET" || method == "HEAD");
        if let Some(b) = &send_body {
            builder = builder.body(b.clone());
        }
        let shown_url = redact_url(&send_url, &form_keys);
        if sent_request.is_none() {
            sent_request = Some(SentRequest {
                method: method.clone(),
                url: shown_url.clone(),
                headers: echoed_headers,
                body: send_body
                    .as_ref()
                    .map(|b| redact_body(b, if body_had_tokens { &form_keys } else { &[] })),
            });
        }

        let t = Instant::now();
        let response = builder.send().await.map_err(|e| transport_error(&url, e))?;
        if hops.is_empty() {
            ttfb_ms = t.elapsed().as_secs_f64() * 1000.0;
        }
        let status = response.status();
        hops.push(Hop {
            method: method.clone(),
            url: shown_url,
            status: status.as_u16(),
            credentials,
            not_sent,
        });

        if status.is_redirection() {
            let next = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| url.join(loc).ok());
            if let Some(next) = next {
                match follow(
                    &hops,
                    &next,
                    status.as_u16(),
                    body_had_tokens,
                    &first_origin,
                ) {
                    Err(note) => notes.push(note),
                    Ok(()) => {
                        match status.as_u16() {
                            // 307/308 keep the method and the body.
                            307 | 308 => {}
                            303 if method == "HEAD" => body = None,
                            303 => {
                                method = "GET".into();
                                body = None;
                            }
                            _ => {
                                if method != "GET" && method != "HEAD" {
                                    method = "GET".into();
                                }
                                body = None;
                            }
                        }
                        url = next;
                        continue;
                    }
                }
            }
        }
        return finish(
            response,
            hops,
            channel_use,
            connect_probe,
            ttfb_ms,
            (started, prompter.waited()),
            sent_request,
            notes,
            options,
        )
        .await;
    }
}

/// Whether to follow a redirect to `next`; the error is the note saying why not.
fn follow(
    hops: &[Hop],
    next: &Url,
    status: u16,
    body_had_tokens: bool,
    first_origin: &str,
) -> std::result::Result<(), String> {
    if hops.len() > MAX_HOPS {
        return Err(format!("stopped after {MAX_HOPS} redirects"));
    }
    if !matches!(next.scheme(), "http" | "https") || parse_request_url(next.as_str()).is_err() {
        return Err("the redirect points somewhere Lanyard does not follow".into());
    }
    let next_origin = origin_of(next).unwrap_or_default();
    if matches!(status, 307 | 308) && body_had_tokens && next_origin != first_origin {
        return Err(format!(
            "not following the {status} to {next_origin}: the request body carried URL tokens \
             and would be re-sent to another origin"
        ));
    }
    Ok(())
}

fn cross_reason(trusted: bool, downgraded: bool) -> String {
    if downgraded {
        "the redirect went from https to http, so nothing was sent".into()
    } else if !trusted {
        "credentials are sent only to the origin of the first request".into()
    } else {
        "its API base does not cover this URL".into()
    }
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    mut response: reqwest::Response,
    hops: Vec<Hop>,
    channel: Option<ChannelUse>,
    connect_probe: tokio::task::JoinHandle<Option<f64>>,
    ttfb_ms: f64,
    started: (Instant, Duration),
    request: Option<SentRequest>,
    notes: Vec<String>,
    options: PreviewOptions,
) -> Result<Report> {
    let connect_ms = connect_probe.await.ok().flatten();
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let announced = response.content_length();
    let mut bytes = Vec::new();
    let mut truncated = false;
    let mut size: u64 = 0;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                size += chunk.len() as u64;
                let room = options.max_body.saturating_sub(bytes.len());
                if chunk.len() > room {
                    bytes.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(Error::RequestFailed(format!(
                    "the response could not be read: {}",
                    describe(&e.without_url())
                )))
            }
        }
    }
    // The size of the response: what the server announced when it did, else what arrived.
    let size = announced.unwrap_or(size).max(size);
    let body = if truncated {
        body::classify(Some("application/octet-stream"), &bytes)
    } else {
        body::classify(content_type.as_deref(), &bytes)
    };
    Ok(Report {
        status,
        headers,
        body,
        size,
        truncated,
        hops,
        channel,
        timings: Timings {
            connect_ms,
            ttfb_ms,
            total_ms: started.0.elapsed().saturating_sub(started.1).as_secs_f64() * 1000.0,
        },
        request: request.unwrap_or(SentRequest {
            method: String::new(),
            url: String::new(),
            headers: vec![],
            body: None,
        }),
        notes,
    })
}

fn transport_error(url: &Url, e: reqwest::Error) -> Error {
    let (timeout, connect) = (e.is_timeout(), e.is_connect());
    let host = url.host_str().unwrap_or("the server");
    let why = describe(&e.without_url());
    if timeout {
        Error::RequestFailed(format!("{host} did not answer in time ({why})"))
    } else if connect {
        Error::RequestFailed(format!("could not connect to {host}: {why}"))
    } else {
        Error::RequestFailed(format!("the request to {host} failed: {why}"))
    }
}

async fn measure_connect(url: Url, limit: Duration) -> Option<f64> {
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default()?;
    let t = Instant::now();
    let connect = async {
        let mut addrs = tokio::net::lookup_host((host.as_str(), port)).await.ok()?;
        let addr = addrs.next()?;
        tokio::net::TcpStream::connect(addr).await.ok()
    };
    match tokio::time::timeout(limit, connect).await {
        Ok(Some(_)) => Some(t.elapsed().as_secs_f64() * 1000.0),
        _ => None,
    }
}
