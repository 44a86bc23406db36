//! Where feed links point: the gateway's public address, chosen explicitly and reported
//! with its source, in this order:
//!
//! 1. `--gateway URL` given with the command (`flag`);
//! 2. the saved public address, `lanyard feed gateway URL` / the window's field
//!    (`setting`, key [`SETTING`]) — what a gateway behind TLS or a reverse proxy needs;
//! 3. the desktop app's own gateway address from Settings (`app`: plain HTTP, loopback);
//! 4. `http://127.0.0.1:7443`, where `lanyard gateway serve` listens by default
//!    (`default`).
//!
//! A public address is `https://…`, or `http://…` on a loopback host only (the key travels
//! in the URL); it may carry a path prefix (a reverse proxy's), never a query or fragment.

use serde::{Deserialize, Serialize};

use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;

/// The setting holding the saved public address.
pub const SETTING: &str = "feed-gateway";

/// The setting the desktop app keeps its own gateway's choice in (`lanyard_gateway`'s
/// `background::SETTING`; read here as JSON, the core cannot name that crate).
const APP_GATEWAY_SETTING: &str = "gateway";

/// Where `lanyard gateway serve` listens without `--listen`.
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:7443";

crate::closed::stored_names! {
    /// Where a feed link's gateway address came from.
    LinkBaseSource {
        /// Given with the command (`--gateway`).
        Flag = "flag",
        /// The saved public address.
        Setting = "setting",
        /// The desktop app's own gateway (loopback).
        App = "app",
        /// `lanyard gateway serve`'s default address.
        Default = "default",
    }
}

/// The gateway address links are made with, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkBase {
    /// `https://gateway.example.com` (no trailing slash).
    pub url: String,
    /// Where it came from.
    pub source: LinkBaseSource,
}

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    url: String,
}

/// Checks and normalizes a public gateway address (no trailing slash).
pub fn check_public_url(raw: &str) -> Result<String> {
    let field = |m: String| Error::invalid_field(InputField::Gateway, m);
    let url = url::Url::parse(raw.trim()).map_err(|_| {
        field(format!(
            "{raw:?} is not a URL like https://gateway.example.com"
        ))
    })?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(field(
                "a feed link carries its key in the URL: the gateway address must be https \
                 (plain http only on a loopback address)"
                    .into(),
            ))
        }
        _ => return Err(field("the gateway address must be an https URL".into())),
    }
    if url.host_str().unwrap_or("").is_empty()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(field(
            "the gateway address is scheme, host, port and an optional path — no user, query \
             or fragment"
                .into(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The address feed links are made with (see the module docs for the order).
pub async fn base(l: &Lanyard, flag: Option<&str>) -> Result<LinkBase> {
    if let Some(raw) = crate::input::given_str(flag) {
        return Ok(LinkBase {
            url: check_public_url(raw)?,
            source: LinkBaseSource::Flag,
        });
    }
    if let Some(saved) = l.store().setting::<Saved>(SETTING).await? {
        return Ok(LinkBase {
            url: saved.url,
            source: LinkBaseSource::Setting,
        });
    }
    let app = l
        .store()
        .setting::<serde_json::Value>(APP_GATEWAY_SETTING)
        .await?;
    let listen = app
        .as_ref()
        .and_then(|v| v.get("listen"))
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<std::net::SocketAddr>().ok())
        .filter(|a| a.ip().is_loopback() && a.port() != 0);
    if let Some(addr) = listen {
        return Ok(LinkBase {
            url: format!("http://{addr}"),
            source: LinkBaseSource::App,
        });
    }
    Ok(LinkBase {
        url: DEFAULT_GATEWAY.into(),
        source: LinkBaseSource::Default,
    })
}

/// Saves (or with `None`, forgets) the public address; returns what links use now.
pub async fn set_public_url(l: &Lanyard, raw: Option<&str>) -> Result<LinkBase> {
    let now = l.clock().now();
    match crate::input::given_str(raw) {
        Some(raw) => {
            let url = check_public_url(raw)?;
            l.store().set_setting(SETTING, &Saved { url }, now).await?;
        }
        None => l.store().delete_setting(SETTING).await?,
    }
    base(l, None).await
}

/// The link of feed `id` with `key` under `base`.
pub fn link(base: &LinkBase, id: &str, key: &crate::secrets::SecretValue) -> String {
    format!("{}/v1/feeds/{id}/{}", base.url, key.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_are_https_or_loopback_http() {
        assert_eq!(
            check_public_url("https://gw.example.com/").expect("ok"),
            "https://gw.example.com"
        );
        assert_eq!(
            check_public_url(" https://gw.example.com:8443/lanyard/ ").expect("ok"),
            "https://gw.example.com:8443/lanyard"
        );
        assert_eq!(
            check_public_url("http://127.0.0.1:7443").expect("ok"),
            "http://127.0.0.1:7443"
        );
        assert!(check_public_url("http://[::1]:7443").is_ok());
        assert!(check_public_url("http://localhost:7443").is_ok());
        for bad in [
            "http://gw.example.com",
            "ftp://gw.example.com",
            "https://u:p@gw.example.com",
            "https://gw.example.com/?a=1",
            "https://gw.example.com/#x",
            "gw.example.com",
            "",
        ] {
            let e = check_public_url(bad).expect_err(bad);
            assert_eq!(e.code(), "invalid_input", "{bad}");
        }
    }
}
