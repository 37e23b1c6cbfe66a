//! Failed authentications per client address (`limits.auth_failures_per_minute`): API requests
//! whose access key is unknown or whose signature does not match, dashboard logins with a wrong
//! key pair. Each address may fail that many times per minute (a token bucket: bursts of the limit,
//! then the limit spread over the minute), and each (address, access key id) a third of it, so one
//! misconfigured client behind a shared address does not lock out the others there. Beyond either,
//! requests are refused before they are checked, until the bucket refills; the right key from
//! another address is never refused. Successes change nothing.
//!
//! The counts live in a table of fixed capacity with the least recently used entries evicted
//! first, so random access key ids cannot grow memory; access key ids are kept as 64-bit hashes.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::LimitsConfig;
use crate::model::client::Client;

/// Entries the table holds (addresses and address-key pairs together): about 2 MiB at most.
pub const CAPACITY: usize = 16_384;

/// The failed-authentication counts of one API or dashboard.
#[derive(Debug)]
pub struct Guesses {
    per_minute: u64,
    table: Mutex<Table>,
}

/// Refused: too many failed authentications from one address (or with one key from it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "too many failed authentications from address {client}{key}: at most {per_minute} per minute per address \
     and a third of that per access key id are checked (limits.auth_failures_per_minute); try again in \
     {retry_after} s with the right access key and secret"
)]
pub struct TooManyFailures {
    /// The client address.
    pub client: IpAddr,
    /// ` with access key 'ID'` when the pair is refused, else empty.
    pub key: String,
    /// `limits.auth_failures_per_minute`.
    pub per_minute: u64,
    /// Whole seconds until the next attempt is checked.
    pub retry_after: u64,
}

impl Guesses {
    /// Counts for `config`; `auth_failures_per_minute` 0 counts nothing.
    pub fn new(config: &LimitsConfig) -> Self {
        Self::with_capacity(config.auth_failures_per_minute, CAPACITY)
    }

    fn with_capacity(per_minute: u64, capacity: usize) -> Self {
        Self { per_minute, table: Mutex::new(Table::new(capacity)) }
    }

    /// Refuses a request from `client` with `key_id` (the access key id it presents, if any)
    /// when the address or the pair has used up its failures.
    pub fn check(&self, client: Client, key_id: Option<&str>) -> Result<(), TooManyFailures> {
        self.check_at(client, key_id, Instant::now())
    }

    /// Counts a failed authentication of `client` with `key_id`.
    pub fn failed(&self, client: Client, key_id: Option<&str>) {
        self.failed_at(client, key_id, Instant::now());
    }

    fn check_at(&self, client: Client, key_id: Option<&str>, now: Instant) -> Result<(), TooManyFailures> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut table = self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let address = Slot::Address(client.bucket());
        let refused = |wait: f64, key: String| TooManyFailures {
            client: client.addr(),
            key,
            per_minute: self.per_minute,
            retry_after: wait.ceil().max(1.0) as u64,
        };
        if let Some(wait) = table.wait(address, self.address_limit(), now) {
            return Err(refused(wait, String::new()));
        }
        if let Some(key_id) = key_id {
            let pair = table.pair(client, key_id);
            if let Some(wait) = table.wait(pair, self.key_limit(), now) {
                return Err(refused(wait, format!(" with access key '{}'", shown(key_id))));
            }
        }
        Ok(())
    }

    fn failed_at(&self, client: Client, key_id: Option<&str>, now: Instant) {
        if self.per_minute == 0 {
            return;
        }
        let mut table = self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        table.take(Slot::Address(client.bucket()), self.address_limit(), now);
        if let Some(key_id) = key_id {
            let pair = table.pair(client, key_id);
            table.take(pair, self.key_limit(), now);
        }
    }

    fn address_limit(&self) -> f64 {
        self.per_minute as f64
    }

    fn key_limit(&self) -> f64 {
        self.per_minute.div_ceil(3) as f64
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().expect("lock").entries.len()
    }
}

/// An access key id as echoed in a message: at most 64 characters of it.
fn shown(key_id: &str) -> String {
    key_id.chars().take(64).collect()
}

/// What one table entry counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Address(IpAddr),
    Pair(IpAddr, u64),
}

/// A token bucket: `limit` failures at once, refilled at `limit` per minute.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, limit: f64, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit / 60.0).min(limit);
        self.at = now;
    }
}

/// Buckets by slot, with the least recently used evicted beyond `capacity`.
#[derive(Debug)]
struct Table {
    capacity: usize,
    entries: HashMap<Slot, (Bucket, u64)>,
    /// Entries by last use.
    order: BTreeMap<u64, Slot>,
    next_use: u64,
    hasher: std::hash::RandomState,
}

impl Table {
    fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_use: 0,
            hasher: std::hash::RandomState::new(),
        }
    }

    fn pair(&self, client: Client, key_id: &str) -> Slot {
        Slot::Pair(client.bucket(), self.hasher.hash_one(key_id))
    }

    /// Seconds until `slot` may fail again, or `None` when it may now; marks it used.
    fn wait(&mut self, slot: Slot, limit: f64, now: Instant) -> Option<f64> {
        let use_ = self.use_mark();
        let (bucket, used) = self.entries.get_mut(&slot)?;
        self.order.remove(used);
        *used = use_;
        self.order.insert(use_, slot);
        bucket.refill(limit, now);
        (bucket.tokens < 1.0).then(|| (1.0 - bucket.tokens) * 60.0 / limit)
    }

    /// Takes one failure from `slot`'s bucket, adding the slot (evicting the least recently used
    /// entry when full) if it is new.
    fn take(&mut self, slot: Slot, limit: f64, now: Instant) {
        let use_ = self.use_mark();
        if !self.entries.contains_key(&slot)
            && self.entries.len() >= self.capacity
            && let Some((_, oldest)) = self.order.pop_first()
        {
            self.entries.remove(&oldest);
        }
        let (bucket, used) = self.entries.entry(slot).or_insert((Bucket { tokens: limit, at: now }, use_));
        self.order.remove(used);
        *used = use_;
        self.order.insert(use_, slot);
        bucket.refill(limit, now);
        bucket.tokens = (bucket.tokens - 1.0).max(0.0);
    }

    fn use_mark(&mut self) -> u64 {
        self.next_use += 1;
        self.next_use
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn client(text: &str) -> Client {
        Client::new(text.parse().expect("address"))
    }

    #[test]
    fn an_address_is_refused_after_its_failures_and_refills_over_the_minute() {
        let guesses = Guesses::with_capacity(30, 100);
        let (attacker, other) = (client("192.0.2.1"), client("192.0.2.2"));
        let t0 = Instant::now();
        for i in 0..30 {
            let key = format!("RANDOM{i}");
            assert_eq!(guesses.check_at(attacker, Some(&key), t0), Ok(()), "failure {i} is checked");
            guesses.failed_at(attacker, Some(&key), t0);
        }
        let refused = guesses.check_at(attacker, Some("AKIDRIGHT"), t0).expect_err("address used up");
        assert_eq!(refused.retry_after, 2, "one failure per 2 s comes back");
        let text = refused.to_string();
        assert!(text.contains("192.0.2.1") && text.contains("limits.auth_failures_per_minute"), "{text}");
        assert_eq!(guesses.check_at(other, Some("AKIDRIGHT"), t0), Ok(()), "another address is not refused");
        assert_eq!(guesses.check_at(attacker, None, t0 + Duration::from_secs(2)), Ok(()), "refilled");
    }

    #[test]
    fn a_key_from_one_address_is_refused_after_a_third() {
        let guesses = Guesses::with_capacity(30, 100);
        let (here, there) = (client("192.0.2.1"), client("2001:db8::1"));
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(guesses.check_at(here, Some("AKIDA"), t0), Ok(()));
            guesses.failed_at(here, Some("AKIDA"), t0);
        }
        let refused = guesses.check_at(here, Some("AKIDA"), t0).expect_err("pair used up");
        assert!(refused.to_string().contains("with access key 'AKIDA'"), "{refused}");
        assert_eq!(refused.retry_after, 6, "a third of the rate");
        assert_eq!(guesses.check_at(here, Some("AKIDB"), t0), Ok(()), "other keys from the address");
        assert_eq!(guesses.check_at(there, Some("AKIDA"), t0), Ok(()), "the key from elsewhere");
        assert_eq!(guesses.check_at(client("2001:db8::2"), Some("AKIDA"), t0), Ok(()));
        // The same /64 is the same address.
        for _ in 0..10 {
            guesses.failed_at(there, Some("AKIDA"), t0);
        }
        assert!(guesses.check_at(client("2001:db8::ffff"), Some("AKIDA"), t0).is_err());
    }

    #[test]
    fn random_key_ids_do_not_grow_the_table_beyond_its_capacity() {
        let guesses = Guesses::with_capacity(1_000_000, 64);
        let t0 = Instant::now();
        let busy = client("192.0.2.1");
        for i in 0..10_000u32 {
            // Checks of unknown slots add nothing; failures add at most an address and a pair.
            let from = client(&format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255));
            let key = format!("AKID{i:08}{}", "x".repeat(1000));
            let _ = guesses.check_at(from, Some(&key), t0);
            guesses.failed_at(from, Some(&key), t0);
            // An address that keeps failing stays in the table: it is always recently used.
            guesses.failed_at(busy, None, t0);
            assert!(guesses.len() <= 64, "{} entries after {i}", guesses.len());
        }
        let table = guesses.table.lock().expect("lock");
        assert_eq!(table.order.len(), table.entries.len(), "the order index matches the entries");
        let (bucket, _) = table.entries.get(&Slot::Address(busy.bucket())).expect("still counted");
        assert!(bucket.tokens < 1_000_000.0 - 9_000.0, "its count survived the churn");
    }

    #[test]
    fn zero_turns_counting_off() {
        let guesses = Guesses::with_capacity(0, 8);
        let t0 = Instant::now();
        for _ in 0..100 {
            guesses.failed_at(client("192.0.2.1"), Some("K"), t0);
        }
        assert_eq!(guesses.check_at(client("192.0.2.1"), Some("K"), t0), Ok(()));
        assert_eq!(guesses.len(), 0);
    }
}
