//! `lanyard secret-key reseal`: moves every secret of the database secret store to the
//! first `--secret-key-file` during a key rotation.

use clap::Subcommand;
use lanyard_core::secrets::shared::SharedStore;
use lanyard_core::{Config, Lanyard, Result};

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum SecretKeyCommand {
    /// Seal every secret in the shared database under the first --secret-key-file (give
    /// the new key file first and the old one after it; gateways started with both keep
    /// working throughout).
    Reseal,
}

pub async fn run(l: &Lanyard, config: &Config, out: &Output, c: SecretKeyCommand) -> Result<()> {
    match c {
        SecretKeyCommand::Reseal => {
            let store = SharedStore::open(l.store(), &config.secret_key_files)?;
            let done = store.reseal().await?;
            out.print(&done, || {
                format!(
                    "{} secret(s) resealed under the first key, {} already were",
                    done.resealed, done.current
                )
            });
            Ok(())
        }
    }
}
