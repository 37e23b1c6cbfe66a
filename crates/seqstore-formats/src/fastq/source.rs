//! The reader stack of one FASTQ source: raw bytes hashed (SHA-256 and MD5, as stored) and
//! counted, sniffed for compression, decompressed, hashed again for the ETag, and sniffed for
//! content — one pass.

use std::io::{self, BufReader, Read};

use super::{Error, ErrorKind, Which};
use crate::digest::{Algorithm, Digest, HashingReader, StoredReader};
use crate::inflate::{self, Fault, Inflate, Prefixed, QUOTED_PREFIX, TEXT_PREFIX};
use crate::sniff::{self, Compression, Content};

/// The decompressed text, hashed for the ETag, buffered for line parsing.
pub(super) type Text<R> = BufReader<Prefixed<HashingReader<Inflate<R>>>>;

/// Builds the stack over `reader`, reading ahead to sniff compression and content.
///
/// # Errors
///
/// [`ErrorKind::Empty`], [`ErrorKind::WrongFormat`] or [`ErrorKind::NotFastq`] when the content is
/// not FASTQ; gzip and I/O errors met while reading ahead.
pub(super) fn open<R: Read>(which: Which, reader: R, algorithm: Algorithm) -> Result<(Compression, Text<R>), Error> {
    let raw = StoredReader::new(reader);
    let (compression, inflate) = Inflate::open(raw, false).map_err(|e| Error::new(which, ErrorKind::Io(e)))?;
    // Plain text is its own raw stream: an MD5 or SHA-256 ETag is the stored digest, computed
    // once (see `finish`). Otherwise the ETag is hashed on a helper thread: MD5 alone is about as
    // slow as inflate.
    let mut text = match (compression, algorithm) {
        (Compression::Plain, Algorithm::Md5 | Algorithm::Sha256) => HashingReader::counting(inflate),
        _ => HashingReader::offloaded(inflate, algorithm),
    };
    let prefix =
        inflate::read_prefix(&mut text, TEXT_PREFIX).map_err(|e| Error::new(which, kind(text.inner().classify(e))))?;
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
        None => Ok((compression, inflate::buffered(prefix, text))),
    }
}

/// Classifies an I/O error met while reading `text`.
pub(super) fn classify<R>(text: &Text<R>, error: io::Error) -> ErrorKind {
    kind(text.get_ref().get_ref().1.inner().classify(error))
}

fn kind(fault: Fault) -> ErrorKind {
    match fault {
        Fault::Io(e) => ErrorKind::Io(e),
        Fault::Gzip(e) => ErrorKind::Gzip(e),
    }
}

/// Digests of a fully read stack.
pub(super) struct Digests {
    /// Lowercase hex ETag digest of the decompressed bytes.
    pub(super) etag: String,
    /// Lowercase hex SHA-256 of the raw bytes.
    pub(super) stored_sha256: String,
    /// Lowercase hex MD5 of the raw bytes.
    pub(super) stored_md5: String,
    /// Raw bytes read.
    pub(super) stored_bytes: u64,
}

/// Ends the digests of `text`, which must have been read to its end; `algorithm` is the one it
/// was opened with.
pub(super) fn finish<R>(text: Text<R>, algorithm: Algorithm) -> Digests {
    let (inflate, etag) = text.into_inner().into_inner().1.into_parts();
    let stored = inflate::stored(inflate.into_parts().0);
    // No ETag digest of its own: plain text, whose ETag is the stored digest of its algorithm.
    let etag = etag.map_or_else(
        || match algorithm {
            Algorithm::Md5 => stored.md5.clone(),
            Algorithm::Sha256 | Algorithm::Sha512 => stored.sha256.clone(),
        },
        Digest::finalize_hex,
    );
    Digests { etag, stored_sha256: stored.sha256, stored_md5: stored.md5, stored_bytes: stored.bytes }
}
