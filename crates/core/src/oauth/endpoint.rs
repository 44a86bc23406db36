//! Endpoint URLs a provider may use: absolute `https`, or `http` only on a loopback host
//! (development and tests). No user-info, no fragment.

use url::{Host, Url};

use crate::error::{Error, Result};

/// Whether `url` points at this machine (127.0.0.0/8, ::1, `localhost`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Parses and checks an endpoint URL; `what` names it in the error.
pub fn parse_endpoint(what: &str, raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|_| Error::invalid(format!("the {what} is not a valid URL")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(format!(
            "the {what} must not contain a user name or password"
        )));
    }
    if url.fragment().is_some() {
        return Err(Error::invalid(format!(
            "the {what} must not contain a fragment"
        )));
    }
    if url.host_str().map(str::is_empty).unwrap_or(true) {
        return Err(Error::invalid(format!("the {what} has no host")));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::invalid(format!(
            "the {what} must use https (plain http is allowed only on 127.0.0.1, ::1 or localhost)"
        ))),
        _ => Err(Error::invalid(format!("the {what} must be an https URL"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_loopback_http_only() {
        assert!(parse_endpoint("token endpoint", "https://login.example.com/token").is_ok());
        assert!(parse_endpoint("token endpoint", "http://127.0.0.1:8080/token").is_ok());
        assert!(parse_endpoint("token endpoint", "http://[::1]:8080/token").is_ok());
        assert!(parse_endpoint("token endpoint", "http://localhost/token").is_ok());
        for bad in [
            "http://example.com/token",
            "http://127.0.0.1.evil.com/token",
            "ftp://example.com/",
            "https://user:pw@example.com/token",
            "https://example.com/token#x",
            "not a url",
            "/relative",
        ] {
            assert_eq!(
                parse_endpoint("token endpoint", bad).expect_err(bad).code(),
                "invalid_input"
            );
        }
    }
}
