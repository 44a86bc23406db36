//! `lanyard`: Lanyard's operations for scripts, cron jobs and tests. Every command takes
//! `--json`; on failure it exits non-zero and prints `{ "code", "message" }` (with
//! `--json`, on both stdout and stderr, so either stream parses).
//!
//! Exit codes: 0 success, 1 a Lanyard error (see its code), 2 a usage error.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use lanyard_core::{Config, Error, Lanyard};

use output::Output;

/// Lanyard keeps your data accounts and URL credentials and lends them out safely.
// No `Debug`: `database` may hold a password.
#[derive(Parser)]
#[command(name = "lanyard", version, about, propagate_version = true)]
struct Cli {
    /// The data directory [default: the platform's data dir + /app.lanyard.desktop].
    #[arg(long, global = true, env = "LANYARD_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Where secrets are kept: the OS keyring, (explicit opt-in) a 0600 file in the data
    /// directory, or sealed in the shared PostgreSQL database under --secret-key-file's key
    /// (gateways on several machines).
    #[arg(
        long,
        global = true,
        env = "LANYARD_SECRET_STORE",
        value_name = "keyring|file|database"
    )]
    secret_store: Option<String>,

    /// The key of `--secret-store database`: a file holding 32 random bytes in base64
    /// (`openssl rand -base64 32`), mode 0600, the same on every gateway. Repeat it while
    /// rotating keys: the first seals, every one opens (`secret-key reseal` moves every
    /// secret to the first). The environment variable takes FILE[:OLDER_FILE…] (`;` between
    /// files on Windows).
    #[arg(
        long,
        global = true,
        env = "LANYARD_SECRET_KEY_FILE",
        value_name = "FILE",
        value_delimiter = lanyard_core::config::PATH_LIST_SEPARATOR
    )]
    secret_key_file: Vec<PathBuf>,

    /// The database: `postgres://USER@HOST:PORT/DB` for one PostgreSQL database shared by
    /// several gateways (a password is better given by PGPASSWORD or ~/.pgpass than on the
    /// command line) [default: lanyard.db, SQLite, in the data directory].
    #[arg(
        long,
        global = true,
        env = "LANYARD_DATABASE",
        hide_env_values = true,
        value_name = "URL|FILE"
    )]
    database: Option<String>,

    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the data directory, schema version and the secret store in use with its health.
    Status,
    /// OAuth providers (templates, OpenID discovery, your own).
    #[command(subcommand)]
    Provider(commands::provider::ProviderCommand),
    /// Connected accounts.
    #[command(subcommand)]
    Channel(commands::channel::ChannelCommand),
    /// Finish a sign-in.
    #[command(subcommand)]
    Oauth(commands::channel::OauthCommand),
    /// Players (screens that receive grants).
    #[command(subcommand)]
    Player(commands::broker::PlayerCommand),
    /// Feed links: a data address for a no-code widget, one per screen and data URL.
    #[command(subcommand)]
    Feed(commands::feed::FeedCommand),
    /// Links between players (or the license) and channels.
    #[command(subcommand)]
    Link(commands::broker::LinkCommand),
    /// Ask the broker for a short-lived grant (prints the access token).
    Grant(commands::broker::GrantArgs),
    /// The audit log: grants, refreshes, denials, link changes, disconnects.
    Audit(commands::broker::AuditArgs),
    /// URL tokens: per-URL credentials attached to data requests.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Stored permission decisions for URL tokens.
    #[command(subcommand)]
    Permission(commands::token::PermissionCommand),
    /// Fetch a data URL as a player would and show what came back.
    Preview(commands::preview::PreviewArgs),
    /// Channels that need re-authorization, and when to check again.
    Reminders,
    /// What will stop when, with the screens it would blank; `health check` tests now.
    Health {
        #[command(subcommand)]
        command: Option<commands::health::HealthCommand>,
    },
    /// The player gateway: grants over HTTP(S).
    #[command(subcommand)]
    Gateway(commands::gateway::GatewayCommand),
    /// This installation's identity and contact card.
    #[command(subcommand)]
    Identity(commands::sharing::IdentityCommand),
    /// The key of the database secret store (`--secret-store database`).
    #[command(subcommand)]
    SecretKey(commands::secret_key::SecretKeyCommand),
    /// People you share tokens with.
    #[command(subcommand)]
    Contact(commands::sharing::ContactCommand),
    /// Token offers: import, the Token requests inbox, accept, reject.
    #[command(subcommand)]
    Offer(commands::sharing::OfferCommand),
}

/// Whether `args` (without the program) name one of the CLI's commands after any global
/// options (`--data-dir DIR status`): the multi-call app (src-tauri) then runs as
/// `lanyard` instead of opening its window.
pub fn names_a_command(args: &[std::ffi::OsString]) -> bool {
    let cli = Cli::command();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let Some(arg) = arg.to_str() else {
            return false;
        };
        if let Some(long) = arg.strip_prefix("--") {
            let takes_value = !long.contains('=')
                && cli
                    .get_arguments()
                    .any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
            if takes_value {
                rest.next();
            }
            continue;
        }
        return cli
            .get_subcommands()
            .any(|c| c.get_name() == arg || c.get_all_aliases().any(|a| a == arg));
    }
    false
}

/// Runs `lanyard` with this process's arguments.
pub fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return output::usage_error(err),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return output::usage_error(err),
    };
    // `lanyard status` says when the environment chose the secret store.
    let store_from_env = matches.value_source("secret_store") == Some(ValueSource::EnvVariable);
    init_logging();
    let out = Output::new(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return out.fail(&Error::Internal(format!("could not start: {e}"))),
    };
    match runtime.block_on(run(cli, store_from_env, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => out.fail(&err),
    }
}

async fn run(cli: Cli, store_from_env: bool, out: &Output) -> lanyard_core::Result<()> {
    let mut config = Config::resolve(cli.data_dir, cli.secret_store.as_deref())?
        .with_database(cli.database.as_deref())?
        .with_secret_key_files(&cli.secret_key_file)?;
    config.secret_store_from_env |= store_from_env;
    let lanyard = Lanyard::open(&config).await?;
    match cli.command {
        Command::Status => commands::status::run(&lanyard, out).await,
        Command::Provider(c) => commands::provider::run(&lanyard, out, c).await,
        Command::Channel(c) => commands::channel::run(&lanyard, out, c).await,
        Command::Oauth(c) => commands::channel::callback(&lanyard, out, c).await,
        Command::Player(c) => commands::broker::player(&lanyard, out, c).await,
        Command::Link(c) => commands::broker::link(&lanyard, out, c).await,
        Command::Feed(c) => commands::feed::run(&lanyard, out, c).await,
        Command::Grant(a) => commands::broker::grant(&lanyard, out, a).await,
        Command::Audit(a) => commands::broker::audit(&lanyard, out, a).await,
        Command::Token(c) => commands::token::run(&lanyard, out, c).await,
        Command::Permission(c) => commands::token::permission(&lanyard, out, c).await,
        Command::Preview(a) => commands::preview::run(&lanyard, out, a).await,
        Command::Reminders => commands::reminders::run(&lanyard, out).await,
        Command::Health { command } => commands::health::run(&lanyard, out, command).await,
        Command::Gateway(c) => commands::gateway::run(&lanyard, out, c).await,
        Command::SecretKey(c) => commands::secret_key::run(&lanyard, &config, out, c).await,
        Command::Identity(c) => commands::sharing::identity(&lanyard, out, c).await,
        Command::Contact(c) => commands::sharing::contact(&lanyard, out, c).await,
        Command::Offer(c) => commands::sharing::offer(&lanyard, out, c).await,
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LANYARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
