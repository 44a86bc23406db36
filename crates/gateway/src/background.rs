//! A gateway run inside a long-lived process (the desktop app): started and stopped on
//! demand, its on/off choice and address kept in the installation's settings (off by
//! default), so the app can bring it back at the next start.
//!
//! Only plain HTTP on a loopback address is offered here, like `lanyard gateway serve`
//! without flags; a gateway for other machines (TLS) is run with the CLI.

use std::net::SocketAddr;

use lanyard_core::{Error, Lanyard, Result};
use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, Mutex};

use crate::serve::{serve, Listening, ServeOptions};

/// The setting holding [`GatewaySettings`].
pub const SETTING: &str = "gateway";

/// The default address of a gateway started from the app.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7443";

/// What the user chose in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewaySettings {
    /// Run the gateway while the app runs.
    pub enabled: bool,
    /// Where it listens.
    pub listen: String,
    /// Origins whose pages may call it from a browser (CORS), e.g. a designer's local
    /// content server; none by default.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            enabled: false,
            listen: DEFAULT_LISTEN.into(),
            cors_origins: Vec::new(),
        }
    }
}

/// What the Settings page shows.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayState {
    /// The saved choice.
    pub settings: GatewaySettings,
    /// `http://…` while it runs.
    pub url: Option<String>,
    /// Why it is not running although enabled (the address is taken, …).
    pub error: Option<String>,
}

#[derive(Debug)]
struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

/// The gateway of this process, if it runs.
#[derive(Debug, Default)]
pub struct BackgroundGateway {
    running: Mutex<Option<Running>>,
    error: std::sync::Mutex<Option<String>>,
}

impl BackgroundGateway {
    /// The saved settings and whether it runs.
    pub async fn state(&self, l: &Lanyard) -> Result<GatewayState> {
        let settings = settings(l).await?;
        let url = self.running.lock().await.as_ref().map(|r| r.url.clone());
        let error = self.error.lock().map(|e| e.clone()).unwrap_or_default();
        Ok(GatewayState {
            settings,
            url,
            error,
        })
    }

    /// Starts it when the saved settings say so (at app start). Failures are kept for
    /// [`state`](Self::state), not raised.
    pub async fn resume(&self, l: &Lanyard) {
        match settings(l).await {
            Ok(s) if s.enabled => {
                if let Err(e) = self.start(l, &s).await {
                    tracing::warn!(code = e.code(), "the gateway did not start: {e}");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("could not read the gateway settings: {e}"),
        }
    }

    /// Saves the choice, then starts, restarts or stops the gateway to match it.
    pub async fn set(&self, l: &Lanyard, mut wanted: GatewaySettings) -> Result<GatewayState> {
        let listen = parse_listen(&wanted.listen)?;
        wanted.cors_origins = crate::serve::checked_origins(&wanted.cors_origins)?;
        l.store()
            .set_setting(SETTING, &wanted, l.clock().now())
            .await?;
        self.stop().await;
        if wanted.enabled {
            let settings = GatewaySettings {
                listen: listen.to_string(),
                ..wanted
            };
            self.start(l, &settings).await?;
        }
        self.state(l).await
    }

    async fn start(&self, l: &Lanyard, settings: &GatewaySettings) -> Result<()> {
        let result = self.start_inner(l, settings).await;
        if let Ok(mut error) = self.error.lock() {
            *error = result.as_ref().err().map(|e| e.to_string());
        }
        result
    }

    async fn start_inner(&self, l: &Lanyard, settings: &GatewaySettings) -> Result<()> {
        let mut options = ServeOptions::new(parse_listen(&settings.listen)?);
        options.cors_origins = crate::serve::checked_origins(&settings.cors_origins)?;
        let mut running = self.running.lock().await;
        if running.is_some() {
            return Ok(());
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let (bound, on_bound) = oneshot::channel::<Listening>();
        let lanyard = l.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            serve(lanyard, options, shutdown, move |at| {
                let _ = bound.send(at);
            })
            .await
        });
        match on_bound.await {
            Ok(at) => {
                *running = Some(Running {
                    url: at.url(),
                    stop,
                    task,
                });
                Ok(())
            }
            // It ended before binding: its error says why.
            Err(_) => Err(match task.await {
                Ok(Err(e)) => e,
                _ => Error::Internal("the gateway stopped while starting".into()),
            }),
        }
    }

    /// Stops it (open requests finish; audit records are written). No-op when stopped.
    pub async fn stop(&self) {
        let Some(running) = self.running.lock().await.take() else {
            return;
        };
        let _ = running.stop.send(());
        match running.task.await {
            Ok(Err(e)) => tracing::warn!("the gateway stopped with an error: {e}"),
            Err(_) => tracing::warn!("the gateway task panicked"),
            Ok(Ok(())) => {}
        }
    }
}

async fn settings(l: &Lanyard) -> Result<GatewaySettings> {
    Ok(l.store()
        .setting::<GatewaySettings>(SETTING)
        .await?
        .unwrap_or_default())
}

/// A loopback `address:port`; anything else is refused with the reason.
fn parse_listen(listen: &str) -> Result<SocketAddr> {
    let addr: SocketAddr = listen.trim().parse().map_err(|_| {
        Error::InvalidInput(format!(
            "{listen:?} is not an address and port such as {DEFAULT_LISTEN}"
        ))
    })?;
    if !addr.ip().is_loopback() {
        return Err(Error::InvalidInput(format!(
            "the app serves players on this computer only (a loopback address such as \
             {DEFAULT_LISTEN}); for players on the network run `lanyard gateway serve` with \
             --tls-cert and --tls-key"
        )));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard_core::secrets::{SecretStoreKind, Secrets};
    use lanyard_core::Config;

    #[tokio::test]
    async fn off_by_default_started_saved_and_stopped_on_request() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
        let l = Lanyard::open_with(
            &config,
            std::sync::Arc::new(lanyard_core::clock::SystemClock),
            Some(Secrets::in_memory()),
        )
        .await
        .expect("open");
        let gw = BackgroundGateway::default();
        let state = gw.state(&l).await.expect("state");
        assert!(!state.settings.enabled && state.url.is_none());

        let refused = gw
            .set(
                &l,
                GatewaySettings {
                    enabled: true,
                    listen: "0.0.0.0:7443".into(),
                    cors_origins: Vec::new(),
                },
            )
            .await
            .expect_err("not loopback");
        assert_eq!(refused.code(), "invalid_input");

        let refused = gw
            .set(
                &l,
                GatewaySettings {
                    enabled: true,
                    listen: "127.0.0.1:0".into(),
                    cors_origins: vec!["http://localhost:5173/feeds".into()],
                },
            )
            .await
            .expect_err("a path is not an origin");
        assert_eq!(refused.code(), "invalid_input");
        assert_eq!(
            gw.state(&l).await.expect("state").settings,
            GatewaySettings::default(),
            "a refused change saves nothing"
        );

        let on = GatewaySettings {
            enabled: true,
            listen: "127.0.0.1:0".into(),
            cors_origins: vec![" http://localhost:5173/ ".into()],
        };
        let state = gw.set(&l, on.clone()).await.expect("start");
        let on = GatewaySettings {
            cors_origins: vec!["http://localhost:5173".into()],
            ..on
        };
        let url = state.url.expect("running");
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let port: u16 = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        assert_ne!(port, 0);
        assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok());

        let client = reqwest::Client::new();
        let preflight = |origin: &'static str| {
            client
                .request(reqwest::Method::OPTIONS, format!("{url}/v1/fetch"))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .send()
        };
        let allowed = preflight("http://localhost:5173").await.expect("preflight");
        assert_eq!(allowed.status(), 204, "a saved origin gets CORS");
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "http://localhost:5173"
        );
        let other = preflight("http://localhost:5174").await.expect("preflight");
        assert_eq!(other.status(), 403, "any other origin does not");

        let again = BackgroundGateway::default();
        assert_eq!(again.state(&l).await.expect("state").settings, on, "saved");

        let state = gw
            .set(
                &l,
                GatewaySettings {
                    enabled: false,
                    ..on
                },
            )
            .await
            .expect("stop");
        assert!(state.url.is_none());
        assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err());
    }
}
