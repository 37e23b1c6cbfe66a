//! The ETag digest of the SAM text, computed on a helper thread fed with full buffers, so hashing
//! overlaps with decoding and rendering.

use crate::digest::Algorithm;
use crate::digest::worker::Worker;

/// Text collected before it is handed to the helper.
const CHUNK: usize = 1024 * 1024;

/// A text buffer that records are rendered into, digested in [`CHUNK`]s by a helper thread.
pub(super) struct TextDigest {
    text: Vec<u8>,
    worker: Worker,
}

impl TextDigest {
    /// A digest of `algorithm`; its helper thread starts once the text passes a mebibyte.
    pub(super) fn new(algorithm: Algorithm) -> Self {
        Self { text: Vec::with_capacity(CHUNK * 2), worker: Worker::new(algorithm) }
    }

    /// The buffer to append text to; call [`TextDigest::flush`] after each record.
    pub(super) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.text
    }

    /// Hands the buffer to the helper once it holds a full chunk.
    pub(super) fn flush(&mut self) {
        if self.text.len() >= CHUNK {
            self.worker.swap(&mut self.text);
        }
    }

    /// Digests what is left and returns the lowercase hex digest of all text.
    pub(super) fn finish(mut self) -> String {
        if !self.text.is_empty() {
            self.worker.swap(&mut self.text);
        }
        self.worker.finish().finalize_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;

    #[test]
    fn test_finish() {
        let mut text = TextDigest::new(Algorithm::Md5);
        let mut expected = Digest::new(Algorithm::Md5);
        for i in 0..100_000u32 {
            let line = format!("record {i}\n");
            text.buffer().extend_from_slice(line.as_bytes());
            text.flush();
            expected.update(line.as_bytes());
        }
        assert_eq!(text.finish(), expected.finalize_hex());
    }
}
