//! Random access to the bases of one sequence of a stored FASTA file, plain or BGZF, from its
//! `.fai` entry (and `.gzi`), reading only the bytes or blocks that hold them.

use std::io::{self, Read};

use super::indexer::is_base;
use super::{Error, ErrorKind, Gzi, Sequence, fai};
use crate::sniff::Compression;

/// Random access to stored bytes (the service implements it over ranged GETs of object storage).
pub trait ReadAt {
    /// Reads exactly `len` bytes from `offset`.
    ///
    /// # Errors
    ///
    /// The storage failed, or (`UnexpectedEof`) the range passes the end.
    fn read_at(&self, offset: u64, len: u64) -> io::Result<Vec<u8>>;

    /// Number of stored bytes.
    fn len(&self) -> u64;

    /// Whether there are no stored bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        let range = usize::try_from(offset).ok().zip(offset.checked_add(len).and_then(|end| usize::try_from(end).ok()));
        range
            .and_then(|(start, end)| self.get(start..end))
            .map(<[u8]>::to_vec)
            .ok_or(io::ErrorKind::UnexpectedEof.into())
    }

    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
}

/// Reads `len` bases of `sequence` from base `start` (0-based), given its `.fai` entry, from the
/// stored file in `source`: for plain text exactly the byte range holding those bases; for BGZF
/// the blocks holding them, found with `gzi`, in one read. Returns the bases without line breaks,
/// case preserved.
///
/// # Errors
///
/// [`ErrorKind::OutOfRange`] when the bases are not all in the sequence; [`ErrorKind::LineLayout`]
/// for an impossible entry; [`ErrorKind::NotSeekable`] for plain gzip; [`ErrorKind::MissingGzi`]
/// for BGZF without `gzi`; [`ErrorKind::Io`] when `source` fails; [`ErrorKind::InvalidBgzf`],
/// [`ErrorKind::PastEnd`] or [`ErrorKind::Mismatch`] when the stored data does not hold the bases
/// where the entry says.
///
/// Memory is bounded by the bytes read from `source`, never by what `sequence` or `gzi` claim: a
/// corrupt entry fails with one of the errors above instead of reserving its length.
pub fn read_bases(
    source: &dyn ReadAt,
    compression: Compression,
    gzi: Option<&Gzi>,
    sequence: &Sequence,
    start: u64,
    len: u64,
) -> Result<Vec<u8>, Error> {
    let of_sequence = |kind| Error::new(kind).of(&sequence.name);
    fai::check_layout(sequence).map_err(of_sequence)?;
    let end = start.checked_add(len).filter(|&end| end <= sequence.length).ok_or_else(|| {
        let (name, length) = (sequence.name.clone(), sequence.length);
        of_sequence(ErrorKind::OutOfRange { name, start, end: start.saturating_add(len), length })
    })?;
    if len == 0 {
        return Ok(Vec::new());
    }
    let past_end = |end| of_sequence(ErrorKind::PastEnd { name: sequence.name.clone(), end });
    let first = byte_of(sequence, start).ok_or_else(|| past_end(u64::MAX))?;
    let last = byte_of(sequence, end - 1).and_then(|b| b.checked_add(1)).ok_or_else(|| past_end(u64::MAX))?;
    let text = match compression {
        Compression::Plain if last > source.len() => return Err(past_end(last)),
        Compression::Plain => source.read_at(first, last - first).map_err(|e| Error::new(ErrorKind::Io(e)))?,
        Compression::Bgzf => {
            let gzi = gzi.ok_or_else(|| Error::new(ErrorKind::MissingGzi))?;
            read_bgzf(source, gzi, sequence, first, last)?
        }
        Compression::Gzip => return Err(Error::new(ErrorKind::NotSeekable)),
    };
    extract(sequence, first, &text).map_err(of_sequence)
}

/// Uncompressed offset of base `i` of `sequence`.
fn byte_of(sequence: &Sequence, i: u64) -> Option<u64> {
    let lines = (i / sequence.line_bases).checked_mul(sequence.line_width)?;
    sequence.offset.checked_add(lines)?.checked_add(i % sequence.line_bases)
}

/// Uncompressed bytes `first..last` of BGZF data holding bases of `sequence`, from the blocks
/// that hold them only, in one read.
fn read_bgzf(source: &dyn ReadAt, gzi: &Gzi, sequence: &Sequence, first: u64, last: u64) -> Result<Vec<u8>, Error> {
    let (compressed, uncompressed) = gzi.block_of(first);
    let end = gzi.block_from(last).unwrap_or(source.len());
    let blocks =
        source.read_at(compressed, end.saturating_sub(compressed)).map_err(|e| Error::new(ErrorKind::Io(e)))?;
    let invalid = |e: io::Error| {
        let kind = match e.kind() {
            io::ErrorKind::UnexpectedEof => ErrorKind::PastEnd { name: sequence.name.clone(), end: last },
            _ => ErrorKind::InvalidBgzf { offset: compressed, source: e },
        };
        Error::new(kind).of(&sequence.name)
    };
    let mut reader = noodles_bgzf::io::Reader::new(&blocks[..]);
    let skip = first - uncompressed;
    if io::copy(&mut (&mut reader).take(skip), &mut io::sink()).map_err(invalid)? < skip {
        return Err(invalid(io::ErrorKind::UnexpectedEof.into()));
    }
    // Not reserved up front: `last - first` comes from the entry and may be any size; what is read
    // is bounded by `blocks`.
    let mut text = Vec::new();
    (&mut reader).take(last - first).read_to_end(&mut text).map_err(invalid)?;
    if text.len() as u64 != last - first {
        return Err(invalid(io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(text)
}

/// The bases of `text`, which starts at uncompressed byte `first` of `sequence`'s lines.
fn extract(sequence: &Sequence, first: u64, text: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    let mut bases = Vec::with_capacity(text.len());
    let mut column = (first - sequence.offset) % sequence.line_width;
    for (&byte, offset) in text.iter().zip(first..) {
        let expected = if column < sequence.line_bases { is_base(byte) } else { matches!(byte, b'\n' | b'\r') };
        if !expected {
            return Err(ErrorKind::Mismatch { name: sequence.name.clone(), byte, offset });
        }
        if column < sequence.line_bases {
            bases.push(byte);
        }
        column += 1;
        if column == sequence.line_width {
            column = 0;
        }
    }
    Ok(bases)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::fasta::scan;
    use crate::testing::bgzf;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A [`ReadAt`] that counts the bytes asked of it.
    struct Counting {
        bytes: Vec<u8>,
        requested: Cell<u64>,
        reads: Cell<u64>,
    }

    impl Counting {
        fn new(bytes: Vec<u8>) -> Self {
            Self { bytes, requested: Cell::new(0), reads: Cell::new(0) }
        }
    }

    impl ReadAt for Counting {
        fn read_at(&self, offset: u64, len: u64) -> io::Result<Vec<u8>> {
            self.requested.set(self.requested.get() + len);
            self.reads.set(self.reads.get() + 1);
            self.bytes.read_at(offset, len)
        }

        fn len(&self) -> u64 {
            ReadAt::len(&self.bytes)
        }
    }

    /// Pseudo-random soft-masked bases, deterministic.
    fn bases(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                b"ACGTacgtNACGTACG"[(state >> 60) as usize]
            })
            .collect()
    }

    fn fasta(sequences: &[(&str, &[u8], usize)]) -> Vec<u8> {
        let mut text = Vec::new();
        for (name, bases, width) in sequences {
            text.extend_from_slice(format!(">{name} test\n").as_bytes());
            for line in bases.chunks(*width) {
                text.extend_from_slice(line);
                text.push(b'\n');
            }
        }
        text
    }

    #[test]
    fn test_read_bases_plain_and_bgzf() -> TestResult {
        let one = bases(300_000, 1);
        let two = bases(1001, 2);
        let text = fasta(&[("one", &one, 60), ("two", &two, 77)]);
        let stored = [(text.clone(), Compression::Plain), (bgzf(&text)?, Compression::Bgzf)];
        for (raw, compression) in stored {
            let summary = scan(&raw[..], None)?;
            let gzi = summary.gzi.as_deref().map(Gzi::parse).transpose()?;
            assert_eq!(gzi.is_some(), compression == Compression::Bgzf);
            assert!(gzi.as_ref().is_none_or(|gzi| gzi.entries().len() >= 4), "several blocks");
            let (seq_one, seq_two) = (&summary.sequences[0], &summary.sequences[1]);
            let ranges: [(&Sequence, &[u8], u64, u64); 11] = [
                (seq_one, &one, 0, 1),
                (seq_one, &one, 0, 60),
                (seq_one, &one, 0, 61),
                (seq_one, &one, 59, 2),
                (seq_one, &one, 1234, 5000),
                (seq_one, &one, 64_000, 3000), // across the first BGZF block boundary
                (seq_one, &one, 299_999, 1),
                (seq_one, &one, 0, 300_000),
                (seq_two, &two, 0, 1001),
                (seq_two, &two, 1000, 1),
                (seq_two, &two, 500, 0),
            ];
            for (sequence, expected, start, len) in ranges {
                let range = start as usize..(start + len) as usize;
                let found = read_bases(&raw, compression, gzi.as_ref(), sequence, start, len)?;
                assert_eq!(found, &expected[range], "{compression:?} {} {start} {len}", sequence.name);
            }
        }
        Ok(())
    }

    #[test]
    fn test_read_bases_across_every_block_boundary() -> TestResult {
        let one = bases(400_000, 3);
        let text = fasta(&[("one", &one, 50)]);
        let raw = bgzf(&text)?;
        let summary = scan(&raw[..], None)?;
        let gzi = Gzi::parse(summary.gzi.as_deref().ok_or("no gzi")?)?;
        let sequence = &summary.sequences[0];
        for &(_, uncompressed) in gzi.entries() {
            // The base nearest the boundary, then 100 bases either side of it.
            let base = (uncompressed - sequence.offset) / 51 * 50;
            let start = base.saturating_sub(100);
            let found = read_bases(&raw, Compression::Bgzf, Some(&gzi), sequence, start, 200)?;
            assert_eq!(found, &one[start as usize..start as usize + 200]);
        }
        Ok(())
    }

    #[test]
    fn test_read_bases_requests_few_bytes() -> TestResult {
        let one = bases(10_000_000, 4);
        let text = fasta(&[("chr1", &one, 60)]);
        let summary = scan(&text[..], None)?;
        let sequence = &summary.sequences[0];

        let plain = Counting::new(text.clone());
        let found = read_bases(&plain, Compression::Plain, None, sequence, 5_000_000, 1000)?;
        assert_eq!(found, &one[5_000_000..5_001_000]);
        assert_eq!(plain.reads.get(), 1);
        assert!(plain.requested.get() <= 1100, "plain requested {} bytes", plain.requested.get());

        let raw = bgzf(&text)?;
        let gzi = Gzi::parse(scan(&raw[..], None)?.gzi.as_deref().ok_or("no gzi")?)?;
        let bgzf = Counting::new(raw);
        let found = read_bases(&bgzf, Compression::Bgzf, Some(&gzi), sequence, 5_000_000, 1000)?;
        assert_eq!(found, &one[5_000_000..5_001_000]);
        assert_eq!(bgzf.reads.get(), 1);
        // A block holds at most 64 KiB compressed; 1000 bases span at most 2 blocks.
        assert!(bgzf.requested.get() < 200 * 1024, "BGZF requested {} bytes", bgzf.requested.get());
        assert!(bgzf.requested.get() <= 3 * 65_536, "BGZF requested {} bytes", bgzf.requested.get());

        // The same across the block boundary nearest the middle.
        let boundary = gzi.entries()[gzi.entries().len() / 2].1;
        let start = (boundary - sequence.offset) / 61 * 60 - 500;
        bgzf.requested.set(0);
        let found = read_bases(&bgzf, Compression::Bgzf, Some(&gzi), sequence, start, 1000)?;
        assert_eq!(found, &one[start as usize..start as usize + 1000]);
        assert!(bgzf.requested.get() < 200 * 1024, "BGZF requested {} bytes", bgzf.requested.get());
        Ok(())
    }

    #[test]
    fn test_read_bases_errors() -> TestResult {
        let text = fasta(&[("chr1", b"ACGTACGTAC", 4)]);
        let summary = scan(&text[..], None)?;
        let sequence = &summary.sequences[0];
        let message = |source: &Vec<u8>, compression, gzi: Option<&Gzi>, sequence: &Sequence, start, len| {
            read_bases(source, compression, gzi, sequence, start, len)
                .map_or_else(|e| e.to_string(), |b| format!("{b:?}"))
        };
        let plain = Compression::Plain;
        assert_eq!(
            message(&text, plain, None, sequence, 8, 3),
            "reference: bases 8..11 are outside sequence 'chr1' of 10 bases"
        );
        assert_eq!(
            message(&text, plain, None, sequence, u64::MAX, 3),
            format!("reference: bases {}..{} are outside sequence 'chr1' of 10 bases", u64::MAX, u64::MAX)
        );
        assert_eq!(
            message(&text, Compression::Gzip, None, sequence, 0, 3),
            "reference: plain gzip cannot be read at random; read its BGZF copy"
        );
        assert_eq!(
            message(&text, Compression::Bgzf, None, sequence, 0, 3),
            "reference: BGZF data needs its .gzi index to be read at random"
        );
        let shifted = Sequence { offset: sequence.offset - 1, ..sequence.clone() };
        assert_eq!(
            message(&text, plain, None, &shifted, 0, 3),
            "reference: stored data does not match the .fai entry of sequence 'chr1': \
             '\\x0a' (0x0a) at uncompressed byte 10"
        );
        let beyond = Sequence { offset: 1000, ..sequence.clone() };
        assert_eq!(
            message(&text, plain, None, &beyond, 0, 3),
            "reference: sequence 'chr1' ends past the stored data, at uncompressed byte 1003"
        );
        let raw = bgzf(&text)?;
        assert_eq!(
            message(&raw, Compression::Bgzf, Some(&Gzi::default()), &beyond, 0, 3),
            "reference: sequence 'chr1' ends past the stored data, at uncompressed byte 1003"
        );
        let mut corrupt = raw.clone();
        corrupt[20] ^= 0xff;
        let error =
            read_bases(&corrupt, Compression::Bgzf, Some(&Gzi::default()), sequence, 0, 3).err().ok_or("no error")?;
        assert!(matches!(error.kind, ErrorKind::InvalidBgzf { offset: 0, .. }), "{error}");
        let layout = Sequence { line_width: 4, ..sequence.clone() };
        assert_eq!(
            message(&text, plain, None, &layout, 0, 3),
            "reference: sequence 'chr1' has 4 bases in lines of 4 bytes"
        );
        Ok(())
    }
}
