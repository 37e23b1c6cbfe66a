//! The tee: one pass over a source stream that writes every byte to storage and hands the same
//! bytes to the format scanner on a blocking thread (which digests them as stored: SHA-256 and
//! MD5). Memory is bounded by the channel (a few chunks) and the multipart writer's buffers,
//! never by the file size. Also the record of a small file written in one piece ([`in_memory`]).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::WriteMultipart;
use seqstore_formats::digest::{Algorithm, Digest};
use tokio::sync::mpsc;

use crate::model::read_set::StoredFile;

/// Chunks in flight between the tee and the scanner.
const CHANNEL_CHUNKS: usize = 16;
/// Multipart parts in flight to storage.
const UPLOAD_CONCURRENCY: usize = 4;

/// Why a tee stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TeeError {
    /// Reading the source failed.
    #[error("reading the source failed after {offset} bytes")]
    Read {
        /// Bytes read before the failure.
        offset: u64,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Writing to storage failed.
    #[error("writing to storage failed")]
    Write(#[source] object_store::Error),
    /// The scanner stopped reading (it found an error; that error is the one to report).
    #[error("the format scanner stopped early")]
    ScannerStopped,
    /// The lease was lost: another worker owns the source now.
    #[error("the lease on this source was lost")]
    LeaseLost,
}

/// Shared progress and cancellation of one attempt.
#[derive(Debug, Default)]
pub struct Progress {
    /// Raw bytes read so far, all files together.
    pub bytes: AtomicU64,
    /// One more than the raw bytes to read, once the sources are opened (0 until then).
    total: AtomicU64,
    /// Set when the lease is lost (and when the job is being cancelled: the attempt stops alike).
    pub lease_lost: AtomicBool,
    /// Set when the lease renewal found the job CANCELLING.
    pub cancelled: AtomicBool,
}

impl Progress {
    /// Raw bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Records the raw bytes to read.
    pub fn set_total(&self, total: u64) {
        self.total.store(total.saturating_add(1), Ordering::Relaxed);
    }

    /// Raw bytes to read, once known.
    pub fn total(&self) -> Option<u64> {
        self.total.load(Ordering::Relaxed).checked_sub(1)
    }

    /// True once the lease is lost: the attempt must stop and commit nothing.
    pub fn lease_lost(&self) -> bool {
        self.lease_lost.load(Ordering::Relaxed)
    }

    /// True once the job is CANCELLING: the attempt must stop, commit nothing and fail cancelled.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// Copies `stream` into `writer` and into `tx`, at most `throttle` bytes per second when non-zero.
/// On success the upload is finished; on error it is aborted.
pub async fn run(
    mut stream: BoxStream<'static, std::io::Result<Bytes>>,
    mut writer: WriteMultipart,
    tx: mpsc::Sender<Bytes>,
    progress: Arc<Progress>,
    throttle: u64,
) -> Result<(), TeeError> {
    let started = Instant::now();
    let mut offset = 0u64;
    let result = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| TeeError::Read { offset, source })?;
            for piece in pieces(chunk, throttle) {
                if progress.lease_lost.load(Ordering::Relaxed) {
                    return Err(TeeError::LeaseLost);
                }
                offset += piece.len() as u64;
                if throttle > 0 {
                    let due = Duration::from_secs_f64(offset as f64 / throttle as f64);
                    tokio::time::sleep_until((started + due).into()).await;
                }
                writer.wait_for_capacity(UPLOAD_CONCURRENCY).await.map_err(TeeError::Write)?;
                writer.put(piece.clone());
                tx.send(piece.clone()).await.map_err(|_| TeeError::ScannerStopped)?;
                progress.bytes.fetch_add(piece.len() as u64, Ordering::Relaxed);
            }
        }
        Ok(())
    }
    .await;
    drop(tx);
    match result {
        Ok(()) => writer.finish().await.map(|_| ()).map_err(TeeError::Write),
        Err(e) => {
            let _ = writer.abort().await;
            Err(e)
        }
    }
}

/// The record of `bytes` written in one piece as object `key` (an index): its size, parts of
/// `part_size`, SHA-256 and MD5.
pub fn in_memory(key: String, bytes: &[u8], part_size: u64) -> StoredFile {
    let hex = |algorithm| {
        let mut digest = Digest::new(algorithm);
        digest.update(bytes);
        digest.finalize_hex()
    };
    StoredFile::new(key, bytes.len() as u64, part_size, hex(Algorithm::Sha256), hex(Algorithm::Md5))
}

/// Splits a chunk into pieces of about a tenth of the throttle rate, so throttled progress moves
/// smoothly; unthrottled chunks pass whole.
fn pieces(chunk: Bytes, throttle: u64) -> Vec<Bytes> {
    let size = if throttle == 0 { usize::MAX } else { (throttle / 10).max(1024) as usize };
    let mut out = Vec::with_capacity(chunk.len() / size.min(chunk.len().max(1)) + 1);
    let mut rest = chunk;
    while rest.len() > size {
        out.push(rest.split_to(size));
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// A channel of chunks — a tee's output — and a [`Read`] over it, for the blocking scanner.
pub fn channel() -> (mpsc::Sender<Bytes>, ChannelReader) {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    (tx, ChannelReader { rx, current: Bytes::new() })
}

/// [`Read`] over the chunks of a tee. Must be used on a blocking thread; EOF when the tee ends.
pub struct ChannelReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_files_record_both_digests() {
        let file = in_memory("k".into(), b"abc", 2);
        assert_eq!((file.content_length, file.total_parts), (3, 2));
        assert_eq!(file.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(file.md5.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
    }

    #[test]
    fn pieces_follow_the_throttle() {
        let chunk = Bytes::from(vec![0u8; 10_000]);
        assert_eq!(pieces(chunk.clone(), 0).len(), 1);
        let split = pieces(chunk, 20_480);
        assert_eq!(split.iter().map(Bytes::len).sum::<usize>(), 10_000);
        assert!(split.iter().all(|p| p.len() <= 2048));
    }
}
