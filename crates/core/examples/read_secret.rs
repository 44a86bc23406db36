//! Test harness, never shipped: `read_secret DATA_DIR KEY` prints the secret stored under
//! `KEY` for the installation in `DATA_DIR`, read through the OS keyring store (on
//! Windows, Credential Manager) exactly as Lanyard reads it. The Windows pass's secrets
//! sweep (tests/sweep.rs under Wine) runs it under Wine: the sweep itself is a Linux
//! program and cannot see Wine's Credential Manager. Exit status 3 when there is no such
//! secret, 1 when the store cannot be used.

use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::{Config, Lanyard};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, key] = args.as_slice() else {
        eprintln!("usage: read_secret DATA_DIR KEY");
        return std::process::ExitCode::from(2);
    };
    let config = Config::new(dir.as_str(), SecretStoreKind::Keyring);
    let secret = match Lanyard::open(&config).await {
        Ok(l) => l.secrets().get(key).await,
        Err(err) => Err(err),
    };
    match secret {
        Ok(Some(value)) => {
            print!("{}", value.expose());
            std::process::ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("no secret under {key}");
            std::process::ExitCode::from(3)
        }
        Err(err) => {
            eprintln!("{err}");
            std::process::ExitCode::from(1)
        }
    }
}
