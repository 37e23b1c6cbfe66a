//! A digest computed on a helper thread, so hashing overlaps with the decompression, parsing or
//! rendering done by the calling thread (MD5 alone runs at about the speed of inflate).

use std::mem;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use super::{Algorithm, Digest};

/// Chunks in flight: memory is this many copies of the largest chunk passed to `update`.
const CHUNKS: usize = 4;

/// Bytes digested on the caller's thread before the helper starts. Overlapping the hashing of a
/// mebibyte saves about a millisecond at most (MD5's speed); a tiny file paid a thread's start,
/// its channels and their wake-ups for nothing (#28: a job of many tiny files started a helper per
/// digest per file).
const INLINE_UP_TO: u64 = 1 << 20;

/// Feeds chunks of the data to a [`Digest`]: the first [`INLINE_UP_TO`] bytes on the caller's
/// thread, the rest on a helper thread (started then, with the digest so far), recycling the
/// chunks. When the helper cannot be started, the caller's thread digests everything.
///
/// The helper never outlives the worker: [`Worker::finish`] and dropping both close the queue and
/// wait for the helper to digest what was queued (at most [`CHUNKS`] chunks) and end.
#[derive(Debug)]
pub(crate) struct Worker {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Digesting on the caller's thread; `bytes` so far.
    Inline { digest: Digest, bytes: u64 },
    /// Digesting on the helper thread.
    Helper(Helper),
    /// Joined (by [`Worker::finish`] or a drop), or between states.
    Done,
}

#[derive(Debug)]
struct Helper {
    chunks: SyncSender<Vec<u8>>,
    free: Receiver<Vec<u8>>,
    thread: JoinHandle<Digest>,
}

impl Helper {
    /// Starts the helper thread, which goes on from `digest`; `None` if it cannot start.
    fn spawn(digest: Digest) -> Option<Self> {
        let (chunks, pending) = mpsc::sync_channel::<Vec<u8>>(CHUNKS);
        let (recycle, free) = mpsc::sync_channel(CHUNKS);
        for _ in 0..CHUNKS {
            recycle.send(Vec::new()).expect("the channel has room for every chunk");
        }
        let thread = thread::Builder::new().name("seqstore-digest".to_owned()).spawn(move || {
            let mut digest = digest;
            for chunk in pending {
                digest.update(&chunk);
                // The reader may be gone (dropped after an error); the chunk is then just freed.
                let _ = recycle.send(chunk);
            }
            digest
        });
        thread.ok().map(|thread| Self { chunks, free, thread })
    }

    fn free_chunk(&mut self) -> Vec<u8> {
        // The helper only stops when `chunks` is dropped, so it is there to recycle and receive.
        let mut chunk = self.free.recv().unwrap_or_default();
        chunk.clear();
        chunk
    }

    /// Closes the queue and waits for the helper to end.
    fn join(self) -> thread::Result<Digest> {
        // Dropping the only sender ends the helper's loop after the queued chunks.
        drop(self.chunks);
        self.thread.join()
    }
}

impl Worker {
    /// A worker digesting with `algorithm`; its helper thread starts once [`INLINE_UP_TO`] bytes
    /// have been digested.
    pub(crate) fn new(algorithm: Algorithm) -> Self {
        Self { state: State::Inline { digest: Digest::new(algorithm), bytes: 0 } }
    }

    /// Digests `bytes` here, or queues a copy of them, waiting while [`CHUNKS`] chunks are in
    /// flight.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self.helper(bytes.len()) {
            Some(helper) => {
                let mut chunk = helper.free_chunk();
                chunk.extend_from_slice(bytes);
                let _ = helper.chunks.send(chunk);
            }
            None => self.inline(bytes),
        }
    }

    /// Digests the bytes of `chunk` here, or queues them without copying, leaving an empty
    /// (recycled) buffer in its place; waits while [`CHUNKS`] chunks are in flight.
    pub(crate) fn swap(&mut self, chunk: &mut Vec<u8>) {
        match self.helper(chunk.len()) {
            Some(helper) => {
                let full = mem::replace(chunk, helper.free_chunk());
                let _ = helper.chunks.send(full);
            }
            None => {
                self.inline(chunk);
                chunk.clear();
            }
        }
    }

    /// The helper to give `len` more bytes to, started now if the bytes digested inline reach
    /// [`INLINE_UP_TO`] with them; `None`: digest them here.
    fn helper(&mut self, len: usize) -> Option<&mut Helper> {
        if let State::Inline { bytes, .. } = &self.state {
            if bytes + len as u64 <= INLINE_UP_TO {
                return None;
            }
            let State::Inline { digest, .. } = mem::replace(&mut self.state, State::Done) else {
                unreachable!("matched above")
            };
            // The helper goes on from a copy: the thread's closure, and the digest in it, is
            // dropped when the thread cannot start.
            self.state = match Helper::spawn(digest.clone()) {
                Some(helper) => State::Helper(helper),
                // No thread: digested here (as correct, only without the overlap), and tried
                // again once as many bytes more have been.
                None => State::Inline { digest, bytes: 0 },
            };
        }
        match &mut self.state {
            State::Helper(helper) => Some(helper),
            _ => None,
        }
    }

    /// Digests `bytes` on this thread.
    fn inline(&mut self, bytes: &[u8]) {
        let State::Inline { digest, bytes: count } = &mut self.state else {
            unreachable!("bytes are digested here only before the helper starts")
        };
        digest.update(bytes);
        *count = count.saturating_add(bytes.len() as u64);
    }

    /// Waits for the helper, if one started, to digest everything queued and returns the digest.
    pub(crate) fn finish(mut self) -> Digest {
        match mem::replace(&mut self.state, State::Done) {
            State::Inline { digest, .. } => digest,
            State::Helper(helper) => match helper.join() {
                Ok(digest) => digest,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            State::Done => unreachable!("only `finish` and `drop` end the worker, once"),
        }
    }
}

impl Drop for Worker {
    /// Ends the helper (after an error, say) before returning, so no thread outlives a scan.
    fn drop(&mut self) {
        if let State::Helper(helper) = mem::replace(&mut self.state, State::Done) {
            let _ = helper.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(algorithm: Algorithm, data: &[u8]) -> String {
        let mut digest = Digest::new(algorithm);
        digest.update(data);
        digest.finalize_hex()
    }

    fn started(worker: &Worker) -> bool {
        matches!(worker.state, State::Helper(_))
    }

    #[test]
    fn test_finish() {
        let mut worker = Worker::new(Algorithm::Md5);
        for _ in 0..10 {
            worker.update(b"a");
        }
        worker.update(b"bc");
        let mut chunk = b"de".to_vec();
        worker.swap(&mut chunk);
        assert!(chunk.is_empty());
        assert!(!started(&worker), "a small input is digested without a thread");
        assert_eq!(worker.finish().finalize_hex(), expected(Algorithm::Md5, b"aaaaaaaaaabcde"));
    }

    /// Past [`INLINE_UP_TO`] bytes the helper starts with the digest so far and goes on from it,
    /// whether the threshold is crossed by `update` or by `swap`.
    #[test]
    fn test_helper_goes_on_from_the_inline_digest() {
        let data: Vec<u8> = (0..3 * INLINE_UP_TO as usize + 12_345).map(|i| (i * 7 % 251) as u8).collect();
        for swap in [false, true] {
            let mut worker = Worker::new(Algorithm::Sha256);
            for piece in data.chunks(100_003) {
                if swap {
                    worker.swap(&mut piece.to_vec());
                } else {
                    worker.update(piece);
                }
            }
            assert!(started(&worker));
            assert_eq!(worker.finish().finalize_hex(), expected(Algorithm::Sha256, &data), "swap: {swap}");
        }
    }

    // Dropping with chunks still queued (as a scan does after an error) joins the helper without
    // deadlocking on the recycled chunks.
    #[test]
    fn test_drop_joins() {
        let mut worker = Worker::new(Algorithm::Sha256);
        for _ in 0..3 * CHUNKS + (INLINE_UP_TO >> 16) as usize {
            worker.update(&[0; 1 << 16]);
        }
        assert!(started(&worker));
        drop(worker);
    }
}
