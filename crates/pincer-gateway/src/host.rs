//! The `Host` header, parsed strictly: `name[:port]`, where the name is a DNS name, a
//! dotted IPv4 address or a bracketed IPv6 address and the port is digits only. No
//! userinfo, path, query or second host: a value a lenient parser would read as loopback
//! (`127.0.0.1:1@evil`) must not pass the DNS-rebinding check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostName {
    /// A DNS name, lower-cased.
    Name(String),
    Ip(IpAddr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: HostName,
    pub port: Option<u16>,
}

impl Host {
    /// `None` for anything but exactly `name[:port]`.
    pub fn parse(value: &str) -> Option<Self> {
        let (name, port) = if let Some(rest) = value.strip_prefix('[') {
            let (inside, after) = rest.split_once(']')?;
            let ip: Ipv6Addr = inside.parse().ok()?;
            (HostName::Ip(IpAddr::V6(ip)), after)
        } else {
            let end = value.find(':').unwrap_or(value.len());
            let (name, after) = value.split_at(end);
            (parse_name(name)?, after)
        };
        let port = match port {
            "" => None,
            _ => Some(parse_port(port.strip_prefix(':')?)?),
        };
        Some(Self { name, port })
    }

    /// `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        match &self.name {
            HostName::Name(name) => name == "localhost",
            HostName::Ip(ip) => ip.is_loopback(),
        }
    }
}

fn parse_name(name: &str) -> Option<HostName> {
    if name.is_empty() || name.len() > 253 {
        return None;
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !name.split('.').all(label_ok) {
        return None;
    }
    // All digits and dots: an IPv4 address in its one canonical form, or nothing (no
    // `127.1`, `2130706433` or leading zeros, which resolvers read in different ways).
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return name
            .parse::<Ipv4Addr>()
            .ok()
            .map(|ip| HostName::Ip(ip.into()));
    }
    Some(HostName::Name(name.to_ascii_lowercase()))
}

fn parse_port(port: &str) -> Option<u16> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honest_hosts_parse() {
        let host = |s| Host::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(
            host("LocalHost:7420"),
            Host {
                name: HostName::Name("localhost".into()),
                port: Some(7420)
            }
        );
        assert!(host("127.1.2.3").is_loopback());
        assert!(host("[::1]:8080").is_loopback());
        assert!(!host("example.com:80").is_loopback());
        assert!(!host("192.168.1.2:7420").is_loopback());
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "127.0.0.1:1@evil",
            "user@127.0.0.1",
            "127.0.0.1/x",
            "127.0.0.1:",
            "127.0.0.1:65536",
            "127.0.0.1:1:2",
            "[::1",
            "[::1]x",
            "[127.0.0.1]",
            "localhost.",
            "-bad.example",
            "127.1",
            "127.000.000.001",
            "a b",
            "é.example",
        ] {
            assert_eq!(Host::parse(bad), None, "{bad:?}");
        }
    }
}
