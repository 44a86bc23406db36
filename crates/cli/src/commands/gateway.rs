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
    Serve(ServeArgs),
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
    /// The shared in-memory cache of GET /v1/fetch answers, in MiB (0: no cache). It is
    /// never written to disk.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    cache_size: u64,
    /// How long session tokens from POST /v1/sessions live, in seconds (1 to 900).
    #[arg(long, default_value_t = 900, value_name = "SECS")]
    session_lifetime: i64,
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
            if !(1..=900).contains(&args.session_lifetime) {
                return Err(Error::invalid("--session-lifetime is 1 to 900 seconds"));
            }
            options.session_seconds = args.session_lifetime;
            options.sessions_only = args.sessions_only;
            if options.limits.per_secret == 0 || options.limits.per_address == 0 {
                return Err(Error::invalid("failure limits must be at least 1"));
            }
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
