//! A [`BufRead`] adapter that counts the bytes taken from it, so byte offsets (`.fai` column 3,
//! `.gzi` and gzip error offsets, CRAM container offsets) come from the reads themselves.

use std::io::{self, BufRead, Read};

/// Passes reads through, counting bytes consumed or read.
#[derive(Debug)]
pub(crate) struct Counted<B> {
    inner: B,
    taken: u64,
}

impl<B> Counted<B> {
    /// Counts from 0.
    pub(crate) fn new(inner: B) -> Self {
        Self { inner, taken: 0 }
    }

    /// Bytes consumed or read so far.
    pub(crate) fn taken(&self) -> u64 {
        self.taken
    }

    /// The wrapped reader.
    pub(crate) fn inner(&self) -> &B {
        &self.inner
    }

    /// Unwraps into the wrapped reader.
    pub(crate) fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: Read> Read for Counted<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken += n as u64;
        Ok(n)
    }
}

impl<B: BufRead> BufRead for Counted<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.taken += amt as u64;
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_counts_reads_and_consumes() -> io::Result<()> {
        let mut counted = Counted::new(&b"abcdef"[..]);
        assert_eq!(counted.fill_buf()?, b"abcdef");
        counted.consume(2);
        let mut buf = [0; 3];
        counted.read_exact(&mut buf)?;
        assert_eq!(&buf, b"cde");
        assert_eq!(counted.taken(), 5);
        assert_eq!(counted.into_inner(), b"f");
        Ok(())
    }
}
