//! Providers (never a client secret going out) and the form that adds one.

use lanyard_core::oauth::provider::{Provider, ProviderKind, ProviderSpec, RedirectStyle};
use lanyard_core::oauth::quirks::registration;
use lanyard_core::secrets::SecretValue;
use serde::{Deserialize, Serialize};
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

/// What the UI sends to add a provider. The client secret travels only this way (into
/// the backend, to the secret store); it is never sent back.
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderInputDto {
    /// `microsoft`, `google` or `dropbox`.
    pub template: Option<String>,
    /// Microsoft tenant.
    pub tenant: Option<String>,
    /// OpenID issuer or discovery URL.
    pub discovery_url: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Explicit authorization endpoint.
    pub authorization_endpoint: Option<String>,
    /// Explicit token endpoint.
    pub token_endpoint: Option<String>,
    /// Revocation endpoint.
    pub revocation_endpoint: Option<String>,
    /// Userinfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// Scopes (empty: the defaults).
    pub scopes: Vec<String>,
    /// Your client id.
    pub client_id: String,
    /// A client secret, for providers that demand one.
    pub client_secret: Option<String>,
    /// Redirect style (empty: the template's or deep link).
    pub redirect_style: Option<RedirectStyle>,
    /// Extra API base URLs.
    pub api_base_urls: Vec<String>,
    /// Forced re-authorization interval, days.
    pub reauth_days: Option<u32>,
    /// A fixed loopback port (Dropbox requires one).
    pub loopback_port: Option<u16>,
    /// When the client secret expires (`2027-06-30`, start of that day UTC, or RFC 3339;
    /// empty: not known).
    pub client_secret_expires_at: Option<String>,
}

impl std::fmt::Debug for ProviderInputDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInputDto")
            .field("template", &self.template)
            .field("discovery_url", &self.discovery_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl ProviderInputDto {
    /// Splits into the core's spec and the secret; a secret expiry that is not a date is
    /// refused (field `client_secret_expires_at`).
    pub fn into_spec(self) -> lanyard_core::Result<(ProviderSpec, Option<SecretValue>)> {
        let client_secret_expires_at = self
            .client_secret_expires_at
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(lanyard_core::oauth::provider::parse_expiry_date)
            .transpose()?;
        // Blank fields mean "not given": the core decides (`ProviderSpec::without_blanks`).
        let secret = self.client_secret.map(SecretValue::new);
        let spec = ProviderSpec {
            id: None,
            template: self.template,
            tenant: self.tenant,
            authority: None,
            loopback_port: self.loopback_port,
            discovery_url: self.discovery_url,
            name: self.name,
            authorization_endpoint: self.authorization_endpoint,
            token_endpoint: self.token_endpoint,
            revocation_endpoint: self.revocation_endpoint,
            userinfo_endpoint: self.userinfo_endpoint,
            issuer: None,
            scopes: self.scopes,
            client_id: Some(self.client_id),
            redirect_style: self.redirect_style,
            api_base_urls: self.api_base_urls,
            reauth_days: self.reauth_days,
            client_secret_expires_at,
        };
        Ok((spec, secret))
    }
}
