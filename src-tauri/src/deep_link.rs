//! Links handed over by the OS (a cold start, or forwarded by the single-instance plugin
//! from a second launch): parsed by the core and announced to the UI as a `deep-link`
//! event. OAuth callbacks complete the sign-in; offers go to Token requests, cards to a
//! confirmation ([`crate::sharing`]) and provider files to theirs ([`crate::provider_files`]). Only the redacted form of a link is ever logged.
//!
//! The main window is brought forward only for links that ask the user something (an
//! offer, a card, "open this channel") and for an OAuth callback of a sign-in started
//! here ([`crate::oauth::complete_from_link`]) — never for a refused link or a callback
//! nobody was waiting for, so a web page cannot pull the window in front of the user.

use lanyard_core::links::DeepLink;
use lanyard_core::sharing::card::CARD_PREFIX;
use lanyard_core::sharing::offer::OFFER_PREFIX;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::dto::{DeepLinkEvent, IpcError};
use crate::oauth;
use crate::sharing;
use crate::state::AppState;
use crate::window;

/// The event the UI listens to.
pub const EVENT: &str = "deep-link";

/// Handles the links of one delivery; returns what was announced, in order.
pub fn handle<R: Runtime>(app: &AppHandle<R>, urls: &[String]) -> Vec<DeepLinkEvent> {
    let events: Vec<DeepLinkEvent> = urls
        .iter()
        .map(|raw| match DeepLink::parse(raw) {
            Ok(link) => {
                tracing::info!(link = %link.redacted(), "link received");
                match (&link, app.state::<AppState>().lanyard()) {
                    (DeepLink::OAuthCallback(url), Ok(l)) => {
                        oauth::complete_from_link(app, l.clone(), url.to_string())
                    }
                    (DeepLink::Offer(payload), Ok(l)) => {
                        let (app, l) = (app.clone(), l.clone());
                        let text = format!("{OFFER_PREFIX}{payload}");
                        tauri::async_runtime::spawn(async move {
                            sharing::receive_offer(&app, &l, &text).await;
                        });
                    }
                    (DeepLink::Contact(payload), Ok(l)) => {
                        let (app, l) = (app.clone(), l.clone());
                        let text = format!("{CARD_PREFIX}{payload}");
                        tauri::async_runtime::spawn(async move {
                            sharing::receive_card(&app, &l, &text).await;
                        });
                    }
                    (DeepLink::Provider(payload), Ok(l)) => {
                        let (app, l, payload) = (app.clone(), l.clone(), payload.clone());
                        tauri::async_runtime::spawn(async move {
                            crate::provider_files::receive_link(&app, &l, &payload).await;
                        });
                    }
                    (DeepLink::OpenChannel(_), _) => {}
                    (_, Err(err)) => tracing::warn!("cannot act on a link: {}", err.message),
                }
                DeepLinkEvent::Accepted {
                    kind: link.kind().into(),
                }
            }
            Err(err) => {
                tracing::warn!(code = err.code(), "link refused: {err}");
                DeepLinkEvent::Refused {
                    error: IpcError::from(err),
                }
            }
        })
        .collect();
    for event in &events {
        if let Err(err) = app.emit(EVENT, event) {
            tracing::warn!("could not announce a link to the UI: {err}");
        }
    }
    let asks_the_user = urls.iter().any(|raw| {
        matches!(
            DeepLink::parse(raw),
            Ok(DeepLink::Offer(_)
                | DeepLink::Contact(_)
                | DeepLink::OpenChannel(_)
                | DeepLink::Provider(_))
        )
    });
    if asks_the_user {
        window::show_main(app);
    }
    events
}

/// Whether a second launch's arguments carry a link (then the link decides whether the
/// window comes forward, see [`handle`]); a plain second launch shows the window.
pub fn carries_link(argv: &[String]) -> bool {
    argv.iter().skip(1).any(|arg| {
        let arg = arg.trim().to_ascii_lowercase();
        arg.starts_with(&format!("{}:", lanyard_core::links::OAUTH_SCHEME))
            || arg.starts_with(&format!("{}:", lanyard_core::links::LINK_SCHEME))
    })
}
