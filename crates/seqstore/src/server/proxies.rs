//! Which address a request counts under: the peer address of its connection, or, when the peer is
//! a trusted reverse proxy (`limits.trusted_proxies`), the client that `X-Forwarded-For` names.

use std::net::IpAddr;
use std::sync::Arc;

use http::HeaderMap;
use ipnet::IpNet;

use crate::config::LimitsConfig;
use crate::model::client::Client;

/// The reverse proxies of `limits.trusted_proxies`.
#[derive(Debug, Clone, Default)]
pub struct Proxies(Arc<[IpNet]>);

impl Proxies {
    /// The proxies of `config` (already validated by its `problem()`; invalid entries are skipped).
    pub fn new(config: &LimitsConfig) -> Self {
        Self(config.trusted_proxies().unwrap_or_default().into())
    }

    /// True when `addr` is a trusted proxy.
    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|block| block.contains(&addr))
    }

    /// The client of a request from `peer` with `headers`: `peer`, unless it is a trusted proxy;
    /// then the rightmost `X-Forwarded-For` address that is not itself a trusted proxy (proxies
    /// append the address they received the request from, so the hops to its left are whatever
    /// the client claimed). An entry that is not an address stops the walk at the proxy that
    /// added it.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        let mut client = peer;
        if !self.trusts(peer) {
            return Client::new(client);
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Some(addr) = parse_hop(hop) else { break };
            client = addr;
            if !self.trusts(addr) {
                break;
            }
        }
        Client::new(client)
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`[v6]:port`, `v4:port`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> Proxies {
        let config =
            LimitsConfig { trusted_proxies: list.iter().map(|s| (*s).to_owned()).collect(), ..Default::default() };
        Proxies::new(&config)
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().expect("header value"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_peer_counts_unless_it_is_a_trusted_proxy() {
        let spoofed = forwarded(&["192.0.2.7"]);
        assert_eq!(proxies(&[]).client(ip("127.0.0.1"), &spoofed).addr(), ip("127.0.0.1"));
        let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(trusted.client(ip("198.51.100.1"), &spoofed).addr(), ip("198.51.100.1"), "not a proxy");
        assert_eq!(trusted.client(ip("127.0.0.1"), &spoofed).addr(), ip("192.0.2.7"));
        assert_eq!(trusted.client(ip("127.0.0.1"), &HeaderMap::new()).addr(), ip("127.0.0.1"), "no header");
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        // The client claimed 203.0.113.9; 192.0.2.7 reached proxy 10.1.1.1, which reached us via 10.2.2.2.
        let chain = forwarded(&["203.0.113.9, 192.0.2.7", "10.1.1.1"]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &chain).addr(), ip("192.0.2.7"));
        // Garbage stops the walk at the proxy that added it.
        let garbage = forwarded(&["192.0.2.7, unknown, 10.1.1.1"]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &garbage).addr(), ip("10.1.1.1"));
        // Ports and IPv4-mapped IPv6 are understood.
        let ported = forwarded(&["[2001:db8::1]:4711", "::ffff:192.0.2.8"]);
        assert_eq!(trusted.client(ip("::ffff:127.0.0.1"), &ported).addr(), ip("192.0.2.8"));
    }
}
