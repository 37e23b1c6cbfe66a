//! A [`Read`] adapter that digests and counts the bytes it passes on, so hashing stays in the one
//! pass that also parses.

use std::io::{self, Read};

use super::worker::Worker;
use super::{Algorithm, Digest};

/// Passes reads through to an inner reader, feeding every byte returned to an optional
/// [`Digest`] and counting them.
///
/// It remembers whether the inner reader ever failed (other than with `Interrupted`), so a caller
/// that stacks decoders on top can tell a failure of the source from one of the decoder.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    bytes: u64,
    failed: bool,
}

#[derive(Debug)]
enum Hasher {
    Inline(Digest),
    Offloaded(Worker),
}

impl<R> HashingReader<R> {
    /// Wraps `inner`, digesting with `algorithm` on the reading thread.
    pub fn new(inner: R, algorithm: Algorithm) -> Self {
        Self { inner, hasher: Some(Hasher::Inline(Digest::new(algorithm))), bytes: 0, failed: false }
    }

    /// Wraps `inner`, digesting with `algorithm` on a helper thread fed with copies of the data
    /// (at most 4 chunks in flight), so hashing overlaps with the reader's other work; the first
    /// mebibyte is digested on the reading thread, and the helper starts only past it (a small
    /// file costs no thread). Dropping the reader ends the thread and waits for it, so it never
    /// outlives the reader.
    pub fn offloaded(inner: R, algorithm: Algorithm) -> Self {
        Self { inner, hasher: Some(Hasher::Offloaded(Worker::new(algorithm))), bytes: 0, failed: false }
    }

    /// Wraps `inner`, counting bytes without digesting them.
    pub fn counting(inner: R) -> Self {
        Self { inner, hasher: None, bytes: 0, failed: false }
    }

    /// Number of bytes returned so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Whether the inner reader has returned an error other than `Interrupted`.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The wrapped reader.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// Unwraps into the inner reader and the digest of everything returned so far (`None` when
    /// built with [`HashingReader::counting`]), waiting for a helper thread to catch up.
    pub fn into_parts(self) -> (R, Option<Digest>) {
        let digest = self.hasher.map(|hasher| match hasher {
            Hasher::Inline(digest) => digest,
            Hasher::Offloaded(worker) => worker.finish(),
        });
        (self.inner, digest)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                match &mut self.hasher {
                    Some(Hasher::Inline(digest)) => digest.update(&buf[..n]),
                    Some(Hasher::Offloaded(worker)) if n > 0 => worker.update(&buf[..n]),
                    Some(Hasher::Offloaded(_)) | None => {}
                }
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed = true;
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_read_digests_and_counts() -> Result<(), Box<dyn std::error::Error>> {
        let mut reader = HashingReader::new(&b"abc"[..], Algorithm::Md5);
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        assert_eq!(out, b"abc");
        assert_eq!(reader.bytes_read(), 3);
        assert!(!reader.failed());
        let (_, digest) = reader.into_parts();
        assert_eq!(digest.ok_or("no digest")?.finalize_hex(), "900150983cd24fb0d6963f7d28e17f72");
        Ok(())
    }

    #[test]
    fn test_read_offloaded() -> Result<(), Box<dyn std::error::Error>> {
        // Past the first mebibyte, digested on the reading thread, the helper's part.
        let text = vec![b'x'; 3 << 20];
        let mut reader = HashingReader::offloaded(&text[..], Algorithm::Sha256);
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        let mut expected = Digest::new(Algorithm::Sha256);
        expected.update(&text);
        assert_eq!(reader.into_parts().1.ok_or("no digest")?.finalize_hex(), expected.finalize_hex());
        Ok(())
    }

    #[test]
    fn test_read_remembers_failure() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("boom"))
            }
        }
        let mut reader = HashingReader::counting(Failing);
        assert!(reader.read(&mut [0; 4]).is_err());
        assert!(reader.failed());
        assert!(reader.into_parts().1.is_none());
    }
}
