//! `lanyard gateway serve`: the broker over HTTP for players; `lanyard gateway
//! rotate-session-key`: a new session key for every gateway on the store.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use lanyard_core::{Error, Lanyard, Result};
use lanyard_gateway::serve::{serve, signals, Listening, ServeOptions};

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Serve grants to players until SIGINT or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Make a new session key current for every gateway on this store: sessions signed
    /// with the current key keep working until they expire (at most 15 minutes), those
    /// signed with the previous one are refused from now on.
    RotateSessionKey,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:7443")]
    listen: SocketAddr,
    /// PEM certificate chain for HTTPS.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (player secrets cross the network in
    /// the clear).
    #[arg(long)]
    insecure_http: bool,
    /// Failed authentications allowed per presented secret per minute (never counted per
    /// player id: anyone can name a player).
    #[arg(
        long,
        default_value_t = 10,
        value_name = "N",
        alias = "max-failures-per-player"
    )]
    max_failures_per_secret: u32,
    /// Failed authentications allowed per source address per minute.
    #[arg(long, default_value_t = 30, value_name = "N")]
    max_failures_per_address: u32,
    /// An origin whose pages may call the gateway from a browser (CORS), e.g.
    /// `https://signage.example.com` (repeat). None by default.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// The shared in-memory cache of GET /v1/fetch answers, in MiB (0: no cache, and no
    /// disk copies either).
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    cache_size: u64,
    /// The disk copies of the last good answers (what a restarted gateway serves stale
    /// during an outage), sealed in <data dir>/fetch-cache, in MiB; the least recently
    /// used go first.
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    disk_cache_size: u64,
    /// Write nothing to disk: the last good answers live in memory only and do not
    /// survive a restart.
    #[arg(long, conflicts_with = "disk_cache_size")]
    no_disk_cache: bool,
    /// How long session tokens from POST /v1/sessions live, in seconds (1 to 900).
    #[arg(long, default_value_t = 900, value_name = "SECS")]
    session_lifetime: i64,
    /// A reverse proxy (address or block, e.g. 10.0.0.0/8) whose X-Forwarded-For names
    /// the client (repeat). From any other peer the header is ignored.
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    trusted_proxies: Vec<String>,
    /// Requests per second one player may make to /v1/fetch, sustained.
    #[arg(long, default_value_t = 10, value_name = "N")]
    fetch_rate: u32,
    /// Requests one player may make to /v1/fetch at once after being idle.
    #[arg(long, default_value_t = 60, value_name = "N")]
    fetch_burst: u32,
    /// Requests of one player to /v1/fetch under way at once.
    #[arg(long, default_value_t = 16, value_name = "N")]
    fetch_concurrency: u32,
    /// Memory for upstream answers being read at once, all players together, in MiB
    /// (each request counts its 10 MiB answer cap).
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    fetch_memory: u64,
    /// How long one upstream request of /v1/fetch may take, in seconds (1 to 300).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    fetch_timeout: u64,
    /// Requests each feed link (`lanyard feed add`) answers per minute before `429`.
    #[arg(long, default_value_t = lanyard_gateway::feeds::DEFAULT_PER_MINUTE, value_name = "N")]
    feed_requests_per_minute: u32,
    /// How long a GET /v1/fetch waits for the upstream when the last good answer could be
    /// served stale instead (e.g. 5s, 800ms; 100ms to 300s). The request upstream carries
    /// on and replaces the answer when it succeeds.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    stale_deadline: String,
    /// Data for session tokens only: /v1/fetch refuses player secrets (401
    /// session_required) and /v1/sessions refuses secrets sent by web content, so screen
    /// content never holds the player secret. On by default with TLS;
    /// `--sessions-only=false` turns it off (the last one given wins).
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        overrides_with = "sessions_only"
    )]
    sessions_only: Option<bool>,
}

pub async fn run(l: &Lanyard, out: &Output, command: GatewayCommand) -> Result<()> {
    match command {
        GatewayCommand::RotateSessionKey => {
            let done = lanyard_core::broker::sessions::rotate(l).await?;
            out.line(&done, || {
                let mut text = format!("new session key {}", done.current);
                if let Some(previous) = &done.previous {
                    text.push_str(&format!(
                        "; sessions signed with {previous} keep working until they expire"
                    ));
                }
                if let Some(retired) = &done.retired {
                    text.push_str(&format!("; key {retired} deleted"));
                }
                text
            });
            Ok(())
        }
        GatewayCommand::Serve(args) => {
            let options = serve_options(args)?;
            if l.store().backend() == lanyard_core::store::Backend::Postgres
                && l.secret_store_kind() != lanyard_core::secrets::SecretStoreKind::Database
            {
                // Stderr: stdout stays one JSON document per line for scripts.
                eprintln!(
                    "warning: this gateway shares a PostgreSQL database but keeps master tokens \
                     in its own {} secret store. That is right only for gateways on this \
                     machine with this store; gateways on other machines need \
                     --secret-store database, or a token rotated by one looks revoked to the \
                     others.",
                    l.secret_store_kind().as_str()
                );
            }
            serve(l.clone(), options, signals(), |at: Listening| {
                out.line(&serde_json::json!({ "listening": at.url() }), || {
                    format!("gateway listening on {} (Ctrl-C to stop)", at.url())
                });
            })
            .await?;
            out.line(&serde_json::json!({ "stopped": true }), || {
                "gateway stopped; audit records written".into()
            });
            Ok(())
        }
    }
}

/// The gateway's options from `gateway serve`'s flags, each checked before anything starts.
fn serve_options(args: Box<ServeArgs>) -> Result<ServeOptions> {
    let mut options = ServeOptions::new(args.listen);
    options.tls = args.tls_cert.zip(args.tls_key);
    options.insecure_http = args.insecure_http;
    options.limits.per_secret = args.max_failures_per_secret;
    options.limits.per_address = args.max_failures_per_address;
    options.cors_origins = lanyard_gateway::serve::checked_origins(&args.cors_origins)?;
    if args.cache_size > 64 * 1024 {
        return Err(Error::invalid("--cache-size is at most 65536 MiB"));
    }
    options.cache_bytes = args.cache_size * 1024 * 1024;
    if args.disk_cache_size > 1024 * 1024 {
        return Err(Error::invalid("--disk-cache-size is at most 1048576 MiB"));
    }
    if args.disk_cache_size == 0 && !args.no_disk_cache {
        return Err(Error::invalid(
            "--disk-cache-size is at least 1 MiB; --no-disk-cache turns it off",
        ));
    }
    options.disk_cache_bytes = if args.no_disk_cache {
        0
    } else {
        args.disk_cache_size * 1024 * 1024
    };
    if !(1..=900).contains(&args.session_lifetime) {
        return Err(Error::invalid("--session-lifetime is 1 to 900 seconds"));
    }
    options.session_seconds = args.session_lifetime;
    options.trusted_proxies = args
        .trusted_proxies
        .iter()
        .map(|c| lanyard_gateway::forwarded::Cidr::parse(c))
        .collect::<Result<_>>()?;
    if args.fetch_memory > 64 * 1024 {
        return Err(Error::invalid("--fetch-memory is at most 65536 MiB"));
    }
    options.fetch = lanyard_gateway::quota::FetchPolicy {
        per_second: f64::from(args.fetch_rate),
        burst: args.fetch_burst,
        concurrent: args.fetch_concurrency,
        body_budget: args.fetch_memory * 1024 * 1024,
    };
    options.fetch_timeout = std::time::Duration::from_secs(args.fetch_timeout);
    if args.feed_requests_per_minute == 0 {
        return Err(Error::invalid("--feed-requests-per-minute is at least 1"));
    }
    options.feed_per_minute = args.feed_requests_per_minute;
    let deadline = lanyard_core::input::duration(
        &args.stale_deadline,
        lanyard_core::error::InputField::StaleDeadline,
    )?;
    if !(100..=300_000).contains(&deadline.as_millis()) {
        return Err(Error::invalid("--stale-deadline is 100ms to 300s"));
    }
    options.stale_deadline = deadline;
    options.sessions_only = args.sessions_only;
    if options.limits.per_secret == 0 || options.limits.per_address == 0 {
        return Err(Error::invalid("failure limits must be at least 1"));
    }
    Ok(options)
}
