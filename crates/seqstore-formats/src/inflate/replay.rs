//! The compressed input of [`Members`](super::members::Members): counted, and able to take back
//! bytes already read so that they are read again, first. A BGZF block is read whole before it is
//! inflated; when it turns out not to be valid BGZF, its bytes go back to be decoded as plain gzip.

use std::io::{self, BufRead, Read};

use crate::counted::Counted;

/// Reads given-back bytes first, then the counted input.
#[derive(Debug)]
pub(super) struct Replay<B> {
    again: Vec<u8>,
    /// Bytes of `again` read so far.
    at: usize,
    inner: Counted<B>,
}

impl<B> Replay<B> {
    /// Reads `inner` from its start, compressed offset 0.
    pub(super) fn new(inner: B) -> Self {
        Self { again: Vec::new(), at: 0, inner: Counted::new(inner) }
    }

    /// Bytes taken and not given back: the compressed offset of the next byte.
    pub(super) fn taken(&self) -> u64 {
        self.inner.taken() - (self.again.len() - self.at) as u64
    }

    /// Has `bytes`, the last ones taken, read again before anything else.
    pub(super) fn give_back(&mut self, mut bytes: Vec<u8>) {
        bytes.extend_from_slice(&self.again[self.at..]);
        self.again = bytes;
        self.at = 0;
    }

    /// The input below.
    pub(super) fn inner(&self) -> &B {
        self.inner.inner()
    }

    /// Unwraps into the input below.
    pub(super) fn into_inner(self) -> B {
        self.inner.into_inner()
    }
}

impl<B: BufRead> BufRead for Replay<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at < self.again.len() {
            return Ok(&self.again[self.at..]);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if self.at < self.again.len() {
            self.at += amt;
            if self.at == self.again.len() {
                self.again.clear();
                self.at = 0;
            }
        } else {
            self.inner.consume(amt);
        }
    }
}

impl<B: BufRead> Read for Replay<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_give_back() -> io::Result<()> {
        let mut input = Replay::new(&b"abcdefgh"[..]);
        let mut taken = vec![0; 5];
        input.read_exact(&mut taken)?;
        assert_eq!(input.taken(), 5);
        input.give_back(taken[2..].to_vec());
        assert_eq!(input.taken(), 2);
        let mut two = [0; 2];
        input.read_exact(&mut two)?;
        assert_eq!(&two, b"cd");
        input.give_back(b"d".to_vec());
        let mut rest = Vec::new();
        input.read_to_end(&mut rest)?;
        assert_eq!(rest, b"defgh");
        assert_eq!(input.taken(), 8);
        Ok(())
    }
}
