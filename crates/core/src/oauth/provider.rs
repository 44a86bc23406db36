//! Providers: the built-in templates (Microsoft identity platform, Google, Dropbox), generic
//! OpenID providers from their discovery document, and providers the user describes by
//! hand. Every provider needs the user's own client id; a client secret, when the provider
//! demands one, lives in the secret store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::endpoint::parse_endpoint;
use crate::error::{Error, InputField, Result};
use crate::secrets::SecretValue;

/// What kind of provider, which decides a few protocol details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ProviderKind {
    /// Microsoft identity platform (v2.0 endpoints).
    Microsoft,
    /// Google.
    Google,
    /// Dropbox.
    Dropbox,
    /// An OpenID Connect provider configured from its discovery document.
    Oidc,
    /// A provider described by hand.
    Custom,
}

impl ProviderKind {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Microsoft => "microsoft",
            ProviderKind::Google => "google",
            ProviderKind::Dropbox => "dropbox",
            ProviderKind::Oidc => "oidc",
            ProviderKind::Custom => "custom",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "microsoft" => ProviderKind::Microsoft,
            "google" => ProviderKind::Google,
            "dropbox" => ProviderKind::Dropbox,
            "oidc" => ProviderKind::Oidc,
            "custom" => ProviderKind::Custom,
            other => return Err(Error::Storage(format!("unknown provider kind {other:?}"))),
        })
    }
}

/// How the browser comes back to Lanyard after the user signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RedirectStyle {
    /// `app.lanyard.desktop:/oauth/callback`, delivered by the OS to the app.
    DeepLink,
    /// `http://127.0.0.1:<ephemeral>/callback`, a one-shot local listener.
    Loopback,
}

impl RedirectStyle {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RedirectStyle::DeepLink => "deep_link",
            RedirectStyle::Loopback => "loopback",
        }
    }

    /// Parses `deep-link`/`deep_link` or `loopback`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "deep_link" | "deep-link" => Ok(RedirectStyle::DeepLink),
            "loopback" => Ok(RedirectStyle::Loopback),
            other => Err(Error::invalid(format!(
                "unknown redirect style {other:?}: use \"deep-link\" or \"loopback\""
            ))),
        }
    }
}

/// How the client authenticates at the token endpoint when it has a client secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    /// HTTP Basic (RFC 6749 §2.3.1; the default).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl TokenAuthMethod {
    /// The stored name (as in `token_endpoint_auth_methods_supported`).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "client_secret_basic" => Ok(TokenAuthMethod::ClientSecretBasic),
            "client_secret_post" => Ok(TokenAuthMethod::ClientSecretPost),
            other => Err(Error::Storage(format!(
                "unknown token endpoint auth method {other:?}"
            ))),
        }
    }

    /// Chooses from a discovery document's `token_endpoint_auth_methods_supported`:
    /// Basic when offered (or when nothing is said, its default), else the form body.
    pub fn choose(supported: Option<&[String]>) -> Option<Self> {
        let supported = supported?;
        let offers = |m: &str| supported.iter().any(|s| s == m);
        if supported.is_empty() || offers("client_secret_basic") {
            None
        } else if offers("client_secret_post") {
            Some(TokenAuthMethod::ClientSecretPost)
        } else {
            None
        }
    }
}

/// A provider as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    /// Stable id (`microsoft`, `contoso-ms`, …).
    pub id: String,
    /// Kind.
    pub kind: ProviderKind,
    /// Display name.
    pub name: String,
    /// A built-in template (no client id; not usable until copied with one).
    pub builtin: bool,
    /// The issuer identifier, when known (checked against `iss` and id_token claims).
    pub issuer: Option<String>,
    /// Where the configuration was discovered from.
    pub discovery_url: Option<String>,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// RFC 7009 revocation endpoint.
    pub revocation_endpoint: Option<String>,
    /// OpenID userinfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// Scopes requested by default.
    pub default_scopes: Vec<String>,
    /// Extra authorization request parameters (e.g. `access_type=offline`).
    pub extra_auth_params: BTreeMap<String, String>,
    /// The user's client id.
    pub client_id: Option<String>,
    /// Whether a client secret is kept in the secret store.
    pub has_client_secret: bool,
    /// Deep link or loopback.
    pub redirect_style: RedirectStyle,
    /// API base URLs the access tokens are for.
    pub api_base_urls: Vec<String>,
    /// Forced re-authorization interval, seconds.
    pub forced_reauth_seconds: Option<i64>,
    /// RFC 9207: the provider sends `iss` in authorization responses.
    pub iss_parameter_supported: bool,
    /// A fixed loopback port (providers that match the redirect URI exactly, port
    /// included: Dropbox); `None` takes an ephemeral one.
    pub loopback_port: Option<u16>,
    /// Client authentication at the token endpoint (`None`: HTTP Basic).
    pub token_auth_method: Option<TokenAuthMethod>,
    /// When the client secret expires (Unix seconds), when the user said.
    pub client_secret_expires_at: Option<i64>,
    /// When it was added.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

impl Provider {
    /// A provider of `kind` named `name` at these two endpoints, made `now`, with nothing
    /// else known yet: no id, issuer, discovery address, optional endpoint, scope, client,
    /// API base or limit; the deep-link redirect. Each source (discovery, explicit endpoints)
    /// sets what it knows on top.
    pub fn at_endpoints(
        kind: ProviderKind,
        name: String,
        authorization_endpoint: String,
        token_endpoint: String,
        now: i64,
    ) -> Provider {
        Provider {
            id: String::new(),
            kind,
            name,
            builtin: false,
            issuer: None,
            discovery_url: None,
            authorization_endpoint,
            token_endpoint,
            revocation_endpoint: None,
            userinfo_endpoint: None,
            default_scopes: vec![],
            extra_auth_params: Default::default(),
            client_id: None,
            has_client_secret: false,
            redirect_style: RedirectStyle::DeepLink,
            api_base_urls: vec![],
            forced_reauth_seconds: None,
            iss_parameter_supported: false,
            loopback_port: None,
            token_auth_method: None,
            client_secret_expires_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The client id, or a clear error when the user has not set one.
    pub fn require_client_id(&self) -> Result<&str> {
        match self.client_id.as_deref() {
            Some(id) => Ok(id),
            None if self.builtin => Err(Error::invalid(format!(
                "{} is a template: add your own provider with your client id \
                 (lanyard provider add --template {} --client-id …)",
                self.name, self.id
            ))),
            None => Err(Error::invalid(format!(
                "provider {} has no client id",
                self.id
            ))),
        }
    }

    /// Whether this is an OpenID provider (asks for `openid`, gets an id_token).
    pub fn is_openid(&self) -> bool {
        self.default_scopes.iter().any(|s| s == "openid")
    }
}

/// What a user gives to add a provider (the CLI's flags, a test, or the window's add form
/// through [`ProviderForm`]). The form sends its fields in camelCase; the id, authority,
/// issuer and the expiry as a number are not the window's to send (`serde(skip)`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProviderSpec {
    /// Id (generated from the name when absent).
    #[serde(skip)]
    pub id: Option<String>,
    /// Copy a built-in template (`microsoft`, `google`, `dropbox`).
    pub template: Option<String>,
    /// Microsoft tenant (`common`, `organizations`, a domain or a tenant id).
    pub tenant: Option<String>,
    /// Replace the scheme, host and port of every template URL (sovereign clouds, a
    /// local emulator in tests).
    #[serde(skip)]
    pub authority: Option<String>,
    /// A fixed loopback port for the redirect URI (Dropbox requires one).
    pub loopback_port: Option<u16>,
    /// Discover the configuration from this URL (or issuer).
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
    /// Issuer identifier.
    #[serde(skip)]
    pub issuer: Option<String>,
    /// Scopes (replace the template's when given; empty: the defaults).
    pub scopes: Vec<String>,
    /// The user's client id (required).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub client_id: Option<String>,
    /// Redirect style (empty: the template's, else deep link).
    pub redirect_style: Option<RedirectStyle>,
    /// API base URLs (added to the template's).
    pub api_base_urls: Vec<String>,
    /// Forced re-authorization interval in days.
    pub reauth_days: Option<u32>,
    /// When the client secret expires (Unix seconds; the health timeline lists it). The
    /// form sends it as text ([`ProviderForm::client_secret_expires_at`]).
    #[serde(skip)]
    pub client_secret_expires_at: Option<i64>,
}

/// What the window's form sends to add a provider: the spec, the client secret and the
/// secret's expiry as typed. The secret travels only this way (into the backend, to the
/// secret store); it is never sent back, and `Debug` shows it `[redacted]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "ProviderInputDto")
)]
pub struct ProviderForm {
    /// The provider.
    #[serde(flatten)]
    pub spec: ProviderSpec,
    /// A client secret, for providers that demand one.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub client_secret: Option<SecretValue>,
    /// When the client secret expires (`2027-06-30`, start of that day UTC, or RFC 3339;
    /// empty: not known).
    pub client_secret_expires_at: Option<String>,
}

impl ProviderForm {
    /// Splits into the spec and the secret; a secret expiry that is not a date is refused
    /// (field `client_secret_expires_at`). Blank fields mean "not given": `providers::add`
    /// decides ([`ProviderSpec::without_blanks`]).
    pub fn into_spec(self) -> Result<(ProviderSpec, Option<SecretValue>)> {
        let client_secret_expires_at = self
            .client_secret_expires_at
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(parse_expiry_date)
            .transpose()?;
        let spec = ProviderSpec {
            client_secret_expires_at,
            ..self.spec
        };
        Ok((spec, self.client_secret))
    }
}

impl ProviderSpec {
    /// The same spec with every blank text field read as not given (an empty form field
    /// and an absent flag mean the same).
    pub fn without_blanks(self) -> Self {
        use crate::input::given;
        ProviderSpec {
            id: given(self.id),
            template: given(self.template),
            tenant: given(self.tenant),
            authority: given(self.authority),
            discovery_url: given(self.discovery_url),
            name: given(self.name),
            authorization_endpoint: given(self.authorization_endpoint),
            token_endpoint: given(self.token_endpoint),
            revocation_endpoint: given(self.revocation_endpoint),
            userinfo_endpoint: given(self.userinfo_endpoint),
            issuer: given(self.issuer),
            client_id: given(self.client_id),
            ..self
        }
    }
}

/// Checks a user-chosen or generated provider id.
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "provider id {id:?} must be 1–64 lowercase letters, digits or '-'"
        )))
    }
}

/// Turns a name into an id candidate.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out
        .trim_end_matches('-')
        .chars()
        .take(48)
        .collect::<String>();
    if out.is_empty() {
        "provider".into()
    } else {
        out
    }
}

/// The lowest loopback port a provider may name (the ones below need root).
pub const MIN_LOOPBACK_PORT: u16 = 1024;
/// The longest forced re-authorization interval, in days.
pub const MAX_REAUTH_DAYS: i64 = 3650;

/// A client secret's expiry typed by a user: a date (`2027-06-30`, read as the start of
/// that day in UTC, the safe side) or an RFC 3339 date and time.
pub fn parse_expiry_date(text: &str) -> Result<i64> {
    use time::format_description::well_known::Rfc3339;
    let text = text.trim();
    let bad = || {
        Error::invalid_field(
            InputField::ClientSecretExpiresAt,
            "the expiry is a date (2027-06-30) or a date and time (2027-06-30T12:00:00Z)",
        )
    };
    if let Ok(t) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err(bad());
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return Err(bad());
    };
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    let day = time::Date::from_calendar_date(y, month, d).map_err(|_| bad())?;
    Ok(day.midnight().assume_utc().unix_timestamp())
}

/// Checks the limits of a provider's loopback port and forced re-authorization interval
/// (seconds), the same whether they come from the CLI, the window or a provider file.
pub fn check_limits(loopback_port: Option<u16>, forced_reauth_seconds: Option<i64>) -> Result<()> {
    if loopback_port.is_some_and(|port| port < MIN_LOOPBACK_PORT) {
        return Err(Error::invalid_field(
            InputField::LoopbackPort,
            format!("the loopback port must be between {MIN_LOOPBACK_PORT} and 65535"),
        ));
    }
    if let Some(seconds) = forced_reauth_seconds {
        if !(86_400..=MAX_REAUTH_DAYS * 86_400).contains(&seconds) {
            return Err(Error::invalid_field(
                InputField::ReauthDays,
                format!(
                    "the re-authorization interval must be between 1 and {MAX_REAUTH_DAYS} days"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a plain text field from the user (names, client ids, scopes, tenants).
pub fn check_text(what: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(format!("the {what} must not be empty")));
    }
    if value.len() > max {
        return Err(Error::invalid(format!(
            "the {what} is longer than {max} bytes"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "the {what} must not contain control characters"
        )));
    }
    Ok(())
}

/// Validates endpoint fields of a provider about to be stored.
pub fn check_endpoints(p: &Provider) -> Result<()> {
    parse_endpoint("authorization endpoint", &p.authorization_endpoint)?;
    parse_endpoint("token endpoint", &p.token_endpoint)?;
    if let Some(u) = &p.revocation_endpoint {
        parse_endpoint("revocation endpoint", u)?;
    }
    if let Some(u) = &p.userinfo_endpoint {
        parse_endpoint("userinfo endpoint", u)?;
    }
    for base in &p.api_base_urls {
        parse_endpoint("API base URL", base)?;
    }
    for scope in &p.default_scopes {
        if scope.is_empty() || scope.bytes().any(|b| b <= b' ' || b == b'"' || b == b'\\') {
            return Err(Error::invalid(format!("{scope:?} is not a valid scope")));
        }
    }
    if let Some(client_id) = &p.client_id {
        check_text("client id", client_id, 512)?;
    }
    check_text("provider name", &p.name, 200)?;
    Ok(())
}

/// Applies a Microsoft tenant to the template's endpoints.
pub fn apply_tenant(p: &mut Provider, tenant: &str) -> Result<()> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 128
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !ok {
        return Err(Error::invalid(format!(
            "{tenant:?} is not a valid Microsoft tenant"
        )));
    }
    p.authorization_endpoint =
        format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize");
    p.token_endpoint = format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token");
    // ID tokens name the tenant by its GUID (`…/{tenant-GUID}/v2.0`), so only a GUID
    // pins the issuer here; a domain's GUID is learned from its discovery document when
    // the provider is added (see `providers::add`), and the shared tenants (common,
    // organizations, consumers) are checked against each token's `tid`.
    p.issuer = is_guid(tenant).then(|| {
        format!(
            "https://login.microsoftonline.com/{}/v2.0",
            tenant.to_ascii_lowercase()
        )
    });
    Ok(())
}

/// A provider of `kind` for unit tests: OpenID, deep link, client id `client-1`, Microsoft's
/// `common` endpoints on `login.example.com`; tests change what they need.
#[cfg(test)]
pub(crate) fn test_provider(kind: ProviderKind) -> Provider {
    let common = "https://login.example.com/common/oauth2/v2.0";
    let (authorize, token) = (format!("{common}/authorize"), format!("{common}/token"));
    Provider {
        id: "p".into(),
        default_scopes: vec!["openid".into()],
        client_id: Some("client-1".into()),
        ..Provider::at_endpoints(kind, "Test IdP".into(), authorize, token, 0)
    }
}

/// Whether `s` is a GUID (`8-4-4-4-12` hex digits), as Microsoft tenant ids are.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the window's add form sends (as in `src-tauri/tests/ipc_calls.json`), with the
    /// fields the window may not set added.
    fn form(expires: serde_json::Value) -> serde_json::Result<ProviderForm> {
        serde_json::from_value(serde_json::json!({
            "template": "microsoft", "tenant": "common", "discoveryUrl": null,
            "name": "Contoso", "authorizationEndpoint": null, "tokenEndpoint": null,
            "revocationEndpoint": null, "userinfoEndpoint": null,
            "scopes": ["offline_access", "User.Read"], "clientId": "client-1",
            "clientSecret": "CANARY-form-secret", "redirectStyle": "loopback",
            "apiBaseUrls": ["https://graph.microsoft.com/v1.0/"], "reauthDays": 14,
            "loopbackPort": 53682, "clientSecretExpiresAt": expires,
            "id": "chosen", "authority": "http://127.0.0.1:9", "issuer": "https://other.example"
        }))
    }

    #[test]
    fn the_window_form_is_the_spec_the_secret_and_the_expiry_as_typed() {
        let form = form("2027-06-30".into()).expect("form");
        assert!(!format!("{form:?}").contains("CANARY"), "{form:?}");
        let (spec, secret) = form.into_spec().expect("spec");
        assert_eq!(secret.expect("secret").expose(), "CANARY-form-secret");
        assert_eq!(spec.template.as_deref(), Some("microsoft"));
        assert_eq!(spec.tenant.as_deref(), Some("common"));
        assert_eq!(spec.name.as_deref(), Some("Contoso"));
        assert_eq!(spec.scopes, ["offline_access", "User.Read"]);
        assert_eq!(spec.client_id.as_deref(), Some("client-1"));
        assert_eq!(spec.redirect_style, Some(RedirectStyle::Loopback));
        assert_eq!(spec.api_base_urls, ["https://graph.microsoft.com/v1.0/"]);
        assert_eq!(spec.reauth_days, Some(14));
        assert_eq!(spec.loopback_port, Some(53682));
        assert_eq!(spec.client_secret_expires_at, Some(1_814_313_600));
        // Not the window's to set.
        assert_eq!((spec.id, spec.authority, spec.issuer), (None, None, None));
    }

    #[test]
    fn a_form_expiry_is_a_date_blank_or_refused_in_its_field() {
        for blank in [serde_json::Value::Null, "".into(), "  ".into()] {
            let (spec, _) = form(blank).expect("form").into_spec().expect("spec");
            assert_eq!(spec.client_secret_expires_at, None);
        }
        let e = form("soon".into())
            .expect("form")
            .into_spec()
            .expect_err("not a date");
        assert_eq!(e.field(), Some(InputField::ClientSecretExpiresAt));
        assert!(!format!("{e:?}").contains("CANARY"));
        // The wrong type is refused before the core sees it, without the secret.
        let e = form(7.into()).expect_err("a number");
        assert!(!e.to_string().contains("CANARY"), "{e}");
    }

    #[test]
    fn slugs_and_ids() {
        assert_eq!(slug("Contoso Microsoft 365"), "contoso-microsoft-365");
        assert_eq!(slug("  !!"), "provider");
        assert!(check_id("contoso-ms").is_ok());
        assert!(check_id("Contoso").is_err());
        assert!(check_id("a/b").is_err());
        assert!(check_id("").is_err());
    }

    #[test]
    fn text_refuses_control_characters() {
        assert!(check_text("client id", "abc\r\nX-Injected: 1", 100).is_err());
        assert!(check_text("client id", " ", 100).is_err());
        assert!(check_text("client id", "abc-123", 100).is_ok());
    }
}
