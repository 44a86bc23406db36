//! Token endpoint calls through the `oauth2` crate, with [`super::http::send`] as its HTTP
//! client (no redirects; 5xx/429 reported as unavailable). Responses keep the fields
//! Lanyard needs beyond RFC 6749: the OpenID `id_token` and `refresh_token_expires_in`.

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardRevocableToken, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::http::{host_of, HttpError, ProviderHttp};
use super::provider::{Provider, TokenAuthMethod};
use crate::error::{Error, Result};
use crate::secrets::SecretValue;

/// A token endpoint answer: RFC 6749 §5.1 plus the OpenID `id_token` and
/// `refresh_token_expires_in` (Microsoft, Dropbox). Numbers may come as numeric strings
/// (`"expires_in": "3599"`: Azure AD v1, NetSuite; oauth2-rs issues #151 and #320).
#[derive(Clone, Deserialize, Serialize)]
pub struct TokenResponse {
    access_token: AccessToken,
    #[serde(deserialize_with = "oauth2::helpers::deserialize_untagged_enum_case_insensitive")]
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "lenient_seconds")]
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(rename = "scope")]
    #[serde(deserialize_with = "oauth2::helpers::deserialize_space_delimited_vec")]
    #[serde(serialize_with = "oauth2::helpers::serialize_space_delimited_vec")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(default)]
    scopes: Option<Vec<Scope>>,
    /// OpenID Connect ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// Seconds until the refresh token expires.
    #[serde(default, deserialize_with = "lenient_seconds")]
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
}

impl TokenResponse {
    /// The OpenID Connect ID token, when one came.
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_deref()
    }

    /// Seconds until the refresh token expires, when the provider says.
    pub fn refresh_token_expires_in(&self) -> Option<u64> {
        self.refresh_token_expires_in
    }
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .finish_non_exhaustive()
    }
}

impl oauth2::TokenResponse for TokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<std::time::Duration> {
        self.expires_in.map(std::time::Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

/// A non-negative number of seconds, as a JSON number or a numeric string.
fn lenient_seconds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seconds {
        Number(u64),
        Float(f64),
        Text(String),
    }
    Ok(match Option::<Seconds>::deserialize(deserializer)? {
        None => None,
        Some(Seconds::Number(n)) => Some(n),
        Some(Seconds::Float(f)) if f.is_finite() && f >= 0.0 => Some(f as u64),
        Some(Seconds::Text(t)) => Some(
            t.trim()
                .parse::<u64>()
                .map_err(|_| serde::de::Error::custom("a lifetime is not a number of seconds"))?,
        ),
        Some(Seconds::Float(_)) => {
            return Err(serde::de::Error::custom(
                "a lifetime is not a number of seconds",
            ))
        }
    })
}

/// The `oauth2` client type Lanyard uses: authorization and token endpoints set.
pub type OauthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Builds the client for `provider` with `redirect_uri`.
pub fn oauth_client(
    provider: &Provider,
    client_secret: Option<&SecretValue>,
    redirect_uri: &str,
) -> Result<OauthClient> {
    let client_id = provider.require_client_id()?;
    let mut client = oauth2::Client::new(ClientId::new(client_id.to_string()))
        .set_auth_uri(
            AuthUrl::new(provider.authorization_endpoint.clone())
                .map_err(|_| Error::invalid("the authorization endpoint is not a valid URL"))?,
        )
        .set_token_uri(
            TokenUrl::new(provider.token_endpoint.clone())
                .map_err(|_| Error::invalid("the token endpoint is not a valid URL"))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_string())
                .map_err(|_| Error::invalid("the redirect URI is not a valid URL"))?,
        );
    if let Some(secret) = client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
    }
    // `token_endpoint_auth_methods_supported` decides; a client without a secret sends
    // its id in the body either way.
    if provider.token_auth_method == Some(TokenAuthMethod::ClientSecretPost) {
        client = client.set_auth_type(AuthType::RequestBody);
    }
    Ok(client)
}

/// Exchanges an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    client: &OauthClient,
    provider: &Provider,
    code: String,
    verifier: PkceCodeVerifier,
) -> Result<TokenResponse> {
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&ProviderHttp(http))
        .await
        .map_err(|e| token_error(provider, e))
}

/// Turns a token endpoint failure into plain words; never includes the body.
pub fn token_error(
    provider: &Provider,
    err: RequestTokenError<HttpError, BasicErrorResponse>,
) -> Error {
    let host = host_of(&provider.token_endpoint);
    match err {
        RequestTokenError::ServerResponse(e) if e.error().as_ref() == "temporarily_unavailable" => {
            Error::ProviderUnavailable(format!(
                "{} ({host}) is temporarily unavailable; try again later",
                provider.name
            ))
        }
        RequestTokenError::ServerResponse(e) => {
            let code = e.error().as_ref().to_string();
            Error::ProviderError(format!(
                "{} refused the request: {}{}",
                provider.name,
                code,
                e.error_description()
                    .map(|d| format!(" ({})", sanitize(d)))
                    .unwrap_or_default()
            ))
        }
        RequestTokenError::Request(HttpError::Unreachable(why)) => Error::ProviderUnavailable(
            format!("{} ({host}) cannot be reached: {why}", provider.name),
        ),
        RequestTokenError::Request(HttpError::Unavailable(status)) => {
            Error::ProviderUnavailable(format!(
                "{} ({host}) is unavailable (HTTP {status}); try again later",
                provider.name
            ))
        }
        RequestTokenError::Request(other) => Error::ProviderError(format!(
            "{}'s token endpoint ({host}) misbehaved: {other}",
            provider.name
        )),
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => {
            Error::ProviderError(format!(
                "{}'s token endpoint ({host}) answered something that is not a valid token \
                 response",
                provider.name
            ))
        }
    }
}

/// Makes provider-supplied text safe to show: no control characters, bounded length.
pub fn sanitize(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    clean.trim().to_string()
}

/// The raw failure of a token request, for callers that tell `invalid_grant` from
/// transient trouble (the broker's refresh).
pub type TokenRequestError = RequestTokenError<HttpError, BasicErrorResponse>;

/// Uses a refresh token; `scopes`, when given, asks for a token with those scopes (a
/// Microsoft token for another resource: `https://contoso.sharepoint.com/.default`).
pub async fn exchange_refresh(
    http: &reqwest::Client,
    client: &OauthClient,
    refresh_token: &SecretValue,
    scopes: &[String],
) -> std::result::Result<TokenResponse, TokenRequestError> {
    let token = oauth2::RefreshToken::new(refresh_token.expose().to_string());
    client
        .exchange_refresh_token(&token)
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .request_async(&ProviderHttp(http))
        .await
}

/// The OAuth error code of a refused token request, when the provider sent one.
fn server_error(err: &TokenRequestError) -> Option<&BasicErrorResponseType> {
    match err {
        RequestTokenError::ServerResponse(e) => Some(e.error()),
        _ => None,
    }
}

/// Whether a token failure is transient (retry, keep the channel's status): the provider
/// could not be reached, answered 5xx/429, or said `temporarily_unavailable` (RFC 6749
/// §4.1.2.1; Microsoft sends it from the token endpoint too).
pub fn is_transient(err: &TokenRequestError) -> bool {
    matches!(
        err,
        RequestTokenError::Request(HttpError::Unreachable(_) | HttpError::Unavailable(_))
    ) || matches!(
        server_error(err),
        Some(BasicErrorResponseType::Extension(code)) if code == "temporarily_unavailable"
    )
}

/// Whether the provider refused the grant itself (the refresh token is dead, or a peer
/// rotated it).
pub fn is_invalid_grant(err: &TokenRequestError) -> bool {
    matches!(
        server_error(err),
        Some(BasicErrorResponseType::InvalidGrant)
    )
}

/// Whether the provider wants the user back in the browser before it issues tokens
/// again: `interaction_required` or `consent_required` (OpenID Connect Core §3.1.2.6;
/// Microsoft answers a refresh with them after MFA or Conditional Access changes). The
/// refresh token itself may be alive, but only a re-authorization helps.
pub fn needs_interaction(err: &TokenRequestError) -> bool {
    matches!(
        server_error(err),
        Some(BasicErrorResponseType::Extension(code))
            if matches!(code.as_str(), "interaction_required" | "consent_required" | "login_required")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2::TokenResponse as _;

    fn parse(body: &str) -> std::result::Result<TokenResponse, serde_json::Error> {
        serde_json::from_str(body)
    }

    #[test]
    fn lifetimes_may_be_numeric_strings() {
        // Azure AD v1 and NetSuite send `"expires_in": "3599"` (oauth2-rs #151, #320).
        let t = parse(
            r#"{"access_token":"a","token_type":"bearer","expires_in":"3599",
                "refresh_token":"r","refresh_token_expires_in":"7776000","id_token":"x.y.z"}"#,
        )
        .expect("string lifetimes");
        assert_eq!(t.expires_in().map(|d| d.as_secs()), Some(3599));
        assert_eq!(t.refresh_token_expires_in(), Some(7_776_000));
        assert_eq!(t.id_token(), Some("x.y.z"));
        let n = parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":3600}"#)
            .expect("numbers");
        assert_eq!(n.expires_in().map(|d| d.as_secs()), Some(3600));
        assert!(
            parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#).is_err()
        );
        assert!(parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":-5}"#).is_err());
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("\"r\"") && !dbg.contains("x.y.z"), "{dbg}");
    }

    fn refused(code: &str) -> TokenRequestError {
        let body = format!(r#"{{"error":"{code}"}}"#);
        RequestTokenError::ServerResponse(serde_json::from_str(&body).expect("error body"))
    }

    #[test]
    fn refusals_are_told_apart() {
        for code in ["interaction_required", "consent_required"] {
            assert!(needs_interaction(&refused(code)), "{code}");
            assert!(!is_transient(&refused(code)) && !is_invalid_grant(&refused(code)));
        }
        assert!(is_transient(&refused("temporarily_unavailable")));
        assert!(!needs_interaction(&refused("temporarily_unavailable")));
        assert!(is_invalid_grant(&refused("invalid_grant")));
        assert!(!needs_interaction(&refused("invalid_grant")));
        assert!(is_transient(&RequestTokenError::Request(
            HttpError::Unavailable(503)
        )));
        assert!(!is_transient(&refused("invalid_client")));
    }
}
