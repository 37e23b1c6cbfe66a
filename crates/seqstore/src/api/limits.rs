//! What one request may cost, checked in [`super::process`]: the size of its head
//! (`limits.max_header_bytes`), pauses in its body (`limits.body_read_timeout_seconds`) and the
//! rate of its account (`limits.requests_per_second`, `limits.burst`).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::error::ApiError;
use crate::config::LimitsConfig;

/// The limits of one [`super::App`].
#[derive(Debug)]
pub struct Limits {
    max_header_bytes: u64,
    body_read_timeout: Duration,
    rate: Option<RateLimiter>,
}

impl Limits {
    /// The limits of `config`.
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            max_header_bytes: config.max_header_bytes,
            body_read_timeout: config.body_read_timeout(),
            rate: RateLimiter::new(config),
        }
    }

    /// Refuses a request whose request line and headers, as sent on the wire, exceed
    /// `limits.max_header_bytes`.
    pub fn check_head(&self, parts: &http::request::Parts) -> Result<(), ApiError> {
        let size = head_size(parts);
        if size > self.max_header_bytes {
            return Err(ApiError::HeadTooLarge { size, limit: self.max_header_bytes });
        }
        Ok(())
    }

    /// `body`, failing with [`BodyStalled`] when no frame arrives for `limits.body_read_timeout_seconds`.
    pub fn watch_body(&self, body: Body) -> Body {
        Body::new(Stalling::new(body, self.body_read_timeout))
    }

    /// Takes one request from `account`'s allowance, or refuses it with the time until the next one
    /// is admitted.
    pub fn admit(&self, account: &str) -> Result<(), ApiError> {
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

/// A request body paused longer than `limits.body_read_timeout_seconds`.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "the request body stalled: no data arrived for {seconds} s (limits.body_read_timeout_seconds); send the \
     request again"
)]
pub struct BodyStalled {
    /// The timeout in force.
    pub seconds: u64,
}

impl BodyStalled {
    /// The stall somewhere in `error`'s source chain, if that is why a body could not be read.
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Self> {
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(stalled) = e.downcast_ref::<Self>() {
                return Some(stalled);
            }
            next = e.source();
        }
        None
    }
}

/// A body whose every frame must arrive within `timeout` of the previous one (or of the head).
struct Stalling {
    inner: Body,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Stalling {
    fn new(inner: Body, timeout: Duration) -> Self {
        Self { inner, timeout, deadline: Box::pin(tokio::time::sleep(timeout)) }
    }
}

impl http_body::Body for Stalling {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let next = tokio::time::Instant::now() + this.timeout;
                this.deadline.as_mut().reset(next);
                Poll::Ready(frame)
            }
            Poll::Pending if this.deadline.as_mut().poll(cx).is_ready() => {
                let seconds = this.timeout.as_secs();
                Poll::Ready(Some(Err(axum::Error::new(BodyStalled { seconds }))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
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

    fn admit(&self, account: &str, now: Instant) -> Result<(), ApiError> {
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
        Err(ApiError::Throttled {
            account: account.to_owned(),
            rate: self.rate,
            burst: self.burst as u64,
            wait_seconds,
        })
    }
}

#[cfg(test)]
mod tests {
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

    #[tokio::test]
    async fn a_stalled_body_fails_with_the_timeout_and_a_flowing_one_does_not() {
        use futures_util::StreamExt;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let stream = futures_util::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|item| (item, rx)) });
        let stalling = Stalling::new(Body::from_stream(stream), Duration::from_millis(300));
        let mut body = Body::new(stalling).into_data_stream();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            tx.send(Ok(Bytes::from_static(b"x"))).await.expect("send");
            assert!(matches!(body.next().await, Some(Ok(_))), "short pauses are within the timeout");
        }
        let error = body.next().await.expect("an item").expect_err("stalled");
        assert!(BodyStalled::find(&error).is_some(), "the stall is in the chain: {error:?}");
        drop(tx);
    }
}
