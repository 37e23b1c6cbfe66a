//! Decoding every gzip member of a stream in turn, and refusing bytes after the last member that
//! do not start another one (RFC 1952 § 2.2: a gzip file is a series of members).

use std::io::{self, BufRead, Read};
use std::mem;

use flate2::bufread::GzDecoder;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads the decompressed data of all members of a gzip (or BGZF) stream.
///
/// Each member's CRC-32 and ISIZE are checked by [`GzDecoder`] before the next begins. After the
/// last member the input must end; anything else is an `InvalidData` error, after which
/// [`Members::is_trailing`] is true and the offending bytes are left unconsumed in the inner
/// reader.
pub(in crate::fastq) struct Members<B> {
    state: State<B>,
}

enum State<B> {
    // Boxed: the state is moved on every read.
    Member(Box<GzDecoder<B>>),
    /// A member has ended; what follows is not yet known.
    Between(B),
    Ended(B),
    Trailing(B),
    /// Only while `read` moves the state.
    Moving,
}

impl<B: BufRead> Members<B> {
    /// Starts decoding the member at the start of `inner`.
    pub(super) fn new(inner: B) -> Self {
        Self { state: State::Member(Box::new(GzDecoder::new(inner))) }
    }
}

impl<B> Members<B> {
    /// The compressed input.
    pub(super) fn inner(&self) -> &B {
        match &self.state {
            State::Member(decoder) => decoder.get_ref(),
            State::Between(inner) | State::Ended(inner) | State::Trailing(inner) => inner,
            State::Moving => unreachable!("state is restored before read returns"),
        }
    }

    /// Unwraps into the compressed input.
    pub(super) fn into_inner(self) -> B {
        match self.state {
            State::Member(decoder) => decoder.into_inner(),
            State::Between(inner) | State::Ended(inner) | State::Trailing(inner) => inner,
            State::Moving => unreachable!("state is restored before read returns"),
        }
    }

    /// Whether non-gzip bytes were found after the last member.
    pub(super) fn is_trailing(&self) -> bool {
        matches!(self.state, State::Trailing(_))
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
                        Some(true) => State::Member(Box::new(GzDecoder::new(inner))),
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
    use std::io::Write;

    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(text: &[u8]) -> io::Result<Vec<u8>> {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text)?;
        encoder.finish()
    }

    #[test]
    fn test_read_members() -> io::Result<()> {
        let mut data = gzip(b"hello ")?;
        data.extend(gzip(b"")?);
        data.extend(gzip(b"world")?);
        let mut text = Vec::new();
        Members::new(&data[..]).read_to_end(&mut text)?;
        assert_eq!(text, b"hello world");
        Ok(())
    }

    #[test]
    fn test_read_trailing_data() -> io::Result<()> {
        let mut data = gzip(b"hello")?;
        let end = data.len();
        data.extend_from_slice(b"\n");
        let mut members = Members::new(io::BufReader::new(&data[..]));
        let mut text = Vec::new();
        let error = members.read_to_end(&mut text).err().ok_or_else(|| io::Error::other("no error"))?;
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(members.is_trailing());
        assert_eq!(members.inner().buffer(), b"\n");
        assert_eq!(text, b"hello");
        assert_eq!(data.len() - members.into_inner().buffer().len(), end);
        Ok(())
    }
}
