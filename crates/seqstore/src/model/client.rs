//! The client a request comes from, as limits count it: an address, IPv6 by its /64 network
//! (one host usually holds a whole /64).

use std::net::{IpAddr, Ipv6Addr};

/// The client address of a request, which the accept loop puts into its extensions (see `server::proxies`). Requests that
/// did not come through a listener (in-process router tests) have none and are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl Client {
    /// The address as seen (IPv4-mapped IPv6 addresses as IPv4).
    pub fn new(addr: IpAddr) -> Self {
        Self(addr.to_canonical())
    }

    /// The address.
    pub fn addr(self) -> IpAddr {
        self.0
    }

    /// The address that limits count under: IPv4 as is, IPv6 its /64 network.
    pub fn bucket(self) -> IpAddr {
        match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        }
    }
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The TLS version a request's connection negotiated (`1.2` or `1.3`), which the accept loop puts
/// into the extensions of every request of a TLS connection (`s3:TlsVersion`); plain HTTP has none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TlsVersion(pub f64);

/// `http(s)://host` as the client named this server (its `Host` header, else the request's
/// authority): the origin of the absolute URLs an answer gives (htsget tickets, the dashboard's
/// htsget and refget links). `https` when the connection is TLS (`tls`).
pub fn origin(headers: &http::HeaderMap, authority: Option<&str>, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).or(authority).unwrap_or("localhost");
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn ipv6_counts_by_its_64_network() {
        let a = Client::new(ip("2001:db8:1:2:aaaa::1"));
        let b = Client::new(ip("2001:db8:1:2:bbbb::2"));
        assert_ne!(a, b);
        assert_eq!(a.bucket(), b.bucket());
        assert_eq!(a.bucket(), ip("2001:db8:1:2::"));
        assert_ne!(a.bucket(), Client::new(ip("2001:db8:1:3::1")).bucket());
        assert_eq!(Client::new(ip("192.0.2.1")).bucket(), ip("192.0.2.1"));
    }
}
