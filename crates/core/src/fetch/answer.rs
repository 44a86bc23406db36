//! The last answer of a fetch: its body read up to the cap, every value sent redacted from
//! it, and the reflected-value rule (a player never gets an answer that still holds one).

use std::time::{Duration, Instant};

use super::chain::Chain;
use super::redact::{self, Redactor};
use super::report::{ChannelUse, SentRequest, Timings};
use super::{Fetched, Reflected};
use crate::error::{Error, Result};
use crate::oauth::http::describe;

/// Reads the last answer (at most `max_body` bytes), redacts what was sent, applies the
/// reflected-value rule and makes the result. `started`: when the fetch began, and how long
/// it waited for a person (kept out of the timings).
pub(crate) async fn finish(
    mut response: reqwest::Response,
    chain: Chain,
    channel: Option<ChannelUse>,
    started: (Instant, Duration),
    max_body: usize,
    reflected: Reflected,
) -> Result<Fetched> {
    let Chain {
        hops,
        mut notes,
        first_request: request,
        connect_ms,
        ttfb_ms,
        sent,
        ..
    } = chain;
    let sent = &sent;
    let status = response.status().as_u16();
    let received: Vec<(String, Vec<u8>)> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
    let headers: Vec<(String, String)> = received
        .iter()
        .map(|(k, v)| (sent.text(k), sent.text(&String::from_utf8_lossy(v))))
        .collect();
    let encoding = response
        .headers()
        .get_all("content-encoding")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty() && v != "identity")
        .collect::<Vec<_>>()
        .join(", ");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let announced = response.content_length();
    let (bytes, truncated, size) = read_body(&mut response, max_body).await?;
    let size = announced.unwrap_or(size).max(size);
    let timings = Timings {
        connect_ms,
        ttfb_ms,
        total_ms: started.0.elapsed().saturating_sub(started.1).as_secs_f64() * 1000.0,
    };
    check_reflected(
        sent,
        reflected,
        sent.found_in(&received, &bytes),
        &encoding,
        &mut notes,
    )?;
    Ok(Fetched {
        status,
        headers,
        body: sent.bytes(bytes),
        content_type,
        size,
        truncated,
        hops,
        channel,
        timings,
        request: request.unwrap_or(SentRequest {
            method: String::new(),
            url: String::new(),
            headers: vec![],
            body: None,
        }),
        notes,
    })
}

/// The body, cut at `max_body` bytes: the bytes kept, whether it was cut, the size read.
async fn read_body(
    response: &mut reqwest::Response,
    max_body: usize,
) -> Result<(Vec<u8>, bool, u64)> {
    let mut bytes = Vec::new();
    let mut truncated = false;
    let mut size: u64 = 0;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                size += chunk.len() as u64;
                let room = max_body.saturating_sub(bytes.len());
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
    Ok((bytes, truncated, size))
}

/// A player's answer that holds a sent value (in any form), or whose body is encoded so
/// that it cannot be searched, is refused; the preview shows it redacted, with a note.
fn check_reflected(
    sent: &Redactor,
    reflected: Reflected,
    found: Vec<redact::Found>,
    encoding: &str,
    notes: &mut Vec<String>,
) -> Result<()> {
    let unreadable = !encoding.is_empty() && !sent.is_empty();
    if reflected == Reflected::Refuse {
        if !found.is_empty() {
            let wher = if found.len() == 2 {
                "its headers and body"
            } else if found[0] == redact::Found::Headers {
                "its headers"
            } else {
                "its body"
            };
            return Err(Error::ReflectedCredential(format!(
                "the upstream answer holds a credential value Lanyard sent it (in {wher}): it is not passed on to a player"
            )));
        }
        if unreadable {
            return Err(Error::ReflectedCredential(format!(
                "the upstream answered {encoding}-encoded though asked for identity: its body cannot be checked for the credential values sent, so it is not passed on to a player"
            )));
        }
        return Ok(());
    }
    if !found.is_empty() {
        notes.push(
            "the answer holds a credential value that was sent (raw or encoded): shown [redacted] here; a player gets 502 reflected_credential for it"
                .into(),
        );
    }
    if unreadable {
        notes.push(format!(
            "the body is {encoding}-encoded, so it could not be checked for the credential values sent; a player gets 502 reflected_credential for it"
        ));
    }
    Ok(())
}
