//! Links handed over by the OS (a cold start, or forwarded by the single-instance plugin
//! from a second launch): parsed by the core and announced to the UI as a `deep-link`
//! event. OAuth callbacks complete the sign-in; offers go to Token requests, cards to a
//! confirmation ([`crate::sharing`]) and provider files to theirs ([`crate::provider_files`]). Only the redacted form of a link is ever logged.
//!
//! The main window is brought forward only for links that ask the user something, and
//! only once their payload is verified: an offer whose signature checked out, a card that
//! verified, a provider file that passed its checks (each `receive_*` shows the window
//! itself), "open this channel", and an OAuth callback of a sign-in started here
//! ([`crate::oauth::complete_from_link`]) — never for a refused link or payload or a
//! callback nobody was waiting for, so a web page cannot pull the window in front of the
//! user.

use lanyard_core::deep_links::DeepLink;
use lanyard_core::sharing::card::CARD_PREFIX;
use lanyard_core::sharing::offer::OFFER_PREFIX;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::dto::{DeepLinkEvent, IpcError};
use crate::events::EventName;
use crate::oauth;
use crate::sharing;
use crate::state::AppState;
use crate::window;

/// The event the UI listens to.
pub const EVENT: &str = EventName::DeepLink.as_str();

/// Handles the links of one delivery; returns what was announced, in order.
pub fn handle<R: Runtime>(app: &AppHandle<R>, urls: &[String]) -> Vec<DeepLinkEvent> {
    let events: Vec<DeepLinkEvent> = urls
        .iter()
        .map(|raw| match DeepLink::parse(raw) {
            Ok(link) => {
                tracing::info!(link = %link.redacted(), "link received");
                let kind = link.kind();
                act(app, link);
                DeepLinkEvent::Accepted { kind }
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
    // Offers, cards and provider files show the window once verified (see `act`).
    let asks_the_user = urls
        .iter()
        .any(|raw| matches!(DeepLink::parse(raw), Ok(DeepLink::OpenChannel(_))));
    if asks_the_user {
        window::show_main(app);
    }
    events
}

/// Does what `link` asks once the installation is open (it may still be opening when a
/// link starts Lanyard).
fn act<R: Runtime>(app: &AppHandle<R>, link: DeepLink) {
    if matches!(link, DeepLink::OpenChannel(_)) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let l = match app.state::<AppState>().lanyard().await {
            Ok(l) => l.clone(),
            Err(err) => {
                tracing::warn!("cannot act on a link: {}", err.message);
                return;
            }
        };
        match link {
            DeepLink::OAuthCallback(url) => oauth::complete_from_link(&app, l, url.to_string()),
            DeepLink::Offer(payload) => {
                sharing::receive_offer(&app, &l, &format!("{OFFER_PREFIX}{payload}")).await;
            }
            DeepLink::Contact(payload) => {
                sharing::receive_card(&app, &l, &format!("{CARD_PREFIX}{payload}")).await;
            }
            DeepLink::Provider(payload) => {
                crate::provider_files::receive_link(&app, &l, &payload).await;
            }
            DeepLink::OpenChannel(_) => {}
        }
    });
}

/// Whether a second launch's arguments carry a link (then the link decides whether the
/// window comes forward, see [`handle`]); a plain second launch shows the window.
pub fn carries_link(argv: &[String]) -> bool {
    argv.iter().skip(1).any(|arg| {
        let arg = arg.trim().to_ascii_lowercase();
        arg.starts_with(&format!("{}:", lanyard_core::deep_links::OAUTH_SCHEME))
            || arg.starts_with(&format!("{}:", lanyard_core::deep_links::LINK_SCHEME))
    })
}
