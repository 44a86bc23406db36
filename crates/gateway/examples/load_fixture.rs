//! Seeds a data directory for the gateway load test (`benches/gateway-load.sh`): CHANNELS
//! channels whose access tokens stay fresh for a day (their token endpoint is never
//! called), PLAYERS players each linked to one channel, and a file listing
//! `<secret> <channel id>` per player for the wrk script (mode 0600: it holds secrets).
//!
//! Run: `cargo run --release -p lanyard-gateway --example load_fixture -- DIR PLAYERS CHANNELS`
//! (the data directory uses the file secret store, as the gateway will; with
//! `LANYARD_DATABASE=postgres://…` the rows go to that PostgreSQL database).

use std::io::Write as _;
use std::sync::Arc;

use lanyard_core::broker::players;
use lanyard_core::broker::testing::seed_channel;
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::secrets::SecretStoreKind;
use lanyard_core::store::Location;
use lanyard_core::{Config, Lanyard};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: load_fixture DIR PLAYERS CHANNELS";
    let dir = std::path::PathBuf::from(args.next().ok_or(usage)?);
    let n_players: usize = args.next().ok_or(usage)?.parse()?;
    let n_channels: usize = args.next().ok_or(usage)?.parse()?;
    if n_channels == 0 {
        return Err(usage.into());
    }
    let config = Config {
        // LANYARD_DATABASE=postgres://… seeds a PostgreSQL database instead.
        database: match std::env::var(lanyard_core::config::DATABASE_ENV) {
            Ok(url) if !url.is_empty() => Some(Location::parse(&url)?),
            _ => None,
        },
        ..Config::new(dir.clone(), SecretStoreKind::File)
    };
    let l = Lanyard::open_with(&config, Arc::new(SystemClock), None).await?;
    let tomorrow = SystemClock.now() + 24 * 3600;
    let mut channels = Vec::with_capacity(n_channels);
    for i in 0..n_channels {
        let id = seed_channel(
            &l,
            "http://127.0.0.1:9/token",
            &format!("load-access-{i}"),
            tomorrow,
            &format!("load-refresh-{i}"),
        )
        .await?;
        // The load test measures /v1/grants, which hands out tokens only in `token` mode.
        lanyard_core::broker::token_links::set_handout(
            &l,
            &id,
            lanyard_core::oauth::channel::Handout::Token,
        )
        .await?;
        channels.push(id);
    }
    let mut lines = String::new();
    for i in 0..n_players {
        let new = players::add_player(&l, &format!("load player {i}"), None).await?;
        let channel = &channels[i % n_channels];
        players::link(&l, &new.player.id, channel).await?;
        lines.push_str(&format!("{} {channel}\n", new.secret.expose()));
    }
    let path = dir.join("load-players.txt");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(&path)?.write_all(lines.as_bytes())?;
    println!(
        "seeded {n_players} players and {n_channels} channels; secrets in {}",
        path.display()
    );
    Ok(())
}
