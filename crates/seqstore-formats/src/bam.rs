//! BAM and uBAM read sets: one pass over the raw bytes that checks the BGZF framing (CRCs, EOF
//! marker), decodes the header and every record, checks `@SQ` lines against a reference and the
//! sort order, and computes statistics, the SAM-text ETag and, for coordinate-sorted input, the
//! index.

mod bgzf;
pub(crate) mod error;
mod etag;
mod header;
mod index;
pub(crate) mod record;
mod scanner;

use std::io::{BufReader, Cursor, Read};

pub use self::error::{Error, ErrorKind, RecordFault, RecordId};
pub use crate::alignment::{AlignmentStatistics, IndexKind, ReferenceSequence, Summary};
use crate::digest::{Algorithm, StoredReader};
use crate::limits::Limits;
use crate::sniff::{self, Compression, Content};

/// Raw bytes read ahead to recognise the compression and, for non-BGZF input, the content.
const RAW_PREFIX: u64 = 64 * 1024;
/// Buffer between the source and the BGZF framing.
const BUFFER: usize = 256 * 1024;
/// Decompressed bytes of gzip (not BGZF) input looked at to name its format.
const TEXT_PREFIX: u64 = 512;
/// Bytes of unrecognised content quoted in errors.
const QUOTED_PREFIX: usize = 4;

/// What to check and compute.
#[derive(Debug, Clone)]
pub struct Options {
    /// Digest family of the ETag.
    pub algorithm: Algorithm,
    /// The source is declared UBAM: any mapped record fails, suggesting BAM.
    pub unaligned_only: bool,
    /// When given, every `@SQ` must match one of these by name and length, and by MD5 when it
    /// has `M5`.
    pub reference: Option<Vec<ReferenceSequence>>,
    /// Bounds on the header's declared sizes (`l_text`, `n_ref`, `l_name`).
    pub limits: Limits,
    /// Count the quality-control statistics of every record ([`Summary::qc`]) in the record loop.
    pub qc: bool,
}

/// Scans a BAM or uBAM from its raw bytes in one pass, reading `reader` to its end: BGZF blocks
/// with their CRCs and the EOF marker, the header and every record decoded, statistics, ETag
/// and index.
///
/// Decompression runs on two worker threads and the ETag digest on a third; all have ended
/// when this returns.
///
/// # Errors
///
/// The first problem found, as an [`Error`]: content that is not BAM, a truncated or corrupt
/// BGZF stream, a header beyond [`Options::limits`], a header or record that does not decode, an
/// `@SQ` that does not match [`Options::reference`], a mapped record under
/// [`Options::unaligned_only`], records out of order under `SO:coordinate`, or a failure of
/// `reader` ([`ErrorKind::Io`]).
pub fn scan<R: Read + Send>(reader: R, options: &Options) -> Result<Summary, Error> {
    let mut raw = StoredReader::new(reader);
    let prefix = read_prefix(&mut raw, RAW_PREFIX).map_err(ErrorKind::Io)?;
    check_compression(&prefix)?;
    let source = BufReader::with_capacity(BUFFER, Cursor::new(prefix).chain(raw));
    let (scanned, source) = bgzf::decode(source, |blocks| scanner::scan(blocks, options));
    let scanned = scanned?;
    let (_, stored) = source.into_inner().into_inner().1.into_parts();
    Ok(Summary {
        records: scanned.records,
        bases: scanned.bases,
        aligned: scanned.aligned,
        statistics: scanned.statistics,
        etag: scanned.etag,
        stored_sha256: stored.sha256,
        stored_md5: stored.md5,
        stored_bytes: stored.bytes,
        version: None,
        sorted: scanned.sorted,
        index: scanned.index,
        unindexed: scanned.unindexed,
        qc: scanned.qc,
    })
}

fn read_prefix<R: Read>(reader: &mut R, len: u64) -> std::io::Result<Vec<u8>> {
    let mut prefix = Vec::new();
    reader.take(len).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// Accepts BGZF; names what anything else is.
fn check_compression(prefix: &[u8]) -> Result<(), ErrorKind> {
    match sniff::compression(prefix) {
        Compression::Bgzf => Ok(()),
        Compression::Plain => Err(content_error(prefix).unwrap_or_else(|| not_bam(prefix))),
        Compression::Gzip => {
            let mut text = Vec::new();
            // A prefix cut inside the member still yields its first bytes; the error is moot.
            let _ = flate2::read::MultiGzDecoder::new(prefix).take(TEXT_PREFIX).read_to_end(&mut text);
            Err(content_error(&text).unwrap_or(ErrorKind::NotBgzf))
        }
    }
}

/// The error for content that is recognisably not BAM, if it is.
fn content_error(prefix: &[u8]) -> Option<ErrorKind> {
    match sniff::content(prefix) {
        Content::Empty => Some(ErrorKind::Empty),
        content @ (Content::Fastq | Content::Cram | Content::Fasta | Content::Sam) => {
            Some(ErrorKind::WrongFormat { content })
        }
        Content::Bam | Content::Unknown => None,
    }
}

fn not_bam(prefix: &[u8]) -> ErrorKind {
    ErrorKind::NotBam { magic: prefix[..prefix.len().min(QUOTED_PREFIX)].to_vec() }
}

#[cfg(test)]
mod tests;
