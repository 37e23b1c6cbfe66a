//! The raw side of a text source's reader stack, shared by FASTA and FASTQ: raw bytes hashed
//! (SHA-256 and MD5) and counted, sniffed for compression and decompressed member by member, with I/O errors told apart
//! into gzip faults and read failures. Also the read-ahead that sniffing uses on either side.
//!
//! Hand-written for a measured reason: BGZF members are inflated by libdeflate straight into the
//! caller's buffer (`members.rs`), 1.39× flate2's speed on BGZF FASTQ (`benches/fastq.rs`, figures
//! in `benches/README.md`, "FASTQ"); other gzip members stream through flate2.

mod members;
mod replay;

use std::io::{self, BufReader, Chain, Cursor, Read};

use self::members::Members;
use crate::digest::{Stored, StoredReader};
use crate::sniff::{self, Compression};

/// Size of each buffer of the stack (raw and decompressed).
pub(crate) const BUFFER: usize = 256 * 1024;
/// Raw bytes looked at to tell gzip from BGZF (header and extra field).
const RAW_PREFIX: u64 = 64;
/// Decompressed bytes looked at to tell the format of the text.
pub(crate) const TEXT_PREFIX: u64 = 512;
/// Bytes of unrecognised content quoted in errors.
pub(crate) const QUOTED_PREFIX: usize = 8;

/// Bytes read ahead for sniffing, then the rest of the reader.
pub(crate) type Prefixed<R> = Chain<Cursor<Vec<u8>>, R>;
/// The raw stream, hashed and counted.
type Raw<R> = BufReader<Prefixed<StoredReader<R>>>;

/// Decompression of the raw stream, as sniffed.
pub(crate) enum Inflate<R> {
    Plain(Raw<R>),
    Gzip(Members<Raw<R>>),
}

/// Why decompressing failed, as told by [`Inflate::classify`].
#[derive(Debug)]
pub(crate) enum Fault {
    /// The raw reader failed (or the stream is plain, where any error is the reader's).
    Io(io::Error),
    /// The gzip data is invalid.
    Gzip(GzipError),
}

/// Why gzip (or BGZF) data read as a stream of gzip members is invalid: the one report of FASTQ
/// and FASTA sources, which wrap it in their error kinds. Each message is a lowercase phrase that
/// follows the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum GzipError {
    /// The compressed stream ends inside a gzip member.
    #[error("gzip stream is truncated after {compressed_bytes} compressed bytes")]
    Truncated {
        /// Compressed bytes read in all.
        compressed_bytes: u64,
    },
    /// A gzip member's CRC-32 or ISIZE does not match its data.
    #[error("gzip data is corrupt (CRC or length check failed)")]
    Checksum,
    /// A gzip header or deflate data is invalid.
    #[error("gzip data is corrupt (invalid header or deflate data) before compressed byte {compressed_bytes}")]
    Corrupt {
        /// Compressed bytes consumed when the decoder gave up.
        compressed_bytes: u64,
        /// The decoder's report.
        #[source]
        source: io::Error,
    },
    /// Bytes after the last gzip member that do not start another member.
    #[error("data after the last gzip member, at compressed byte {offset}, is not gzip")]
    TrailingData {
        /// 0-based offset of the first such byte in the compressed stream.
        offset: u64,
    },
}

impl<R: Read> Inflate<R> {
    /// Reads ahead on `raw` to sniff its compression and starts decompressing it; for BGZF with
    /// `bgzf_starts`, notes where each block starts (see [`Inflate::into_parts`]).
    ///
    /// # Errors
    ///
    /// Reading ahead failed.
    pub(crate) fn open(mut raw: StoredReader<R>, bgzf_starts: bool) -> io::Result<(Compression, Self)> {
        let prefix = read_prefix(&mut raw, RAW_PREFIX)?;
        let compression = sniff::compression(&prefix);
        let raw = BufReader::with_capacity(BUFFER, Cursor::new(prefix).chain(raw));
        let inflate = match compression {
            Compression::Plain => Inflate::Plain(raw),
            Compression::Gzip => Inflate::Gzip(Members::new(raw, false)),
            Compression::Bgzf => Inflate::Gzip(Members::new(raw, bgzf_starts)),
        };
        Ok((compression, inflate))
    }
}

impl<R: Read> Read for Inflate<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Inflate::Plain(raw) => raw.read(buf),
            Inflate::Gzip(members) => members.read(buf),
        }
    }
}

impl<R> Inflate<R> {
    fn raw(&self) -> &StoredReader<R> {
        let buffered = match self {
            Inflate::Plain(raw) => raw,
            Inflate::Gzip(members) => members.inner(),
        };
        buffered.get_ref().get_ref().1
    }

    /// Tells a failure of the raw reader from one of the data.
    pub(crate) fn classify(&self, error: io::Error) -> Fault {
        if self.raw().failed() {
            return Fault::Io(error);
        }
        match self {
            Inflate::Plain(_) => Fault::Io(error),
            Inflate::Gzip(members) if members.is_trailing() => {
                Fault::Gzip(GzipError::TrailingData { offset: members.consumed() })
            }
            Inflate::Gzip(_) if error.kind() == io::ErrorKind::UnexpectedEof => {
                Fault::Gzip(GzipError::Truncated { compressed_bytes: self.raw().bytes_read() })
            }
            // flate2 reports CRC-32 and ISIZE mismatches as InvalidInput with this wording only.
            Inflate::Gzip(_) if error.to_string().contains("checksum") => Fault::Gzip(GzipError::Checksum),
            Inflate::Gzip(members) => {
                Fault::Gzip(GzipError::Corrupt { compressed_bytes: members.consumed(), source: error })
            }
        }
    }

    /// Unwraps into the raw reader and the `(compressed, uncompressed)` starts of the BGZF blocks
    /// that held data, when asked for.
    pub(crate) fn into_parts(self) -> (StoredReader<R>, Option<Vec<(u64, u64)>>) {
        let (raw, starts) = match self {
            Inflate::Plain(raw) => (raw, None),
            Inflate::Gzip(members) => members.into_parts(),
        };
        (raw.into_inner().into_inner().1, starts)
    }
}

/// Length and digests of the raw bytes of a fully read stack.
pub(crate) fn stored<R>(raw: StoredReader<R>) -> Stored {
    raw.into_parts().1
}

/// Reads up to `len` bytes ahead.
pub(crate) fn read_prefix<R: Read>(reader: &mut R, len: u64) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::new();
    reader.take(len).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// `prefix` put back before the rest of `text`, buffered for line parsing.
pub(crate) fn buffered<T: Read>(prefix: Vec<u8>, text: T) -> BufReader<Prefixed<T>> {
    BufReader::with_capacity(BUFFER, Cursor::new(prefix).chain(text))
}
