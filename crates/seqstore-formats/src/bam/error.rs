//! Why a BAM or uBAM source is invalid or unreadable, naming the record concerned.

use std::fmt;
use std::io;

use super::IndexKind;
use crate::limits::{Exceeded, Limit};
use crate::quote::{Escaped, Hex};
use crate::sniff::Content;

/// Why a BAM or uBAM source is invalid, or could not be read.
///
/// `Display` is a complete message that starts with the file, e.g.
/// `source1 record 3 (read 'r3'): mapped read in a UBAM source; declare sourceFileType BAM`.
#[derive(Debug)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// The record concerned, when one is.
    pub record: Option<RecordId>,
}

/// A record named in an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordId {
    /// 1-based number of the record in the file.
    pub number: u64,
    /// Its read name (`QNAME`), when it has one.
    pub name: Option<Vec<u8>>,
}

impl Error {
    /// The limit the file went beyond, when that is why it was refused.
    pub fn limit(&self) -> Option<Limit> {
        match &self.kind {
            ErrorKind::Limit(exceeded) => Some(exceeded.limit),
            _ => None,
        }
    }

    pub(super) fn at(record: Option<RecordId>) -> impl FnOnce(ErrorKind) -> Self {
        move |kind| Self { kind, record }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self { kind, record: None }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A BAM read set has a single source.
        f.write_str("source1")?;
        if let Some(record) = &self.record {
            write!(f, " record {}", record.number)?;
            if let Some(name) = &record.name {
                write!(f, " (read '{}')", Escaped(name))?;
            }
        }
        let separator = if self.kind.is_predicate() { " " } else { ": " };
        write!(f, "{separator}{}", self.kind)
    }
}

impl std::error::Error for Error {
    // The kind's message is already part of ours, so the chain continues with the kind's source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// What is wrong with a BAM or uBAM source. Each message is a lowercase phrase that follows the
/// file and record of [`Error`].
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The underlying reader failed.
    #[error("read failed")]
    Io(#[source] io::Error),
    /// No bytes, or BGZF that decompresses to nothing.
    #[error("is empty")]
    Empty,
    /// Recognisably another format.
    #[error("is {content}, not BAM: {}", advice(*.content))]
    WrongFormat {
        /// What the content looks like.
        content: Content,
    },
    /// Neither BAM nor any other known format.
    #[error("is not BAM: magic is {}", Hex(.magic))]
    NotBam {
        /// Up to the first 4 (decompressed, when BGZF) bytes.
        magic: Vec<u8>,
    },
    /// gzip-compressed but without BGZF blocks.
    #[error("is gzip but not BGZF: BAM is always BGZF-compressed (samtools view -b rewrites it)")]
    NotBgzf,
    /// The file ends inside a BGZF block.
    #[error("truncated BGZF: the file ends inside the block at compressed offset {offset}")]
    Truncated {
        /// 0-based offset of the block's first byte.
        offset: u64,
    },
    /// The file ends at a block boundary, but not with the BGZF EOF marker block.
    #[error("truncated BGZF: the EOF marker block is missing")]
    MissingEof,
    /// A block's header or deflate data is invalid.
    #[error("BGZF block at compressed offset {offset} is corrupt: {reason}")]
    CorruptBlock {
        /// 0-based offset of the block's first byte.
        offset: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A block's CRC-32 does not match its data.
    #[error("BGZF block at compressed offset {offset} has a bad CRC")]
    BadCrc {
        /// 0-based offset of the block's first byte.
        offset: u64,
    },
    /// A block's ISIZE does not match its data.
    #[error("BGZF block at compressed offset {offset} has a bad uncompressed size")]
    BadSize {
        /// 0-based offset of the block's first byte.
        offset: u64,
    },
    /// The BAM header (magic, text or reference sequences) does not decode, or holds what htslib
    /// refuses (a malformed text line, a repeated reference name); the reason is part of the
    /// message.
    #[error("invalid BAM header: {0}")]
    InvalidHeader(io::Error),
    /// The BAM header declares (or holds) more than the scan's [`Limits`](crate::limits::Limits).
    #[error("the BAM header {0}")]
    Limit(Exceeded),
    /// The BAM data ends inside a record.
    #[error("BAM data ends inside a record")]
    TruncatedRecord,
    /// A record that samtools refuses too: it does not decode or cannot be rendered as SAM.
    #[error("invalid record: {0}")]
    InvalidRecord(RecordFault),
    /// A mapped record in a source declared unaligned.
    #[error("mapped read in a UBAM source; declare sourceFileType BAM")]
    MappedInUbam,
    /// An `@SQ` line names a sequence the reference does not have.
    #[error("@SQ {name} is not in the reference")]
    NotInReference {
        /// The `@SQ` name.
        name: String,
    },
    /// An `@SQ` length differs from the reference's.
    #[error("@SQ {name} has length {length} but the reference has {reference_length}")]
    LengthMismatch {
        /// The `@SQ` name.
        name: String,
        /// Its `LN`.
        length: u64,
        /// The reference sequence's length.
        reference_length: u64,
    },
    /// An `@SQ` `M5` differs from the reference's MD5.
    #[error("@SQ {name} M5 {md5} differs from the reference's {reference_md5}")]
    Md5Mismatch {
        /// The `@SQ` name.
        name: String,
        /// Its `M5`.
        md5: String,
        /// The reference sequence's MD5.
        reference_md5: String,
    },
    /// A record sorts before the previous one although the header says `SO:coordinate`.
    #[error("at {locus} comes after {previous} but the header says SO:coordinate")]
    Unsorted {
        /// Where the record is, e.g. `chr1:100` (`*` when unplaced).
        locus: String,
        /// Where the previous record is.
        previous: String,
    },
    /// The index could not take a record.
    #[error("cannot be indexed")]
    Index(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A record lies where the index cannot address it: it starts before position 1, or ends
    /// past the last position its BAI (or the file's CSI) holds. `samtools index` fails on it
    /// too; the file imports without index.
    #[error("cannot be indexed: it spans {start}..{end}, {}", beyond(*.kind, *.max))]
    Unindexable {
        /// 1-based start.
        start: i64,
        /// 1-based inclusive end.
        end: i64,
        /// The index being built.
        kind: IndexKind,
        /// The last position it addresses, when the end is past it.
        max: Option<u64>,
    },
}

fn beyond(kind: IndexKind, max: Option<u64>) -> String {
    match max {
        Some(max) => format!("past position {max}, the last its {kind} index can address"),
        None => format!("and a {kind} index starts at position 1"),
    }
}

/// What is wrong with one BAM record: each is a reason htslib 1.16 (`bam_read1`, `sam_read1`,
/// `sam_format1`) stops at, so `samtools view` fails on the file too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordFault {
    /// `block_size` leaves less than the 32 bytes of fixed fields, or is 2^31 or more.
    #[error("block_size {size} is outside 32..2^31")]
    BlockSize {
        /// The declared `block_size`.
        size: u64,
    },
    /// `l_seq` is negative as a signed 32-bit value.
    #[error("l_seq is negative ({l_seq})")]
    SequenceLength {
        /// The declared `l_seq`.
        l_seq: i32,
    },
    /// `l_read_name` is 0: a name holds at least its NUL.
    #[error("l_read_name is 0")]
    EmptyName,
    /// The name, CIGAR, bases and qualities the fixed fields declare do not fit in the record.
    #[error("name, CIGAR, bases and qualities need {needed} bytes but {available} follow the fixed fields")]
    Overrun {
        /// Bytes the declared lengths need.
        needed: u64,
        /// Bytes the record has after its 32 bytes of fixed fields.
        available: usize,
    },
    /// An optional field is cut short or has an unknown type (or array subtype).
    #[error("corrupt optional fields (one is cut short or has an unknown type)")]
    CorruptData,
    /// A mapped record's CIGAR consumes another number of query bases than it has.
    #[error("CIGAR covers {cigar} query bases, SEQ has {sequence}")]
    QueryLength {
        /// Query bases of the CIGAR (M, I, S, = and X).
        cigar: u64,
        /// `l_seq`.
        sequence: usize,
    },
    /// `refID` or `next_refID` names no reference sequence of the header.
    #[error("reference id {id} is not one of the header's {references} sequences")]
    ReferenceId {
        /// The id.
        id: i32,
        /// Reference sequences in the header.
        references: usize,
    },
}

impl ErrorKind {
    // Kinds phrased as a predicate of the file or record rather than a report about it.
    fn is_predicate(&self) -> bool {
        match self {
            ErrorKind::Empty
            | ErrorKind::WrongFormat { .. }
            | ErrorKind::NotBam { .. }
            | ErrorKind::NotBgzf
            | ErrorKind::NotInReference { .. }
            | ErrorKind::LengthMismatch { .. }
            | ErrorKind::Md5Mismatch { .. }
            | ErrorKind::Unsorted { .. }
            | ErrorKind::Index(_)
            | ErrorKind::Unindexable { .. } => true,
            ErrorKind::Io(_)
            | ErrorKind::Truncated { .. }
            | ErrorKind::MissingEof
            | ErrorKind::CorruptBlock { .. }
            | ErrorKind::BadCrc { .. }
            | ErrorKind::BadSize { .. }
            | ErrorKind::InvalidHeader(_)
            | ErrorKind::Limit(_)
            | ErrorKind::TruncatedRecord
            | ErrorKind::InvalidRecord(_)
            | ErrorKind::MappedInUbam => false,
        }
    }
}

fn advice(content: Content) -> &'static str {
    match content {
        Content::Fastq => "declare sourceFileType FASTQ",
        Content::Cram => "declare sourceFileType CRAM",
        Content::Sam => "convert it to BAM (samtools view -b)",
        Content::Fasta => "a read set needs base qualities; import FASTA as a reference",
        Content::Bam | Content::Empty | Content::Unknown => "not a read set format",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_display() {
        let record = Some(RecordId { number: 123, name: Some(b"xyz".to_vec()) });
        let error = Error::at(record)(ErrorKind::MappedInUbam);
        assert_eq!(
            error.to_string(),
            "source1 record 123 (read 'xyz'): mapped read in a UBAM source; declare sourceFileType BAM"
        );
        let unsorted = ErrorKind::Unsorted { locus: "chr1:100".into(), previous: "chr1:200".into() };
        let error = Error::at(Some(RecordId { number: 57, name: Some(b"r57".to_vec()) }))(unsorted);
        assert_eq!(
            error.to_string(),
            "source1 record 57 (read 'r57') at chr1:100 comes after chr1:200 but the header says SO:coordinate"
        );
        assert_eq!(
            Error::from(ErrorKind::MissingEof).to_string(),
            "source1: truncated BGZF: the EOF marker block is missing"
        );
        assert_eq!(
            Error::from(ErrorKind::NotBam { magic: b"BAM\x02".to_vec() }).to_string(),
            "source1 is not BAM: magic is 0x42 0x41 0x4d 0x02"
        );
        let length = ErrorKind::LengthMismatch { name: "chr1".into(), length: 1000, reference_length: 1200 };
        assert_eq!(Error::from(length).to_string(), "source1 @SQ chr1 has length 1000 but the reference has 1200");
        let fastq = ErrorKind::WrongFormat { content: Content::Fastq };
        assert_eq!(Error::from(fastq).to_string(), "source1 is FASTQ, not BAM: declare sourceFileType FASTQ");
        let unnamed = Error::at(Some(RecordId { number: 2, name: None }))(ErrorKind::TruncatedRecord);
        assert_eq!(unnamed.to_string(), "source1 record 2: BAM data ends inside a record");
    }
}
