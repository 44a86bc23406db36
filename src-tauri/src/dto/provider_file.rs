//! What the window is shown of a provider file before it adds it (never its secret).

use lanyard_core::oauth::provider::ProviderKind;
use lanyard_core::oauth::provider_file::Offer;
use serde::Serialize;
use ts_rs::TS;

use crate::dto::IpcError;

/// A provider file opened and checked, waiting for the user's answer.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderFileOfferDto {
    /// Answer with this id (`provider_file_accept` / `provider_file_reject`).
    pub offer_id: String,
    /// The provider's name.
    pub name: String,
    /// Which kind of provider (the window names its accounts after it).
    pub kind: ProviderKind,
    /// Its issuer, when it names one.
    pub issuer: Option<String>,
    /// Where the user will sign in.
    pub authorization_endpoint: String,
    /// The client id IT registered.
    pub client_id: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// Where its data comes from.
    pub api_base_urls: Vec<String>,
    /// Whether the file carries the client secret (kept in the secret store when added).
    pub includes_secret: bool,
    /// The redirect URI registered for it.
    pub redirect_uri: String,
    /// Where that redirect URI is registered.
    pub register_where: String,
    /// Why adding it would fail (e.g. it is already added), if it would.
    pub conflict: Option<String>,
    /// Every endpoint's host: sign-in, token, revocation, userinfo, discovery, issuer.
    pub endpoints: Vec<ProviderFileEndpointDto>,
    /// Set when a token, revocation or userinfo endpoint is on another host than the
    /// sign-in: the window shows it and adds the provider only after an explicit extra
    /// confirmation (`provider_file_accept`'s `acceptForeignEndpoints`).
    pub foreign_warning: Option<String>,
}

/// One of an offered provider's endpoints, by host.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderFileEndpointDto {
    /// What it is ("token endpoint", …).
    pub role: String,
    /// Its host (`host` or `host:port`).
    pub host: String,
    /// It receives codes or tokens on another host than the sign-in.
    pub foreign: bool,
}

impl ProviderFileOfferDto {
    /// The offer `offer_id` for `offer`.
    pub fn new(offer_id: String, offer: Offer) -> Self {
        let foreign_warning = offer.foreign_warning();
        let endpoints = offer
            .endpoints
            .iter()
            .map(|e| ProviderFileEndpointDto {
                role: e.role.label().to_string(),
                host: e.host.clone(),
                foreign: offer.foreign_endpoints.contains(e),
            })
            .collect();
        let p = offer.provider;
        ProviderFileOfferDto {
            offer_id,
            name: p.name,
            kind: p.kind,
            issuer: p.issuer,
            authorization_endpoint: p.authorization_endpoint,
            client_id: p.client_id.unwrap_or_default(),
            scopes: p.default_scopes,
            api_base_urls: p.api_base_urls,
            includes_secret: offer.includes_secret,
            redirect_uri: offer.registration.redirect_uri,
            register_where: offer.registration.register_at,
            conflict: offer.conflict,
            endpoints,
            foreign_warning,
        }
    }
}

/// A provider file that arrived from outside: what it adds, or why it was refused.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderFileEventDto {
    /// What it would add.
    pub offer: Option<ProviderFileOfferDto>,
    /// Why it was refused (nothing was added).
    pub error: Option<IpcError>,
}
