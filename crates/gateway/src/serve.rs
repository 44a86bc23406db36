//! Running a gateway: where it may listen, TLS, the background upkeep and graceful
//! shutdown.
//!
//! Player secrets travel in a header, so plain HTTP is allowed only on a loopback address
//! unless the caller says `insecure_http` explicitly; anywhere else needs a certificate
//! and key (rustls, TLS 1.2 and 1.3). While it serves, the gateway runs the core's
//! upkeep (`lanyard_core::upkeep`: audit flush every `upkeep.flush_every`, revocation
//! retries, the keep-alive refresh of idle channels) unless the process already runs it
//! (the desktop app); grant audit records are written once more after the last
//! connection closes.
//!
//! With TLS on (a gateway serving a network) data is for session tokens only unless told
//! otherwise ([`ServeOptions::sessions_only`]).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use lanyard_core::{Error, Lanyard, Result};

use crate::api::router;
use crate::limits::LimitPolicy;
use crate::state::Gateway;

/// How a gateway listens.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address (port 0: any free port).
    pub listen: SocketAddr,
    /// PEM certificate chain and private key, for HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Allow plain HTTP on a non-loopback address.
    pub insecure_http: bool,
    /// Failed-attempt limits.
    pub limits: LimitPolicy,
    /// How often the upkeep runs (audit flush, revocation retries, keep-alive).
    pub upkeep: lanyard_core::upkeep::Timings,
    /// Run the upkeep here; off when the process runs it already (the desktop app).
    pub run_upkeep: bool,
    /// How long open connections may finish after shutdown is asked for.
    pub grace: Duration,
    /// Origins whose pages may call the gateway from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// The bound of the shared response cache in bytes (0: no cache).
    pub cache_bytes: u64,
    /// The bound of the disk copies of the last good answers in bytes
    /// ([`crate::disk_cache`]; 0: nothing is written to disk).
    pub disk_cache_bytes: u64,
    /// How long session tokens from `POST /v1/sessions` live (at most 15 minutes).
    pub session_seconds: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: Vec<crate::forwarded::Cidr>,
    /// Per-player limits on `/v1/fetch` and the body budget.
    pub fetch: crate::quota::FetchPolicy,
    /// How long one upstream request of `/v1/fetch` may take in all.
    pub fetch_timeout: Duration,
    /// Requests each feed link answers per minute (then `429`).
    pub feed_per_minute: u32,
    /// How long a `GET /v1/fetch` waits for the upstream when a stale answer exists.
    pub stale_deadline: Duration,
    /// Data for session tokens only: `/v1/fetch` refuses player secrets
    /// (`401 session_required`) and `/v1/sessions` refuses secrets from web content. `None`:
    /// on exactly when TLS is (a gateway serving a network; the loopback gateway of
    /// development and of the desktop app keeps accepting secrets).
    pub sessions_only: Option<bool>,
}

impl ServeOptions {
    /// Defaults for `listen`: no TLS, default limits, the upkeep with its default timings
    /// (a flush every 2 s, keep-alive hourly), 10 s of grace.
    pub fn new(listen: SocketAddr) -> Self {
        ServeOptions {
            listen,
            tls: None,
            insecure_http: false,
            limits: LimitPolicy::default(),
            upkeep: lanyard_core::upkeep::Timings::default(),
            run_upkeep: true,
            grace: Duration::from_secs(10),
            cors_origins: Vec::new(),
            cache_bytes: crate::cache::DEFAULT_MAX_BYTES,
            disk_cache_bytes: crate::disk_cache::DEFAULT_MAX_BYTES,
            session_seconds: lanyard_core::broker::sessions::SESSION_SECONDS,
            trusted_proxies: Vec::new(),
            fetch: crate::quota::FetchPolicy::default(),
            fetch_timeout: crate::upstream::default_options().timeout,
            feed_per_minute: crate::feeds::DEFAULT_PER_MINUTE,
            stale_deadline: crate::cache::DEFAULT_STALE_DEADLINE,
            sessions_only: None,
        }
    }

    /// Whether only session tokens buy data (see [`ServeOptions::sessions_only`]).
    pub fn sessions_only(&self) -> bool {
        self.sessions_only.unwrap_or(self.tls.is_some())
    }

    /// Refuses plain HTTP off loopback unless `insecure_http` was given.
    pub fn check(&self) -> Result<()> {
        if !(1..=lanyard_core::broker::sessions::SESSION_SECONDS).contains(&self.session_seconds) {
            return Err(Error::invalid(format!(
                "the session lifetime is 1 to {} seconds",
                lanyard_core::broker::sessions::SESSION_SECONDS
            )));
        }
        if self.tls.is_none() && !self.listen.ip().is_loopback() && !self.insecure_http {
            return Err(Error::invalid(format!(
                "refusing plain HTTP on {}: player secrets would cross the network in the \
                 clear. Give --tls-cert and --tls-key, listen on a loopback address, or pass \
                 --insecure-http to accept the risk",
                self.listen
            )));
        }
        let f = &self.fetch;
        if f.per_second.is_nan() || f.per_second <= 0.0 || f.burst == 0 || f.concurrent == 0 {
            return Err(Error::invalid(
                "the request rate, burst and concurrency of /v1/fetch must be at least 1",
            ));
        }
        if !(1..=300).contains(&self.fetch_timeout.as_secs()) {
            return Err(Error::invalid("the fetch timeout is 1 to 300 seconds"));
        }
        let max_body = crate::upstream::default_options().max_body as u64;
        if f.body_budget < max_body {
            return Err(Error::invalid(format!(
                "the body budget must hold at least one answer ({} MiB)",
                max_body / (1024 * 1024)
            )));
        }
        Ok(())
    }
}

/// Where a started gateway listens.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Listening {
    /// The bound address.
    pub address: SocketAddr,
    /// Whether it speaks HTTPS.
    pub tls: bool,
}

impl Listening {
    /// `http://…` or `https://…`.
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.address
        )
    }
}

/// Serves until `shutdown` resolves, then lets open requests finish (up to the grace
/// period) and writes the buffered audit records. `on_listening` is called once bound.
pub async fn serve(
    lanyard: Lanyard,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_listening: impl FnOnce(Listening),
) -> Result<()> {
    options.check()?;
    // Both our server and reqwest use ring; a second install attempt is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = match &options.tls {
        Some((cert, key)) => Some(RustlsConfig::from_pem_file(cert, key).await.map_err(|e| {
            Error::invalid(format!(
                "could not load the TLS certificate {} and key {}: {e}",
                cert.display(),
                key.display()
            ))
        })?),
        None => None,
    };
    let listener = std::net::TcpListener::bind(options.listen)
        .map_err(|e| Error::io(&format!("could not listen on {}", options.listen), &e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io("could not configure the listener", &e))?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::io("could not read the bound address", &e))?;

    let sessions_only = options.sessions_only();
    let mut cache = crate::cache::Cache::new(options.cache_bytes);
    let disk = open_disk_cache(&lanyard, &options).await;
    if let Some(disk) = &disk {
        cache = cache.with_disk(disk.clone());
    }
    let gateway = Arc::new(
        Gateway::new(lanyard.clone(), options.limits)?
            .with_cors_origins(options.cors_origins)
            .with_cache(cache)
            .with_session_seconds(options.session_seconds)
            .with_trusted_proxies(options.trusted_proxies)
            .with_fetch_policy(options.fetch)
            .with_stale_deadline(options.stale_deadline)
            .with_fetch_options(lanyard_core::preview::PreviewOptions {
                timeout: options.fetch_timeout,
                ..crate::upstream::default_options()
            })
            .with_feed_limit(options.feed_per_minute)
            .with_sessions_only(sessions_only),
    );
    let app = router(gateway).into_make_service_with_connect_info::<SocketAddr>();
    let handle = Handle::new();
    let grace = options.grace;
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(grace));
    });
    let upkeep = options
        .run_upkeep
        .then(|| tokio::spawn(lanyard_core::upkeep::run(lanyard.clone(), options.upkeep)));

    on_listening(Listening {
        address,
        tls: tls.is_some(),
    });
    let served = match tls {
        Some(config) => {
            axum_server::from_tcp_rustls(listener, config)
                .handle(handle)
                .serve(app)
                .await
        }
        None => {
            axum_server::from_tcp(listener)
                .handle(handle)
                .serve(app)
                .await
        }
    };
    if let Some(upkeep) = upkeep {
        upkeep.abort();
    }
    if let Some(disk) = disk {
        disk.stop();
    }
    if let Err(e) = lanyard.broker().screens().flush(lanyard.store()).await {
        tracing::warn!(code = e.code(), "could not write screen states: {e}");
    }
    let flushed = lanyard.broker().flush(lanyard.store()).await;
    served.map_err(|e| Error::io("the gateway stopped", &e))?;
    flushed.map(|_| ())
}

/// The disk cache, unless turned off (or there is no memory cache to keep good copies in).
/// One that cannot be opened (the secret store refuses, the folder cannot be made) leaves
/// the gateway serving from memory only, with a warning.
async fn open_disk_cache(
    lanyard: &Lanyard,
    options: &ServeOptions,
) -> Option<crate::disk_cache::DiskCache> {
    if options.disk_cache_bytes == 0 || options.cache_bytes == 0 {
        return None;
    }
    match crate::disk_cache::DiskCache::open(lanyard, options.disk_cache_bytes).await {
        Ok(disk) => Some(disk),
        Err(e) => {
            tracing::warn!(
                code = e.code(),
                "the disk cache is off (stale answers will not survive a restart): {e}"
            );
            None
        }
    }
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere).
pub async fn signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Each CORS origin must be an origin (`scheme://host[:port]`), as browsers send it;
/// returned in the form browsers send (`--cors-origin`, the app's gateway settings).
pub fn checked_origins(raw: &[String]) -> Result<Vec<String>> {
    raw.iter()
        .map(|o| {
            let url = url::Url::parse(o.trim()).map_err(|_| {
                Error::invalid(format!("{o:?} is not an origin like https://example.com"))
            })?;
            let origin = url.origin().ascii_serialization();
            if origin == "null" || url.path() != "/" || url.query().is_some() {
                return Err(Error::invalid(format!(
                    "{o:?} is not an origin like https://example.com (no path or query)"
                )));
            }
            Ok(origin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_unless_told() {
        let on = |addr: &str| ServeOptions::new(addr.parse().expect("addr"));
        assert!(on("127.0.0.1:0").check().is_ok());
        assert!(on("[::1]:0").check().is_ok());
        let err = on("0.0.0.0:8080").check().expect_err("refused");
        assert_eq!(err.code(), "invalid_input");
        let mut insecure = on("0.0.0.0:8080");
        insecure.insecure_http = true;
        assert!(insecure.check().is_ok());
        let mut tls = on("0.0.0.0:8443");
        tls.tls = Some(("c.pem".into(), "k.pem".into()));
        assert!(tls.check().is_ok());
    }

    #[test]
    fn sessions_only_follows_tls_unless_told() {
        let mut o = ServeOptions::new("127.0.0.1:0".parse().expect("addr"));
        assert!(!o.sessions_only(), "loopback development accepts secrets");
        o.sessions_only = Some(true);
        assert!(o.sessions_only());
        let mut tls = ServeOptions::new("0.0.0.0:8443".parse().expect("addr"));
        tls.tls = Some(("c.pem".into(), "k.pem".into()));
        assert!(tls.sessions_only(), "on by default with TLS");
        tls.sessions_only = Some(false);
        assert!(!tls.sessions_only(), "turned off explicitly");
    }
}
