//! Decoding every gzip member of a stream in turn (RFC 1952 § 2.2: a gzip file is a series of
//! members), refusing bytes after the last member that do not start another one, and noting where
//! each member that holds data starts: for BGZF these are the blocks a `.gzi` lists.
//!
//! Each member is looked at before it is decoded: a BGZF block (SAM/BAM § 4.1), whose size its
//! header gives, is read whole and inflated by libdeflate ([`crate::bgzf`]), straight into the
//! caller's buffer when it fits; any other member is streamed through flate2's [`GzDecoder`].
//! A stream may mix the two (`cat a.fastq.bgz b.fastq.gz`). A block that fails as BGZF (bad
//! CRC-32, ISIZE or BSIZE, invalid deflate data, cut short) is decoded again by flate2 as the gzip
//! member it is, so every stream gives the data and the errors it would give flate2 alone.

use std::io::{self, BufRead, Read};
use std::mem;

use flate2::bufread::GzDecoder;
use libdeflater::Decompressor;

use super::replay::Replay;
use crate::bgzf::{self, BLOCK_START, BlockFault, HEADER, MAX_ISIZE, TRAILER};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads the decompressed data of all members of a gzip (or BGZF) stream.
///
/// Each member's CRC-32 and ISIZE are checked by the end of its data (BGZF: before any of it is
/// returned). After the last member the input must end; anything else is an `InvalidData` error,
/// after which [`Members::is_trailing`] is true and the offending bytes are left unconsumed. A read
/// returns the data of one gzip member's read, or of as many whole BGZF blocks as surely fit.
pub(crate) struct Members<B> {
    state: State<B>,
    /// Decompressed bytes returned so far.
    decoded: u64,
    /// `(compressed, uncompressed)` start of the member being read, until it yields data.
    pending: Option<(u64, u64)>,
    /// Starts of the members that yielded data, when asked for.
    starts: Option<Vec<(u64, u64)>>,
    /// A BGZF block inflated here because the caller's buffer was too small, and how much of it
    /// has been returned.
    block: Vec<u8>,
    position: usize,
    /// The raw bytes of the BGZF block being inflated (reused).
    raw: Vec<u8>,
    /// Created at the first BGZF block.
    inflater: Option<Decompressor>,
    /// An error met after a read had already produced data, returned by the next read.
    deferred: Option<io::Error>,
}

enum State<B> {
    // Boxed: the state is moved on every read.
    Member(Box<GzDecoder<Replay<B>>>),
    /// At a member boundary (also the start): what follows is not yet known.
    Between(Replay<B>),
    Ended(Replay<B>),
    Trailing(Replay<B>),
    /// Only while `read` moves the state.
    Moving,
}

impl<B: BufRead> Members<B> {
    /// Starts decoding the member at the start of `inner`, which is compressed offset 0; with
    /// `starts`, notes where each member holding data starts.
    pub(super) fn new(inner: B, starts: bool) -> Self {
        Self {
            state: State::Between(Replay::new(inner)),
            decoded: 0,
            pending: None,
            starts: starts.then(Vec::new),
            block: Vec::new(),
            position: 0,
            raw: Vec::new(),
            inflater: None,
            deferred: None,
        }
    }
}

impl<B> Members<B> {
    fn input(&self) -> &Replay<B> {
        match &self.state {
            State::Member(decoder) => decoder.get_ref(),
            State::Between(inner) | State::Ended(inner) | State::Trailing(inner) => inner,
            State::Moving => unreachable!("state is restored before read returns"),
        }
    }

    /// The compressed input.
    pub(super) fn inner(&self) -> &B {
        self.input().inner()
    }

    /// Compressed bytes consumed so far.
    pub(super) fn consumed(&self) -> u64 {
        self.input().taken()
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

/// What starts at a member boundary.
enum Next {
    /// The end of the input.
    End,
    /// Bytes that are not gzip.
    Trailing,
    /// A BGZF block, read whole into `raw`.
    Block,
    /// Another gzip member (or a truncated BGZF block), of which the bytes read are in `raw`.
    Gzip,
}

/// A gzip member decoded by flate2 from `read`, the last bytes taken from `input`, on.
fn gzip_member<B: BufRead>(read: Vec<u8>, mut input: Replay<B>) -> State<B> {
    input.give_back(read);
    State::Member(Box::new(GzDecoder::new(input)))
}

impl<B: BufRead> Members<B> {
    /// Reads into `buf` from the current member or block, moving on to the next member as needed:
    /// `Ok(0)` only at the end of the stream.
    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.position < self.block.len() {
                let n = buf.len().min(self.block.len() - self.position);
                buf[..n].copy_from_slice(&self.block[self.position..self.position + n]);
                self.position += n;
                return Ok(n);
            }
            match mem::replace(&mut self.state, State::Moving) {
                State::Member(mut decoder) => match decoder.read(buf) {
                    Ok(0) => self.state = State::Between(decoder.into_inner()),
                    result => {
                        self.state = State::Member(decoder);
                        return result;
                    }
                },
                State::Between(mut inner) => {
                    let start = inner.taken();
                    let next = self.next(&mut inner);
                    self.state = State::Between(inner);
                    match next? {
                        Next::End => self.state = self.take_inner(State::Ended),
                        Next::Trailing => self.state = self.take_inner(State::Trailing),
                        next => {
                            self.pending = Some((start, self.decoded));
                            if matches!(next, Next::Block) {
                                match self.inflate(buf) {
                                    Ok(0) => continue,
                                    Ok(n) => return Ok(n),
                                    // flate2 decodes the member again from its first byte, and
                                    // tells what is wrong with it as for any other gzip member.
                                    Err(_) => {}
                                }
                            }
                            let taken = mem::take(&mut self.raw);
                            self.state = self.take_inner(|inner| gzip_member(taken, inner));
                        }
                    }
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

    /// Moves the input out of the `Between` state into another.
    fn take_inner<T>(&mut self, into: impl FnOnce(Replay<B>) -> T) -> T {
        match mem::replace(&mut self.state, State::Moving) {
            State::Between(inner) => into(inner),
            _ => unreachable!("only called in the Between state"),
        }
    }

    /// Looks at what starts at a member boundary; the bytes of a member read to tell (a whole
    /// BGZF block, or a gzip member's first bytes) are in `self.raw`.
    fn next(&mut self, inner: &mut Replay<B>) -> io::Result<Next> {
        let starts_member = match inner.fill_buf()? {
            [] => return Ok(Next::End),
            [first] => *first == GZIP_MAGIC[0],
            [first, second, ..] => [*first, *second] == GZIP_MAGIC,
        };
        if !starts_member {
            return Ok(Next::Trailing);
        }
        // The header goes into `raw`, where the rest of a BGZF block follows it.
        let raw = &mut self.raw;
        raw.clear();
        inner.by_ref().take(HEADER as u64).read_to_end(raw)?;
        if raw.len() < HEADER || raw[..4] != BLOCK_START {
            return Ok(Next::Gzip);
        }
        let xlen = bgzf::xlen(raw);
        inner.by_ref().take(xlen as u64).read_to_end(raw)?;
        let size = match bgzf::block_size(&raw[HEADER..]) {
            Some(size) if raw.len() == HEADER + xlen && size >= HEADER + xlen + TRAILER => size,
            // Not BGZF after all, or truncated (flate2 tells).
            _ => return Ok(Next::Gzip),
        };
        raw.reserve_exact(size - raw.len());
        inner.by_ref().take((size - raw.len()) as u64).read_to_end(raw)?;
        if raw.len() < size {
            return Ok(Next::Gzip);
        }
        Ok(Next::Block)
    }

    /// Inflates the block in `self.raw` into `buf` when it fits, else into `self.block`, and
    /// returns the bytes written to `buf`: 0 for an empty block.
    ///
    /// # Errors
    ///
    /// The block is not valid BGZF; `buf` may then hold anything.
    fn inflate(&mut self, buf: &mut [u8]) -> Result<usize, BlockFault> {
        let inflater = self.inflater.get_or_insert_with(Decompressor::new);
        let isize = bgzf::uncompressed_size(&self.raw)?;
        if buf.len() >= isize {
            bgzf::inflate_into(inflater, &self.raw, &mut buf[..isize])?;
            return Ok(isize);
        }
        // Only bytes the buffer never held are zeroed.
        self.block.resize(isize, 0);
        if let Err(fault) = bgzf::inflate_into(inflater, &self.raw, &mut self.block) {
            self.block.clear();
            self.position = 0;
            return Err(fault);
        }
        let n = buf.len();
        buf.copy_from_slice(&self.block[..n]);
        self.position = n;
        Ok(n)
    }

    /// Whether the next read starts at a member boundary after a BGZF block.
    fn between_blocks(&self) -> bool {
        self.position == self.block.len() && matches!(self.state, State::Between(_))
    }
}

impl<B: BufRead> Read for Members<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(error) = self.deferred.take() {
            return Err(error);
        }
        let mut filled = 0;
        loop {
            match self.read_some(&mut buf[filled..]) {
                Ok(n) => {
                    self.decoded(n);
                    filled += n;
                    // Whole BGZF blocks go on filling the buffer while one surely fits.
                    if n == 0 || !self.between_blocks() || buf.len() - filled < MAX_ISIZE {
                        return Ok(filled);
                    }
                }
                Err(error) if filled > 0 => {
                    self.deferred = Some(error);
                    return Ok(filled);
                }
                Err(error) => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{bgzf, gzip};

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

    // Three BGZF blocks (two full ones and 84 bytes), then the EOF marker.
    fn bgzf_text() -> io::Result<(Vec<u8>, Vec<u8>)> {
        let text: Vec<u8> = (0..(2 * MAX_ISIZE + 2) as u32).map(|i| (i % 251) as u8).collect();
        Ok((bgzf(&text)?, text))
    }

    #[test]
    fn test_read_bgzf_mixed_with_gzip() -> io::Result<()> {
        let (blocks, text) = bgzf_text()?;
        let hello = gzip(b"hello")?;
        let data = [&blocks[..], &hello[..], &blocks[..]].concat();
        let mut members = Members::new(io::BufReader::new(&data[..]), true);
        let mut out = Vec::new();
        members.read_to_end(&mut out)?;
        assert_eq!(out, [&text[..], b"hello", &text[..]].concat());
        let starts = members.into_parts().1.ok_or_else(|| io::Error::other("no starts"))?;
        let mut alone = Members::new(&blocks[..], true);
        alone.read_to_end(&mut Vec::new())?;
        let alone = alone.into_parts().1.ok_or_else(|| io::Error::other("no starts"))?;
        assert_eq!(alone.len(), 3);
        let (c, u) = (blocks.len() as u64, text.len() as u64);
        let shifted =
            alone.iter().map(|&(compressed, uncompressed)| (compressed + c + hello.len() as u64, uncompressed + u + 5));
        let expected: Vec<_> = alone.iter().copied().chain([(c, u)]).chain(shifted).collect();
        assert_eq!(starts, expected);
        Ok(())
    }

    #[test]
    fn test_read_bgzf_into_small_and_large_buffers() -> io::Result<()> {
        let (blocks, text) = bgzf_text()?;
        let mut members = Members::new(&blocks[..], false);
        let mut out = Vec::new();
        let mut buf = [0; 1000];
        loop {
            match members.read(&mut buf)? {
                0 => break,
                n => out.extend_from_slice(&buf[..n]),
            }
        }
        assert_eq!(out, text);
        // A buffer with room for several blocks is filled with as many as surely fit.
        let mut members = Members::new(&blocks[..], false);
        let mut buf = vec![0; 3 * MAX_ISIZE];
        assert_eq!(members.read(&mut buf)?, 2 * MAX_ISIZE + 2);
        assert_eq!(buf[..text.len()], text);
        assert_eq!(members.read(&mut buf)?, 0);
        Ok(())
    }

    /// What a whole read gives: the data's length and SHA-256, then the error's kind and message.
    fn read_all(mut reader: impl Read) -> (usize, String, Option<(io::ErrorKind, String)>) {
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).err().map(|e| (e.kind(), e.to_string()));
        (out.len(), hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&out)), error)
    }

    #[test]
    fn test_read_bgzf_faults_as_flate2() -> io::Result<()> {
        let (blocks, _) = bgzf_text()?;
        let first = bgzf::block_size(&blocks[HEADER..HEADER + bgzf::xlen(&blocks)]).unwrap_or_default();
        let edit = |at: usize, bytes: &[u8]| {
            let mut edited = blocks.clone();
            edited[at..at + bytes.len()].copy_from_slice(bytes);
            edited
        };
        let cases = [
            ("CRC-32", edit(first - 8, &[!blocks[first - 8]])),
            ("ISIZE", edit(first - 4, &[blocks[first - 4] ^ 1])),
            ("ISIZE over 64 KiB", edit(first - 4, &[0xff; 4])),
            ("deflate BTYPE 11", edit(18, &[blocks[18] | 0x06])),
            // BSIZE matters to BGZF only: as gzip these members are valid.
            ("BSIZE 64 KiB", edit(16, &[0xff, 0xff])),
            ("BSIZE short", edit(16, &[100, 0])),
        ];
        for (what, data) in cases {
            let flate2 = read_all(flate2::bufread::MultiGzDecoder::new(&data[..]));
            assert_eq!(read_all(Members::new(&data[..], false)), flate2, "{what}");
        }
        // Ending inside the second block, after the first was returned.
        let mut members = Members::new(&blocks[..first + 30], false);
        let mut buf = vec![0; 4 * MAX_ISIZE];
        let decoded = members.read(&mut buf)?;
        assert!(decoded > 0 && decoded <= MAX_ISIZE);
        let error = members.read(&mut buf).err().ok_or_else(|| io::Error::other("no error"))?;
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(members.consumed(), first as u64 + 30);
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
