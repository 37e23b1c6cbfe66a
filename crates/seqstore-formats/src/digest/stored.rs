//! The raw side of every scanner: the bytes of a source exactly as they are stored, counted and
//! digested with the two digests recorded for a stored file — SHA-256 (what seqstore checks a
//! stored copy against) and MD5 (the stored object's S3 ETag) — in the one pass that also parses.

use std::io::{self, Read};

use super::{Algorithm, Digest, HashingReader};

/// Passes reads through to an inner reader, counting the bytes and digesting them with SHA-256
/// and MD5. The MD5 runs on a helper thread (fed with copies of the data, at most 4 chunks in
/// flight), so it overlaps with the scanner's own work; the helper never outlives the reader.
///
/// Like [`HashingReader`], it remembers whether the inner reader ever failed.
#[derive(Debug)]
pub(crate) struct StoredReader<R>(HashingReader<HashingReader<R>>);

/// What a fully read [`StoredReader`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    /// Bytes read.
    pub(crate) bytes: u64,
    /// Lowercase hex SHA-256 of them.
    pub(crate) sha256: String,
    /// Lowercase hex MD5 of them.
    pub(crate) md5: String,
}

impl<R> StoredReader<R> {
    /// Wraps `inner`, digesting SHA-256 on the reading thread and MD5 on a helper thread (past
    /// the first mebibyte, see [`HashingReader::offloaded`]).
    pub(crate) fn new(inner: R) -> Self {
        Self(HashingReader::new(HashingReader::offloaded(inner, Algorithm::Md5), Algorithm::Sha256))
    }

    /// Wraps `inner`, digesting SHA-256 and MD5 on a helper thread each (past the first
    /// mebibyte), for a reading thread that has digests of its own to compute (FASTA's
    /// per-sequence MD5s).
    pub(crate) fn offloaded(inner: R) -> Self {
        Self(HashingReader::offloaded(HashingReader::offloaded(inner, Algorithm::Md5), Algorithm::Sha256))
    }

    /// Number of bytes returned so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.0.bytes_read()
    }

    /// Whether the inner reader has returned an error other than `Interrupted`.
    pub(crate) fn failed(&self) -> bool {
        self.0.failed()
    }

    /// Unwraps into the inner reader and what was read, waiting for the helpers to catch up.
    pub(crate) fn into_parts(self) -> (R, Stored) {
        let bytes = self.0.bytes_read();
        let (md5, sha256) = self.0.into_parts();
        let (inner, md5) = md5.into_parts();
        let hex = |digest: Option<Digest>| digest.map(Digest::finalize_hex).expect("stored bytes are always digested");
        (inner, Stored { bytes, sha256: hex(sha256), md5: hex(md5) })
    }
}

impl<R: Read> Read for StoredReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn digest(algorithm: Algorithm, bytes: &[u8]) -> String {
        let mut digest = Digest::new(algorithm);
        digest.update(bytes);
        digest.finalize_hex()
    }

    #[test]
    fn test_into_parts_gives_both_digests() -> TestResult {
        let text: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        for offloaded in [false, true] {
            let mut reader = if offloaded { StoredReader::offloaded(&text[..]) } else { StoredReader::new(&text[..]) };
            let mut out = Vec::new();
            reader.read_to_end(&mut out)?;
            assert_eq!(out, text);
            assert!(!reader.failed());
            let (_, stored) = reader.into_parts();
            let expected = Stored {
                bytes: text.len() as u64,
                sha256: digest(Algorithm::Sha256, &text),
                md5: digest(Algorithm::Md5, &text),
            };
            assert_eq!(stored, expected, "offloaded: {offloaded}");
        }
        Ok(())
    }

    #[test]
    fn test_empty_input() -> TestResult {
        let (_, stored) = StoredReader::new(&b""[..]).into_parts();
        assert_eq!(stored.md5, "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(stored.bytes, 0);
        Ok(())
    }

    #[test]
    fn test_read_remembers_failure() -> TestResult {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("boom"))
            }
        }
        let mut reader = StoredReader::new(Failing);
        assert!(reader.read(&mut [0; 4]).is_err());
        assert!(reader.failed());
        Ok(())
    }
}
