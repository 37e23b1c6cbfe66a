//! Resuming an object's byte stream after it was cut mid-body.
//!
//! object_store retries each request (5xx answers, refused and dropped connections) and, within
//! that request's retry budget, resumes a cut body itself. A source can take hours to stream, far
//! longer than any one request's budget, so [`resumable`] adds the layer that makes a long read
//! survive: when the stream fails at byte `offset`, it waits (exponential backoff), reopens the
//! object with a ranged GET of `offset..size` that is conditional on the ETag first seen
//! (`If-Match`), and carries on. Every byte is delivered once and in order. It gives up after
//! [`Policy::attempts`] consecutive failures without a byte received in between (any progress
//! resets the count), or at once when the object changed since the read began.

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};

/// The bytes of an object from some offset on, as object_store delivers them.
pub type ByteStream = BoxStream<'static, object_store::Result<Bytes>>;

/// Requests an object's bytes from an offset to its end.
pub type Reopen = Box<dyn FnMut(u64) -> BoxFuture<'static, object_store::Result<ByteStream>> + Send>;

/// How persistently a cut stream is resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Consecutive failed attempts (no byte received in between) before the read fails.
    pub attempts: u32,
    /// Wait before the first reopening; doubled for each further consecutive failure.
    pub first_backoff: Duration,
    /// Longest wait between two reopenings.
    pub max_backoff: Duration,
}

impl Policy {
    /// The policy of import sources: 5 attempts, waiting 0.25, 0.5, 1, 2 and 4 s (about 8 s of
    /// waiting, plus object_store's own retries of each reopening request).
    pub const SOURCES: Self =
        Self { attempts: 5, first_backoff: Duration::from_millis(250), max_backoff: Duration::from_secs(4) };

    /// The wait before reopening after the `failures`-th consecutive failure (1-based).
    fn backoff(&self, failures: u32) -> Duration {
        let doubled = self.first_backoff.saturating_mul(1 << failures.saturating_sub(1).min(16));
        doubled.min(self.max_backoff)
    }
}

/// Why one attempt at reading on failed.
#[derive(Debug, thiserror::Error)]
pub enum Cut {
    /// The request or the body failed.
    #[error(transparent)]
    Failed(object_store::Error),
    /// The body ended cleanly but short of the object's size.
    #[error("the response ended {missing} bytes before the end of the object")]
    Short {
        /// Bytes still missing.
        missing: u64,
    },
}

/// Why a resumable read failed for good.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Every attempt to resume failed.
    #[error("gave up after {attempts} attempts to resume from byte {offset} of {size}")]
    GaveUp {
        /// Bytes delivered.
        offset: u64,
        /// Size of the object.
        size: u64,
        /// Attempts made after the first failure.
        attempts: u32,
        /// The last failure.
        #[source]
        source: Cut,
    },
    /// The object was replaced while it was being read (its ETag no longer matches).
    #[error("the object changed while it was read (at byte {offset}); its bytes cannot be pieced together")]
    Changed {
        /// Bytes delivered.
        offset: u64,
        /// The refusal of the conditional request.
        #[source]
        source: object_store::Error,
    },
}

struct State {
    current: Option<ByteStream>,
    last: Option<Cut>,
    offset: u64,
    size: u64,
    failures: u32,
    policy: Policy,
    reopen: Reopen,
    done: bool,
}

/// The `size` bytes of an object, read from `first` (the body of a GET of the whole object) and,
/// each time it fails, from `reopen(offset)`: a request for bytes `offset..size` (conditional on
/// the ETag of the first response). Errors are [`ReadError`]s wrapped in [`std::io::Error`].
/// Cancel safe: dropping the stream drops the request in flight.
pub fn resumable(
    first: ByteStream,
    size: u64,
    policy: Policy,
    reopen: Reopen,
) -> BoxStream<'static, std::io::Result<Bytes>> {
    let state = State { current: Some(first), last: None, offset: 0, size, failures: 0, policy, reopen, done: false };
    stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let item = state.next().await?;
        state.done = item.is_err();
        Some((item.map_err(std::io::Error::other), state))
    })
    .boxed()
}

impl State {
    /// The next chunk, the end (`None`) or the final error; reopens as often as the policy allows.
    async fn next(&mut self) -> Option<Result<Bytes, ReadError>> {
        loop {
            if let Some(current) = self.current.as_mut() {
                match current.next().await {
                    Some(Ok(bytes)) if bytes.is_empty() => continue,
                    Some(Ok(bytes)) => {
                        self.offset += bytes.len() as u64;
                        self.failures = 0;
                        return Some(Ok(bytes));
                    }
                    None if self.offset >= self.size => return None,
                    None => self.last = Some(Cut::Short { missing: self.size - self.offset }),
                    Some(Err(source @ object_store::Error::Precondition { .. })) => {
                        return Some(Err(ReadError::Changed { offset: self.offset, source }));
                    }
                    Some(Err(e)) => self.last = Some(Cut::Failed(e)),
                }
                self.current = None;
            }
            if let Err(e) = self.reopen().await {
                return Some(Err(e));
            }
        }
    }

    /// Waits, then reopens from the offset reached; `Ok` also when the reopening request failed
    /// but attempts remain (the failure is kept in `last`).
    async fn reopen(&mut self) -> Result<(), ReadError> {
        let last = self.last.take().unwrap_or(Cut::Short { missing: self.size - self.offset });
        if self.failures >= self.policy.attempts {
            let (offset, size, attempts) = (self.offset, self.size, self.failures);
            return Err(ReadError::GaveUp { offset, size, attempts, source: last });
        }
        self.failures += 1;
        let wait = self.policy.backoff(self.failures);
        tracing::warn!(
            offset = self.offset,
            size = self.size,
            attempt = self.failures,
            of = self.policy.attempts,
            wait_ms = wait.as_millis() as u64,
            error = %last,
            "source read failed; resuming from the offset reached"
        );
        tokio::time::sleep(wait).await;
        match (self.reopen)(self.offset).await {
            Ok(stream) => self.current = Some(stream),
            Err(source @ object_store::Error::Precondition { .. }) => {
                return Err(ReadError::Changed { offset: self.offset, source });
            }
            Err(e) => self.last = Some(Cut::Failed(e)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::TryStreamExt;

    use super::*;

    const FAST: Policy =
        Policy { attempts: 3, first_backoff: Duration::from_millis(1), max_backoff: Duration::from_millis(4) };

    fn failure() -> object_store::Error {
        object_store::Error::Generic { store: "test", source: "connection reset".into() }
    }

    /// `bytes[from..]` in chunks of 3, failing after `cut` chunks when given.
    fn body(bytes: &'static [u8], from: u64, cut: Option<usize>) -> ByteStream {
        let chunks: Vec<_> = bytes[from as usize..].chunks(3).map(|c| Ok(Bytes::from_static(c))).collect();
        match cut {
            Some(n) => stream::iter(chunks.into_iter().take(n).chain([Err(failure())])).boxed(),
            None => stream::iter(chunks).boxed(),
        }
    }

    /// A reopener that answers each request with the next of `answers` (`Err` = the request fails,
    /// `Ok(cut)` = a body cut after `cut` chunks) and records the offsets asked for.
    fn reopener(bytes: &'static [u8], answers: Vec<Result<Option<usize>, ()>>) -> (Reopen, Arc<Mutex<Vec<u64>>>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&asked);
        let mut answers = answers.into_iter();
        let reopen = move |offset: u64| -> BoxFuture<'static, object_store::Result<ByteStream>> {
            log.lock().expect("log").push(offset);
            let answer = answers.next().unwrap_or(Ok(None));
            Box::pin(async move { answer.map(|cut| body(bytes, offset, cut)).map_err(|()| failure()) })
        };
        (Box::new(reopen), asked)
    }

    #[tokio::test]
    async fn resumes_from_the_offset_reached_until_complete() -> Result<(), std::io::Error> {
        const DATA: &[u8] = b"the quick brown fox jumps over the lazy dog";
        // Cut after 2 chunks; a failed request; cut after 1 more chunk; then the rest.
        let (reopen, asked) = reopener(DATA, vec![Err(()), Ok(Some(1)), Ok(None)]);
        let read = resumable(body(DATA, 0, Some(2)), DATA.len() as u64, FAST, reopen);
        let chunks: Vec<Bytes> = read.try_collect().await?;
        assert_eq!(chunks.concat(), DATA);
        assert_eq!(*asked.lock().expect("log"), vec![6, 6, 9]);
        Ok(())
    }

    #[tokio::test]
    async fn progress_resets_the_attempt_count() -> Result<(), std::io::Error> {
        const DATA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        // Ten cuts in a row, each after one chunk of progress: more than `attempts`, yet complete.
        let (reopen, asked) = reopener(DATA, vec![Ok(Some(1)); 10]);
        let read = resumable(body(DATA, 0, Some(1)), DATA.len() as u64, FAST, reopen);
        let chunks: Vec<Bytes> = read.try_collect().await?;
        assert_eq!(chunks.concat(), DATA);
        assert_eq!(asked.lock().expect("log").len(), 11);
        Ok(())
    }

    #[tokio::test]
    async fn gives_up_after_the_attempts_without_progress() {
        const DATA: &[u8] = b"abcdefghijkl";
        let (reopen, asked) = reopener(DATA, vec![Err(()); 10]);
        let read = resumable(body(DATA, 0, Some(1)), DATA.len() as u64, FAST, reopen);
        let results: Vec<_> = read.collect().await;
        assert_eq!(results.len(), 2, "one chunk, then the error, then the end");
        let error = results[1].as_ref().expect_err("fails");
        let inner = error.get_ref().and_then(|e| e.downcast_ref::<ReadError>()).expect("a ReadError");
        assert!(matches!(inner, ReadError::GaveUp { offset: 3, size: 12, attempts: 3, .. }), "{inner:?}");
        assert_eq!(asked.lock().expect("log").len(), 3);
    }

    #[tokio::test]
    async fn a_short_body_is_resumed_and_a_changed_object_is_final() {
        const DATA: &[u8] = b"abcdefghijkl";
        // A body that ends cleanly after 6 bytes is resumed at 6.
        let first = stream::iter([Ok(Bytes::from_static(&DATA[..6]))]).boxed();
        let (reopen, asked) = reopener(DATA, vec![Ok(None)]);
        let all: Vec<Bytes> = resumable(first, 12, FAST, reopen).try_collect().await.expect("complete");
        assert_eq!(all.concat(), DATA);
        assert_eq!(*asked.lock().expect("log"), vec![6]);

        let changed: Reopen = Box::new(|_| {
            Box::pin(async {
                Err(object_store::Error::Precondition { path: "k".into(), source: "ETag mismatch".into() })
            })
        });
        let results: Vec<_> = resumable(body(DATA, 0, Some(1)), 12, FAST, changed).collect().await;
        let error = results[1].as_ref().expect_err("fails");
        let inner = error.get_ref().and_then(|e| e.downcast_ref::<ReadError>()).expect("a ReadError");
        assert!(matches!(inner, ReadError::Changed { offset: 3, .. }), "{inner:?}");
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let policy = Policy::SOURCES;
        let waits: Vec<_> = (1..=6).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 4000]);
    }
}
