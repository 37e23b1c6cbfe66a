//! The reader stack of one FASTQ source: raw bytes hashed (SHA-256) and counted, sniffed for
//! compression, decompressed, hashed again for the ETag, and sniffed for content — one pass.

mod members;

use std::io::{self, BufReader, Chain, Cursor, Read};

use self::members::Members;
use super::{Error, ErrorKind, Which};
use crate::digest::{Algorithm, Digest, HashingReader};
use crate::sniff::{self, Compression, Content};

/// Size of each buffer of the stack (raw and decompressed).
const BUFFER: usize = 256 * 1024;
/// Raw bytes looked at to tell gzip from BGZF (header and extra field).
const RAW_PREFIX: u64 = 64;
/// Decompressed bytes looked at to tell FASTQ from other formats.
const TEXT_PREFIX: u64 = 512;
/// Bytes of unrecognised content quoted in errors.
const QUOTED_PREFIX: usize = 8;

/// Bytes read ahead for sniffing, then the rest of the reader.
type Prefixed<R> = Chain<Cursor<Vec<u8>>, R>;
/// The raw stream, hashed and counted.
type Raw<R> = BufReader<Prefixed<HashingReader<R>>>;
/// The decompressed text, hashed for the ETag, buffered for line parsing.
pub(super) type Text<R> = BufReader<Prefixed<HashingReader<Decoder<R>>>>;

/// Decompression of the raw stream, as sniffed.
pub(super) enum Decoder<R> {
    Plain(Raw<R>),
    Gzip(Members<Raw<R>>),
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(raw) => raw.read(buf),
            Decoder::Gzip(members) => members.read(buf),
        }
    }
}

impl<R> Decoder<R> {
    fn buffered(&self) -> &Raw<R> {
        match self {
            Decoder::Plain(raw) => raw,
            Decoder::Gzip(members) => members.inner(),
        }
    }

    fn raw(&self) -> &HashingReader<R> {
        self.buffered().get_ref().get_ref().1
    }

    /// Raw bytes consumed by decompression so far (read, less what is still buffered).
    fn consumed(&self) -> u64 {
        let buffered = self.buffered();
        let (prefix, raw) = buffered.get_ref().get_ref();
        let unread_prefix = prefix.get_ref().len() as u64 - prefix.position();
        raw.bytes_read() - unread_prefix - buffered.buffer().len() as u64
    }

    /// Tells a failure of the underlying reader from one of the data.
    fn classify(&self, error: io::Error) -> ErrorKind {
        if self.raw().failed() {
            return ErrorKind::Io(error);
        }
        match self {
            Decoder::Plain(_) => ErrorKind::Io(error),
            Decoder::Gzip(members) if members.is_trailing() => ErrorKind::GzipTrailingData { offset: self.consumed() },
            Decoder::Gzip(_) if error.kind() == io::ErrorKind::UnexpectedEof => {
                ErrorKind::GzipTruncated { compressed_bytes: self.raw().bytes_read() }
            }
            // flate2 reports CRC-32 and ISIZE mismatches as InvalidInput with this wording only.
            Decoder::Gzip(_) if error.to_string().contains("checksum") => ErrorKind::GzipChecksum,
            Decoder::Gzip(_) => ErrorKind::GzipCorrupt { compressed_bytes: self.consumed(), source: error },
        }
    }

    fn into_raw(self) -> HashingReader<R> {
        let buffered = match self {
            Decoder::Plain(raw) => raw,
            Decoder::Gzip(members) => members.into_inner(),
        };
        buffered.into_inner().into_inner().1
    }
}

/// Builds the stack over `reader`, reading ahead to sniff compression and content.
///
/// # Errors
///
/// [`ErrorKind::Empty`], [`ErrorKind::WrongFormat`] or [`ErrorKind::NotFastq`] when the content is
/// not FASTQ; gzip and I/O errors met while reading ahead.
pub(super) fn open<R: Read>(which: Which, reader: R, algorithm: Algorithm) -> Result<(Compression, Text<R>), Error> {
    let mut raw = HashingReader::new(reader, Algorithm::Sha256);
    let prefix = read_prefix(&mut raw, RAW_PREFIX).map_err(|e| Error::new(which, ErrorKind::Io(e)))?;
    let compression = sniff::compression(&prefix);
    let raw = BufReader::with_capacity(BUFFER, Cursor::new(prefix).chain(raw));
    let decoder = match compression {
        Compression::Plain => Decoder::Plain(raw),
        Compression::Gzip | Compression::Bgzf => Decoder::Gzip(Members::new(raw)),
    };
    // Plain text is its own raw stream: a SHA-256 ETag is the stored SHA-256, computed once.
    // Otherwise the ETag is hashed on a helper thread: MD5 alone is about as slow as inflate.
    let mut text = match (compression, algorithm) {
        (Compression::Plain, Algorithm::Sha256) => HashingReader::counting(decoder),
        _ => HashingReader::offloaded(decoder, algorithm).map_err(|e| Error::new(which, ErrorKind::Io(e)))?,
    };
    let prefix = read_prefix(&mut text, TEXT_PREFIX).map_err(|e| Error::new(which, text.inner().classify(e)))?;
    let kind = match sniff::content(&prefix) {
        Content::Fastq => None,
        Content::Empty => Some(ErrorKind::Empty),
        Content::Unknown => Some(ErrorKind::NotFastq { prefix: prefix[..prefix.len().min(QUOTED_PREFIX)].to_vec() }),
        content @ (Content::Bam | Content::Cram | Content::Fasta | Content::Sam) => {
            Some(ErrorKind::WrongFormat { content })
        }
    };
    match kind {
        Some(kind) => Err(Error::new(which, kind)),
        None => Ok((compression, BufReader::with_capacity(BUFFER, Cursor::new(prefix).chain(text)))),
    }
}

fn read_prefix<R: Read>(reader: &mut R, len: u64) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::new();
    reader.take(len).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// Classifies an I/O error met while reading `text`.
pub(super) fn classify<R>(text: &Text<R>, error: io::Error) -> ErrorKind {
    text.get_ref().get_ref().1.inner().classify(error)
}

/// Digests of a fully read stack.
pub(super) struct Digests {
    /// Lowercase hex ETag digest of the decompressed bytes.
    pub(super) etag: String,
    /// Lowercase hex SHA-256 of the raw bytes.
    pub(super) stored_sha256: String,
    /// Raw bytes read.
    pub(super) stored_bytes: u64,
}

/// Ends the digests of `text`, which must have been read to its end.
pub(super) fn finish<R>(text: Text<R>) -> Digests {
    let (decoder, etag) = text.into_inner().into_inner().1.into_parts();
    let raw = decoder.into_raw();
    let stored_bytes = raw.bytes_read();
    let stored_sha256 = raw.into_parts().1.map(Digest::finalize_hex).expect("raw bytes are always digested");
    let etag = etag.map_or_else(|| stored_sha256.clone(), Digest::finalize_hex);
    Digests { etag, stored_sha256, stored_bytes }
}
