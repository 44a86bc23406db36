//! Whether a player may fetch a URL at all: a linked credential (a channel's API base or
//! a URL token's prefix) must cover it — never an open proxy — and a loopback or
//! link-local address only when a linked prefix names it literally; which requests may use
//! the plain resolver. The license is never refused here.

use std::net::IpAddr;

use url::{Host, Url};

use super::target::{covers, Target};
use super::As;
use crate::error::{Error, Result};
use crate::snapshot::{Linked, Snapshot};

/// The prefixes (channel API bases and URL token prefixes) linked to `linked` that cover
/// `url`.
pub fn covering(snapshot: &Snapshot, linked: &Linked, url: &Url) -> Vec<String> {
    covering_at(snapshot, linked, &Target::of(url))
}

fn covering_at(snapshot: &Snapshot, linked: &Linked, target: &Target<'_>) -> Vec<String> {
    let mut out: Vec<String> = snapshot
        .channels
        .iter()
        .filter(|c| linked.channels.contains(&c.id))
        .flat_map(|c| c.bases.iter())
        .filter(|b| b.covers(target))
        .map(|b| b.text.clone())
        .collect();
    if !target.origin.is_empty() {
        out.extend(
            snapshot
                .tokens
                .matching_at(&target.origin, &target.segments, |t| {
                    linked.tokens.contains(&t.id)
                })
                .iter()
                .map(|t| t.prefix.clone()),
        );
    }
    out
}

/// A player may fetch only URLs a linked credential covers: never an open proxy.
pub fn require_covered(snapshot: &Snapshot, who: &As, url: &Url) -> Result<()> {
    require_covered_at(snapshot, who, &Target::of(url))
}

/// [`require_covered`] for a URL already parsed into a [`Target`].
pub(crate) fn require_covered_at(snapshot: &Snapshot, who: &As, target: &Target<'_>) -> Result<()> {
    if !who.is_player() {
        return Ok(());
    }
    let url = target.url;
    let linked = snapshot.linked(who.id());
    let prefixes = covering_at(snapshot, linked, target);
    if prefixes.is_empty() {
        return Err(Error::NotCovered(format!(
            "{} is not under an API base or URL token prefix linked to this player: nothing \
             was fetched",
            shown(url)
        )));
    }
    if let Some(what) = internal_host(url) {
        if !prefixes.iter().any(|p| covers(p, target)) {
            return Err(Error::NotCovered(format!(
                "{} is {what}: a player may reach it only when a linked prefix names that \
                 address literally",
                shown(url)
            )));
        }
    }
    Ok(())
}

/// Whether a player's request to `url` may use the plain resolver: its host is an address
/// (or `localhost`, loopback by definition) that a linked prefix names literally. Every
/// other name goes through the guarded resolver, whatever prefix covers it: a covered
/// domain that resolves to a loopback or link-local address is refused.
pub fn named_literally(snapshot: &Snapshot, who: &As, url: &Url) -> bool {
    named_literally_at(snapshot, who, &Target::of(url))
}

/// [`named_literally`] for a URL already parsed into a [`Target`].
pub(crate) fn named_literally_at(snapshot: &Snapshot, who: &As, target: &Target<'_>) -> bool {
    let url = target.url;
    if matches!(url.host(), Some(Host::Domain(_))) && internal_host(url).is_none() {
        return false;
    }
    let linked = snapshot.linked(who.id());
    covering_at(snapshot, linked, target)
        .iter()
        .any(|p| covers(p, target))
}

/// The URL without its query (for messages: the query may hold values).
pub fn shown(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// "a loopback address" / "a link-local address" when the URL's host is one (or
/// `localhost`).
pub fn internal_host(url: &Url) -> Option<&'static str> {
    match url.host()? {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")).then_some("a loopback address")
        }
        Host::Ipv4(ip) => internal_ip(IpAddr::V4(ip)),
        Host::Ipv6(ip) => internal_ip(IpAddr::V6(ip)),
    }
}

/// Loopback, link-local and unspecified addresses (IPv4-mapped ones too).
pub fn internal_ip(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => Some("a loopback address"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("a link-local address"),
        IpAddr::V4(v4) if v4.is_unspecified() => Some("an unspecified address"),
        IpAddr::V6(v6) if v6.is_loopback() => Some("a loopback address"),
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => Some("a link-local address"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("an unspecified address"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    fn names_host(prefix: &str, url: &Url) -> bool {
        covers(prefix, &Target::of(url))
    }

    #[test]
    fn internal_hosts_are_recognized() {
        for s in [
            "http://127.0.0.1/",
            "http://127.8.0.1:8080/x",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:3000/",
            "http://api.localhost/",
            "http://0.0.0.0/",
        ] {
            assert!(internal_host(&url(s)).is_some(), "{s}");
        }
        for s in [
            "https://10.0.0.5/",
            "https://example.com/",
            "https://[2001:db8::1]/",
        ] {
            assert!(internal_host(&url(s)).is_none(), "{s}");
        }
    }

    #[test]
    fn a_prefix_names_a_host_literally_only_on_its_own_origin_and_path() {
        assert!(names_host(
            "http://127.0.0.1:8080/api",
            &url("http://127.0.0.1:8080/api/x")
        ));
        assert!(!names_host(
            "http://127.0.0.1:8080/api",
            &url("http://127.0.0.1:8081/api/x")
        ));
        assert!(!names_host(
            "http://localhost:8080/api",
            &url("http://127.0.0.1:8080/api/x")
        ));
        assert!(!names_host(
            "https://a.com",
            &url("https://a.com.evil.net/")
        ));
    }
}
