//! How the three built-in providers differ from the specifications, in one place: what a
//! template demands when a provider is added from it, where its URLs point (`--authority`
//! for national clouds and local emulators), which issuer its ID tokens carry, which
//! authorization parameters it wants, and what the user must register for it.
//!
//! Each rule names its source; `ARCHITECTURE.md` lists them with the test that covers
//! each (`tests/providers/`).

use serde::Serialize;
use url::Url;

use super::endpoint::parse_endpoint;
use super::provider::{is_guid, Provider, ProviderKind, RedirectStyle};
use crate::deep_links::{OAUTH_REDIRECT_URI, OAUTH_REDIRECT_URI_AUTHORITY_FORM};
use crate::error::{Error, Result};

/// The shared Microsoft tenants, whose tokens each name the user's own tenant.
const MICROSOFT_SHARED_TENANTS: [&str; 3] = ["common", "organizations", "consumers"];

/// Replaces the scheme, host and port of every URL of `p` (endpoints, issuer, discovery
/// URL, API bases) with `authority`'s, keeping paths and queries. Microsoft's national
/// clouds need it, and tests point templates at a local emulator with it. Plain http is
/// allowed on loopback only, as for every endpoint.
pub fn apply_authority(p: &mut Provider, authority: &str) -> Result<()> {
    let url = parse_endpoint("authority", authority)?;
    if url.path() != "/" || url.query().is_some() {
        return Err(Error::invalid(
            "the authority is a scheme, host and port only (e.g. https://login.microsoftonline.us)",
        ));
    }
    let origin = url.origin().ascii_serialization();
    let swap = |raw: &str| -> String {
        let rest = raw
            .find("://")
            .map(|i| i + 3)
            .and_then(|start| raw[start..].find('/').map(|j| &raw[start + j..]))
            .unwrap_or("");
        format!("{origin}{rest}")
    };
    p.authorization_endpoint = swap(&p.authorization_endpoint);
    p.token_endpoint = swap(&p.token_endpoint);
    for field in [
        &mut p.revocation_endpoint,
        &mut p.userinfo_endpoint,
        &mut p.issuer,
        &mut p.discovery_url,
    ] {
        if let Some(u) = field.as_mut() {
            *u = swap(u);
        }
    }
    for base in &mut p.api_base_urls {
        *base = swap(base);
    }
    Ok(())
}

/// The hosts a known provider's own endpoints live on (authorization, token, revocation,
/// userinfo, discovery, issuer), for checking a provider *file*: someone else's file may
/// not send a sign-in, its code or its refresh tokens anywhere else (DESIGN §12). The user's
/// own `provider add --template … --authority URL` is not checked against it. `None`: any
/// host (OpenID and custom providers, whose hosts the user is shown instead).
///
/// - Microsoft identity platform, global and national clouds ("National clouds", Microsoft
///   identity platform docs): login.microsoftonline.com (and its aliases login.microsoft.com,
///   login.windows.net), login.microsoftonline.us (US Government, GCC High and DoD),
///   login.chinacloudapi.cn and login.partner.microsoftonline.cn (China, operated by
///   21Vianet); userinfo on Microsoft Graph: graph.microsoft.com, graph.microsoft.us,
///   dod-graph.microsoft.us, microsoftgraph.chinacloudapi.cn.
/// - Google (its discovery document): accounts.google.com, oauth2.googleapis.com,
///   openidconnect.googleapis.com, www.googleapis.com.
/// - Dropbox (OAuth guide, OpenID guide): www.dropbox.com, api.dropboxapi.com.
pub fn own_hosts(kind: ProviderKind) -> Option<&'static [&'static str]> {
    match kind {
        ProviderKind::Microsoft => Some(&[
            "login.microsoftonline.com",
            "login.microsoft.com",
            "login.windows.net",
            "login.microsoftonline.us",
            "login.chinacloudapi.cn",
            "login.partner.microsoftonline.cn",
            "graph.microsoft.com",
            "graph.microsoft.us",
            "dod-graph.microsoft.us",
            "microsoftgraph.chinacloudapi.cn",
        ]),
        ProviderKind::Google => Some(&[
            "accounts.google.com",
            "oauth2.googleapis.com",
            "openidconnect.googleapis.com",
            "www.googleapis.com",
        ]),
        ProviderKind::Dropbox => Some(&["www.dropbox.com", "api.dropboxapi.com"]),
        ProviderKind::Oidc | ProviderKind::Custom => None,
    }
}

/// What a provider's endpoint is called in messages and confirmations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointRole {
    /// Where the user signs in.
    Authorization,
    /// Where the code and every refresh token go.
    Token,
    /// Where tokens are revoked.
    Revocation,
    /// Where the account is asked for.
    Userinfo,
    /// Where the configuration was discovered.
    Discovery,
    /// The issuer the answers must name.
    Issuer,
}

impl EndpointRole {
    /// In a sentence ("the token endpoint").
    pub fn label(self) -> &'static str {
        match self {
            EndpointRole::Authorization => "sign-in (authorization) endpoint",
            EndpointRole::Token => "token endpoint",
            EndpointRole::Revocation => "revocation endpoint",
            EndpointRole::Userinfo => "userinfo endpoint",
            EndpointRole::Discovery => "discovery URL",
            EndpointRole::Issuer => "issuer",
        }
    }

    /// Whether tokens, codes or the PKCE verifier are sent to it: these must be on the
    /// sign-in host, or the user confirms the other host explicitly.
    pub fn receives_secrets(self) -> bool {
        matches!(
            self,
            EndpointRole::Token | EndpointRole::Revocation | EndpointRole::Userinfo
        )
    }
}

/// One of a provider's URLs and its host (`host` or `host:port`, as shown to the user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointHost {
    /// Which URL.
    pub role: EndpointRole,
    /// Its host, with the port when it is not the scheme's default.
    pub host: String,
}

/// The host of `url` as shown (`host` or `host:port`), lower case.
pub fn shown_host(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Every URL of `p` that is not data (authorization, token, revocation, userinfo,
/// discovery, issuer) with its host, in that order.
pub fn endpoint_hosts(p: &Provider) -> Vec<EndpointHost> {
    let urls = [
        (EndpointRole::Authorization, Some(&p.authorization_endpoint)),
        (EndpointRole::Token, Some(&p.token_endpoint)),
        (EndpointRole::Revocation, p.revocation_endpoint.as_ref()),
        (EndpointRole::Userinfo, p.userinfo_endpoint.as_ref()),
        (EndpointRole::Discovery, p.discovery_url.as_ref()),
        (EndpointRole::Issuer, p.issuer.as_ref()),
    ];
    urls.into_iter()
        .filter_map(|(role, url)| {
            let url = url?;
            // Google's ID tokens name the issuer without a scheme; a bare host is its host.
            let host = shown_host(url).or_else(|| {
                (role == EndpointRole::Issuer && !url.contains('/'))
                    .then(|| url.to_ascii_lowercase())
            })?;
            Some(EndpointHost { role, host })
        })
        .collect()
}

/// The endpoints of `p` that receive codes or tokens on another host than the sign-in. A
/// known provider on its own hosts has none (Microsoft's userinfo is on Graph, Google's
/// token endpoint on googleapis.com: all theirs).
pub fn foreign_endpoints(p: &Provider) -> Vec<EndpointHost> {
    if own_hosts(p.kind).is_some() && on_own_hosts(p) {
        return vec![];
    }
    let all = endpoint_hosts(p);
    let Some(signin) = all
        .iter()
        .find(|e| e.role == EndpointRole::Authorization)
        .map(|e| e.host.clone())
    else {
        return vec![];
    };
    all.into_iter()
        .filter(|e| e.role.receives_secrets() && e.host != signin)
        .collect()
}

/// Whether every endpoint of `p` sits on its kind's own hosts ([`own_hosts`]).
pub fn on_own_hosts(p: &Provider) -> bool {
    check_own_hosts(p).is_ok()
}

/// Refuses a known provider (`microsoft`, `google`, `dropbox`) any of whose endpoints is
/// not on that provider's own hosts, naming the host.
pub fn check_own_hosts(p: &Provider) -> Result<()> {
    let Some(own) = own_hosts(p.kind) else {
        return Ok(());
    };
    let provider = match p.kind {
        ProviderKind::Microsoft => "Microsoft",
        ProviderKind::Google => "Google",
        _ => "Dropbox",
    };
    for e in endpoint_hosts(p) {
        // Own hosts use https's default port: a port makes it someone else's.
        if !own.contains(&e.host.as_str()) {
            return Err(Error::invalid(format!(
                "its {} is on {}, which is not one of {provider}'s own hosts ({}): a \
                 {provider} provider's addresses must all be {provider}'s",
                e.role.label(),
                e.host,
                own.join(", ")
            )));
        }
    }
    Ok(())
}

/// Whether `iss` comes from the sign-in's own origin: what a provider with no pinned
/// issuer accepts (never an arbitrary one).
pub fn iss_on_login_origin(p: &Provider, iss: &str) -> bool {
    let origin = login_origin(p);
    !origin.is_empty() && Url::parse(iss).is_ok_and(|u| u.origin().ascii_serialization() == origin)
}

/// The scheme, host and port of the authorization endpoint (`https://login.microsoftonline.com`).
pub fn login_origin(p: &Provider) -> String {
    Url::parse(&p.authorization_endpoint)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// The Microsoft tenant named in the authorization endpoint's path.
pub fn microsoft_tenant(p: &Provider) -> Option<String> {
    let url = Url::parse(&p.authorization_endpoint).ok()?;
    url.path_segments()?.next().map(str::to_string)
}

/// Where to learn a Microsoft tenant's issuer when it is given as a domain, or `None`
/// when it needs no learning (a GUID pins it; the shared tenants check `tid`).
pub fn microsoft_discovery_url(p: &Provider) -> Option<String> {
    if p.kind != ProviderKind::Microsoft {
        return None;
    }
    let tenant = microsoft_tenant(p)?;
    if is_guid(&tenant) || MICROSOFT_SHARED_TENANTS.contains(&tenant.as_str()) {
        return None;
    }
    Some(format!(
        "{}/{tenant}/v2.0/.well-known/openid-configuration",
        login_origin(p)
    ))
}

/// Checks a learned Microsoft issuer: `{login origin}/{tenant GUID}/v2.0`.
pub fn check_microsoft_issuer(p: &Provider, issuer: &str) -> Result<String> {
    let origin = login_origin(p);
    let guid = issuer
        .strip_prefix(&origin)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|r| r.strip_suffix("/v2.0"))
        .filter(|g| is_guid(g));
    match guid {
        Some(g) => Ok(format!("{origin}/{}/v2.0", g.to_ascii_lowercase())),
        None => Err(Error::ProviderError(format!(
            "Microsoft's discovery document for this tenant names the issuer {issuer:?}, which \
             is not {origin}/<tenant id>/v2.0; check the tenant"
        ))),
    }
}

/// What issuer an ID token (or an authorization response's `iss`) must name, given the
/// token's `tid` claim. `None`: nothing pinned and nothing to check against.
///
/// Microsoft (ID token claims reference): `iss` is `…/{tenant GUID}/v2.0`. A provider
/// pinned to a GUID checks that; the shared tenants, and providers stored before
/// issue 15 with a domain in the issuer, check `iss` against the token's own `tid`.
pub fn expected_issuer(p: &Provider, tid: Option<&str>) -> Option<String> {
    if p.kind != ProviderKind::Microsoft {
        return p.issuer.clone();
    }
    let origin = login_origin(p);
    let pinned = p.issuer.as_deref().filter(|i| {
        i.strip_prefix(&format!("{origin}/"))
            .and_then(|r| r.strip_suffix("/v2.0"))
            .is_some_and(is_guid)
    });
    match (pinned, tid) {
        (Some(i), _) => Some(i.to_string()),
        (None, Some(t)) if is_guid(t) => Some(format!("{origin}/{}/v2.0", t.to_ascii_lowercase())),
        // No GUID to check against: nothing can match.
        (None, _) => Some(format!("{origin}/<tenant id>/v2.0")),
    }
}

/// The tenant segment of a Microsoft-style issuer (`https://host/{tenant}/v2.0`).
pub fn tenant_of_issuer(iss: &str) -> Option<&str> {
    let path = iss.split_once("://")?.1;
    let mut parts = path.split('/').skip(1);
    let tenant = parts.next()?;
    (parts.next() == Some("v2.0") && parts.next().is_none()).then_some(tenant)
}

/// Whether `iss` names `expected`. Google's ID tokens carry `https://accounts.google.com`
/// or `accounts.google.com` ("Validating an ID token", Google Identity docs).
pub fn issuer_matches(p: &Provider, expected: &str, iss: &str) -> bool {
    if iss == expected {
        return true;
    }
    if p.kind == ProviderKind::Microsoft {
        // GUIDs compare case-insensitively.
        return iss.eq_ignore_ascii_case(expected);
    }
    p.kind == ProviderKind::Google
        && expected
            .split_once("://")
            .is_some_and(|(_, bare)| bare == iss)
}

/// Whether ID tokens from this provider carry the `nonce` sent. Dropbox's do not
/// (Dropbox OpenID guide: the ID token has iss, sub, aud, exp, iat, email… and no nonce);
/// one that is present must still match.
pub fn requires_nonce(p: &Provider) -> bool {
    p.kind != ProviderKind::Dropbox
}

/// Whether userinfo answers only to POST (Dropbox: `POST /2/openid/userinfo`; a GET is
/// answered 404).
pub fn userinfo_by_post(p: &Provider) -> bool {
    p.kind == ProviderKind::Dropbox
}

/// Whether a failing userinfo endpoint may be ignored when a verified ID token says who
/// signed in. Microsoft's userinfo lives on Graph and refuses tokens for other resources.
pub fn userinfo_optional(p: &Provider) -> bool {
    p.kind == ProviderKind::Microsoft
}

/// The authorization request's extra parameters for a sign-in: the provider's own, plus
/// the account rules.
///
/// - `prompt=consent` where offline access needs it (OpenID providers asked for
///   `offline_access`), **never for Microsoft**: in tenants where users may not consent
///   it blocks sign-in even after admin consent ("Unexpected consent prompt when signing
///   in to an application"); `offline_access` alone yields the refresh token there.
/// - Microsoft: `prompt=select_account` for a new account (else the browser's signed-in
///   account silently re-authorizes the first channel).
/// - Microsoft and Google: `login_hint` with the channel's account on re-authorization.
pub fn auth_params(
    p: &Provider,
    reauth_account: Option<&str>,
) -> std::collections::BTreeMap<String, String> {
    let mut extra = p.extra_auth_params.clone();
    let wants_offline = p.default_scopes.iter().any(|s| s == "offline_access");
    match p.kind {
        ProviderKind::Microsoft => {
            if extra.get("prompt").map(String::as_str) == Some("consent") {
                extra.remove("prompt");
            }
            if reauth_account.is_none() {
                extra
                    .entry("prompt".into())
                    .or_insert_with(|| "select_account".into());
            }
        }
        _ if wants_offline => {
            extra
                .entry("prompt".into())
                .or_insert_with(|| "consent".into());
        }
        _ => {}
    }
    if let Some(account) = reauth_account {
        if matches!(p.kind, ProviderKind::Microsoft | ProviderKind::Google)
            && !account.trim().is_empty()
        {
            extra.insert("login_hint".into(), account.to_string());
        }
    }
    extra
}

/// The deep-link redirect URI for this provider. Entra's "Mobile and desktop
/// applications" platform takes custom schemes in the `scheme://` form
/// (`msal{clientId}://auth`): Microsoft gets `app.lanyard.desktop://oauth/callback`;
/// everyone else RFC 8252's `app.lanyard.desktop:/oauth/callback`.
pub fn deep_link_redirect_uri(p: &Provider) -> &'static str {
    if p.kind == ProviderKind::Microsoft {
        OAUTH_REDIRECT_URI_AUTHORITY_FORM
    } else {
        OAUTH_REDIRECT_URI
    }
}

/// Checks what a template demands of a provider added from it (`has_secret`: a client
/// secret was given).
pub fn check_template(p: &Provider, has_secret: bool) -> Result<()> {
    if p.loopback_port.is_some() && p.redirect_style != RedirectStyle::Loopback {
        return Err(Error::invalid(
            "--loopback-port applies to loopback redirects only (--redirect loopback)",
        ));
    }
    match p.kind {
        ProviderKind::Google => {
            if p.redirect_style != RedirectStyle::Loopback {
                return Err(Error::invalid(
                    "Google's desktop-app clients accept loopback redirects only: leave out \
                     --redirect deep-link",
                ));
            }
            if !has_secret {
                return Err(Error::invalid(
                    "a Google desktop-app client must send its client secret to the token \
                     endpoint, even with PKCE: add --client-secret-file FILE (or - for standard \
                     input) with the secret from the Google Cloud console",
                ));
            }
        }
        ProviderKind::Dropbox => {
            if p.redirect_style != RedirectStyle::Loopback {
                return Err(Error::invalid(
                    "Dropbox accepts https and loopback redirect URIs only: leave out \
                     --redirect deep-link",
                ));
            }
            if p.loopback_port.is_none() {
                return Err(Error::invalid(
                    "Dropbox matches the redirect URI exactly, port included: choose a free \
                     port with --loopback-port N (e.g. 53682) and register \
                     http://127.0.0.1:N/callback in the Dropbox App Console",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// What the user must register at the provider for Lanyard to sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    /// The exact redirect URI to register.
    pub redirect_uri: String,
    /// Where to register it.
    pub register_at: String,
    /// Anything else the provider needs.
    pub notes: Vec<String>,
}

/// The redirect URI to register for `p`.
pub fn redirect_uri_to_register(p: &Provider) -> String {
    match (p.redirect_style, p.loopback_port) {
        (RedirectStyle::DeepLink, _) => deep_link_redirect_uri(p).to_string(),
        (RedirectStyle::Loopback, Some(port)) => format!("http://127.0.0.1:{port}/callback"),
        // A template whose provider needs a fixed port, before one is chosen.
        (RedirectStyle::Loopback, None) if p.kind == ProviderKind::Dropbox => {
            "http://127.0.0.1:<port>/callback".to_string()
        }
        (RedirectStyle::Loopback, None) => "http://127.0.0.1/callback".to_string(),
    }
}

/// What to register, and where, for `p`.
pub fn registration(p: &Provider) -> Registration {
    let redirect_uri = redirect_uri_to_register(p);
    let any_port = p.redirect_style == RedirectStyle::Loopback
        && p.loopback_port.is_none()
        && p.kind != ProviderKind::Dropbox;
    let (register_at, mut notes) = match p.kind {
        ProviderKind::Microsoft => (
            "Microsoft Entra admin center → App registrations → your app → Authentication → \
             Add a platform → Mobile and desktop applications → custom redirect URI"
                .to_string(),
            vec![
                "No client secret: Lanyard is a public client with PKCE.".to_string(),
                "Microsoft has no revocation endpoint: disconnecting forgets the tokens here; \
                 remove Lanyard from the account's apps (myapps.microsoft.com) to end them \
                 at Microsoft."
                    .to_string(),
            ],
        ),
        ProviderKind::Google => (
            "Google Cloud console → APIs & Services → Credentials → Create credentials → \
             OAuth client ID → Application type: Desktop app"
                .to_string(),
            vec![
                "Give Lanyard the client's secret too (--client-secret-file): Google's \
                 desktop clients send it even with PKCE."
                    .to_string(),
            ],
        ),
        ProviderKind::Dropbox => (
            "Dropbox App Console → your app → Settings → OAuth 2 → Redirect URIs (exactly \
             this address, port included)"
                .to_string(),
            vec![
                "Permissions tab: enable account_info.read and the OpenID scopes (openid, \
                 email)."
                    .to_string(),
            ],
        ),
        ProviderKind::Oidc | ProviderKind::Custom => (
            "the provider's client registration: a public (native) client with PKCE and this \
             redirect URI"
                .to_string(),
            vec![],
        ),
    };
    if any_port {
        notes.insert(
            0,
            "Lanyard listens on a free port each time; the provider must accept any port on \
             127.0.0.1 for this address (RFC 8252 §7.3)."
                .to_string(),
        );
    }
    Registration {
        redirect_uri,
        register_at,
        notes,
    }
}

/// The resource an API URL's token must be for, when it is not the channel's first
/// resource. Microsoft access tokens are for one resource: an API base on another one
/// (`https://contoso.sharepoint.com/`) gets its own token, minted from the same refresh
/// token with the scope `{resource}/.default`. Other providers' tokens cover all their
/// API bases.
pub fn resource_for(p: &Provider, url: &str) -> Option<String> {
    if p.kind != ProviderKind::Microsoft {
        return None;
    }
    let origin = |u: &str| Url::parse(u).ok().map(|u| u.origin().ascii_serialization());
    let primary = p.api_base_urls.first().and_then(|b| origin(b))?;
    let wanted = origin(url)?;
    (wanted != primary).then_some(wanted)
}

/// The scope that mints a token for `resource` (`https://contoso.sharepoint.com/.default`).
pub fn resource_scope(resource: &str) -> String {
    format!("{}/.default", resource.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::provider::{apply_tenant, test_provider};

    fn microsoft(tenant: &str) -> Provider {
        let mut p = test_provider(ProviderKind::Microsoft);
        p.userinfo_endpoint = Some("https://graph.microsoft.com/oidc/userinfo".into());
        p.default_scopes = vec!["openid".into(), "offline_access".into()];
        p.api_base_urls = vec!["https://graph.microsoft.com/".into()];
        apply_tenant(&mut p, tenant).expect("tenant");
        p
    }

    const GUID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn the_authority_replaces_scheme_host_and_port_and_keeps_paths() {
        let mut p = microsoft("contoso.onmicrosoft.com");
        apply_authority(&mut p, "http://127.0.0.1:4000").expect("authority");
        assert_eq!(
            p.authorization_endpoint,
            "http://127.0.0.1:4000/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
        );
        assert_eq!(
            p.userinfo_endpoint.as_deref(),
            Some("http://127.0.0.1:4000/oidc/userinfo")
        );
        assert_eq!(p.api_base_urls, ["http://127.0.0.1:4000/"]);
        assert!(apply_authority(&mut p, "http://example.com").is_err());
        assert!(apply_authority(&mut p, "https://login.example.us/path").is_err());
        let mut g = microsoft("common");
        g.issuer = Some("https://accounts.google.com".into());
        apply_authority(&mut g, "https://login.microsoftonline.us").expect("authority");
        assert_eq!(
            g.issuer.as_deref(),
            Some("https://login.microsoftonline.us")
        );
    }

    #[test]
    fn microsoft_issuers_are_pinned_by_guid_or_checked_against_tid() {
        let domain = microsoft("contoso.onmicrosoft.com");
        assert_eq!(domain.issuer, None, "a domain never pins an issuer");
        assert!(microsoft_discovery_url(&domain).is_some());
        let common = microsoft("common");
        assert_eq!(microsoft_discovery_url(&common), None);
        assert_eq!(
            expected_issuer(&common, Some(GUID)).as_deref(),
            Some(format!("https://login.microsoftonline.com/{GUID}/v2.0").as_str())
        );
        assert!(!is_guid(
            expected_issuer(&common, Some("contoso"))
                .expect("x")
                .split('/')
                .nth(3)
                .expect("seg")
        ));
        let pinned = microsoft(GUID);
        assert_eq!(
            expected_issuer(&pinned, Some("00000000-0000-0000-0000-000000000000")),
            pinned.issuer
        );
        // Rows stored before issue 15 pinned the domain: checked against tid instead.
        let mut legacy = microsoft("common");
        legacy.issuer = Some("https://login.microsoftonline.com/contoso.com/v2.0".into());
        assert_eq!(
            expected_issuer(&legacy, Some(GUID)),
            Some(format!("https://login.microsoftonline.com/{GUID}/v2.0"))
        );
        assert!(check_microsoft_issuer(&domain, "https://evil.example/x/v2.0").is_err());
        assert!(check_microsoft_issuer(
            &domain,
            &format!("https://login.microsoftonline.com/{GUID}/v2.0")
        )
        .is_ok());
    }

    #[test]
    fn microsoft_never_gets_prompt_consent() {
        let mut p = microsoft("common");
        // Even a provider row that carries it (copied from an older template).
        p.extra_auth_params
            .insert("prompt".into(), "consent".into());
        let new = auth_params(&p, None);
        assert_eq!(
            new.get("prompt").map(String::as_str),
            Some("select_account")
        );
        let again = auth_params(&p, Some("alice@contoso.com"));
        assert_eq!(again.get("prompt"), None);
        assert_eq!(
            again.get("login_hint").map(String::as_str),
            Some("alice@contoso.com")
        );
        let mut oidc = microsoft("common");
        oidc.kind = ProviderKind::Oidc;
        assert_eq!(
            auth_params(&oidc, None).get("prompt").map(String::as_str),
            Some("consent")
        );
        assert_eq!(auth_params(&oidc, Some("a")).get("login_hint"), None);
    }

    #[test]
    fn resources_by_origin_for_microsoft_only() {
        let p = microsoft("common");
        assert_eq!(
            resource_for(&p, "https://graph.microsoft.com/v1.0/me"),
            None
        );
        assert_eq!(
            resource_for(&p, "https://contoso.sharepoint.com/_api/web").as_deref(),
            Some("https://contoso.sharepoint.com")
        );
        assert_eq!(
            resource_scope("https://contoso.sharepoint.com"),
            "https://contoso.sharepoint.com/.default"
        );
        let mut d = microsoft("common");
        d.kind = ProviderKind::Dropbox;
        assert_eq!(resource_for(&d, "https://content.dropboxapi.com/2/x"), None);
    }

    #[test]
    fn google_issuer_with_or_without_scheme() {
        let mut g = microsoft("common");
        g.kind = ProviderKind::Google;
        assert!(issuer_matches(
            &g,
            "https://accounts.google.com",
            "accounts.google.com"
        ));
        assert!(!issuer_matches(
            &g,
            "https://accounts.google.com",
            "evil.google.com"
        ));
        let mut o = g.clone();
        o.kind = ProviderKind::Oidc;
        assert!(!issuer_matches(
            &o,
            "https://accounts.google.com",
            "accounts.google.com"
        ));
    }
}

/// A refresh-token lifetime a provider documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshLifetime {
    /// How long, in seconds.
    pub seconds: i64,
    /// Counted from the token's last use (a refresh), not from the authorization.
    pub idle: bool,
    /// When it applies only in some configurations, which (None: always).
    pub only_if: Option<&'static str>,
    /// Where the provider says so.
    pub source: &'static str,
}

/// The refresh-token lifetime `kind` documents, if any. The health timeline
/// ([`crate::health`]) reads it; the provider may still end a token earlier (a password
/// change, an admin's revocation), which only a refresh can tell.
pub fn refresh_token_lifetime(kind: ProviderKind) -> Option<RefreshLifetime> {
    match kind {
        // Microsoft identity platform, "Refresh tokens": a refresh token lives 90 days
        // and each refresh returns a new one, so a channel refreshed at least every 90
        // days lives on (the keep-alive refreshes daily while Lanyard runs).
        ProviderKind::Microsoft => Some(RefreshLifetime {
            seconds: 90 * 86_400,
            idle: true,
            only_if: None,
            source: "learn.microsoft.com/entra/identity-platform/refresh-tokens (90 days)",
        }),
        // Google Identity, "Using OAuth 2.0 to Access Google APIs", Refresh token
        // expiration: a project whose OAuth consent screen is external and in "Testing"
        // status issues refresh tokens that expire in 7 days.
        ProviderKind::Google => Some(RefreshLifetime {
            seconds: 7 * 86_400,
            idle: false,
            only_if: Some(
                "if the Google Cloud project's OAuth consent screen is in Testing status",
            ),
            source: "developers.google.com/identity/protocols/oauth2#expiration (Testing: 7 days)",
        }),
        _ => None,
    }
}
