//! OpenID Connect discovery: `/.well-known/openid-configuration`, checked before a
//! provider is stored — the issuer must match where the document came from, endpoints
//! must be https (or loopback), and a provider offering only `plain` PKCE is refused.

use serde::Deserialize;
use url::Url;

use super::endpoint::parse_endpoint;
use super::http::{describe, host_of, read_capped};
use crate::error::{Error, Result};

const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// What discovery found.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovered {
    /// Issuer identifier.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// Revocation endpoint (RFC 7009).
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// Userinfo endpoint.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// PKCE methods.
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// RFC 9207.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// Scopes.
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    /// Client authentication methods at the token endpoint.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// The discovery URL for `input` (an issuer, or the full well-known URL).
pub fn discovery_url(input: &str) -> Result<Url> {
    let url = parse_endpoint("discovery URL", input)?;
    if url.path().ends_with(WELL_KNOWN) {
        return Ok(url);
    }
    if url.query().is_some() {
        return Err(Error::invalid("the discovery URL must not contain a query"));
    }
    let base = url.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}{WELL_KNOWN}"))
        .map_err(|_| Error::invalid("the discovery URL is not valid"))
}

/// Fetches and checks a discovery document.
pub async fn discover(http: &reqwest::Client, input: &str) -> Result<(Url, Discovered)> {
    let url = discovery_url(input)?;
    let doc = fetch(http, &url).await?;
    check(&url, &doc)?;
    Ok((url, doc))
}

/// Fetches a discovery document without checking its issuer against its address (the
/// caller checks it: a Microsoft tenant's document is at its domain but names its GUID).
pub async fn fetch(http: &reqwest::Client, url: &Url) -> Result<Discovered> {
    let host = host_of(url.as_str());
    let response = http.get(url.clone()).send().await.map_err(|e| {
        Error::ProviderUnavailable(format!(
            "the discovery document at {host} cannot be fetched: {}",
            describe(&e.without_url())
        ))
    })?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(Error::ProviderUnavailable(format!(
            "{host} is unavailable (HTTP {}); try again later",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        return Err(Error::ProviderError(format!(
            "{host} has no OpenID discovery document at that address (HTTP {})",
            status.as_u16()
        )));
    }
    let body = read_capped(response)
        .await
        .map_err(|e| Error::ProviderError(format!("the discovery document at {host}: {e}")))?;
    serde_json::from_slice(&body).map_err(|_| {
        Error::ProviderError(format!(
            "{host} answered something that is not an OpenID discovery document"
        ))
    })
}

fn check(url: &Url, doc: &Discovered) -> Result<()> {
    let expected = format!("{}{WELL_KNOWN}", doc.issuer.trim_end_matches('/'));
    if expected != url.as_str() {
        return Err(Error::ProviderError(format!(
            "the discovery document names the issuer {:?}, which is not where it was fetched \
             from; refusing it",
            doc.issuer
        )));
    }
    parse_endpoint("issuer", &doc.issuer)?;
    parse_endpoint("authorization endpoint", &doc.authorization_endpoint)?;
    parse_endpoint("token endpoint", &doc.token_endpoint)?;
    if let Some(u) = &doc.revocation_endpoint {
        parse_endpoint("revocation endpoint", u)?;
    }
    if let Some(u) = &doc.userinfo_endpoint {
        parse_endpoint("userinfo endpoint", u)?;
    }
    if let Some(methods) = &doc.code_challenge_methods_supported {
        if !methods.iter().any(|m| m == "S256") {
            return Err(Error::ProviderError(
                "the provider does not offer PKCE with S256 (only weaker methods); Lanyard \
                 refuses it"
                    .into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(issuer: &str, methods: Option<Vec<&str>>) -> Discovered {
        Discovered {
            issuer: issuer.into(),
            authorization_endpoint: format!("{issuer}/auth"),
            token_endpoint: format!("{issuer}/token"),
            revocation_endpoint: None,
            userinfo_endpoint: None,
            code_challenge_methods_supported: methods
                .map(|m| m.into_iter().map(String::from).collect()),
            authorization_response_iss_parameter_supported: None,
            scopes_supported: None,
            token_endpoint_auth_methods_supported: None,
        }
    }

    #[test]
    fn builds_the_well_known_url() {
        assert_eq!(
            discovery_url("https://id.example.com/tenant/")
                .expect("url")
                .as_str(),
            "https://id.example.com/tenant/.well-known/openid-configuration"
        );
        assert!(discovery_url("http://id.example.com").is_err());
    }

    #[test]
    fn refuses_plain_only_and_foreign_issuers() {
        let url = discovery_url("https://id.example.com").expect("url");
        assert!(check(&url, &doc("https://id.example.com", Some(vec!["S256"]))).is_ok());
        assert!(check(&url, &doc("https://id.example.com", None)).is_ok());
        assert_eq!(
            check(&url, &doc("https://id.example.com", Some(vec!["plain"])))
                .expect_err("plain")
                .code(),
            "provider_error"
        );
        assert!(check(&url, &doc("https://evil.example.com", Some(vec!["S256"]))).is_err());
    }
}
