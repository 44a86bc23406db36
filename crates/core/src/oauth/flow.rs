//! The authorization code flow with PKCE (RFC 7636, S256 always), for connecting a new
//! account and re-authorizing a channel.
//!
//! [`begin`] records a pending authorization (hash of a CSPRNG `state`, 10-minute expiry,
//! OpenID `nonce`; the PKCE verifier in the secret store) and returns the URL to open in
//! the system browser. [`complete`] takes the redirect URL exactly as it came back (deep
//! link or loopback), consumes the pending authorization (single use), checks `error`,
//! `iss` (RFC 9207) and the redirect, exchanges the code (no redirects followed), learns
//! the account, and stores the tokens: secrets first, then the channel row. Any failure
//! stores nothing.

use std::collections::BTreeMap;

use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse as _};
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::channel::{keys, Channel};
use super::identity;
use super::loopback::LoopbackListener;
use super::provider::{Provider, RedirectStyle};
use super::quirks;
use super::tokens::{exchange_code, oauth_client, sanitize};
use crate::deep_links::{is_oauth_callback, OAUTH_REDIRECT_URI};
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;
use crate::store::audit::AuditEvent;
use crate::store::channels::ChannelTokens;
use crate::store::pending::{Pending, StateProblem};

/// How long a started authorization stays valid.
pub const PENDING_TTL: i64 = 600;

/// Longest callback URL accepted.
pub const MAX_CALLBACK_LEN: usize = 8 * 1024;

/// An authorization waiting for the user in the browser.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorizationStart {
    /// Id of the pending authorization (for cancelling).
    pub pending_id: String,
    /// The provider.
    pub provider_id: String,
    /// The channel being re-authorized, if any.
    pub channel_id: Option<String>,
    /// Open this in the system browser.
    pub authorization_url: String,
    /// Where the provider will send the browser back.
    pub redirect_uri: String,
    /// When the authorization stops being accepted.
    pub expires_at: i64,
}

/// The result of a completed authorization.
#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    /// The channel, as stored now.
    pub channel: Channel,
    /// Whether an existing channel was re-authorized (rather than a new one created).
    pub reauthorized: bool,
}

/// Secret store key of a provider's client secret.
pub fn client_secret_key(provider_id: &str) -> String {
    format!("provider/{provider_id}/client_secret")
}

use super::abandoned::verifier_key;

fn state_hash(state: &str) -> String {
    let digest = Sha256::digest(state.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The redirect URI for a deep-link provider.
pub fn deep_link_redirect_uri() -> &'static str {
    OAUTH_REDIRECT_URI
}

async fn client_secret(l: &Lanyard, provider: &Provider) -> Result<Option<SecretValue>> {
    if !provider.has_client_secret {
        return Ok(None);
    }
    l.secrets()
        .get(&client_secret_key(&provider.id))
        .await?
        .map(Some)
        .ok_or_else(|| {
            Error::invalid(format!(
                "provider {} needs a client secret but none is in the secret store; add the \
             provider again with its secret",
                provider.id
            ))
        })
}

/// Starts an authorization for `provider_id` (or re-authorization of `channel_id`) with
/// `redirect_uri` (the deep link, or a bound loopback listener's URI).
pub async fn begin(
    l: &Lanyard,
    provider_id: &str,
    channel_id: Option<&str>,
    redirect_uri: &str,
) -> Result<AuthorizationStart> {
    let provider = l.store().provider(provider_id).await?;
    let mut reauth_account = None;
    if let Some(id) = channel_id {
        let channel = l.store().channel(id).await?;
        if channel.provider_id != provider.id {
            return Err(Error::invalid("the channel belongs to another provider"));
        }
        reauth_account = Some(channel.account_label);
    }
    let secret = client_secret(l, &provider).await?;
    let client = oauth_client(&provider, secret.as_ref(), redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    let nonce = provider
        .is_openid()
        .then(|| CsrfToken::new_random().secret().clone());

    let mut request = client
        .authorize_url(|| state.clone())
        .add_scopes(provider.default_scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge);
    if let Some(nonce) = &nonce {
        request = request.add_extra_param("nonce", nonce.clone());
    }
    for (name, value) in quirks::auth_params(&provider, reauth_account.as_deref()) {
        request = request.add_extra_param(name, value);
    }
    let (url, _) = request.url();

    // Sign-ins abandoned long ago go first, with their verifiers.
    let _ = super::abandoned::forget(l).await;
    let now = l.clock().now();
    let pending = Pending {
        id: uuid::Uuid::new_v4().to_string(),
        provider_id: provider.id.clone(),
        channel_id: channel_id.map(str::to_string),
        nonce,
        redirect_uri: redirect_uri.to_string(),
        expires_at: now + PENDING_TTL,
    };
    l.secrets()
        .set(
            &verifier_key(&pending.id),
            SecretValue::new(verifier.secret().as_str()),
        )
        .await?;
    l.store()
        .insert_pending(&pending, &state_hash(state.secret()), now)
        .await?;
    Ok(AuthorizationStart {
        pending_id: pending.id,
        provider_id: provider.id,
        channel_id: pending.channel_id,
        authorization_url: url.to_string(),
        redirect_uri: pending.redirect_uri,
        expires_at: pending.expires_at,
    })
}

/// A started authorization and, for a loopback provider, the listener waiting for the
/// browser (call [`LoopbackListener::wait`], then [`complete`]).
#[derive(Debug)]
pub struct Started {
    /// What to show and open.
    pub start: AuthorizationStart,
    /// The bound loopback listener, for loopback providers.
    pub loopback: Option<LoopbackListener>,
}

/// Starts re-authorizing a channel with its own provider: the one function behind
/// `lanyard channel reauth`, the app's Re-authorize button and the tray's reminder item.
pub async fn start_reauth(l: &Lanyard, channel_id: &str) -> Result<Started> {
    let channel = l.store().channel(channel_id).await?;
    start(l, &channel.provider_id, Some(channel_id)).await
}

/// Starts an authorization with the provider's own redirect style.
pub async fn start(l: &Lanyard, provider_id: &str, channel_id: Option<&str>) -> Result<Started> {
    let provider = l.store().provider(provider_id).await?;
    provider.require_client_id()?;
    match provider.redirect_style {
        RedirectStyle::DeepLink => Ok(Started {
            start: begin(
                l,
                provider_id,
                channel_id,
                quirks::deep_link_redirect_uri(&provider),
            )
            .await?,
            loopback: None,
        }),
        RedirectStyle::Loopback => {
            let mut listener = match provider.loopback_port {
                Some(port) => LoopbackListener::bind_port(port).await?,
                None => LoopbackListener::bind().await?,
            };
            let start = begin(l, provider_id, channel_id, &listener.redirect_uri()).await?;
            if let Some(state) = Url::parse(&start.authorization_url).ok().and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "state")
                    .map(|(_, v)| v.into_owned())
            }) {
                listener.expect_state(&state);
            }
            Ok(Started {
                start,
                loopback: Some(listener),
            })
        }
    }
}

/// Cancels an authorization in progress (its state will be refused).
pub async fn cancel(l: &Lanyard, pending_id: &str) -> Result<()> {
    l.store()
        .cancel_pending(pending_id, l.clock().now())
        .await?;
    l.secrets().delete(&verifier_key(pending_id)).await
}

/// Parses a callback URL: size, scheme, and query parameters (each at most once).
fn parse_callback(raw: &str) -> Result<(Url, BTreeMap<String, String>)> {
    if raw.len() > MAX_CALLBACK_LEN {
        return Err(Error::AuthorizationFailed(
            "the sign-in answer is too long".into(),
        ));
    }
    let url = Url::parse(raw)
        .map_err(|_| Error::AuthorizationFailed("the sign-in answer is not a valid URL".into()))?;
    let ours = match url.scheme() {
        "app.lanyard.desktop" => is_oauth_callback(&url),
        "http" => {
            url.host_str() == Some("127.0.0.1") && url.path() == "/callback" && url.port().is_some()
        }
        _ => false,
    };
    if !ours || url.fragment().is_some() || !url.username().is_empty() {
        return Err(Error::AuthorizationFailed(
            "this is not a Lanyard sign-in answer (unexpected address)".into(),
        ));
    }
    let mut params = BTreeMap::new();
    for (k, v) in url.query_pairs() {
        if params.insert(k.to_string(), v.to_string()).is_some() {
            return Err(Error::AuthorizationFailed(format!(
                "the sign-in answer repeats the parameter {k:?}"
            )));
        }
    }
    Ok((url, params))
}

fn same_redirect(callback: &Url, registered: &str) -> bool {
    match Url::parse(registered) {
        Ok(r) => {
            r.scheme() == callback.scheme()
                && r.host_str() == callback.host_str()
                && r.port() == callback.port()
                && r.path() == callback.path()
        }
        Err(_) => false,
    }
}

/// Completes an authorization from the redirect URL the browser was sent to.
pub async fn complete(l: &Lanyard, callback_url: &str) -> Result<Connected> {
    let (url, params) = parse_callback(callback_url)?;
    let now = l.clock().now();
    let pending = take_pending(l, &params, now).await?;
    let verifier = l.secrets().get(&verifier_key(&pending.id)).await?;
    l.secrets().delete(&verifier_key(&pending.id)).await?;
    let provider = l.store().provider(&pending.provider_id).await?;

    let code = read_answer(&url, &params, &pending, &provider)?;
    let verifier = verifier.ok_or_else(|| {
        Error::InvalidState("this sign-in's PKCE verifier is gone; start again".into())
    })?;

    let secret = client_secret(l, &provider).await?;
    let client = oauth_client(&provider, secret.as_ref(), &pending.redirect_uri)?;
    let tokens = exchange_code(
        l.http(),
        &client,
        &provider,
        code,
        PkceCodeVerifier::new(verifier.expose().to_string()),
    )
    .await?;
    let refresh = match (tokens.refresh_token(), &pending.channel_id) {
        (Some(r), _) => SecretValue::new(r.secret().as_str()),
        (None, Some(channel_id)) => kept_refresh_token(l, &provider, &client, channel_id).await?,
        (None, None) => return Err(no_offline_access(&provider)),
    };
    let access = tokens.access_token().secret();
    let account = identity::account(
        l.http(),
        &provider,
        tokens.id_token(),
        access,
        pending.nonce.as_deref(),
        now,
    )
    .await?;

    let channel_tokens = channel_tokens(&tokens, &provider, now);
    store_tokens(
        l,
        &provider,
        &pending,
        &account,
        &channel_tokens,
        refresh,
        SecretValue::new(access.as_str()),
        now,
    )
    .await
}

/// Consumes the pending sign-in the answer's `state` names: once only, within 10 minutes.
async fn take_pending(l: &Lanyard, params: &BTreeMap<String, String>, now: i64) -> Result<Pending> {
    let state = params.get("state").ok_or_else(|| {
        Error::InvalidState(
            "the sign-in answer carries no state, so it cannot be matched to a sign-in you \
             started; nothing was stored"
                .into(),
        )
    })?;
    match l.store().consume_pending(&state_hash(state), now).await? {
        Ok(p) => Ok(p),
        Err(problem) => Err(Error::InvalidState(
            match problem {
                StateProblem::Unknown => {
                    "this sign-in answer does not match any sign-in started here (unknown \
                         state); nothing was stored"
                }
                StateProblem::Used => {
                    "this sign-in answer was already used; nothing was stored — start again"
                }
                StateProblem::Expired => {
                    "this sign-in took longer than 10 minutes and expired; nothing was \
                         stored — start again"
                }
            }
            .into(),
        )),
    }
}

/// Reads the provider's answer: at the address this sign-in used, from its issuer (RFC
/// 9207), not an error; the authorization code.
fn read_answer(
    url: &Url,
    params: &BTreeMap<String, String>,
    pending: &Pending,
    provider: &Provider,
) -> Result<String> {
    if !same_redirect(url, &pending.redirect_uri) {
        return Err(Error::AuthorizationFailed(
            "the sign-in answer arrived at a different address than the one this sign-in \
             used; nothing was stored"
                .into(),
        ));
    }
    // RFC 9207 §2.4: an answer from another issuer is refused before its error is read, and
    // its words are not shown.
    check_iss(provider, params.get("iss").map(String::as_str))?;
    if let Some(error) = params.get("error") {
        let error = sanitize(error);
        if error == "access_denied" {
            return Err(Error::AccessDenied(format!(
                "you declined access at {}; nothing was stored",
                provider.name
            )));
        }
        let description = params
            .get("error_description")
            .map(|d| format!(": {}", sanitize(d)))
            .unwrap_or_default();
        return Err(Error::AuthorizationFailed(format!(
            "{} did not authorize Lanyard ({error}{description}); nothing was stored",
            provider.name
        )));
    }
    let code = params
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            Error::AuthorizationFailed(format!(
                "{} sent no authorization code; nothing was stored",
                provider.name
            ))
        })?;
    Ok(code.clone())
}

/// The channel's scopes and expiries from a token answer received at `now`.
fn channel_tokens(
    tokens: &super::tokens::TokenResponse,
    provider: &Provider,
    now: i64,
) -> ChannelTokens {
    let granted: Vec<String> = match tokens.scopes() {
        Some(scopes) => scopes.iter().map(|s| s.to_string()).collect(),
        None => provider.default_scopes.clone(),
    };
    let refresh_expires_at = tokens
        .refresh_token_expires_in()
        .and_then(|s| i64::try_from(s).ok())
        .map(|s| now.saturating_add(s));
    let forced = provider
        .forced_reauth_seconds
        .map(|s| now.saturating_add(s));
    ChannelTokens {
        scopes: granted,
        access_token_expires_at: tokens
            .expires_in()
            .map(|d| now.saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2))),
        refresh_token_expires_at: refresh_expires_at,
        reauth_due_at: match (refresh_expires_at, forced) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
    }
}

fn no_offline_access(provider: &Provider) -> Error {
    Error::ProviderError(format!(
        "{} did not grant offline access (no refresh token), so Lanyard could not keep this \
         account connected; nothing was stored",
        provider.name
    ))
}

/// A re-authorization may come back without a refresh token (providers issue one only at
/// first consent): the stored master token is kept when it still works — one refresh
/// proves it, and a rotated answer replaces it. Otherwise the sign-in fails, storing
/// nothing. (The account that signed in is still checked against the channel's.)
async fn kept_refresh_token(
    l: &Lanyard,
    provider: &Provider,
    client: &super::tokens::OauthClient,
    channel_id: &str,
) -> Result<SecretValue> {
    let Some(stored) = l.secrets().get(&keys::refresh(channel_id)).await? else {
        return Err(no_offline_access(provider));
    };
    match super::tokens::exchange_refresh(l.http(), client, &stored, &[]).await {
        Ok(answer) => Ok(answer
            .refresh_token()
            .map(|r| SecretValue::new(r.secret().as_str()))
            .unwrap_or(stored)),
        Err(_) => Err(Error::ProviderError(format!(
            "{} sent no new refresh token and the stored one no longer works; nothing was \
             stored — remove Lanyard's access in your account's settings and connect again, so \
             {} asks for consent",
            provider.name, provider.name
        ))),
    }
}

/// RFC 9207: when the provider announces `iss`, it must be there and equal the issuer;
/// when it is sent anyway, it must still be right (with no issuer pinned: on the sign-in's
/// origin).
fn check_iss(provider: &Provider, iss: Option<&str>) -> Result<()> {
    let mismatch = || {
        Error::AuthorizationFailed(format!(
            "the sign-in answer claims to come from another issuer than {} (iss mismatch); \
             nothing was stored",
            provider.name
        ))
    };
    let expected = quirks::expected_issuer(provider, iss.and_then(quirks::tenant_of_issuer));
    match (expected, iss) {
        (Some(expected), Some(got)) if !quirks::issuer_matches(provider, &expected, got) => {
            Err(mismatch())
        }
        (Some(_), None) if provider.iss_parameter_supported => Err(mismatch()),
        (None, Some(_)) if provider.iss_parameter_supported => Err(mismatch()),
        // No issuer pinned: an `iss` sent anyway is never taken on its word — it must be
        // the sign-in's own origin.
        (None, Some(got)) if !quirks::iss_on_login_origin(provider, got) => Err(mismatch()),
        _ => Ok(()),
    }
}

/// The channel an authorization's tokens belong to, and whether it already exists.
async fn target_channel(
    l: &Lanyard,
    tx: &mut crate::store::WriteTx,
    provider: &Provider,
    pending: &Pending,
    account: &identity::Account,
    fresh_id: &str,
) -> Result<(String, bool)> {
    let store = l.store();
    let existing = store
        .channel_for_account(tx, &provider.id, &account.subject)
        .await?;
    Ok(match (&pending.channel_id, existing) {
        (Some(wanted), Some(found)) if *wanted == found => (found, true),
        (Some(wanted), _) => {
            let channel = store.channel(wanted).await?;
            return Err(Error::AccountMismatch(format!(
                "you signed in as {} but this channel is {}; nothing was changed — sign in \
                 with {} to re-authorize it",
                account.label, channel.account_label, channel.account_label
            )));
        }
        (None, Some(found)) => (found, true),
        (None, None) => (fresh_id.to_string(), false),
    })
}

#[allow(clippy::too_many_arguments)]
async fn store_tokens(
    l: &Lanyard,
    provider: &Provider,
    pending: &Pending,
    account: &identity::Account,
    tokens: &ChannelTokens,
    refresh: SecretValue,
    access: SecretValue,
    now: i64,
) -> Result<Connected> {
    let store = l.store();
    // Which channel these tokens are for, decided under the write lock and checked again
    // under it below; the secrets are written in between, outside it (a keyring waiting on
    // an unlock prompt must not hold every other process's writes).
    let fresh_id = uuid::Uuid::new_v4().to_string();
    let mut tx = store.begin_write().await?;
    let (channel_id, reauthorized) =
        target_channel(l, &mut tx, provider, pending, account, &fresh_id).await?;
    drop(tx);
    // A re-authorization holds the channel's refresh lease while it writes, so a refresh in
    // flight neither overwrites these tokens nor is overwritten by them.
    let hold = match reauthorized {
        true => Some(crate::broker::lease::hold(l, &channel_id).await?),
        false => None,
    };
    let saved: Result<Connected> = async {
        // Secrets first: a channel row never points at tokens that are not there.
        crate::broker::rotation::write(l, &channel_id, &refresh).await?;
        l.secrets().set(&keys::access(&channel_id), access).await?;
        let mut tx = store.begin_write().await?;
        let again = target_channel(l, &mut tx, provider, pending, account, &fresh_id).await;
        if again.as_ref().ok() != Some(&(channel_id.clone(), reauthorized)) {
            drop(tx);
            if !reauthorized {
                let _ = l.secrets().delete(&keys::refresh(&channel_id)).await;
                let _ = l.secrets().delete(&keys::access(&channel_id)).await;
            }
            again?;
            return Err(Error::Conflict(
                "this account's channel changed while the sign-in was being saved; sign in again"
                    .into(),
            ));
        }
        if reauthorized {
            store
                .reauthorize_channel(&mut tx, &channel_id, &account.label, tokens, now)
                .await?;
        } else {
            let inserted = store
                .insert_channel(
                    &mut tx,
                    &channel_id,
                    &provider.id,
                    &account.subject,
                    &account.label,
                    tokens,
                    now,
                )
                .await;
            if let Err(err) = inserted {
                drop(tx);
                let _ = l.secrets().delete(&keys::refresh(&channel_id)).await;
                let _ = l.secrets().delete(&keys::access(&channel_id)).await;
                return Err(err);
            }
        }
        let action = if reauthorized {
            crate::store::audit::AuditAction::Reauth
        } else {
            crate::store::audit::AuditAction::Connect
        };
        store
            .audit(
                &mut tx,
                now,
                &AuditEvent {
                    principal_id: None,
                    action,
                    subject_kind: crate::store::audit::AuditSubject::Channel,
                    subject_id: &channel_id,
                    outcome: crate::store::audit::AuditOutcome::Ok,
                    detail: Some(&provider.id),
                },
            )
            .await?;
        store.commit_access_change(tx).await?;
        l.broker().forget(&channel_id);
        Ok(Connected {
            channel: store.channel(&channel_id).await?,
            reauthorized,
        })
    }
    .await;
    if let (Err(_), Some(hold)) = (&saved, hold) {
        hold.release(l, &channel_id).await;
    }
    saved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_are_checked_strictly() {
        assert!(parse_callback("app.lanyard.desktop:/oauth/callback?code=a&state=b").is_ok());
        assert!(parse_callback("app.lanyard.desktop://oauth/callback?code=a&state=b").is_ok());
        // Google adds `scope` (full URLs), `authuser`, `hd` and `prompt`.
        assert!(parse_callback(
            "http://127.0.0.1:5555/callback?state=b&code=a&scope=email+openid+\
             https://www.googleapis.com/auth/userinfo.email&authuser=0&hd=example.com&prompt=consent"
        )
        .is_ok());
        assert!(parse_callback("http://127.0.0.1:5555/callback?code=a&state=b").is_ok());
        for bad in [
            "app.lanyard.desktop:/oauth/callback?state=a&state=b",
            "http://localhost:5555/callback?code=a&state=b",
            "http://127.0.0.1/callback?code=a&state=b",
            "https://127.0.0.1:5555/callback?code=a",
            "http://127.0.0.1:5555/other?code=a",
            "lanyard://oauth/callback?code=a",
            "--data-dir=/tmp/x",
            "app.lanyard.desktop:/oauth/callback?code=a#frag",
            "app.lanyard.desktop://evil/callback?code=a",
            "app.lanyard.desktop://oauth:1/callback?code=a",
        ] {
            assert!(parse_callback(bad).is_err(), "{bad}");
        }
        let long = format!(
            "app.lanyard.desktop:/oauth/callback?code={}",
            "a".repeat(9000)
        );
        assert!(parse_callback(&long).is_err());
    }

    #[test]
    fn an_unpinned_provider_never_accepts_an_arbitrary_iss() {
        use super::super::provider::{test_provider, ProviderKind};
        let p = test_provider(ProviderKind::Custom);
        assert!(p.issuer.is_none() && !p.iss_parameter_supported);
        assert!(check_iss(&p, None).is_ok());
        assert!(check_iss(&p, Some("https://login.example.com")).is_ok());
        for iss in [
            "https://evil.example",
            "https://login.example.com:8443",
            "not a url",
        ] {
            assert_eq!(
                check_iss(&p, Some(iss)).expect_err(iss).code(),
                "authorization_failed",
                "{iss}"
            );
        }
    }

    /// One raw GET to the loopback listener at `port`; the status line.
    async fn get(port: u16, target: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        out.lines().next().unwrap_or_default().to_string()
    }

    #[tokio::test]
    async fn a_loopback_sign_in_listens_for_its_own_state_only() {
        use super::super::provider::ProviderSpec;
        let dir = tempfile::tempdir().expect("dir");
        let config = crate::Config::new(
            dir.path().to_path_buf(),
            crate::secrets::SecretStoreKind::Memory,
        );
        let l = Lanyard::open_with(
            &config,
            std::sync::Arc::new(crate::clock::SystemClock),
            Some(crate::secrets::Secrets::in_memory()),
        )
        .await
        .expect("open");
        let p = super::super::providers::add(
            &l,
            ProviderSpec {
                name: Some("Feeds".into()),
                authorization_endpoint: Some("https://login.feeds.example/authorize".into()),
                token_endpoint: Some("https://login.feeds.example/token".into()),
                client_id: Some("feeds-client".into()),
                redirect_style: Some(RedirectStyle::Loopback),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("add");
        let started = start(&l, &p.id, None).await.expect("start");
        let state = Url::parse(&started.start.authorization_url)
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("state");
        let listener = started.loopback.expect("a loopback sign-in");
        let port = Url::parse(&listener.redirect_uri())
            .expect("redirect")
            .port()
            .expect("port");
        let waiter = tokio::spawn(listener.wait(std::time::Duration::from_secs(10)));
        // Another local process (or a stale tab) answering with another state is turned
        // away, and the listener keeps waiting for this sign-in's answer.
        for forged in ["forged", "", &format!("{state}x")] {
            let status = get(port, &format!("/callback?code=CODE&state={forged}")).await;
            assert!(status.starts_with("HTTP/1.1 400"), "{forged:?}: {status}");
        }
        let doubled = format!("/callback?code=CODE&state={state}&state=forged");
        assert!(get(port, &doubled).await.starts_with("HTTP/1.1 400"));
        assert!(!waiter.is_finished(), "a forged answer ended the listener");
        let own: String = url::form_urlencoded::byte_serialize(state.as_bytes()).collect();
        let status = get(port, &format!("/callback?code=CODE&state={own}")).await;
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let url = waiter.await.expect("join").expect("the answer");
        assert!(url.ends_with(&format!("state={own}")), "{url}");
    }

    #[test]
    fn state_is_hashed() {
        assert_eq!(state_hash("abc").len(), 64);
        assert_ne!(state_hash("abc"), "abc");
    }
}
