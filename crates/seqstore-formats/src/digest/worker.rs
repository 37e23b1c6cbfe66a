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
#[derive(Debug)]
pub(crate) struct Worker {
    chunks: SyncSender<Vec<u8>>,
    free: Receiver<Vec<u8>>,
    thread: JoinHandle<Digest>,
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
        Ok(Self { chunks, free, thread })
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
    pub(crate) fn finish(self) -> Digest {
        drop(self.chunks);
        match self.thread.join() {
            Ok(digest) => digest,
            Err(panic) => std::panic::resume_unwind(panic),
        }
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
}
