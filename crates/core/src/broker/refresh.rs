//! Getting a usable provider access token for a channel, refreshing at most once at a
//! time per channel in this process and across processes on the same data directory.
//!
//! Order of a refresh: take the lease (`BEGIN IMMEDIATE`) → call the token endpoint →
//! under the write lock, check the generation is still ours, save a rotated refresh token
//! and the new access token to the secret store, bump the generation and release the
//! lease → only then hand the access token out. On `invalid_grant` the store is re-read
//! first (a peer may have rotated); only a refusal of the current token marks the channel
//! `needs_reauth`. Transient failures are retried with backoff and never change the
//! status. A lease whose owner process is gone is taken over.

use std::sync::Arc;
use std::time::Duration;

use oauth2::TokenResponse as _;

use super::{cache_key, CachedToken};
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::oauth::channel::{keys, ChannelStatus};
use crate::oauth::flow::client_secret_key;
use crate::oauth::quirks::resource_scope;
use crate::oauth::tokens::{
    exchange_refresh, is_invalid_grant, is_transient, needs_interaction, oauth_client, token_error,
};
use crate::secrets::SecretValue;
use crate::store::audit::AuditEvent;
use crate::store::tokens::{Lease, TokenState};

/// How long a refresh lease lasts if its owner never releases it.
const LEASE_SECONDS: i64 = 60;
/// How long a caller waits for another process's refresh.
const WAIT_FOR_PEER: Duration = Duration::from_secs(45);
/// Attempts for transient failures.
const ATTEMPTS: u32 = 3;

/// Whether the process named in a lease owner (`<pid>:<host>:<random>`) still runs. A pid
/// is only checked where it means something: on Linux, in this process's own pid space
/// (the same boot and pid namespace, see [`super::lease_host`]), through /proc. An owner
/// on another machine or in another container is presumed alive until its lease runs out.
fn owner_alive(owner: &str) -> bool {
    let mut parts = owner.split(':');
    let Some(pid) = parts.next().and_then(|p| p.parse::<u32>().ok()) else {
        return true;
    };
    if parts.next() != Some(super::lease_host()) {
        return true;
    }
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

fn check_status(st: &TokenState, channel_id: &str) -> Result<()> {
    match st.status {
        ChannelStatus::Active => Ok(()),
        ChannelStatus::NeedsReauth => Err(Error::NeedsReauth(format!(
            "channel {channel_id} needs re-authorization: its provider no longer accepts its \
             master token"
        ))),
        ChannelStatus::Revoked => Err(Error::Revoked(format!("channel {channel_id} is revoked"))),
    }
}

/// A token the store holds that is still fresh at `now`, if any.
async fn stored_token(
    l: &Lanyard,
    channel_id: &str,
    resource: Option<&str>,
    st: &TokenState,
    now: i64,
) -> Result<Option<CachedToken>> {
    if let Some(resource) = resource {
        return stored_resource_token(l, channel_id, resource, st, now).await;
    }
    let (Some(expires_at), Some(received_at)) = (st.access_expires_at, st.received_at) else {
        return Ok(None);
    };
    let candidate_skew = super::skew(expires_at - received_at);
    if now >= expires_at - candidate_skew {
        return Ok(None);
    }
    let Some(token) = l.secrets().get(&keys::access(channel_id)).await? else {
        return Ok(None);
    };
    let scopes = l
        .store()
        .channel(channel_id)
        .await
        .map(|c| c.scopes)
        .unwrap_or_default();
    Ok(Some(CachedToken {
        token: Arc::new(token),
        token_type: "Bearer".into(),
        expires_at,
        received_at,
        generation: st.generation,
        scopes: Arc::new(scopes),
    }))
}

/// What the secret store keeps for another resource's token (the token with its times).
#[derive(serde::Serialize, serde::Deserialize)]
struct ResourceToken {
    token: String,
    expires_at: i64,
    received_at: i64,
    scope: String,
}

async fn stored_resource_token(
    l: &Lanyard,
    channel_id: &str,
    resource: &str,
    st: &TokenState,
    now: i64,
) -> Result<Option<CachedToken>> {
    let Some(raw) = l
        .secrets()
        .get(&keys::resource_access(channel_id, resource))
        .await?
    else {
        return Ok(None);
    };
    let Ok(stored) = serde_json::from_str::<ResourceToken>(raw.expose()) else {
        return Ok(None);
    };
    if now >= stored.expires_at - super::skew(stored.expires_at - stored.received_at) {
        return Ok(None);
    }
    Ok(Some(CachedToken {
        token: Arc::new(SecretValue::new(stored.token)),
        token_type: "Bearer".into(),
        expires_at: stored.expires_at,
        received_at: stored.received_at,
        generation: st.generation,
        scopes: Arc::new(vec![stored.scope]),
    }))
}

/// A fresh access token for `channel_id`.
pub async fn access_token(l: &Lanyard, channel_id: &str) -> Result<CachedToken> {
    access_token_for(l, channel_id, None).await
}

/// A fresh access token for `channel_id` and `resource` (`None`: the channel's own
/// scopes; `Some(origin)`: a Microsoft token for that resource, minted from the same
/// refresh token with `{origin}/.default`). One refresh at a time per channel, whatever
/// the resource: a refresh may rotate the master token.
pub async fn access_token_for(
    l: &Lanyard,
    channel_id: &str,
    resource: Option<&str>,
) -> Result<CachedToken> {
    let broker = l.broker();
    let key = cache_key(channel_id, resource);
    let now = l.clock().now();
    if let Some(token) = broker.cached(&key).filter(|t| t.fresh(now)) {
        return Ok(token);
    }
    let flight = broker.flight(channel_id);
    let _turn = flight.lock().await;
    let started = tokio::time::Instant::now();
    loop {
        let now = l.clock().now();
        if let Some(token) = broker.cached(&key).filter(|t| t.fresh(now)) {
            return Ok(token);
        }
        let st = l.store().token_state(channel_id).await?;
        check_status(&st, channel_id)?;
        if let Some(token) = stored_token(l, channel_id, resource, &st, now).await? {
            broker.remember(&key, token.clone());
            return Ok(token);
        }
        match l
            .store()
            .take_lease(channel_id, broker.owner(), now, LEASE_SECONDS, owner_alive)
            .await?
        {
            Lease::Taken(st) => {
                check_status(&st, channel_id)?;
                // A peer may have refreshed and released the lease between our read above
                // and taking it: the state read under the lease tells.
                if let Some(token) = stored_token(l, channel_id, resource, &st, now).await? {
                    release(l, channel_id, None).await;
                    broker.remember(&key, token.clone());
                    return Ok(token);
                }
                return refresh(l, channel_id, st, resource).await;
            }
            Lease::Held(_) => {
                if started.elapsed() > WAIT_FOR_PEER {
                    return Err(Error::ProviderUnavailable(format!(
                        "another Lanyard process has been refreshing channel {channel_id} for \
                         too long; try again"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// How long a channel may go without a refresh before the keep-alive refreshes it:
/// providers expire refresh tokens that nobody uses.
pub const KEEPALIVE_AFTER: i64 = 24 * 3600;

/// Refreshes every active channel whose tokens were last refreshed more than
/// [`KEEPALIVE_AFTER`] ago; returns how many were refreshed. Failures are recorded on the
/// channel (and `needs_reauth` set when the provider refuses), never raised.
pub async fn keep_alive(l: &Lanyard) -> Result<usize> {
    let now = l.clock().now();
    let mut refreshed = 0;
    for channel in l.store().channels().await? {
        let idle_since = channel.last_refreshed_at.unwrap_or(channel.connected_at);
        if channel.status != ChannelStatus::Active || now - idle_since < KEEPALIVE_AFTER {
            continue;
        }
        let flight = l.broker().flight(&channel.id);
        let _turn = flight.lock().await;
        let lease = l
            .store()
            .take_lease(
                &channel.id,
                l.broker().owner(),
                now,
                LEASE_SECONDS,
                owner_alive,
            )
            .await?;
        if let Lease::Taken(st) = lease {
            // A peer may have refreshed it since we listed the channels.
            if st.received_at.is_some_and(|t| now - t < KEEPALIVE_AFTER) {
                release(l, &channel.id, None).await;
                continue;
            }
            if refresh(l, &channel.id, st, None).await.is_ok() {
                refreshed += 1;
            }
        }
    }
    Ok(refreshed)
}

async fn refresh(
    l: &Lanyard,
    channel_id: &str,
    st: TokenState,
    resource: Option<&str>,
) -> Result<CachedToken> {
    let scopes: Vec<String> = resource
        .map(|r| vec![resource_scope(r), "offline_access".to_string()])
        .unwrap_or_default();
    let provider = l.store().provider(&st.provider_id).await?;
    let secret = if provider.has_client_secret {
        l.secrets().get(&client_secret_key(&provider.id)).await?
    } else {
        None
    };
    let client = oauth_client(&provider, secret.as_ref(), crate::links::OAUTH_REDIRECT_URI)?;
    let mut generation = st.generation;
    let mut retried_after_peer = false;
    let mut attempt = 0;
    loop {
        let Some(refresh_token) = l.secrets().get(&keys::refresh(channel_id)).await? else {
            if l.store().backend() == crate::store::Backend::Postgres {
                // A shared database with a secret store that lacks the master token is this
                // process's misconfiguration, not the account's: flipping the shared status
                // would cut every other gateway off.
                release(l, channel_id, None).await;
                return Err(Error::SecretStoreUnavailable(format!(
                    "this process's secret store does not hold the master token of channel \
                     {channel_id}; every process sharing a PostgreSQL database must use the \
                     secret store the channel was connected with"
                )));
            }
            return needs_reauth(
                l,
                channel_id,
                "the master token is missing from the secret store",
            )
            .await;
        };
        let started = l.clock().now();
        match exchange_refresh(l.http(), &client, &refresh_token, &scopes).await {
            Ok(tokens) => {
                return finish(
                    l,
                    channel_id,
                    resource,
                    generation,
                    &refresh_token,
                    tokens,
                    started,
                )
                .await
            }
            Err(err) if is_invalid_grant(&err) => {
                // A peer may have rotated the token meanwhile: re-read before giving up.
                let now_state = l.store().token_state(channel_id).await?;
                let stored = l.secrets().get(&keys::refresh(channel_id)).await?;
                let changed = now_state.generation != generation
                    || stored.as_ref().map(SecretValue::expose) != Some(refresh_token.expose());
                if changed && !retried_after_peer {
                    retried_after_peer = true;
                    generation = now_state.generation;
                    if let Some(token) =
                        stored_token(l, channel_id, resource, &now_state, l.clock().now()).await?
                    {
                        release(l, channel_id, None).await;
                        l.broker()
                            .remember(&cache_key(channel_id, resource), token.clone());
                        return Ok(token);
                    }
                    continue;
                }
                return needs_reauth(
                    l,
                    channel_id,
                    &format!(
                        "{} no longer accepts this channel's master token; re-authorize it",
                        provider.name
                    ),
                )
                .await;
            }
            Err(err) if needs_interaction(&err) => {
                // MFA, Conditional Access or a consent change: the provider wants the user
                // in the browser; only a re-authorization brings the channel back.
                let why = token_error(&provider, err);
                return needs_reauth(
                    l,
                    channel_id,
                    &format!("{why}: sign in again to re-authorize this channel"),
                )
                .await;
            }
            Err(err) if is_transient(&err) && attempt + 1 < ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
            }
            Err(err) => {
                let error = token_error(&provider, err);
                release(l, channel_id, Some(&error.to_string())).await;
                audit_refresh(l, channel_id, "failed", &error.to_string()).await;
                return Err(match error {
                    Error::ProviderUnavailable(m) => Error::ProviderUnavailable(m),
                    other => other,
                });
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    l: &Lanyard,
    channel_id: &str,
    resource: Option<&str>,
    generation: i64,
    used: &SecretValue,
    tokens: crate::oauth::tokens::TokenResponse,
    received_at: i64,
) -> Result<CachedToken> {
    let store = l.store();
    let mut tx = store.begin_write().await?;
    let current = store.token_state_in(&mut tx, channel_id).await?;
    if current.generation != generation {
        // Someone re-authorized or rotated meanwhile; theirs is newer. Keep it.
        drop(tx);
        return Err(Error::ProviderUnavailable(
            "the channel's tokens changed during the refresh; try again".into(),
        ));
    }
    let rotated = tokens
        .refresh_token()
        .map(|r| r.secret().as_str() != used.expose())
        .unwrap_or(false);
    if let Some(new_refresh) = tokens.refresh_token().filter(|_| rotated) {
        l.secrets()
            .set(
                &keys::refresh(channel_id),
                SecretValue::new(new_refresh.secret().as_str()),
            )
            .await?;
    }
    let access = tokens.access_token().secret().clone();
    let expires_at = tokens
        .expires_in()
        .map(|d| received_at.saturating_add(i64::try_from(d.as_secs()).unwrap_or(3600)))
        .unwrap_or(received_at + 3600);
    let refresh_expires_at = tokens
        .refresh_token_expires_in()
        .and_then(|s| i64::try_from(s).ok())
        .map(|s| received_at.saturating_add(s));
    match resource {
        None => {
            l.secrets()
                .set(&keys::access(channel_id), SecretValue::new(access.as_str()))
                .await?;
            store
                .record_refresh(
                    &mut tx,
                    channel_id,
                    rotated,
                    Some(expires_at),
                    refresh_expires_at,
                    received_at,
                )
                .await?;
        }
        Some(resource) => {
            let stored = ResourceToken {
                token: access.clone(),
                expires_at,
                received_at,
                scope: resource_scope(resource),
            };
            let blob = serde_json::to_string(&stored)
                .map_err(|_| Error::Internal("cannot encode a resource token".into()))?;
            l.secrets()
                .set(
                    &keys::resource_access(channel_id, resource),
                    SecretValue::new(blob),
                )
                .await?;
            store
                .record_resource_refresh(&mut tx, channel_id, rotated, refresh_expires_at)
                .await?;
        }
    }
    store
        .audit(
            &mut tx,
            received_at,
            &AuditEvent {
                principal_id: None,
                action: "refresh",
                subject_kind: "channel",
                subject_id: channel_id,
                outcome: "ok",
                detail: rotated.then_some("refresh token rotated"),
            },
        )
        .await?;
    tx.commit().await?;
    l.broker().count_refresh();
    let scopes = match (tokens.scopes(), resource) {
        (Some(s), _) => s.iter().map(|s| s.to_string()).collect(),
        (None, Some(r)) => vec![resource_scope(r)],
        (None, None) => store
            .channel(channel_id)
            .await
            .map(|c| c.scopes)
            .unwrap_or_default(),
    };
    let token = CachedToken {
        token: Arc::new(SecretValue::new(access)),
        token_type: "Bearer".into(),
        expires_at,
        received_at,
        generation: generation + i64::from(rotated),
        scopes: Arc::new(scopes),
    };
    l.broker()
        .remember(&cache_key(channel_id, resource), token.clone());
    Ok(token)
}

async fn release(l: &Lanyard, channel_id: &str, error: Option<&str>) {
    let _ = l
        .store()
        .release_lease(channel_id, l.broker().owner(), error)
        .await;
}

async fn audit_refresh(l: &Lanyard, channel_id: &str, outcome: &str, detail: &str) {
    let _ = l
        .store()
        .audit_now(
            l.clock().now(),
            &AuditEvent {
                principal_id: None,
                action: "refresh",
                subject_kind: "channel",
                subject_id: channel_id,
                outcome,
                detail: Some(detail),
            },
        )
        .await;
}

async fn needs_reauth(l: &Lanyard, channel_id: &str, why: &str) -> Result<CachedToken> {
    let store = l.store();
    let mut tx = store.begin_write().await?;
    store.mark_needs_reauth(&mut tx, channel_id, why).await?;
    store
        .audit(
            &mut tx,
            l.clock().now(),
            &AuditEvent {
                principal_id: None,
                action: "refresh",
                subject_kind: "channel",
                subject_id: channel_id,
                outcome: "needs_reauth",
                detail: Some(why),
            },
        )
        .await?;
    store.commit_access_change(tx).await?;
    l.broker().forget(channel_id);
    Err(Error::NeedsReauth(format!("channel {channel_id}: {why}")))
}

#[cfg(test)]
mod tests {
    use super::owner_alive;

    #[test]
    fn a_lease_owner_pid_is_only_checked_in_this_pid_space() {
        let host = crate::broker::lease_host();
        let me = format!("{}:{host}:abc", std::process::id());
        assert!(owner_alive(&me), "this process is alive");
        // Pids wrap far below u32::MAX: no process has this one.
        let dead_here = format!("4294967290:{host}:abc");
        assert_eq!(owner_alive(&dead_here), !cfg!(target_os = "linux"));
        // Another machine's or container's pid says nothing here: wait the lease out.
        assert!(owner_alive("4294967290:0123456789abcdef.4026531836:abc"));
        assert!(owner_alive("garbage"));
    }
}
