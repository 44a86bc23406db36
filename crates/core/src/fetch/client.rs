//! The engine's HTTP clients: no redirects, no Referer, extra CAs (as the provider
//! client), a connector layer that times each new connection (DNS + TCP + TLS) for the
//! request that opened it, and for players a resolver that refuses names resolving to
//! loopback or link-local addresses.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::coverage::internal_ip;
use crate::error::{Error, Result};

tokio::task_local! {
    static CONNECT: Arc<Mutex<Option<Duration>>>;
}

/// Runs `request` and tells how long opening its connection took (`None`: it reused one).
pub async fn timed<F: Future>(request: F) -> (F::Output, Option<Duration>) {
    let slot: Arc<Mutex<Option<Duration>>> = Arc::default();
    let out = CONNECT.scope(slot.clone(), request).await;
    let took = *slot.lock().unwrap_or_else(|p| p.into_inner());
    (out, took)
}

#[derive(Debug, Clone, Copy)]
struct Timing;

impl<S> tower_layer::Layer<S> for Timing {
    type Service = Timed<S>;
    fn layer(&self, inner: S) -> Timed<S> {
        Timed(inner)
    }
}

#[derive(Debug, Clone)]
struct Timed<S>(S);

impl<S, R> tower_service::Service<R> for Timed<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        // The request that opened this connection, when it is polled in its task.
        let slot = CONNECT.try_with(Clone::clone).ok();
        let started = Instant::now();
        let connecting = self.0.call(request);
        Box::pin(async move {
            let out = connecting.await;
            if let (Ok(_), Some(slot)) = (&out, slot) {
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(started.elapsed());
            }
            out
        })
    }
}

/// Resolves names, dropping loopback and link-local answers (a player's request may reach
/// those only through a prefix that names the address literally).
#[derive(Debug)]
struct Guarded;

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| internal_ip(a.ip()).is_none())
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(Inward(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The guarded resolver's refusal: the name resolves only to loopback or link-local
/// addresses. The engine finds it in a transport error's sources and answers `not_covered`.
#[derive(Debug)]
pub struct Inward(pub String);

impl std::fmt::Display for Inward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves only to loopback or link-local addresses, which a player may reach \
             only through a linked prefix naming that address literally",
            self.0
        )
    }
}

impl std::error::Error for Inward {}

/// The resolver's refusal among an error's sources, if it is one.
pub fn inward<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Inward> {
    let mut at = Some(err);
    while let Some(e) = at {
        if let Some(found) = e.downcast_ref::<Inward>() {
            return Some(found);
        }
        at = e.source();
    }
    None
}

type Key = (Duration, Duration, bool);

/// The client for these timeouts; `guarded` for a player's requests.
pub fn client(connect: Duration, total: Duration, guarded: bool) -> Result<reqwest::Client> {
    static CLIENTS: OnceLock<Mutex<HashMap<Key, reqwest::Client>>> = OnceLock::new();
    let clients = CLIENTS.get_or_init(Mutex::default);
    let key = (connect, total, guarded);
    if let Some(c) = clients.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(c.clone());
    }
    let mut builder = crate::oauth::http::builder_with(connect, total)?.connector_layer(Timing);
    if guarded {
        builder = builder.dns_resolver(Arc::new(Guarded));
    }
    let built = builder
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
    clients
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, built.clone());
    Ok(built)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn the_players_resolver_drops_loopback_answers() {
        let name = Name::from_str("localhost").expect("name");
        let err = match Guarded.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("loopback"), "{err}");
    }

    #[tokio::test]
    async fn a_new_connection_is_timed_for_the_request_that_opened_it() {
        let c = client(Duration::from_secs(5), Duration::from_secs(5), false).expect("client");
        let url = format!("{}/", crate::testing::json_upstream().await);
        let (r, first) = timed(c.get(&url).send()).await;
        r.expect("first");
        assert!(first.is_some(), "the first request opened the connection");
        let (r, second) = timed(c.get(&url).send()).await;
        r.expect("second");
        assert_eq!(second, None, "the second reused it");
    }
}
