//! A digest computed on a helper thread, so hashing overlaps with the decompression, parsing or
//! rendering done by the calling thread (MD5 alone runs at about the speed of inflate).

use std::io;
use std::mem;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use super::{Algorithm, Digest};

/// Chunks in flight: memory is this many copies of the largest chunk passed to `update`.
const CHUNKS: usize = 4;

/// Feeds chunks of the data to a [`Digest`] owned by a helper thread, recycling the chunks.
///
/// The helper never outlives the worker: [`Worker::finish`] and dropping both close the queue and
/// wait for the helper to digest what was queued (at most [`CHUNKS`] chunks) and end.
#[derive(Debug)]
pub(crate) struct Worker {
    chunks: SyncSender<Vec<u8>>,
    free: Receiver<Vec<u8>>,
    /// `None` once joined.
    thread: Option<JoinHandle<Digest>>,
}

impl Worker {
    /// Starts the helper thread.
    pub(crate) fn spawn(algorithm: Algorithm) -> io::Result<Self> {
        let (chunks, pending) = mpsc::sync_channel::<Vec<u8>>(CHUNKS);
        let (recycle, free) = mpsc::sync_channel(CHUNKS);
        for _ in 0..CHUNKS {
            recycle.send(Vec::new()).map_err(io::Error::other)?;
        }
        let thread = thread::Builder::new().name("seqstore-digest".to_owned()).spawn(move || {
            let mut digest = Digest::new(algorithm);
            for chunk in pending {
                digest.update(&chunk);
                // The reader may be gone (dropped after an error); the chunk is then just freed.
                let _ = recycle.send(chunk);
            }
            digest
        })?;
        Ok(Self { chunks, free, thread: Some(thread) })
    }

    /// Queues a copy of `bytes`, waiting while [`CHUNKS`] chunks are in flight.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        let mut chunk = self.free_chunk();
        chunk.extend_from_slice(bytes);
        let _ = self.chunks.send(chunk);
    }

    /// Queues the bytes of `chunk` without copying them, leaving an empty recycled buffer in its
    /// place; waits while [`CHUNKS`] chunks are in flight.
    pub(crate) fn swap(&mut self, chunk: &mut Vec<u8>) {
        let full = mem::replace(chunk, self.free_chunk());
        let _ = self.chunks.send(full);
    }

    fn free_chunk(&mut self) -> Vec<u8> {
        // The helper only stops when `chunks` is dropped, so it is there to recycle and receive.
        let mut chunk = self.free.recv().unwrap_or_default();
        chunk.clear();
        chunk
    }

    /// Waits for the helper to digest everything queued and returns the digest.
    pub(crate) fn finish(mut self) -> Digest {
        match self.stop().expect("only `finish` and `drop` join the helper, once") {
            Ok(digest) => digest,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Closes the queue and waits for the helper to end, if it has not been joined yet.
    fn stop(&mut self) -> Option<thread::Result<Digest>> {
        // Replacing the sender drops the only one: the helper's loop ends after the queued chunks.
        drop(mem::replace(&mut self.chunks, mpsc::sync_channel(0).0));
        self.thread.take().map(JoinHandle::join)
    }
}

impl Drop for Worker {
    /// Ends the helper (after an error, say) before returning, so no thread outlives a scan.
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_finish() -> io::Result<()> {
        let mut worker = Worker::spawn(Algorithm::Md5)?;
        for _ in 0..10 {
            worker.update(b"a");
        }
        worker.update(b"bc");
        let mut chunk = b"de".to_vec();
        worker.swap(&mut chunk);
        assert!(chunk.is_empty());
        let mut expected = Digest::new(Algorithm::Md5);
        expected.update(b"aaaaaaaaaabcde");
        assert_eq!(worker.finish().finalize_hex(), expected.finalize_hex());
        Ok(())
    }

    // Dropping with chunks still queued (as a scan does after an error) joins the helper without
    // deadlocking on the recycled chunks.
    #[test]
    fn test_drop_joins() -> io::Result<()> {
        let mut worker = Worker::spawn(Algorithm::Sha256)?;
        for _ in 0..3 * CHUNKS {
            worker.update(&[0; 1 << 16]);
        }
        drop(worker);
        Ok(())
    }
}
