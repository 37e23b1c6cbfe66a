//! How long a request body may take: no pause longer than `limits.body_read_timeout_seconds`,
//! and all of it within `limits.body_total_timeout_seconds`, or within its length at
//! `limits.min_body_bytes_per_sec` when that is longer (so a large part on a slow but honest link
//! still gets in, while a body trickling in byte by byte cannot hold its connection for ever).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::config::LimitsConfig;

/// The body deadlines of `[limits]`, applied to every request by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadlines {
    pause: Duration,
    total: Duration,
    min_rate: u64,
}

impl BodyDeadlines {
    /// The deadlines of `config`.
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            pause: config.body_read_timeout(),
            total: config.body_total_timeout(),
            min_rate: config.min_body_bytes_per_sec.max(1),
        }
    }

    /// `body`, failing with a [`BodyTimeout`] when it pauses too long or is not complete by its
    /// deadline, counted from now: the longer of the total timeout and its declared length at the
    /// minimum rate; a body of unknown length (chunked) gets the total timeout plus what the bytes
    /// received so far earn at the minimum rate, so it must keep up that rate on average.
    pub fn watch<B>(&self, body: B) -> Body
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        if body.is_end_stream() {
            return Body::new(body);
        }
        Body::new(Watched::new(Body::new(body), *self))
    }

    /// `bytes` at the minimum rate.
    fn earned(&self, bytes: u64) -> Duration {
        Duration::from_secs_f64(bytes as f64 / self.min_rate as f64)
    }
}

/// A request body that took too long: one of the two deadlines of [`BodyDeadlines`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
pub enum BodyTimeout {
    /// No data arrived for `limits.body_read_timeout_seconds`.
    #[error(
        "the request body stalled: no data arrived for {seconds} s (limits.body_read_timeout_seconds); send the \
         request again"
    )]
    Stalled {
        /// The pause allowed.
        seconds: u64,
    },
    /// The body was not complete by its deadline.
    #[error(
        "the request body did not arrive within the {seconds} s allowed for it: a body gets the longer of \
         limits.body_total_timeout_seconds ({total_seconds} s) and its length at limits.min_body_bytes_per_sec \
         ({min_rate} bytes/s); send it again over a faster connection, or ask the operator to raise these limits"
    )]
    Overdue {
        /// The time this body was allowed, rounded up.
        seconds: u64,
        /// `limits.body_total_timeout_seconds`.
        total_seconds: u64,
        /// `limits.min_body_bytes_per_sec`.
        min_rate: u64,
    },
}

impl BodyTimeout {
    /// The timeout somewhere in `error`'s source chain, if that is why a body could not be read.
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Self> {
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(timeout) = e.downcast_ref::<Self>() {
                return Some(timeout);
            }
            next = e.source();
        }
        None
    }
}

/// A body whose every frame must arrive within `pause` of the previous one (or of the head), and
/// whose end must arrive by its deadline.
struct Watched {
    inner: Body,
    limits: BodyDeadlines,
    started: Instant,
    declared: Option<u64>,
    received: u64,
    allowed: Duration,
    pause: Pin<Box<Sleep>>,
    deadline: Pin<Box<Sleep>>,
}

impl Watched {
    fn new(inner: Body, limits: BodyDeadlines) -> Self {
        let started = Instant::now();
        let declared = inner.size_hint().exact();
        let allowed = match declared {
            Some(length) => limits.total.max(limits.earned(length)),
            None => limits.total,
        };
        Self {
            inner,
            limits,
            started,
            declared,
            received: 0,
            allowed,
            pause: Box::pin(tokio::time::sleep(limits.pause)),
            deadline: Box::pin(tokio::time::sleep_until(started + allowed)),
        }
    }

    /// Counts a data frame: it restarts the pause timer and, for a body of unknown length,
    /// extends the deadline by what the frame earns at the minimum rate.
    fn arrived(&mut self, bytes: usize) {
        self.received = self.received.saturating_add(bytes as u64);
        self.pause.as_mut().reset(Instant::now() + self.limits.pause);
        if self.declared.is_none() && bytes > 0 {
            self.allowed = self.limits.total + self.limits.earned(self.received);
            self.deadline.as_mut().reset(self.started + self.allowed);
        }
    }

    fn overdue(&self) -> BodyTimeout {
        BodyTimeout::Overdue {
            seconds: self.allowed.as_secs() + u64::from(self.allowed.subsec_nanos() > 0),
            total_seconds: self.limits.total.as_secs(),
            min_rate: self.limits.min_rate,
        }
    }
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(this.overdue()))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let bytes = match &frame {
                    Some(Ok(frame)) => frame.data_ref().map_or(0, Bytes::len),
                    _ => 0,
                };
                this.arrived(bytes);
                Poll::Ready(frame)
            }
            Poll::Pending if this.pause.as_mut().poll(cx).is_ready() => {
                let seconds = this.limits.pause.as_secs();
                Poll::Ready(Some(Err(axum::Error::new(BodyTimeout::Stalled { seconds }))))
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

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use tokio::sync::mpsc;

    use super::*;

    fn deadlines(pause_ms: u64, total_ms: u64, min_rate: u64) -> BodyDeadlines {
        BodyDeadlines { pause: Duration::from_millis(pause_ms), total: Duration::from_millis(total_ms), min_rate }
    }

    /// A body of unknown length fed through `tx`.
    fn channel_body() -> (mpsc::Sender<Result<Bytes, std::io::Error>>, Body) {
        let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let stream = futures_util::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|item| (item, rx)) });
        (tx, Body::from_stream(stream))
    }

    #[tokio::test]
    async fn a_stalled_body_fails_with_the_pause_and_a_flowing_one_does_not() {
        let (tx, body) = channel_body();
        let mut body = deadlines(300, 60_000, 1).watch(body).into_data_stream();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            tx.send(Ok(Bytes::from_static(b"x"))).await.expect("send");
            assert!(matches!(body.next().await, Some(Ok(_))), "short pauses are within the timeout");
        }
        let error = body.next().await.expect("an item").expect_err("stalled");
        assert!(matches!(BodyTimeout::find(&error), Some(BodyTimeout::Stalled { .. })), "{error:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_without_pauses_fails_at_the_total_deadline() {
        let (tx, body) = channel_body();
        // 100 B/s asked, 10 B/s sent: 1 s of total time plus 10 ms per byte runs out after about
        // 1.1 s, while no pause ever reaches the 300 ms pause timeout.
        let mut body = deadlines(300, 1_000, 100).watch(body).into_data_stream();
        let started = Instant::now();
        let error = loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            tx.send(Ok(Bytes::from_static(b"x"))).await.expect("send");
            match body.next().await.expect("an item") {
                Ok(_) => assert!(started.elapsed() < Duration::from_secs(3), "never cut off"),
                Err(error) => break error,
            }
        };
        let text = error.to_string();
        assert!(matches!(BodyTimeout::find(&error), Some(BodyTimeout::Overdue { seconds: 2, .. })), "{text}");
        assert!(
            text.contains("limits.body_total_timeout_seconds") && text.contains("limits.min_body_bytes_per_sec"),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_at_the_minimum_rate_gets_the_time_its_length_needs() {
        // Known length: 5,000 bytes at 1,000 B/s earn 5 s, though the total is 1 s.
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..10).map(|_| Ok(Bytes::from(vec![b'a'; 500]))).collect();
        let paced = futures_util::stream::iter(chunks).then(|chunk| async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            chunk
        });
        let sized = http_body_util::StreamBody::new(Box::pin(paced.map(|c| c.map(Frame::data))));
        let sized = SizedBody { inner: sized, length: 5_000 };
        let body = deadlines(1_000, 1_000, 1_000).watch(sized);
        let collected = http_body_util::BodyExt::collect(body).await.expect("4 s of the 5 s allowed");
        assert_eq!(collected.to_bytes().len(), 5_000);

        // Unknown length: each byte earns its share of time, so a body that keeps the rate goes on.
        let (tx, body) = channel_body();
        let mut body = deadlines(1_000, 1_000, 1_000).watch(body).into_data_stream();
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            tx.send(Ok(Bytes::from(vec![b'a'; 500]))).await.expect("send");
            assert!(matches!(body.next().await, Some(Ok(_))), "1,250 B/s keeps up with 1,000 B/s");
        }
    }

    /// A body that declares its length, as hyper's does with `Content-Length`.
    struct SizedBody<B> {
        inner: B,
        length: u64,
    }

    impl<B: http_body::Body + Unpin> http_body::Body for SizedBody<B> {
        type Data = B::Data;
        type Error = B::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
            Pin::new(&mut self.inner).poll_frame(cx)
        }

        fn size_hint(&self) -> SizeHint {
            SizeHint::with_exact(self.length)
        }
    }
}
