//! Data that crosses IPC. Each type derives `ts_rs::TS`; `cargo test -p lanyard-app`
//! writes the TypeScript into `ui/src/lib/bindings/` (committed; CI fails on a diff).
//! Converted from the core's domain types here, so the core stays free of IPC concerns;
//! where the core's own closed set crosses as it is (`ProviderKind`, `Placement`, …), the
//! core derives `TS` behind its `ts` feature instead of the shell keeping a copy — and so
//! do the forms the window sends as the core reads them (`NewToken` and `TokenEdit` as
//! `TokenInputDto`/`TokenEditDto`, `ProviderForm` as `ProviderInputDto`), whose bindings
//! the core's tests with `--features ts` write (`cargo test --workspace` runs them).
//! No DTO ever carries a secret (the one exception, a new player's secret, is shown once).
//!
//! One file per area, all re-exported here: [`error`] (`IpcError`), [`status`] (Settings),
//! [`deep_link`], [`providers`] and [`provider_file`], [`channels`], [`players`],
//! [`audit`], [`tokens`] (URL tokens), [`prompts`] (the questions before tokens are sent),
//! [`reminders`], [`health`], [`preview`], [`feeds`] and [`sharing`] (contacts and
//! offers; `sharing.rs` of the shell uses them).

pub mod audit;
pub mod channels;
pub mod deep_link;
pub mod error;
pub mod feeds;
pub mod health;
pub mod players;
pub mod preview;
pub mod prompts;
pub mod provider_file;
pub mod providers;
pub mod reminders;
pub mod sharing;
pub mod status;
pub mod tokens;

pub use audit::*;
pub use channels::*;
pub use deep_link::*;
pub use error::*;
pub use players::*;
pub use prompts::*;
pub use providers::*;
pub use reminders::*;
pub use status::*;
pub use tokens::*;
