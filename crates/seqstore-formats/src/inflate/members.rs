//! Decoding every gzip member of a stream in turn (RFC 1952 § 2.2: a gzip file is a series of
//! members), refusing bytes after the last member that do not start another one, and noting where
//! each member that holds data starts: for BGZF these are the blocks a `.gzi` lists.

use std::io::{self, BufRead, Read};
use std::mem;

use flate2::bufread::GzDecoder;

use crate::counted::Counted;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads the decompressed data of all members of a gzip (or BGZF) stream.
///
/// Each member's CRC-32 and ISIZE are checked by [`GzDecoder`] before the next begins. After the
/// last member the input must end; anything else is an `InvalidData` error, after which
/// [`Members::is_trailing`] is true and the offending bytes are left unconsumed.
pub(crate) struct Members<B> {
    state: State<B>,
    /// Decompressed bytes returned so far.
    decoded: u64,
    /// `(compressed, uncompressed)` start of the member being read, until it yields data.
    pending: Option<(u64, u64)>,
    /// Starts of the members that yielded data, when asked for.
    starts: Option<Vec<(u64, u64)>>,
}

enum State<B> {
    // Boxed: the state is moved on every read.
    Member(Box<GzDecoder<Counted<B>>>),
    /// A member has ended; what follows is not yet known.
    Between(Counted<B>),
    Ended(Counted<B>),
    Trailing(Counted<B>),
    /// Only while `read` moves the state.
    Moving,
}

impl<B: BufRead> Members<B> {
    /// Starts decoding the member at the start of `inner`, which is compressed offset 0; with
    /// `starts`, notes where each member holding data starts.
    pub(super) fn new(inner: B, starts: bool) -> Self {
        Self {
            state: State::Member(Box::new(GzDecoder::new(Counted::new(inner)))),
            decoded: 0,
            pending: Some((0, 0)),
            starts: starts.then(Vec::new),
        }
    }
}

impl<B> Members<B> {
    fn counted(&self) -> &Counted<B> {
        match &self.state {
            State::Member(decoder) => decoder.get_ref(),
            State::Between(inner) | State::Ended(inner) | State::Trailing(inner) => inner,
            State::Moving => unreachable!("state is restored before read returns"),
        }
    }

    /// The compressed input.
    pub(super) fn inner(&self) -> &B {
        self.counted().inner()
    }

    /// Compressed bytes consumed so far.
    pub(super) fn consumed(&self) -> u64 {
        self.counted().taken()
    }

    /// Whether non-gzip bytes were found after the last member.
    pub(super) fn is_trailing(&self) -> bool {
        matches!(self.state, State::Trailing(_))
    }

    /// Unwraps into the compressed input and the `(compressed, uncompressed)` offsets where
    /// each member that held data starts, in order (`None` unless asked for).
    pub(super) fn into_parts(self) -> (B, Option<Vec<(u64, u64)>>) {
        let inner = match self.state {
            State::Member(decoder) => decoder.into_inner(),
            State::Between(inner) | State::Ended(inner) | State::Trailing(inner) => inner,
            State::Moving => unreachable!("state is restored before read returns"),
        };
        (inner.into_inner(), self.starts)
    }

    fn decoded(&mut self, n: usize) {
        if n > 0 {
            if let (Some(start), Some(starts)) = (self.pending.take(), self.starts.as_mut()) {
                starts.push(start);
            }
            self.decoded += n as u64;
        }
    }
}

impl<B: BufRead> Read for Members<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match mem::replace(&mut self.state, State::Moving) {
                State::Member(mut decoder) => match decoder.read(buf) {
                    Ok(0) => self.state = State::Between(decoder.into_inner()),
                    result => {
                        self.state = State::Member(decoder);
                        if let Ok(n) = result {
                            self.decoded(n);
                        }
                        return result;
                    }
                },
                State::Between(mut inner) => {
                    let next = match inner.fill_buf() {
                        Ok(next) => next,
                        Err(e) => {
                            self.state = State::Between(inner);
                            return Err(e);
                        }
                    };
                    let starts_member = match next {
                        [] => None,
                        [first] => Some(*first == GZIP_MAGIC[0]),
                        [first, second, ..] => Some([*first, *second] == GZIP_MAGIC),
                    };
                    self.state = match starts_member {
                        None => State::Ended(inner),
                        Some(true) => {
                            self.pending = Some((inner.taken(), self.decoded));
                            State::Member(Box::new(GzDecoder::new(inner)))
                        }
                        Some(false) => State::Trailing(inner),
                    };
                }
                State::Ended(inner) => {
                    self.state = State::Ended(inner);
                    return Ok(0);
                }
                State::Trailing(inner) => {
                    self.state = State::Trailing(inner);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "data after the last gzip member is not gzip",
                    ));
                }
                State::Moving => unreachable!("state is restored before read returns"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gzip;

    #[test]
    fn test_read_members() -> io::Result<()> {
        let mut data = gzip(b"hello ")?;
        data.extend(gzip(b"")?);
        data.extend(gzip(b"world")?);
        let mut text = Vec::new();
        Members::new(&data[..], false).read_to_end(&mut text)?;
        assert_eq!(text, b"hello world");
        Ok(())
    }

    #[test]
    fn test_read_members_and_starts() -> io::Result<()> {
        let (hello, empty, world) = (gzip(b"hello ")?, gzip(b"")?, gzip(b"world")?);
        let data = [&hello[..], &empty[..], &world[..], &empty[..]].concat();
        let mut members = Members::new(&data[..], true);
        let mut text = Vec::new();
        members.read_to_end(&mut text)?;
        assert_eq!(text, b"hello world");
        assert_eq!(members.consumed(), data.len() as u64);
        let starts = members.into_parts().1;
        let second = (hello.len() + empty.len()) as u64;
        assert_eq!(starts, Some(vec![(0, 0), (second, 6)]));
        Ok(())
    }

    #[test]
    fn test_read_trailing_data() -> io::Result<()> {
        let mut data = gzip(b"hello")?;
        let end = data.len();
        data.extend_from_slice(b"\n");
        let mut members = Members::new(io::BufReader::new(&data[..]), false);
        let mut text = Vec::new();
        let error = members.read_to_end(&mut text).err().ok_or_else(|| io::Error::other("no error"))?;
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(members.is_trailing());
        assert_eq!(members.consumed(), end as u64);
        assert_eq!(members.inner().buffer(), b"\n");
        assert_eq!(text, b"hello");
        assert_eq!(members.into_parts().1, None);
        Ok(())
    }

    #[test]
    fn test_trailing_data_left_in_inner() -> io::Result<()> {
        let mut data = gzip(b"hello")?;
        let end = data.len();
        data.extend_from_slice(b"\nmore");
        let mut members = Members::new(io::BufReader::new(&data[..]), false);
        assert!(members.read_to_end(&mut Vec::new()).is_err());
        assert_eq!(data.len() - members.into_parts().0.buffer().len(), end);
        Ok(())
    }
}
