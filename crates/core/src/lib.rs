//! # lanyard-core
//!
//! Every rule of Lanyard's domain, with no Tauri types: the desktop shell (`src-tauri`) and
//! the command line (`crates/cli`) are thin adapters over this crate.
//!
//! ## Contents
//! - [`config`]: where an installation lives and which secret store it uses.
//! - [`instance`]: [`Lanyard`], an opened installation, and its [`Status`].
//! - [`store`]: one SQL database through `sqlx::Any` — an SQLite file by default (WAL,
//!   `synchronous=FULL`, foreign keys) or PostgreSQL shared by several gateways
//!   (`--database postgres://…`) — with embedded migrations for each, refusal of newer
//!   schemas, one writer at a time (`BEGIN IMMEDIATE` / an advisory lock) and the access
//!   epoch.
//! - [`secrets`]: the [`SecretStore`](secrets::SecretStore) trait and its backends: the OS
//!   keyring, a file, sealed in the shared PostgreSQL database, and memory (tests).
//! - [`error`]: the one [`Error`] enum with stable codes.
//! - [`input`]: rules for user input every caller shares (blank text is "not given").
//! - [`clock`]: injected time.
//! - [`failpoint`]: named crash points for durability tests.
//! - [`broker`]: principals, links, grants, single-flight refresh.
//! - [`oauth`]: providers, the authorization flow, channels (connect, re-authorize,
//!   disconnect).
//! - [`urltokens`]: per-URL credentials: matching, placement, permission, prompts.
//! - [`fetch`]: the fetch engine, one path for every principal: credentials per hop,
//!   redirects by hand, redaction by value.
//! - [`preview`]: fetch a data URL as a player would, through the engine; the report and
//!   history.
//! - [`snapshot`]: what every request consults, cached per process under the access epoch.
//! - [`health`]: what breaks when, and "Check now".
//! - [`screens`]: every screen's state as the gateway served it.
//! - [`reminders`]: the pure re-authorization schedule.
//! - [`deep_links`]: the deep links the OS hands to Lanyard, parsed strictly.
//! - [`feeds`]: feed links for no-code widgets (one player and data URL per link).
//! - [`sharing`]: identity, contacts, sealed and signed token offers, Token requests.
//! - [`upkeep`]: background work every long-running process runs (audit flush,
//!   revocation retries, keep-alive refresh).
//!
//! ## Security
//! Secrets (refresh and access tokens, URL token values, client secrets, private keys)
//! live only in the secret store. They are [`SecretValue`](secrets::SecretValue)s:
//! redacted in `Debug`, never serialized, wiped on drop. No error message, log line or
//! status report contains one.

pub mod broker;
pub mod clock;
mod closed;
pub mod config;
pub mod deep_links;
pub mod error;
pub mod failpoint;
pub mod feeds;
pub mod fetch;
pub mod health;
pub mod input;
pub mod instance;
pub mod oauth;
pub mod preview;
pub mod reminders;
pub mod screens;
pub mod secrets;
pub mod sharing;
pub mod snapshot;
pub mod store;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
pub mod upkeep;
pub mod urltokens;

pub use config::Config;
pub use error::{Error, Result};
pub use instance::{EnvSetting, Lanyard, Status};
