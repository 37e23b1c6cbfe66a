//! What one request may cost, checked in [`super::process`]: the size of its head
//! (`limits.max_header_bytes`), the failed authentications of its client address
//! (`limits.auth_failures_per_minute`, counted by [`crate::service::guesses`]) and the rate of its
//! account (`limits.requests_per_second`, `limits.burst`). The deadlines of its body ([`body`]) and
//! the client address it counts under ([`crate::model::client::Client`]) are applied by the accept
//! loop, which sees every request.

pub mod body;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub use body::{BodyDeadlines, BodyTimeout};

use super::sigv4::AuthError;
use crate::config::LimitsConfig;
use crate::model::client::Client;
use crate::service::guesses::{Guesses, TooManyFailures};

/// Why a limit refused a request (the API maps each to its wire error in `super::error`).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The request line and headers are larger than `limits.max_header_bytes`.
    #[error(
        "the request line and headers total {size} bytes, over the limit of {limit} bytes (limits.max_header_bytes): \
         send fewer or shorter headers"
    )]
    HeadTooLarge {
        /// Their size as sent.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The client address (or the access key from it) failed to authenticate too often
    /// (`limits.auth_failures_per_minute`).
    #[error(transparent)]
    Guessing(#[from] TooManyFailures),
    /// The account sent more requests than `limits.requests_per_second` allows.
    #[error(
        "Rate exceeded: account {account} may send {rate} requests per second to this server, in bursts of at most \
         {burst} (limits.requests_per_second, limits.burst); the next request is admitted in {wait_seconds:.1} s. Retry with \
         backoff (AWS SDKs do so by default)"
    )]
    Throttled {
        /// The account.
        account: String,
        /// Requests per second.
        rate: f64,
        /// Burst size.
        burst: u64,
        /// Seconds until a request is admitted again.
        wait_seconds: f64,
    },
}

/// The limits of one [`super::App`].
#[derive(Debug)]
pub struct Limits {
    max_header_bytes: u64,
    guesses: Guesses,
    rate: Option<RateLimiter>,
}

impl Limits {
    /// The limits of `config`.
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            max_header_bytes: config.max_header_bytes,
            guesses: Guesses::new(config),
            rate: RateLimiter::new(config),
        }
    }

    /// Refuses a request whose request line and headers, as sent on the wire, exceed
    /// `limits.max_header_bytes`.
    pub fn check_head(&self, parts: &http::request::Parts) -> Result<(), Refused> {
        let size = head_size(parts);
        if size > self.max_header_bytes {
            return Err(Refused::HeadTooLarge { size, limit: self.max_header_bytes });
        }
        Ok(())
    }

    /// Refuses a request from `client` presenting `key_id` once the address, or the key from it,
    /// has failed to authenticate `limits.auth_failures_per_minute` times (see [`Guesses`]).
    /// Requests without a client address (not from a listener) are not counted.
    pub fn check_guesses(&self, client: Option<Client>, key_id: Option<&str>) -> Result<(), Refused> {
        match client {
            Some(client) => Ok(self.guesses.check(client, key_id)?),
            None => Ok(()),
        }
    }

    /// Counts `error` against `client` and `key_id` when it is a guess: an unknown access key or
    /// a signature that does not match.
    pub fn note_auth_failure(&self, client: Option<Client>, key_id: Option<&str>, error: &AuthError) {
        if let Some(client) = client
            && error.is_guess()
        {
            self.guesses.failed(client, key_id);
        }
    }

    /// Counts a bearer token or signed URL that this server did not issue against `client`, like a
    /// signature that does not match.
    pub fn note_guess(&self, client: Option<Client>) {
        if let Some(client) = client {
            self.guesses.failed(client, None);
        }
    }

    /// Takes one request from `account`'s allowance, or refuses it with the time until the next one
    /// is admitted.
    pub fn admit(&self, account: &str) -> Result<(), Refused> {
        match &self.rate {
            None => Ok(()),
            Some(rate) => rate.admit(account, Instant::now()),
        }
    }
}

/// Bytes of the request line and headers in HTTP/1.1 form (`NAME: VALUE\r\n` each).
fn head_size(parts: &http::request::Parts) -> u64 {
    let target = parts.uri.path_and_query().map_or(1, |p| p.as_str().len());
    let line = parts.method.as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = parts.headers.iter().map(|(name, value)| name.as_str().len() + 2 + value.len() + 2).sum();
    (line + headers + 2) as u64
}

/// A token bucket per account: `burst` requests at once, refilled at `rate` per second. Accounts
/// come from verified keys only, so the map holds at most one entry per configured account.
#[derive(Debug)]
struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    fn new(config: &LimitsConfig) -> Option<Self> {
        (config.requests_per_second > 0.0).then(|| Self {
            rate: config.requests_per_second,
            burst: config.effective_burst() as f64,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn admit(&self, account: &str, now: Instant) -> Result<(), Refused> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(account.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait_seconds = (1.0 - bucket.tokens) / self.rate;
        Err(Refused::Throttled { account: account.to_owned(), rate: self.rate, burst: self.burst as u64, wait_seconds })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limiter(requests_per_second: f64, burst: u64) -> RateLimiter {
        let config = LimitsConfig { requests_per_second, burst, ..LimitsConfig::default() };
        RateLimiter::new(&config).expect("on")
    }

    #[test]
    fn bucket_admits_the_burst_then_the_rate_per_account() {
        let rate = limiter(2.0, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rate.admit("a", t0).is_ok());
        }
        let refused = rate.admit("a", t0).expect_err("burst used up");
        let text = refused.to_string();
        assert!(text.contains("account a") && text.contains("limits.requests_per_second"), "{text}");
        assert!(text.contains("0.5 s"), "{text}");
        assert!(rate.admit("b", t0).is_ok(), "accounts have their own buckets");
        assert!(rate.admit("a", t0 + Duration::from_millis(400)).is_err(), "0.8 tokens");
        assert!(rate.admit("a", t0 + Duration::from_millis(500)).is_ok(), "one token after 0.5 s");
        // A long pause refills up to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(rate.admit("a", later).is_ok());
        }
        assert!(rate.admit("a", later).is_err());
        assert!(RateLimiter::new(&LimitsConfig::default()).is_none(), "off by default");
    }

    #[test]
    fn head_size_counts_the_request_as_sent() {
        let request = http::Request::post("/sequencestores?maxResults=5")
            .header("host", "h:1")
            .header("x-amz-date", "20250101T000000Z")
            .body(())
            .expect("request");
        let (parts, ()) = request.into_parts();
        let wire = "POST /sequencestores?maxResults=5 HTTP/1.1\r\nhost: h:1\r\nx-amz-date: 20250101T000000Z\r\n\r\n";
        assert_eq!(head_size(&parts), wire.len() as u64);
    }
}
