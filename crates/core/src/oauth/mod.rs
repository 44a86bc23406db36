//! Channels over OAuth 2.0: the provider catalogue, the authorization code flow with PKCE
//! (deep-link and loopback redirects), the account's identity, token exchange,
//! revocation, and disconnecting.
//!
//! Security notes: PKCE S256 always; `state` single use and stored hashed; `iss` checked
//! (RFC 9207); the token endpoint never follows redirects; endpoints are https except on
//! loopback; tokens go to the secret store only; error messages never quote a response
//! body, a code or a token.

pub mod abandoned;
pub mod channel;
pub mod channels;
pub mod discovery;
pub mod endpoint;
pub mod flow;
pub mod http;
pub mod identity;
pub mod loopback;
pub mod provider;
pub mod provider_file;
pub mod providers;
pub mod quirks;
pub mod revocations;
pub mod revoke;
pub mod tokens;

#[cfg(test)]
mod http_tests;
#[cfg(test)]
mod provider_file_tests;
#[cfg(test)]
mod tokens_tests;
