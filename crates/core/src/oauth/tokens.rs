//! Token endpoint calls through the `oauth2` crate, with [`super::http::send`] as its HTTP
//! client (no redirects; 5xx/429 reported as unavailable). Responses keep the fields
//! Lanyard needs beyond RFC 6749: the OpenID `id_token` and `refresh_token_expires_in`.

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeVerifier, RedirectUrl, RequestTokenError, StandardRevocableToken,
    StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::http::{host_of, HttpError, ProviderHttp};
use super::provider::Provider;
use crate::error::{Error, Result};
use crate::secrets::SecretValue;

/// Fields beyond RFC 6749 that providers send with tokens.
#[derive(Clone, Deserialize, Serialize)]
pub struct Extra {
    /// OpenID Connect ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Seconds until the refresh token expires (Microsoft, Dropbox, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
}

impl std::fmt::Debug for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extra")
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .finish()
    }
}

impl ExtraTokenFields for Extra {}

/// A token endpoint answer.
pub type TokenResponse = StandardTokenResponse<Extra, BasicTokenType>;

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

/// Uses a refresh token.
pub async fn exchange_refresh(
    http: &reqwest::Client,
    client: &OauthClient,
    refresh_token: &SecretValue,
) -> std::result::Result<TokenResponse, TokenRequestError> {
    let token = oauth2::RefreshToken::new(refresh_token.expose().to_string());
    client
        .exchange_refresh_token(&token)
        .request_async(&ProviderHttp(http))
        .await
}

/// Whether a token failure is transient (retry, keep the channel's status).
pub fn is_transient(err: &TokenRequestError) -> bool {
    matches!(
        err,
        RequestTokenError::Request(HttpError::Unreachable(_) | HttpError::Unavailable(_))
    )
}

/// Whether the provider refused the grant itself (the refresh token is dead, or a peer
/// rotated it).
pub fn is_invalid_grant(err: &TokenRequestError) -> bool {
    matches!(
        err,
        RequestTokenError::ServerResponse(e)
            if *e.error() == oauth2::basic::BasicErrorResponseType::InvalidGrant
    )
}
