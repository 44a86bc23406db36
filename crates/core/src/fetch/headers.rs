//! The caller's request headers: which are refused outright, and which may follow a
//! redirect to another origin.

use crate::error::{Error, Result};

/// Headers a caller may not set: the connection's own (hop-by-hop, framing, `Host`) and
/// cookies (Lanyard keeps no cookie jar, and a cookie is a credential it cannot scope).
const REFUSED: [&str; 13] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
    "cookie",
    "expect",
];

/// Headers that carry no credential and may go to another origin on a redirect.
const SAFE_OFF_ORIGIN: [&str; 7] = [
    "accept",
    "accept-language",
    "cache-control",
    "content-type",
    "if-modified-since",
    "if-none-match",
    "user-agent",
];

/// Refuses invalid names, control characters in values, and the connection-level headers listed in `REFUSED`.
pub fn check(headers: &[(String, String)]) -> Result<()> {
    for (name, value) in headers {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(Error::invalid(format!(
                "{name:?} is not a valid header name"
            )));
        }
        if REFUSED.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(Error::invalid(format!(
                "the {name} header cannot be set: Lanyard manages the connection, its framing \
                 and cookies itself"
            )));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(Error::invalid(format!(
                "the value of header {name} contains control characters"
            )));
        }
    }
    Ok(())
}

/// Checks the name of a URL token's own header (placement `named_header`): a valid header
/// name, none the connection owns, and not `Authorization`, which Basic and Bearer tokens
/// and a channel's grant fill.
pub fn check_token_header(name: &str) -> Result<()> {
    check(&[(name.to_string(), String::new())]).map_err(|e| match e {
        Error::InvalidInput { message, .. } => Error::invalid(format!(
            "a header token's key is the header's name: {message}"
        )),
        other => other,
    })?;
    if name.eq_ignore_ascii_case("authorization") {
        return Err(Error::invalid(
            "the Authorization header comes from a Bearer token (key \"token\") or a user name \
             and password (keys \"username\" and \"password\"): use the Authorization placement",
        ));
    }
    Ok(())
}

/// Whether a header's value is a credential to keep out of reports.
pub fn sensitive(name: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "authorization")
        || name.to_ascii_lowercase().contains("key")
        || name.to_ascii_lowercase().contains("token")
        || name.to_ascii_lowercase().contains("secret")
}

/// Whether a caller's header may be sent to an origin other than the first request's.
pub fn safe_off_origin(name: &str) -> bool {
    SAFE_OFF_ORIGIN.contains(&name.to_ascii_lowercase().as_str())
}

/// Whether the caller's headers say the body is a form (form tokens may join it).
pub fn is_form(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type")
            && v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str) -> Vec<(String, String)> {
        vec![(name.to_string(), "v".to_string())]
    }

    #[test]
    fn connection_framing_and_cookie_headers_are_refused() {
        for name in [
            "Host",
            "Content-Length",
            "Transfer-Encoding",
            "Connection",
            "Cookie",
            "Keep-Alive",
            "TE",
            "Upgrade",
            "Proxy-Authorization",
        ] {
            let err = check(&one(name)).expect_err(name);
            assert_eq!(err.code(), "invalid_input", "{name}");
        }
        check(&one("X-Api-Key")).expect("a custom header is fine");
        check(&one("Accept")).expect("accept is fine");
        assert!(check(&one("Bad Name")).is_err());
        assert!(check(&[("X".into(), "a\r\nb".into())]).is_err());
    }

    #[test]
    fn only_credential_free_headers_cross_origins() {
        assert!(safe_off_origin("Accept"));
        assert!(safe_off_origin("content-type"));
        for name in [
            "X-Api-Key",
            "Authorization",
            "X-Custom",
            "Ocp-Apim-Subscription-Key",
        ] {
            assert!(!safe_off_origin(name), "{name}");
        }
        assert!(sensitive("X-Api-Key"));
        assert!(sensitive("authorization"));
        assert!(!sensitive("Accept"));
    }
}
