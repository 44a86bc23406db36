//! Links the operating system hands to Lanyard: the OAuth redirect on the private-use
//! scheme `app.lanyard.desktop:` (RFC 8252 §7.1) and `lanyard://` links for contact
//! cards, token offers, provider files and "open this channel". Parsing is strict; anything else is
//! refused. A link's query may carry an authorization code: [`DeepLink::redacted`] is the
//! only form that may be logged.

use serde::Serialize;
use url::Url;

use crate::error::{Error, Result};

/// The private-use scheme of OAuth redirects: the app identifier.
pub const OAUTH_SCHEME: &str = "app.lanyard.desktop";
/// The redirect URI registered with providers that accept a private-use scheme.
pub const OAUTH_REDIRECT_URI: &str = "app.lanyard.desktop:/oauth/callback";
/// The same redirect in the `scheme://` form Microsoft Entra's "Mobile and desktop
/// applications" platform accepts (its portal validates custom schemes as `scheme://…`).
pub const OAUTH_REDIRECT_URI_AUTHORITY_FORM: &str = "app.lanyard.desktop://oauth/callback";
/// The scheme of every other Lanyard link.
pub const LINK_SCHEME: &str = "lanyard";

/// Longest link accepted (offers above 2 KiB travel as files).
pub const MAX_LINK_LEN: usize = 8 * 1024;

/// Whether `url` (on the OAuth scheme) is the callback in one of its two accepted forms:
/// `app.lanyard.desktop:/oauth/callback` or `app.lanyard.desktop://oauth/callback` —
/// nothing else (no port, user, other host or path).
pub fn is_oauth_callback(url: &Url) -> bool {
    if url.scheme() != OAUTH_SCHEME || !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match url.host_str() {
        None => url.path() == "/oauth/callback",
        Some(host) => host == "oauth" && url.port().is_none() && url.path() == "/callback",
    }
}

/// A link Lanyard understands.
#[derive(Clone, PartialEq, Eq)]
pub enum DeepLink {
    /// The provider sent the browser back after an authorization request.
    OAuthCallback(Url),
    /// `lanyard://contact/<card>`: someone's contact card.
    Contact(String),
    /// `lanyard://offer/<offer>`: a token offer.
    Offer(String),
    /// `lanyard://channel/<id>`: open a channel (from a reminder).
    OpenChannel(String),
    /// `lanyard://provider/<file>`: a provider file (see [`crate::oauth::provider_file`]).
    Provider(String),
}

/// Kinds of link the OS can hand to Lanyard (what the UI is told a link was).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum DeepLinkKind {
    /// [`DeepLink::OAuthCallback`].
    OauthCallback,
    /// [`DeepLink::Contact`].
    Contact,
    /// [`DeepLink::Offer`].
    Offer,
    /// [`DeepLink::OpenChannel`].
    OpenChannel,
    /// [`DeepLink::Provider`].
    Provider,
}

impl std::fmt::Debug for DeepLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DeepLink {
    /// Parses a link, refusing anything Lanyard does not handle.
    pub fn parse(raw: &str) -> Result<DeepLink> {
        if raw.len() > MAX_LINK_LEN {
            return Err(Error::invalid("the link is too long"));
        }
        let url = Url::parse(raw).map_err(|_| Error::invalid("not a valid link"))?;
        match url.scheme() {
            OAUTH_SCHEME => {
                if !is_oauth_callback(&url) || url.fragment().is_some() {
                    return Err(Error::invalid(
                        "not a Lanyard authorization link (expected app.lanyard.desktop:/oauth/callback)",
                    ));
                }
                Ok(DeepLink::OAuthCallback(url))
            }
            LINK_SCHEME => {
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(Error::invalid("Lanyard links carry no query or fragment"));
                }
                let payload = url.path().trim_start_matches('/');
                let valid_payload = !payload.is_empty()
                    && !payload.contains('/')
                    && payload
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b));
                if !valid_payload {
                    return Err(Error::invalid("the link's content is missing or malformed"));
                }
                let payload = payload.to_string();
                match url.host_str() {
                    Some("contact") => Ok(DeepLink::Contact(payload)),
                    Some("offer") => Ok(DeepLink::Offer(payload)),
                    Some("channel") => Ok(DeepLink::OpenChannel(payload)),
                    Some("provider") => Ok(DeepLink::Provider(payload)),
                    _ => Err(Error::invalid("unknown kind of Lanyard link")),
                }
            }
            _ => Err(Error::invalid("not a Lanyard link")),
        }
    }

    /// The link's kind.
    pub fn kind(&self) -> DeepLinkKind {
        match self {
            DeepLink::OAuthCallback(_) => DeepLinkKind::OauthCallback,
            DeepLink::Contact(_) => DeepLinkKind::Contact,
            DeepLink::Offer(_) => DeepLinkKind::Offer,
            DeepLink::OpenChannel(_) => DeepLinkKind::OpenChannel,
            DeepLink::Provider(_) => DeepLinkKind::Provider,
        }
    }

    /// A form safe to log: no query, no payload.
    pub fn redacted(&self) -> String {
        match self {
            DeepLink::OAuthCallback(_) => format!("{OAUTH_REDIRECT_URI}?[redacted]"),
            DeepLink::Contact(_) => "lanyard://contact/[redacted]".into(),
            DeepLink::Offer(_) => "lanyard://offer/[redacted]".into(),
            DeepLink::OpenChannel(id) => format!("lanyard://channel/{id}"),
            DeepLink::Provider(_) => "lanyard://provider/[redacted]".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_lanyard_links() {
        let cb = DeepLink::parse("app.lanyard.desktop:/oauth/callback?code=CANARY&state=s")
            .expect("callback");
        assert_eq!(cb.kind(), DeepLinkKind::OauthCallback);
        assert!(!format!("{cb:?}").contains("CANARY"));
        // Microsoft's form (Entra takes custom schemes as `scheme://`).
        let ms = DeepLink::parse("app.lanyard.desktop://oauth/callback?code=CANARY&state=s")
            .expect("authority form");
        assert_eq!(ms.kind(), DeepLinkKind::OauthCallback);
        assert!(!format!("{ms:?}").contains("CANARY"));
        assert_eq!(
            DeepLink::parse("lanyard://channel/abc-123").expect("channel"),
            DeepLink::OpenChannel("abc-123".into())
        );
        assert_eq!(
            DeepLink::parse("lanyard://offer/QUJD")
                .expect("offer")
                .kind(),
            DeepLinkKind::Offer
        );
        assert_eq!(
            DeepLink::parse("lanyard://contact/QUJD")
                .expect("contact")
                .kind(),
            DeepLinkKind::Contact
        );
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "https://example.com/oauth/callback?code=x",
            "app.lanyard.desktop:/other?code=x",
            "app.lanyard.desktop://evil.example/oauth/callback?code=x",
            "app.lanyard.desktop://oauth:8080/callback?code=x",
            "app.lanyard.desktop://user@oauth/callback?code=x",
            "app.lanyard.desktop://oauth/callback/x?code=x",
            "app.lanyard.desktop://oauth/other?code=x",
            "app.lanyard.desktop://oauth/callback#frag",
            "app.lanyard.desktop:/oauth/callback#frag",
            "lanyard://unknown/x",
            "lanyard://channel/",
            "lanyard://channel/a/b",
            "lanyard://channel/a?b=c",
            "lanyard://channel/%0d%0a",
            "javascript:alert(1)",
        ] {
            let err = DeepLink::parse(bad).expect_err(bad);
            assert_eq!(err.code(), "invalid_input", "{bad}");
        }
        let long = format!("lanyard://offer/{}", "A".repeat(MAX_LINK_LEN));
        assert!(DeepLink::parse(&long).is_err());
    }
}
