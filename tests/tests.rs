//! Lanyard's end-to-end tests: one harness, modules per area (the ripgrep layout).
//! They drive the real `lanyard` binary, the real OS keyring under a private D-Bus
//! session, and real SQLite files in temporary directories.

mod broker;
mod cache;
mod channels;
mod cli;
mod code_map;
mod crash;
mod disk_cache;
mod fetch;
mod gateway;
mod gateway_fetch;
mod health;
mod health_feeds;
mod keyring;
mod local_server;
mod oauth_failures;
mod oauth_server;
mod packaging;
mod player_fetch;
mod preview;
mod provider_files;
mod providers;
mod proxy;
mod refresh;
mod session_ceiling;
mod sharing;
mod stale;
mod structure;
mod sweep;
mod urltokens;
mod util;
