//! The fetch engine: `fetch(as, request) -> response + report`, one path for the preview
//! (the license, or a player to see what a screen gets), the gateway's `/v1/fetch` (a
//! player) and the CLI. Credentials never leave it: values are attached here and reported
//! by name only.
//!
//! - [`credentials`]: the channel (by API base) and URL tokens (by prefix) the principal
//!   is linked to; for players, whether a URL is covered at all (never an open proxy) and
//!   may be reached (loopback and link-local addresses only when a linked prefix names the
//!   address literally; every other name through a resolver that refuses names resolving
//!   inward, `not_covered`).
//! - [`headers`]: the caller's headers — hop-by-hop, framing and cookie headers refused;
//!   only credential-free ones follow a redirect to another origin.
//! - [`redirect`]: the redirect policy, by hand, at most [`redirect::MAX_HOPS`].
//! - [`redact`]: redaction by value of everything sent, everywhere in the report.
//! - [`client`]: clients without redirects that time their own connections.
//!
//! Credentials go only to the first request's origin; matching is re-run at every hop
//! there; an https → http hop carries nothing. A player's request must be covered by a
//! linked credential on every hop: a redirect to an uncovered URL is `not_covered`.

pub mod client;
pub mod credentials;
pub mod headers;
pub mod redact;
pub mod redirect;

use std::time::{Duration, Instant};

use url::Url;

use crate::broker::grant::issue_grant_for;
use crate::broker::players::LICENSE;
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::oauth::endpoint::is_loopback;
use crate::oauth::http::describe;
use crate::preview::report::{ChannelUse, CredentialUse, Hop, NotSent, SentRequest, Timings};
use crate::preview::request::{PreviewOptions, PreviewRequest};
use crate::secrets::SecretValue;
use crate::urltokens::decorate::{encode_form, Attached};
use crate::urltokens::permission::{resolve_linked, Asking, Prompter};
use crate::urltokens::prefix::{origin_of, parse_request_url};

use redact::Redactor;
use redirect::{decide, Next};

/// Who a request is made as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum As {
    /// The desktop license: its links, and a person answers permission and prompt
    /// questions.
    License,
    /// A player: its links only; the link is the permission; nobody can be asked.
    Player(String),
}

impl As {
    /// `license` or `player:<id>`.
    pub fn parse(text: &str) -> Result<As> {
        let text = text.trim();
        if text == LICENSE {
            return Ok(As::License);
        }
        match text.strip_prefix("player:") {
            Some(id) if !id.trim().is_empty() => Ok(As::Player(id.trim().to_string())),
            _ => Err(Error::invalid(format!(
                "{text:?} names no principal: use \"license\" or \"player:<player id>\""
            ))),
        }
    }

    /// The principal id.
    pub fn id(&self) -> &str {
        match self {
            As::License => LICENSE,
            As::Player(id) => id,
        }
    }

    /// Whether it is a player.
    pub fn is_player(&self) -> bool {
        matches!(self, As::Player(_))
    }
}

/// What came back, with the report of what was sent (never a value).
#[derive(Debug)]
pub struct Fetched {
    /// Final status.
    pub status: u16,
    /// Final response headers (values sent on any hop redacted).
    pub headers: Vec<(String, String)>,
    /// The final body, at most `max_body` bytes (values sent redacted).
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// The size announced or read.
    pub size: u64,
    /// The body was cut at `max_body`.
    pub truncated: bool,
    /// Every hop.
    pub hops: Vec<Hop>,
    /// The channel.
    pub channel: Option<ChannelUse>,
    /// Timings.
    pub timings: Timings,
    /// The first request as sent.
    pub request: SentRequest,
    /// Notes.
    pub notes: Vec<String>,
}

impl Fetched {
    /// What was attached on any hop, by name: `channel:<id>`, `url_token:<id>:<key>`.
    pub fn attached(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.hops.iter().flat_map(|h| &h.credentials) {
            let name = match &c.key {
                Some(key) => format!("{}:{}:{key}", c.source, c.id),
                None => format!("{}:{}", c.source, c.id),
            };
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }
}

fn checked_method(method: &str) -> Result<String> {
    let method = match method.trim() {
        "" => "GET".to_string(),
        m => m.to_ascii_uppercase(),
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase()) || method.len() > 16 {
        return Err(Error::invalid(format!("{method:?} is not an HTTP method")));
    }
    Ok(method)
}

/// The channel token for a request, and how the channel was used.
struct ChannelGrant {
    id: String,
    token: SecretValue,
    bases: Vec<String>,
    audience: Option<String>,
}

async fn grant_for(
    l: &Lanyard,
    who: &As,
    chosen: credentials::ChosenChannel,
    url: &Url,
) -> Result<(ChannelUse, Option<ChannelGrant>)> {
    // Only per-resource providers need the URL (it costs two reads); the API base check is
    // ours either way.
    let for_url = chosen.per_resource.then_some(url.as_str());
    match issue_grant_for(l, who.id(), &chosen.id, for_url).await {
        Ok(g) => Ok((
            ChannelUse {
                channel_id: chosen.id.clone(),
                account_label: chosen.label,
                grant_expires_at: Some(g.expires_at),
                error: None,
            },
            Some(ChannelGrant {
                id: chosen.id,
                token: SecretValue::new(g.access_token),
                bases: chosen.bases,
                audience: g.audience,
            }),
        )),
        // A screen cannot show a half-signed answer: a player gets the refusal.
        Err(err) if who.is_player() => Err(err),
        Err(err) => {
            let id = chosen.id;
            let err = match err {
                Error::NeedsReauth(m) => Error::NeedsReauth(format!(
                    "{m}. Re-authorize it on the Channels page or with `lanyard channel reauth {id}`"
                )),
                other => other,
            };
            Ok((
                ChannelUse {
                    channel_id: id,
                    account_label: chosen.label,
                    grant_expires_at: None,
                    error: Some(err.into()),
                },
                None,
            ))
        }
    }
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

/// What one hop carries.
#[derive(Default)]
struct Credentials {
    used: Vec<CredentialUse>,
    not_sent: Vec<NotSent>,
    authorization: Option<SecretValue>,
    form: Vec<(String, SecretValue)>,
    form_keys: Vec<String>,
    form_in_query: bool,
    /// Named-header tokens' headers.
    headers: Vec<(String, SecretValue)>,
}

/// Chooses what one hop carries: the channel token where its API base (and audience)
/// covers the URL, the principal's URL tokens matching it.
#[allow(clippy::too_many_arguments)]
async fn credentials_for_hop(
    l: &Lanyard,
    who: &As,
    linked: &crate::snapshot::Linked,
    prompter: &dyn Prompter,
    method: &str,
    url: &Url,
    trusted: bool,
    downgraded: bool,
    grant: Option<&ChannelGrant>,
    body_is_form: bool,
    sent: &mut Redactor,
) -> Result<Credentials> {
    let mut c = Credentials::default();
    if let Some(g) = grant {
        let for_here = g
            .audience
            .as_deref()
            .is_none_or(|a| url.origin().ascii_serialization() == a);
        if trusted
            && for_here
            && g.bases
                .iter()
                .any(|b| crate::preview::request::covers(b, url))
        {
            c.authorization = Some(SecretValue::new(format!("Bearer {}", g.token.expose())));
            sent.add(g.token.expose());
            c.used.push(CredentialUse {
                source: crate::preview::report::CredentialSource::Channel,
                id: g.id.clone(),
                key: None,
                placement: "authorization_bearer".into(),
            });
        } else {
            c.not_sent.push(NotSent {
                source: crate::preview::report::CredentialSource::Channel,
                id: g.id.clone(),
                key: None,
                reason: cross_reason(trusted, downgraded),
            });
        }
    }
    if !trusted {
        return Ok(c);
    }
    let asking = match who {
        As::License => Asking::Person(prompter),
        As::Player(_) => Asking::Nobody,
    };
    let decoration = resolve_linked(l, method, url, Some(&linked.tokens), asking).await?;
    if who.is_player() && decoration.needs_prompt {
        return Err(Error::NeedsPrompt(format!(
            "a URL token for {} asks for its value at use time, which a player cannot \
             answer: give it a stored value, or unlink it from this player",
            credentials::shown(url)
        )));
    }
    for v in &decoration.values {
        sent.add(v.expose());
    }
    let channel_has_auth = c.authorization.is_some();
    if let Some(auth) = decoration.authorization {
        if !channel_has_auth {
            c.authorization = Some(auth);
        }
    }
    for line in decoration.report.attached {
        let Some(attached) = line.attached else {
            continue;
        };
        let header = matches!(
            attached,
            Attached::AuthorizationBasic | Attached::AuthorizationBearer
        );
        if header && channel_has_auth {
            c.not_sent.push(NotSent {
                source: crate::preview::report::CredentialSource::UrlToken,
                id: line.token_id,
                key: Some(line.key),
                reason: "the channel's grant takes the Authorization header".into(),
            });
            continue;
        }
        if attached == Attached::FormBody && !body_is_form {
            c.not_sent.push(NotSent {
                source: crate::preview::report::CredentialSource::UrlToken,
                id: line.token_id,
                key: Some(line.key),
                reason: "the request body is not a form, so form tokens cannot be added to it"
                    .into(),
            });
            continue;
        }
        c.used.push(CredentialUse {
            source: crate::preview::report::CredentialSource::UrlToken,
            id: line.token_id,
            key: Some(line.key),
            placement: attached.as_str().into(),
        });
    }
    for line in decoration.report.ignored {
        c.not_sent.push(NotSent {
            source: crate::preview::report::CredentialSource::UrlToken,
            id: line.token_id,
            key: Some(line.key),
            reason: line.reason.unwrap_or_default(),
        });
    }
    if decoration.form_in_query || body_is_form {
        c.form_keys = decoration.form.iter().map(|(k, _)| k.clone()).collect();
        c.form = decoration.form;
    }
    c.form_in_query = decoration.form_in_query;
    c.headers = decoration.headers;
    Ok(c)
}

/// One hop's request, built.
struct Built {
    request: reqwest::RequestBuilder,
    url: Url,
    echo: SentRequest,
    body_had_tokens: bool,
}

/// Builds one hop: form tokens into the query (GET/HEAD) or the form body, the caller's
/// headers (credential-bearing ones only to the trusted origin), `Authorization`.
#[allow(clippy::too_many_arguments)]
fn build_hop(
    client: &reqwest::Client,
    method: &str,
    url: &Url,
    body: Option<&Vec<u8>>,
    headers: &[(String, String)],
    creds: &mut Credentials,
    (trusted, downgraded): (bool, bool),
    player: bool,
) -> Result<Built> {
    let mut send_url = url.clone();
    let mut send_body = body.cloned();
    let mut content_type = None;
    let get_like = method == "GET" || method == "HEAD";
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
    let http_method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| Error::invalid("invalid method"))?;
    let mut request = client.request(http_method, send_url.clone());
    let mut echoed = Vec::new();
    for (k, v) in headers {
        if !trusted && !headers::safe_off_origin(k) {
            creds.not_sent.push(NotSent {
                source: crate::preview::report::CredentialSource::Header,
                id: k.clone(),
                key: None,
                reason: cross_reason(trusted, downgraded),
            });
            continue;
        }
        if creds
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(k))
        {
            creds.not_sent.push(NotSent {
                source: crate::preview::report::CredentialSource::Header,
                id: k.clone(),
                key: None,
                reason: "a linked URL token sets this header".into(),
            });
            continue;
        }
        if k.eq_ignore_ascii_case("authorization") && creds.authorization.is_some() {
            creds.not_sent.push(NotSent {
                source: crate::preview::report::CredentialSource::Header,
                id: k.clone(),
                key: None,
                reason: "a linked credential takes the Authorization header".into(),
            });
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

/// What becomes of an answer that still holds a value that was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reflected {
    /// Refused for a player (`reflected_credential`): what a screen gets.
    Refuse,
    /// Shown redacted, with a note: the preview (a person looking, never a screen).
    Redact,
}

/// Fetches `request` as `who`, following redirects by hand, and reports what went where.
/// For a player, an answer whose headers or body still hold a value that was sent, in any
/// form, is refused (`reflected_credential`); so is one encoded so that it cannot be
/// checked.
pub async fn fetch(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Fetched> {
    run(l, who, request, prompter, options, Reflected::Refuse).await
}

/// [`fetch`] for the preview: a reflected value is shown redacted, with a note.
pub(crate) async fn fetch_for_preview(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
) -> Result<Fetched> {
    run(l, who, request, prompter, options, Reflected::Redact).await
}

async fn run(
    l: &Lanyard,
    who: &As,
    request: PreviewRequest,
    prompter: &dyn Prompter,
    options: PreviewOptions,
    reflected: Reflected,
) -> Result<Fetched> {
    let started = Instant::now();
    let first = parse_request_url(&request.url)?;
    if first.scheme() == "http" && !is_loopback(&first) {
        return Err(Error::invalid(
            "data URLs use https (plain http only for 127.0.0.1, ::1 or localhost)",
        ));
    }
    headers::check(&request.headers)?;
    let method = checked_method(&request.method)?;
    let snapshot = l.snapshot().await?;
    if let As::Player(id) = who {
        if !snapshot.active_players.contains(id) {
            return Err(Error::UnknownPrincipal(format!(
                "no active player with id {id:?}"
            )));
        }
    }
    credentials::require_covered(&snapshot, who, &first)?;
    let linked = snapshot.linked(who.id()).clone();
    let prompter = crate::preview::once::Once::new(prompter);
    let first_origin = origin_of(&first).unwrap_or_default();

    let mut channel_use = None;
    let mut grant = None;
    if let Some(chosen) =
        credentials::channel_for(&snapshot, who, &first, request.channel.as_deref())?
    {
        let (used, g) = grant_for(l, who, chosen, &first).await?;
        channel_use = Some(used);
        grant = g;
    }

    let mut sent = Redactor::default();
    for (k, v) in &request.headers {
        if headers::sensitive(k) {
            sent.add(v);
        }
    }
    let form_content = request.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type")
            && v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
    });
    let mut url = first.clone();
    let mut method = method;
    let mut body = request.body.clone();
    let mut hops: Vec<Hop> = Vec::new();
    let mut notes = Vec::new();
    let mut first_request: Option<SentRequest> = None;
    let (mut ttfb_ms, mut connect_ms) = (0.0, None);
    let mut downgraded = false;
    loop {
        if !hops.is_empty() {
            credentials::require_covered(&snapshot, who, &url)?;
        }
        let same_origin = origin_of(&url).as_deref() == Some(first_origin.as_str());
        if url.scheme() == "http" && first.scheme() == "https" {
            downgraded = true;
        }
        let trusted = same_origin && !downgraded;
        let mut creds = credentials_for_hop(
            l,
            who,
            &linked,
            &prompter,
            &method,
            &url,
            trusted,
            downgraded,
            grant.as_ref(),
            body.is_none() || form_content,
            &mut sent,
        )
        .await?;
        if !trusted && !hops.is_empty() {
            notes.push(format!(
                "no credentials were sent to {}: {}",
                origin_of(&url).unwrap_or_default(),
                cross_reason(trusted, downgraded)
            ));
        }
        if creds.form_in_query && !creds.form.is_empty() && hops.is_empty() {
            notes.push(
                "form tokens were sent as query parameters because the request is a GET".into(),
            );
        }
        let guarded = who.is_player() && !credentials::named_literally(&snapshot, who, &url);
        let client = client::client(options.connect_timeout, options.timeout, guarded)?;
        let built = build_hop(
            &client,
            &method,
            &url,
            body.as_ref(),
            &request.headers,
            &mut creds,
            (trusted, downgraded),
            who.is_player(),
        )?;
        let shown_url = sent.text(built.url.as_str());
        if first_request.is_none() {
            let mut echo = built.echo;
            echo.url = shown_url.clone();
            echo.body = echo.body.map(|b| sent.text(&b));
            first_request = Some(echo);
        }
        let t = Instant::now();
        let (response, connected) = client::timed(built.request.send()).await;
        let response = response.map_err(|e| transport_error(&url, e))?;
        if hops.is_empty() {
            ttfb_ms = t.elapsed().as_secs_f64() * 1000.0;
            connect_ms = connected.map(|d| d.as_secs_f64() * 1000.0);
        }
        let status = response.status().as_u16();
        hops.push(Hop {
            method: method.clone(),
            url: shown_url,
            status,
            credentials: creds.used,
            not_sent: creds.not_sent,
        });
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let from = redirect::From {
            url: &url,
            method: &method,
            followed: hops.len() - 1,
            body_had_tokens: built.body_had_tokens,
            first_origin: &first_origin,
        };
        match decide(&from, status, location.as_deref(), &sent) {
            Some(Next::Follow {
                url: next,
                method: next_method,
                keep_body,
            }) => {
                if !keep_body {
                    body = None;
                }
                method = next_method;
                url = next;
                continue;
            }
            Some(Next::Stop(note)) => notes.push(sent.text(&note)),
            None => {}
        }
        let waited = prompter.waited();
        return finish(
            response,
            hops,
            channel_use,
            Timings {
                connect_ms,
                ttfb_ms,
                total_ms: 0.0,
            },
            (started, waited),
            first_request,
            notes,
            options,
            (&sent, reflected),
        )
        .await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    mut response: reqwest::Response,
    hops: Vec<Hop>,
    channel: Option<ChannelUse>,
    mut timings: Timings,
    started: (Instant, Duration),
    request: Option<SentRequest>,
    mut notes: Vec<String>,
    options: PreviewOptions,
    (sent, reflected): (&Redactor, Reflected),
) -> Result<Fetched> {
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
    let size = announced.unwrap_or(size).max(size);
    timings.total_ms = started.0.elapsed().saturating_sub(started.1).as_secs_f64() * 1000.0;
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
                "the upstream answer holds a credential value Lanyard sent it (in {wher}):                  it is not passed on to a player"
            )));
        }
        if unreadable {
            return Err(Error::ReflectedCredential(format!(
                "the upstream answered {encoding}-encoded though asked for identity: its body                  cannot be checked for the credential values sent, so it is not passed on to                  a player"
            )));
        }
        return Ok(());
    }
    if !found.is_empty() {
        notes.push(
            "the answer holds a credential value that was sent (raw or encoded): shown              [redacted] here; a player gets 502 reflected_credential for it"
                .into(),
        );
    }
    if unreadable {
        notes.push(format!(
            "the body is {encoding}-encoded, so it could not be checked for the credential              values sent; a player gets 502 reflected_credential for it"
        ));
    }
    Ok(())
}

fn transport_error(url: &Url, e: reqwest::Error) -> Error {
    if let Some(inward) = client::inward(&e) {
        return Error::NotCovered(format!("{inward}: nothing was fetched"));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_parse_from_text() {
        assert_eq!(As::parse("license").expect("license"), As::License);
        assert_eq!(
            As::parse("player:abc").expect("player"),
            As::Player("abc".into())
        );
        for bad in ["", "player:", "alice", "players:x"] {
            assert_eq!(As::parse(bad).expect_err(bad).code(), "invalid_input");
        }
    }
}
