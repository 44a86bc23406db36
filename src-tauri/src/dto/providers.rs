//! Providers (never a client secret going out). The form that adds one is the core's
//! `ProviderForm` (ts name `ProviderInputDto`).

use lanyard_core::oauth::provider::{Provider, ProviderKind, RedirectStyle};
use lanyard_core::oauth::quirks::registration;
use serde::Serialize;
use ts_rs::TS;

/// A provider (never its client secret).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderDto {
    /// Id.
    pub id: String,
    /// Which kind of provider (decides a few protocol details).
    pub kind: ProviderKind,
    /// Display name.
    pub name: String,
    /// A built-in template (copy it with your client id to use it).
    pub builtin: bool,
    /// Issuer.
    pub issuer: Option<String>,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Your client id.
    pub client_id: Option<String>,
    /// Whether a client secret is stored.
    pub has_client_secret: bool,
    /// Redirect style.
    pub redirect_style: RedirectStyle,
    /// API base URLs.
    pub api_base_urls: Vec<String>,
    /// Forced re-authorization interval, days.
    pub reauth_days: Option<u32>,
    /// A fixed loopback port for the redirect URI.
    pub loopback_port: Option<u16>,
    /// What to register at the provider.
    pub registration: RegistrationDto,
}

/// What the user registers at the provider for Lanyard to sign in.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RegistrationDto {
    /// The exact redirect URI (for a template that needs a port: with `<port>` in it).
    pub redirect_uri: String,
    /// Where to register it.
    pub register_at: String,
    /// Anything else the provider needs.
    pub notes: Vec<String>,
}

impl From<Provider> for ProviderDto {
    fn from(p: Provider) -> Self {
        let r = registration(&p);
        let registration = RegistrationDto {
            redirect_uri: r.redirect_uri,
            register_at: r.register_at,
            notes: r.notes,
        };
        ProviderDto {
            kind: p.kind,
            id: p.id,
            name: p.name,
            builtin: p.builtin,
            issuer: p.issuer,
            authorization_endpoint: p.authorization_endpoint,
            client_id: p.client_id,
            has_client_secret: p.has_client_secret,
            redirect_style: p.redirect_style,
            api_base_urls: p.api_base_urls,
            reauth_days: p.forced_reauth_seconds.map(|s| (s / 86_400) as u32),
            loopback_port: p.loopback_port,
            registration,
        }
    }
}
