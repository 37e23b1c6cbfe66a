//! The ETag digest of the SAM text, computed on a helper thread fed with full buffers, so hashing
//! overlaps with decoding and rendering.

use std::io;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use crate::digest::{Algorithm, Digest};

/// Text collected before it is handed to the helper.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight.
const CHUNKS: usize = 4;

/// A text buffer that records are rendered into, digested in [`CHUNK`]s by a helper thread.
pub(super) struct TextDigest {
    text: Vec<u8>,
    chunks: SyncSender<Vec<u8>>,
    free: Receiver<Vec<u8>>,
    thread: JoinHandle<Digest>,
}

impl TextDigest {
    /// Starts the helper thread.
    pub(super) fn spawn(algorithm: Algorithm) -> io::Result<Self> {
        let (chunks, pending) = mpsc::sync_channel::<Vec<u8>>(CHUNKS);
        let (recycle, free) = mpsc::sync_channel(CHUNKS);
        for _ in 1..CHUNKS {
            recycle.send(Vec::with_capacity(CHUNK * 2)).map_err(io::Error::other)?;
        }
        let thread = thread::Builder::new().name("seqstore-sam-digest".to_owned()).spawn(move || {
            let mut digest = Digest::new(algorithm);
            for chunk in pending {
                digest.update(&chunk);
                // The sender may be gone (dropped after an error); the chunk is then just freed.
                let _ = recycle.send(chunk);
            }
            digest
        })?;
        Ok(Self { text: Vec::with_capacity(CHUNK * 2), chunks, free, thread })
    }

    /// The buffer to append text to; call [`TextDigest::flush`] after each record.
    pub(super) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.text
    }

    /// Hands the buffer to the helper once it holds a full chunk.
    pub(super) fn flush(&mut self) {
        if self.text.len() >= CHUNK {
            self.send();
        }
    }

    fn send(&mut self) {
        // The helper only stops when `chunks` is dropped, so it is there to recycle and receive.
        let mut next = self.free.recv().unwrap_or_default();
        next.clear();
        let full = std::mem::replace(&mut self.text, next);
        let _ = self.chunks.send(full);
    }

    /// Digests what is left and returns the lowercase hex digest of all text.
    pub(super) fn finish(mut self) -> String {
        if !self.text.is_empty() {
            self.send();
        }
        drop(self.chunks);
        match self.thread.join() {
            Ok(digest) => digest.finalize_hex(),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_finish() -> io::Result<()> {
        let mut text = TextDigest::spawn(Algorithm::Md5)?;
        let mut expected = Digest::new(Algorithm::Md5);
        for i in 0..100_000u32 {
            let line = format!("record {i}\n");
            text.buffer().extend_from_slice(line.as_bytes());
            text.flush();
            expected.update(line.as_bytes());
        }
        assert_eq!(text.finish(), expected.finalize_hex());
        Ok(())
    }
}
