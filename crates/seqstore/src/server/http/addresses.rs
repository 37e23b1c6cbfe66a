//! Open connections per client address (`limits.max_connections_per_address`): beyond the cap,
//! that address's new connections are closed as they are accepted, before anything is read, while
//! other addresses are served. Counted by peer address (IPv6 by /64); trusted proxies are not
//! capped. Only addresses with open connections are kept, so memory follows the connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::model::client::Client;
use crate::server::proxies::Proxies;

/// The open connections of every address.
#[derive(Debug, Clone)]
pub(super) struct Addresses {
    cap: u64,
    proxies: Proxies,
    open: Arc<Mutex<HashMap<IpAddr, Open>>>,
}

/// Connections open from one address.
#[derive(Debug, Default)]
struct Open {
    count: u64,
    /// A refusal was logged since the count was last below the cap.
    logged: bool,
}

/// A place taken by one connection, given back when dropped.
#[derive(Debug)]
pub(super) struct Slot {
    bucket: Option<IpAddr>,
    open: Arc<Mutex<HashMap<IpAddr, Open>>>,
}

impl Addresses {
    /// `cap` connections per address (0 = unlimited), trusted `proxies` exempt.
    pub(super) fn new(cap: u64, proxies: Proxies) -> Self {
        Self { cap, proxies, open: Arc::default() }
    }

    /// Takes a place for a connection from `peer`, or `None` when the address holds the cap.
    pub(super) fn open(&self, peer: IpAddr) -> Option<Slot> {
        if self.cap == 0 || self.proxies.trusts(peer) {
            return Some(Slot { bucket: None, open: self.open.clone() });
        }
        let bucket = Client::new(peer).bucket();
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = open.entry(bucket).or_default();
        if entry.count >= self.cap {
            if !entry.logged {
                entry.logged = true;
                tracing::warn!(
                    address = %bucket,
                    cap = self.cap,
                    "refusing connections: the address holds limits.max_connections_per_address open connections"
                );
            }
            return None;
        }
        entry.count += 1;
        Some(Slot { bucket: Some(bucket), open: self.open.clone() })
    }

    #[cfg(test)]
    fn count(&self, peer: IpAddr) -> u64 {
        let open = self.open.lock().expect("lock");
        open.get(&Client::new(peer).bucket()).map_or(0, |o| o.count)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(bucket) = self.bucket else { return };
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = open.get_mut(&bucket) {
            entry.count = entry.count.saturating_sub(1);
            entry.logged = false;
            if entry.count == 0 {
                open.remove(&bucket);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LimitsConfig;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn an_address_holds_at_most_the_cap_and_others_are_apart() {
        let config = LimitsConfig { trusted_proxies: vec!["10.0.0.1".into()], ..LimitsConfig::default() };
        let addresses = Addresses::new(2, Proxies::new(&config));
        let first = addresses.open(ip("127.0.0.1")).expect("first");
        let second = addresses.open(ip("127.0.0.1")).expect("second");
        assert!(addresses.open(ip("127.0.0.1")).is_none(), "the third is refused");
        assert!(addresses.open(ip("::ffff:127.0.0.1")).is_none(), "the same address over IPv6");
        let other = addresses.open(ip("127.0.0.2")).expect("another address");
        drop(first);
        let third = addresses.open(ip("127.0.0.1")).expect("a place came free");
        assert_eq!(addresses.count(ip("127.0.0.1")), 2);
        // A /64 is one address; trusted proxies are not capped.
        let _v6 = [addresses.open(ip("2001:db8::1")), addresses.open(ip("2001:db8::2"))];
        assert!(addresses.open(ip("2001:db8::3")).is_none());
        let proxied: Vec<_> = (0..10).map(|_| addresses.open(ip("10.0.0.1")).expect("a proxy")).collect();
        drop((second, third, other, proxied));
        assert_eq!(addresses.count(ip("127.0.0.1")), 0);
        assert_eq!(addresses.open.lock().expect("lock").len(), 1, "only the /64 still open is kept");
    }

    #[test]
    fn zero_is_unlimited() {
        let addresses = Addresses::new(0, Proxies::default());
        let all: Vec<_> = (0..1000).map(|_| addresses.open(ip("127.0.0.1")).expect("unlimited")).collect();
        assert_eq!(all.len(), 1000);
        assert!(addresses.open.lock().expect("lock").is_empty());
    }
}
