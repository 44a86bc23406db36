//! Which address a request comes from, behind reverse proxies the operator trusts
//! (`--trusted-proxy CIDR`, repeatable).
//!
//! `X-Forwarded-For` is read only when the connection's peer is a trusted proxy; then the
//! client is the right-most address in it that is not itself a trusted proxy (each proxy
//! appends the address it saw, so everything left of the last untrusted hop could be
//! forged by the client). From any other peer the header is ignored: a client cannot
//! choose the address its failures count against. An unreadable entry stops the walk at
//! the last address a trusted proxy vouched for.

use std::net::IpAddr;

use axum::http::HeaderMap;
use lanyard_core::{Error, Result};

/// An address block (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    bits: u8,
}

/// An address as compared: IPv4-mapped IPv6 as IPv4 (a dual-stack listener's peers).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl Cidr {
    /// Parses `address/bits` or a bare address.
    pub fn parse(text: &str) -> Result<Cidr> {
        let text = text.trim();
        let refused = || {
            Error::invalid(format!(
                "{text:?} is not an address block like 10.0.0.0/8, 192.0.2.7 or fd00::/8"
            ))
        };
        let (address, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| refused())?)),
            None => (text, None),
        };
        let network = canonical(address.parse::<IpAddr>().map_err(|_| refused())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return Err(refused());
        }
        Ok(Cidr {
            network: mask(network, bits),
            bits,
        })
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.bits) == self.network
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.bits)
    }
}

fn mask(ip: IpAddr, bits: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let m = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & m).into())
        }
        IpAddr::V6(v6) => {
            let m = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & m).into())
        }
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`[::1]:80`, `1.2.3.4:5`).
fn entry(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The client address of a request whose connection came from `peer`.
pub fn client(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match entry(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    return ip;
                }
            }
            None => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("value"));
        }
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn blocks_parse_and_contain() {
        let v4 = Cidr::parse("10.1.0.0/16").expect("v4");
        assert!(v4.contains(ip("10.1.200.3")));
        assert!(!v4.contains(ip("10.2.0.1")));
        assert!(v4.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        let one = Cidr::parse("192.0.2.7").expect("one");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6 = Cidr::parse("fd00::/8").expect("v6");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(Cidr::parse("0.0.0.0/0")
            .expect("all")
            .contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.0/x",
            "1.2.3/8",
        ] {
            assert_eq!(
                Cidr::parse(bad).expect_err(bad).code(),
                "invalid_input",
                "{bad}"
            );
        }
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_peers() {
        let trusted = [Cidr::parse("127.0.0.1").expect("proxy")];
        let forged = headers(&["203.0.113.9"]);
        // Not a trusted peer: the header is the client's own words.
        assert_eq!(
            client(ip("198.51.100.1"), &forged, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(client(ip("127.0.0.1"), &forged, &[]), ip("127.0.0.1"));
        // A trusted peer: the right-most untrusted address.
        assert_eq!(
            client(ip("127.0.0.1"), &forged, &trusted),
            ip("203.0.113.9")
        );
        let chain = headers(&["1.1.1.1, 203.0.113.9", "127.0.0.1"]);
        assert_eq!(client(ip("127.0.0.1"), &chain, &trusted), ip("203.0.113.9"));
        assert_eq!(
            client(
                ip("::ffff:127.0.0.1"),
                &headers(&["[2001:db8::1]:443"]),
                &trusted
            ),
            ip("2001:db8::1")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(
            client(ip("127.0.0.1"), &HeaderMap::new(), &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client(ip("127.0.0.1"), &headers(&["1.1.1.1, unknown"]), &trusted),
            ip("127.0.0.1")
        );
    }
}
