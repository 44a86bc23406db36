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
//!
//! The lease is renewed while the refresh runs and the whole refresh is bounded
//! ([`super::lease`]); the database write is fenced on the lease and the generation. The
//! secret store is written before the write lock is taken, never inside it (a keyring
//! showing an unlock prompt must not hold every other process's writes). A rotated refresh
//! token the secret store refuses is kept in memory and saved later ([`super::rotation`]).
//! Callers that waited for a refresh that failed get its answer (`broker::failures`).

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
use crate::store::tokens::{Fence, Lease, RefreshRecord, TokenState};

use super::lease::{owner_alive, Keeper};

/// Attempts for transient failures.
const ATTEMPTS: u32 = 3;

/// Takes `channel_id`'s refresh lease for this process's broker, for its lease time;
/// a holder found dead by [`owner_alive`] loses it.
async fn take_lease(l: &Lanyard, channel_id: &str, now: i64) -> Result<Lease> {
    let broker = l.broker();
    l.store()
        .take_lease(
            channel_id,
            broker.owner(),
            now,
            broker.timings().lease_seconds(),
            owner_alive,
        )
        .await
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
    let now = l.clock().now();
    match cached_token(l, channel_id, resource, now) {
        Some(token) => Ok(token.as_ref().clone()),
        None => refreshed_token(l, channel_id, resource).await,
    }
}

/// The token this process holds for `channel_id` and `resource`, if it is still fresh at
/// `now`: no lock but the cache's read lock, no allocation.
pub(crate) fn cached_token(
    l: &Lanyard,
    channel_id: &str,
    resource: Option<&str>,
    now: i64,
) -> Option<Arc<CachedToken>> {
    l.broker()
        .cached(channel_id, resource)
        .filter(|t| t.fresh(now))
}

/// [`access_token_for`] when the cache had no fresh token: the stored one, or a refresh
/// (single-flight in this process and across processes).
pub(crate) async fn refreshed_token(
    l: &Lanyard,
    channel_id: &str,
    resource: Option<&str>,
) -> Result<CachedToken> {
    let broker = l.broker();
    let key = cache_key(channel_id, resource);
    let timings = broker.timings();
    let mark = broker.failures.mark();
    let flight = broker.flight(channel_id);
    let _turn = flight.lock().await;
    if let Some(err) = broker
        .failures
        .since(channel_id, mark, timings.failure_backoff)
    {
        return Err(err); // the refresh we waited for failed: its answer is ours
    }
    let started = tokio::time::Instant::now();
    loop {
        let now = l.clock().now();
        if let Some(token) = cached_token(l, channel_id, resource, now) {
            return Ok(token.as_ref().clone());
        }
        let st = l.store().token_state(channel_id).await?;
        check_status(&st, channel_id)?;
        if let Some(token) = stored_token(l, channel_id, resource, &st, now).await? {
            broker.remember(&key, token.clone());
            return Ok(token);
        }
        match take_lease(l, channel_id, now).await? {
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
                if started.elapsed() > timings.wait_for_peer {
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
        let lease = take_lease(l, &channel.id, now).await?;
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

/// Refreshes `channel_id` now, whatever its cached token ("Check now"): one refresh at a
/// time per channel in this process (the same flight as every other refresh), and under
/// the refresh lease across processes — a peer's refresh in progress is waited for (at
/// most the usual wait), then this one runs. A refusal sets `needs_reauth` as any
/// refresh does.
pub async fn refresh_now(l: &Lanyard, channel_id: &str) -> Result<()> {
    let broker = l.broker();
    let timings = broker.timings();
    let flight = broker.flight(channel_id);
    let _turn = flight.lock().await;
    let started = tokio::time::Instant::now();
    loop {
        let now = l.clock().now();
        let st = l.store().token_state(channel_id).await?;
        check_status(&st, channel_id)?;
        match take_lease(l, channel_id, now).await? {
            Lease::Taken(st) => {
                check_status(&st, channel_id)?;
                return refresh(l, channel_id, st, None).await.map(|_| ());
            }
            Lease::Held(_) => {
                if started.elapsed() > timings.wait_for_peer {
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

/// Refreshes under the lease just taken: renewed while it runs, bounded by the budget;
/// a failure is remembered for the callers that waited.
async fn refresh(
    l: &Lanyard,
    channel_id: &str,
    st: TokenState,
    resource: Option<&str>,
) -> Result<CachedToken> {
    let keeper = Keeper::start(l, channel_id);
    let budget = l.broker().timings().budget;
    let out = match tokio::time::timeout(budget, refresh_held(l, channel_id, st, resource)).await {
        Ok(out) => out,
        Err(_) => {
            let message = format!(
                "refreshing channel {channel_id} took longer than {} s; try again",
                budget.as_secs()
            );
            release(l, channel_id, Some(&message)).await;
            Err(Error::ProviderUnavailable(message))
        }
    };
    drop(keeper);
    match &out {
        Ok(_) => l.broker().failures.clear(channel_id),
        Err(err) => {
            // Whatever the early return: the lease goes (a no-op when it went already, and
            // kept while a rotated token waits to be saved).
            release(l, channel_id, Some(&err.to_string())).await;
            l.broker().failures.record(channel_id, err);
        }
    }
    out
}

async fn refresh_held(
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
    let client = oauth_client(
        &provider,
        secret.as_ref(),
        crate::deep_links::OAUTH_REDIRECT_URI,
    )?;
    let mut generation = st.generation;
    let mut retried_after_peer = false;
    let mut attempt = 0;
    loop {
        let Some(refresh_token) = current_refresh_token(l, channel_id).await? else {
            return no_refresh_token(l, channel_id).await;
        };
        let started = l.clock().now();
        match exchange_refresh(l.http(), &client, &refresh_token, &scopes).await {
            Ok(tokens) => {
                let of = Refreshing {
                    channel_id,
                    resource,
                    generation,
                };
                return finish(l, &of, &refresh_token, tokens, started).await;
            }
            Err(err) if is_invalid_grant(&err) => {
                // A peer may have rotated the token meanwhile: re-read before giving up.
                let now_state = l.store().token_state(channel_id).await?;
                let stored = current_refresh_token(l, channel_id).await?;
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
            Err(err) => return Err(failed(l, channel_id, token_error(&provider, err)).await),
        }
    }
}

/// The master token is missing from the secret store: the channel needs re-authorizing,
/// unless the database is shared (then this process's secret store is the problem).
async fn no_refresh_token(l: &Lanyard, channel_id: &str) -> Result<CachedToken> {
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
    needs_reauth(
        l,
        channel_id,
        "the master token is missing from the secret store",
    )
    .await
}

/// A refresh that failed for good: the lease goes with the error noted, and it is audited.
async fn failed(l: &Lanyard, channel_id: &str, error: Error) -> Error {
    release(l, channel_id, Some(&error.to_string())).await;
    audit_refresh(
        l,
        channel_id,
        crate::store::audit::AuditOutcome::Failed,
        &error.to_string(),
    )
    .await;
    match error {
        Error::ProviderUnavailable(m) => Error::ProviderUnavailable(m),
        other => other,
    }
}

/// The refresh token to use: a rotated one this process holds unsaved, else the stored one.
async fn current_refresh_token(l: &Lanyard, channel_id: &str) -> Result<Option<SecretValue>> {
    if let Some(token) = l.broker().rotations.unsaved(channel_id) {
        return Ok(Some(SecretValue::new(token.expose())));
    }
    l.secrets().get(&keys::refresh(channel_id)).await
}

/// What a refresh is for: the channel, the resource (per-resource providers) and the
/// refresh-token generation it started from.
struct Refreshing<'a> {
    channel_id: &'a str,
    resource: Option<&'a str>,
    generation: i64,
}

/// Saves what the provider answered: secrets first (outside the write lock), then the row,
/// fenced on this process's lease and `generation`.
async fn finish(
    l: &Lanyard,
    of: &Refreshing<'_>,
    used: &SecretValue,
    tokens: crate::oauth::tokens::TokenResponse,
    received_at: i64,
) -> Result<CachedToken> {
    let Refreshing {
        channel_id,
        resource,
        generation,
    } = *of;
    let rotated = tokens
        .refresh_token()
        .map(|r| r.secret().as_str() != used.expose())
        .unwrap_or(false);
    let saved = match tokens.refresh_token().filter(|_| rotated) {
        Some(new_refresh) => {
            let token = SecretValue::new(new_refresh.secret().as_str());
            super::rotation::save(l, channel_id, token, generation).await
        }
        None => true,
    };
    let access = tokens.access_token().secret().clone();
    let expires_at = tokens
        .expires_in()
        .map(|d| received_at.saturating_add(i64::try_from(d.as_secs()).unwrap_or(3600)))
        .unwrap_or(received_at + 3600);
    let refresh_expires_at = tokens
        .refresh_token_expires_in()
        .and_then(|s| i64::try_from(s).ok())
        .map(|s| received_at.saturating_add(s));
    let access_saved = save_access(l, of, &access, expires_at, received_at).await?;
    // Peers may use the stored access token only when it is the one saved just now.
    let stored_expiry = access_saved.then_some(expires_at);
    let expiries = (stored_expiry, refresh_expires_at);
    record(l, of, (rotated, saved), expiries, received_at).await?;
    l.broker().count_refresh();
    let scopes = match (tokens.scopes(), resource) {
        (Some(s), _) => s.iter().map(|s| s.to_string()).collect(),
        (None, Some(r)) => vec![resource_scope(r)],
        (None, None) => l
            .store()
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
        generation: generation + i64::from(rotated && saved),
        scopes: Arc::new(scopes),
    };
    l.broker()
        .remember(&cache_key(channel_id, resource), token.clone());
    Ok(token)
}

/// Stores the new access token: the channel's own, or a resource's (used only through
/// this process's cache when its write fails). Whether the channel's stored access token
/// is the one just received.
async fn save_access(
    l: &Lanyard,
    of: &Refreshing<'_>,
    access: &str,
    expires_at: i64,
    received_at: i64,
) -> Result<bool> {
    let channel_id = of.channel_id;
    Ok(match of.resource {
        None => l
            .secrets()
            .set(&keys::access(channel_id), SecretValue::new(access))
            .await
            .is_ok(),
        Some(resource) => {
            let stored = ResourceToken {
                token: access.to_string(),
                expires_at,
                received_at,
                scope: resource_scope(resource),
            };
            let blob = serde_json::to_string(&stored)
                .map_err(|_| Error::Internal("cannot encode a resource token".into()))?;
            // Another resource's token is used only through this process's cache when its
            // write fails; the channel's row is not about it.
            let _ = l
                .secrets()
                .set(
                    &keys::resource_access(channel_id, resource),
                    SecretValue::new(blob),
                )
                .await;
            false
        }
    })
}

/// Records the refresh in the channel's row (fenced on the lease and generation) and the
/// audit log, in one write transaction. `(rotated, saved)`: the refresh token rotated, and
/// the new one is in the secret store; `(stored access expiry, refresh expiry)`.
async fn record(
    l: &Lanyard,
    of: &Refreshing<'_>,
    (rotated, saved): (bool, bool),
    (stored_expiry, refresh_expires_at): (Option<i64>, Option<i64>),
    received_at: i64,
) -> Result<()> {
    let (store, channel_id) = (l.store(), of.channel_id);
    let fence = Fence {
        channel_id,
        owner: l.broker().owner(),
        generation: of.generation,
    };
    let what = match (saved, of.resource.is_some()) {
        (true, true) => RefreshRecord::Resource {
            rotated,
            refresh_expires_at,
        },
        (true, false) => RefreshRecord::Own {
            rotated,
            access_expires_at: stored_expiry,
            refresh_expires_at,
            now: received_at,
        },
        (false, _) => RefreshRecord::Unsaved {
            access_expires_at: stored_expiry,
            now: received_at,
            warning: super::rotation::UNSAVED_WARNING,
        },
    };
    let mut tx = store.begin_write().await?;
    let recorded = store.record_refresh(&mut tx, fence, what).await?;
    if !recorded {
        // The lease was lost or someone re-authorized meanwhile; theirs is newer. Keep it.
        drop(tx);
        return Err(Error::ProviderUnavailable(
            "the channel's tokens changed during the refresh; try again".into(),
        ));
    }
    store
        .audit(
            &mut tx,
            received_at,
            &AuditEvent {
                principal_id: None,
                action: crate::store::audit::AuditAction::Refresh,
                subject_kind: crate::store::audit::AuditSubject::Channel,
                subject_id: channel_id,
                outcome: crate::store::audit::AuditOutcome::Ok,
                detail: rotated.then_some(if saved {
                    "refresh token rotated"
                } else {
                    "refresh token rotated; saving it is being retried"
                }),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Releases the lease after a refresh that saved nothing, noting `error`; kept while this
/// process holds a rotated token it has not saved (no peer may use the stored, rotated-out
/// one).
async fn release(l: &Lanyard, channel_id: &str, error: Option<&str>) {
    if l.broker().rotations.unsaved(channel_id).is_some() {
        return;
    }
    let _ = l
        .store()
        .release_lease(channel_id, l.broker().owner(), error)
        .await;
}

async fn audit_refresh(
    l: &Lanyard,
    channel_id: &str,
    outcome: crate::store::audit::AuditOutcome,
    detail: &str,
) {
    let _ = l
        .store()
        .audit_now(
            l.clock().now(),
            &AuditEvent {
                principal_id: None,
                action: crate::store::audit::AuditAction::Refresh,
                subject_kind: crate::store::audit::AuditSubject::Channel,
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
                action: crate::store::audit::AuditAction::Refresh,
                subject_kind: crate::store::audit::AuditSubject::Channel,
                subject_id: channel_id,
                outcome: crate::store::audit::AuditOutcome::NeedsReauth,
                detail: Some(why),
            },
        )
        .await?;
    store.commit_access_change(tx).await?;
    l.broker().forget(channel_id);
    Err(Error::NeedsReauth(format!("channel {channel_id}: {why}")))
}
