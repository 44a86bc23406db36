//! Provider files: a provider's configuration prepared once (usually by IT, with
//! `lanyard provider export`) and opened by each designer — a `.lanyard-provider` file, a
//! `lanyard://provider/…` link or `lanyard provider import` — so nobody else needs an
//! OAuth console.
//!
//! A file is JSON: `{"format": "lanyard-provider", "version": 1, "provider": {…}}`, plus a
//! `client_secret` only when it was exported with `--include-secret`. Reading is strict:
//! at most [`MAX_FILE_LEN`] bytes, the format and version checked before anything else
//! (a newer version is refused by name, not misread), no unknown fields, and the same
//! checks `provider add` makes (endpoints, scopes, the provider kind's rules) before the
//! user is even asked. Authorization parameters Lanyard sets itself (`state`,
//! `redirect_uri`, the PKCE challenge, …) cannot be set by a file.
//!
//! Opening is two steps: [`parse`] then [`offer`] (what will be added, the redirect URI
//! registered for it, and why adding would fail) for the user to confirm, then [`import`].

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::flow::client_secret_key;
use super::provider::{
    check_endpoints, check_id, check_text, Provider, ProviderKind, RedirectStyle, TokenAuthMethod,
};
use super::quirks::{self, EndpointHost, Registration};
use crate::deep_links::{LINK_SCHEME, MAX_LINK_LEN};
use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;

/// The extension of provider files.
pub const FILE_EXTENSION: &str = "lanyard-provider";
/// The largest provider file read (a real one is about 1 KiB).
pub const MAX_FILE_LEN: usize = 64 * 1024;
/// The `format` every provider file names.
pub const FORMAT: &str = "lanyard-provider";
/// The version this Lanyard writes and reads.
pub const VERSION: u64 = 1;
/// What a file is called in messages.
pub const WHAT: &str = "Lanyard provider file";

/// Parameters Lanyard sets on every authorization request itself, and the request objects
/// (RFC 9101) that would replace them all (`request`, `request_uri`).
const RESERVED_PARAMS: [&str; 12] = [
    "response_type",
    "client_id",
    "client_secret",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "login_hint",
    "request",
    "request_uri",
];

/// The provider part of a file (version 1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProvider {
    id: String,
    kind: ProviderKind,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discovery_url: Option<String>,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    extra_auth_params: BTreeMap<String, String>,
    client_id: String,
    redirect: RedirectStyle,
    #[serde(default)]
    api_base_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forced_reauth_seconds: Option<i64>,
    #[serde(default)]
    iss_parameter_supported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    loopback_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_auth_method: Option<TokenAuthMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
}

/// A whole file (version 1).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    format: String,
    version: u64,
    provider: FileProvider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl Drop for FileDoc {
    fn drop(&mut self) {
        if let Some(secret) = self.client_secret.take() {
            drop(zeroize::Zeroizing::new(secret));
        }
    }
}

/// A file read and checked, not yet added.
#[derive(Debug)]
pub struct ProviderFile {
    /// The provider as it will be added (its id may still change if taken).
    pub provider: Provider,
    /// The client secret, when the file carries one (stays in the backend).
    pub client_secret: Option<SecretValue>,
}

/// What opening a file would add, for the user to confirm.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    /// The provider as it will be added.
    pub provider: Provider,
    /// Whether the file carries a client secret.
    pub includes_secret: bool,
    /// What IT registered at the provider (the redirect URI and where).
    pub registration: Registration,
    /// Why adding it would fail now (e.g. it is already added), if it would.
    pub conflict: Option<String>,
    /// Every endpoint's host (sign-in, token, revocation, userinfo, discovery, issuer).
    pub endpoints: Vec<EndpointHost>,
    /// The endpoints that receive codes or tokens on another host than the sign-in's:
    /// adding such a provider takes a second, explicit confirmation.
    pub foreign_endpoints: Vec<EndpointHost>,
}

impl Offer {
    /// The warning the confirmations show when [`Offer::foreign_endpoints`] is not empty.
    pub fn foreign_warning(&self) -> Option<String> {
        foreign_warning(&self.provider, &self.foreign_endpoints)
    }
}

fn foreign_warning(p: &Provider, foreign: &[EndpointHost]) -> Option<String> {
    if foreign.is_empty() {
        return None;
    }
    let signin = quirks::shown_host(&p.authorization_endpoint).unwrap_or_default();
    let list = foreign
        .iter()
        .map(|e| format!("its {} is on {}", e.role.label(), e.host))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "you sign in at {signin}, but {list}: the sign-in's code and your tokens go there. \
         Add it only if you trust that host as much as {signin}"
    ))
}

/// Writes provider `id` as a file; its client secret only when `include_secret`.
pub async fn export(l: &Lanyard, id: &str, include_secret: bool) -> Result<String> {
    let p = l.store().provider(id).await?;
    let Some(client_id) = p.client_id.clone().filter(|_| !p.builtin) else {
        return Err(Error::invalid(format!(
            "{} is a built-in template without a client id: export a provider you added \
             with `lanyard provider add --template {} --client-id …`",
            p.name, p.id
        )));
    };
    let client_secret = match (include_secret, p.has_client_secret) {
        (false, _) => None,
        (true, false) => {
            return Err(Error::invalid(format!(
                "provider {id} has no client secret to include: leave out --include-secret"
            )))
        }
        (true, true) => match l.secrets().get(&client_secret_key(id)).await? {
            Some(secret) => Some(secret.expose().to_string()),
            None => {
                return Err(Error::invalid(format!(
                    "provider {id}'s client secret is missing from the secret store"
                )))
            }
        },
    };
    // A template the user pointed elsewhere (`--authority`: a national cloud's own proxy, an
    // emulator) is no longer that provider's: it travels as a custom provider, whose every
    // host the receiver is shown (DESIGN §12).
    let kind = if quirks::on_own_hosts(&p) {
        p.kind
    } else {
        ProviderKind::Custom
    };
    let doc = FileDoc {
        format: FORMAT.into(),
        version: VERSION,
        provider: FileProvider {
            id: p.id.clone(),
            kind,
            name: p.name.clone(),
            issuer: p.issuer.clone(),
            discovery_url: p.discovery_url.clone(),
            authorization_endpoint: p.authorization_endpoint.clone(),
            token_endpoint: p.token_endpoint.clone(),
            revocation_endpoint: p.revocation_endpoint.clone(),
            userinfo_endpoint: p.userinfo_endpoint.clone(),
            scopes: p.default_scopes.clone(),
            extra_auth_params: p.extra_auth_params.clone(),
            client_id,
            redirect: p.redirect_style,
            api_base_urls: p.api_base_urls.clone(),
            forced_reauth_seconds: p.forced_reauth_seconds,
            iss_parameter_supported: p.iss_parameter_supported,
            loopback_port: p.loopback_port,
            token_auth_method: p.token_auth_method,
            client_secret_expires_at: p.client_secret_expires_at,
        },
        client_secret,
    };
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::Internal(format!("could not write the provider file: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// A `lanyard://provider/…` link carrying `text` (a provider file without a secret).
pub fn to_link(text: &str) -> Result<String> {
    if text.contains("\"client_secret\"") {
        return Err(Error::invalid(
            "a link is never made with a client secret: send the file instead",
        ));
    }
    // Saved by Notepad: a byte order mark first (CRLF line endings are JSON whitespace).
    let text = crate::sharing::without_bom(text);
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| Error::invalid(format!("not a {WHAT} (not JSON)")))?;
    let compact = value.to_string();
    let link = format!(
        "{LINK_SCHEME}://provider/{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(compact.as_bytes())
    );
    if link.len() > MAX_LINK_LEN {
        return Err(Error::invalid(
            "this provider is too large for a link: send the file instead",
        ));
    }
    Ok(link)
}

/// The file text a `lanyard://provider/<payload>` link carries.
pub fn from_link_payload(payload: &str) -> Result<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| Error::invalid(format!("the link does not carry a {WHAT}")))?;
    String::from_utf8(bytes)
        .map_err(|_| Error::invalid(format!("the link does not carry a {WHAT}")))
}

/// Reads a provider file from disk (at most [`MAX_FILE_LEN`] bytes).
pub fn read(path: &std::path::Path) -> Result<String> {
    crate::sharing::inbox::read_limited(path, MAX_FILE_LEN, WHAT)
}

/// Checks a file's text and builds the provider it describes. Nothing is stored. A file
/// saved on Windows (CRLF line endings, a UTF-8 byte order mark) reads the same.
pub fn parse(text: &str) -> Result<ProviderFile> {
    if text.len() > MAX_FILE_LEN {
        return Err(Error::invalid(format!(
            "the file is larger than {} KiB: not a {WHAT}",
            MAX_FILE_LEN / 1024
        )));
    }
    // Saved by Notepad: a byte order mark first (CRLF line endings are JSON whitespace).
    let text = crate::sharing::without_bom(text);
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("not a {WHAT}: not valid JSON (line {})", e.line())))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(Error::invalid(format!(
            "not a {WHAT}: it does not say \"format\": \"{FORMAT}\""
        )));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(VERSION) => {}
        Some(v) if v > VERSION => {
            return Err(Error::invalid(format!(
                "this {WHAT} is version {v}, made by a newer Lanyard; this one reads version \
                 {VERSION}: update Lanyard, or ask for a file exported by this version"
            )))
        }
        _ => {
            return Err(Error::invalid(format!(
                "not a {WHAT}: its version is missing or unknown"
            )))
        }
    }
    let doc: FileDoc = serde_json::from_value(value).map_err(|e| {
        // serde's message names the field (never a value: all values are strings we echo
        // nowhere).
        let m = e.to_string();
        let m = m.split(" at line").next().unwrap_or(&m).to_string();
        Error::invalid(format!("this {WHAT} is malformed: {m}"))
    })?;
    let mut doc = doc;
    let secret = doc.client_secret.take().map(SecretValue::new);
    let f = doc.provider.clone();
    check_fields(&f, secret.as_ref())?;
    let provider = provider_of(f, secret.is_some());
    check_endpoints(&provider)?;
    quirks::check_own_hosts(&provider).map_err(|e| match e {
        Error::InvalidInput { message: m, .. } => {
            Error::invalid(format!("this {WHAT} is refused: {m}"))
        }
        other => other,
    })?;
    quirks::check_template(&provider, secret.is_some()).map_err(|e| match e {
        Error::InvalidInput { message: m, .. } => Error::invalid(format!(
            "this {WHAT} cannot be used: {m} (ask whoever made it for a new one)"
        )),
        other => other,
    })?;
    if provider.kind == ProviderKind::Microsoft
        && provider.issuer.is_none()
        && quirks::microsoft_discovery_url(&provider).is_some()
    {
        return Err(Error::invalid(format!(
            "this {WHAT} names a Microsoft tenant by domain without its issuer: export it \
             again from a Lanyard that added the provider"
        )));
    }
    Ok(ProviderFile {
        provider,
        client_secret: secret,
    })
}

/// The checks of a file's provider fields that need no other provider: id, client,
/// secret, authorization parameters, limits, issuer and discovery URL.
fn check_fields(f: &FileProvider, secret: Option<&SecretValue>) -> Result<()> {
    check_id(&f.id)?;
    check_text("client id", &f.client_id, 512)?;
    if let Some(s) = &secret {
        check_text("client secret", s.expose(), 1024).map_err(|_| {
            Error::invalid("the client secret is empty, too long or has control characters")
        })?;
    }
    if f.extra_auth_params.len() > 16 {
        return Err(Error::invalid(
            "too many authorization parameters (at most 16)",
        ));
    }
    for (name, value) in &f.extra_auth_params {
        if RESERVED_PARAMS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(Error::invalid(format!(
                "the authorization parameter {name:?} is set by Lanyard, not by a provider file"
            )));
        }
        check_text("authorization parameter name", name, 64)?;
        check_text("authorization parameter", value, 512)?;
    }
    super::provider::check_limits(f.loopback_port, f.forced_reauth_seconds)?;
    for (what, url) in [("issuer", &f.issuer), ("discovery URL", &f.discovery_url)] {
        if let Some(u) = url {
            check_text(what, u, 2048)?;
        }
    }
    Ok(())
}

/// The provider a file's fields describe (not stored: no timestamps).
fn provider_of(f: FileProvider, has_client_secret: bool) -> Provider {
    Provider {
        id: f.id,
        kind: f.kind,
        name: f.name,
        builtin: false,
        issuer: f.issuer,
        discovery_url: f.discovery_url,
        authorization_endpoint: f.authorization_endpoint,
        token_endpoint: f.token_endpoint,
        revocation_endpoint: f.revocation_endpoint,
        userinfo_endpoint: f.userinfo_endpoint,
        default_scopes: f.scopes,
        extra_auth_params: f.extra_auth_params,
        client_id: Some(f.client_id),
        has_client_secret,
        redirect_style: f.redirect,
        api_base_urls: f.api_base_urls,
        forced_reauth_seconds: f.forced_reauth_seconds,
        iss_parameter_supported: f.iss_parameter_supported,
        loopback_port: f.loopback_port,
        token_auth_method: f.token_auth_method,
        client_secret_expires_at: f.client_secret_expires_at,
        created_at: 0,
        updated_at: 0,
    }
}

/// The provider already added with the same client at the same authorization endpoint.
async fn already_added(l: &Lanyard, p: &Provider) -> Result<Option<Provider>> {
    Ok(l.store().providers().await?.into_iter().find(|e| {
        !e.builtin
            && e.client_id == p.client_id
            && e.authorization_endpoint == p.authorization_endpoint
    }))
}

/// What adding `file` would do, for the user to confirm.
pub async fn offer(l: &Lanyard, file: &ProviderFile) -> Result<Offer> {
    let conflict = already_added(l, &file.provider).await?.map(|e| {
        format!(
            "this provider is already added as {:?} ({}): nothing to do",
            e.name, e.id
        )
    });
    Ok(Offer {
        registration: quirks::registration(&file.provider),
        includes_secret: file.client_secret.is_some(),
        provider: file.provider.clone(),
        conflict,
        endpoints: quirks::endpoint_hosts(&file.provider),
        foreign_endpoints: quirks::foreign_endpoints(&file.provider),
    })
}

/// Adds the provider a file describes (under another id when its id is taken). Refused
/// with `conflict` when the same client is already added, and with `invalid_input` when
/// its token, revocation or userinfo endpoint is on another host than its sign-in and the
/// user did not accept that explicitly (`accept_foreign_endpoints`).
pub async fn import(
    l: &Lanyard,
    file: ProviderFile,
    accept_foreign_endpoints: bool,
) -> Result<Provider> {
    if let Some(existing) = already_added(l, &file.provider).await? {
        return Err(Error::Conflict(format!(
            "this provider is already added as {:?} ({})",
            existing.name, existing.id
        )));
    }
    let foreign = quirks::foreign_endpoints(&file.provider);
    if !accept_foreign_endpoints {
        if let Some(warning) = foreign_warning(&file.provider, &foreign) {
            return Err(Error::invalid_field(
                InputField::AcceptForeignEndpoints,
                format!("not added: {warning}; confirm these hosts explicitly to add it"),
            ));
        }
    }
    let ProviderFile {
        mut provider,
        client_secret,
    } = file;
    let now = l.clock().now();
    provider.created_at = now;
    provider.updated_at = now;
    provider.id = super::providers::free_id(l, &provider.id).await?;
    super::providers::store(l, provider, client_secret).await
}
