//! One module per subcommand; each is a thin call into `lanyard-core` plus printing.

pub mod broker;
pub mod channel;
pub mod feed;
pub mod gateway;
pub mod health;
pub mod preview;
pub mod provider;
pub mod provider_file;
pub mod refetch;
pub mod reminders;
pub mod secret_key;
pub mod sharing;
pub mod status;
pub mod token;
