//! Why a FASTQ source is invalid or unreadable, with the file, record and line it concerns, and
//! messages that quote offending bytes safely.

use std::fmt;
use std::io;

use super::Which;
use crate::inflate::GzipError;
use crate::quote::{Byte, Escaped, Hex};
use crate::sniff::Content;

/// Why a FASTQ source is invalid, or could not be read.
///
/// `Display` is a complete message that starts with the file, e.g.
/// `source1 record 3 (line 9): missing '+' line`; it stays under about 200 characters.
#[derive(Debug)]
pub struct Error {
    /// The file concerned.
    pub which: Which,
    /// What is wrong.
    pub kind: ErrorKind,
    /// 1-based number of the record concerned, when one is.
    pub record: Option<u64>,
    /// 1-based number of the line concerned, counted in the decompressed text, when one is.
    pub line: Option<u64>,
}

impl Error {
    pub(crate) fn new(which: Which, kind: ErrorKind) -> Self {
        Self { which, kind, record: None, line: None }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.which)?;
        match (self.record, self.line) {
            (Some(record), Some(line)) => write!(f, " record {record} (line {line})")?,
            (Some(record), None) => write!(f, " record {record}")?,
            (None, Some(line)) => write!(f, " line {line}")?,
            (None, None) => {}
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

/// What is wrong with a FASTQ source. Each message is a lowercase phrase that follows the file
/// and position of [`Error`].
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The underlying reader failed.
    #[error("read failed")]
    Io(#[source] io::Error),
    /// No bytes, or compressed data that decompresses to nothing.
    #[error("is empty")]
    Empty,
    /// Recognisably another format.
    #[error("is {content}, not FASTQ: {}", advice(*.content))]
    WrongFormat {
        /// What the content looks like.
        content: Content,
    },
    /// Not recognisably any format.
    #[error("is not FASTQ: first bytes are {}", Hex(.prefix))]
    NotFastq {
        /// Up to the first 8 (decompressed) bytes.
        prefix: Vec<u8>,
    },
    /// The gzip (or BGZF) data is invalid.
    #[error(transparent)]
    Gzip(#[from] GzipError),
    /// A line ends with `\r\n`.
    #[error("CRLF line endings; convert with dos2unix or tr -d '\\r'")]
    Crlf,
    /// A sequence continues on the line where the `+` line should be.
    #[error("multi-line FASTQ; unwrap it, e.g. seqkit seq -w 0")]
    MultiLine,
    /// A line exceeds [`MAX_LINE`](super::MAX_LINE) bytes.
    #[error("line longer than 64 MiB")]
    LineTooLong,
    /// An empty line before non-empty content.
    #[error("blank line before the end of the file")]
    BlankLine,
    /// A record's first line does not start with `@`.
    #[error("header line must start with '@', found {}", Byte(*.found))]
    MissingHeader {
        /// The first byte of the line.
        found: u8,
    },
    /// The third line of a record does not start with `+`.
    #[error("missing '+' line")]
    MissingPlus,
    /// A sequence byte is neither an IUPAC letter nor `.`.
    #[error("sequence contains {} at position {position}; allowed: IUPAC letters of either case and '.'", Byte(*.byte))]
    InvalidSequence {
        /// The offending byte.
        byte: u8,
        /// 1-based position in the sequence.
        position: u64,
    },
    /// A quality byte is outside `!`..=`~`.
    #[error("quality contains {} at position {position}; allowed '!'..'~'", Byte(*.byte))]
    InvalidQuality {
        /// The offending byte.
        byte: u8,
        /// 1-based position in the quality line.
        position: u64,
    },
    /// A read name (the header up to the first space or tab) is empty or has a byte outside
    /// printable ASCII (`!`..`~`), which SAM's QNAME and the ETag's SAM text cannot carry.
    #[error("read name contains {} at position {position}; allowed: printable ASCII '!'..'~'", Byte(*.byte))]
    InvalidName {
        /// The offending byte.
        byte: u8,
        /// 1-based position in the name.
        position: u64,
    },
    /// The header line has no read name (`@` followed by nothing, a space or a tab).
    #[error("header line has no read name")]
    EmptyName,
    /// Sequence and quality lengths differ.
    #[error("sequence length {sequence} but quality length {quality}")]
    LengthMismatch {
        /// Sequence length.
        sequence: u64,
        /// Quality length.
        quality: u64,
    },
    /// The text ends before the record's four lines.
    #[error("truncated: file ends inside a record")]
    Truncated,
    /// The two files of a pair have different record counts.
    #[error("has {records} records, {other} has {other_records}")]
    RecordCountMismatch {
        /// Records in this file.
        records: u64,
        /// The other file.
        other: Which,
        /// Records in the other file.
        other_records: u64,
    },
    /// Mates of a pair have different read names (compared without comment and `/1`, `/2`).
    #[error("read name '{}' does not match {other} read name '{}'", Escaped(.name), Escaped(.other_name))]
    NameMismatch {
        /// The read name in this file.
        name: Vec<u8>,
        /// The other file.
        other: Which,
        /// The read name in the other file.
        other_name: Vec<u8>,
    },
}

impl ErrorKind {
    // Kinds phrased as a predicate of the file ("source1 is empty") rather than a report about it.
    fn is_predicate(&self) -> bool {
        match self {
            ErrorKind::Empty
            | ErrorKind::WrongFormat { .. }
            | ErrorKind::NotFastq { .. }
            | ErrorKind::RecordCountMismatch { .. } => true,
            ErrorKind::Io(_)
            | ErrorKind::Gzip(_)
            | ErrorKind::Crlf
            | ErrorKind::MultiLine
            | ErrorKind::LineTooLong
            | ErrorKind::BlankLine
            | ErrorKind::MissingHeader { .. }
            | ErrorKind::MissingPlus
            | ErrorKind::InvalidSequence { .. }
            | ErrorKind::InvalidQuality { .. }
            | ErrorKind::InvalidName { .. }
            | ErrorKind::EmptyName
            | ErrorKind::LengthMismatch { .. }
            | ErrorKind::Truncated
            | ErrorKind::NameMismatch { .. } => false,
        }
    }
}

fn advice(content: Content) -> &'static str {
    match content {
        Content::Bam => "declare sourceFileType BAM",
        Content::Cram => "declare sourceFileType CRAM",
        Content::Sam => "convert it to BAM (samtools view -b) and declare sourceFileType BAM",
        Content::Fasta => "a read set needs base qualities; import FASTA as a reference",
        Content::Fastq | Content::Empty | Content::Unknown => "not a read set format",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::MAX_QUOTED;

    fn at(kind: ErrorKind, record: Option<u64>, line: Option<u64>) -> Error {
        Error { which: Which::Source1, kind, record, line }
    }

    #[test]
    fn test_display() {
        let mismatch = ErrorKind::LengthMismatch { sequence: 150, quality: 149 };
        assert_eq!(
            at(mismatch, Some(1234567), Some(4938267)).to_string(),
            "source1 record 1234567 (line 4938267): sequence length 150 but quality length 149"
        );
        assert_eq!(at(ErrorKind::Empty, None, None).to_string(), "source1 is empty");
        assert_eq!(
            at(ErrorKind::Crlf, None, Some(1)).to_string(),
            "source1 line 1: CRLF line endings; convert with dos2unix or tr -d '\\r'"
        );
        assert_eq!(
            at(ErrorKind::Gzip(GzipError::Truncated { compressed_bytes: 123456 }), None, None).to_string(),
            "source1: gzip stream is truncated after 123456 compressed bytes"
        );
        let name =
            ErrorKind::NameMismatch { name: b"r17".to_vec(), other: Which::Source1, other_name: b"r18".to_vec() };
        let error = Error { which: Which::Source2, kind: name, record: Some(17), line: None };
        assert_eq!(error.to_string(), "source2 record 17: read name 'r17' does not match source1 read name 'r18'");
    }

    #[test]
    fn test_display_quotes_bytes_safely() {
        let kind = ErrorKind::InvalidSequence { byte: 0x07, position: 2 };
        assert!(at(kind, Some(1), Some(2)).to_string().contains("contains '\\x07' (0x07) at position 2;"));
        assert_eq!(Escaped(b"a'b\\\xff").to_string(), "a\\x27b\\x5c\\xff");
        let long = [b'n'; 100];
        assert_eq!(Escaped(&long).to_string().len(), MAX_QUOTED + 3);
        let not_fastq = ErrorKind::NotFastq { prefix: vec![0, 0xff] };
        assert_eq!(at(not_fastq, None, None).to_string(), "source1 is not FASTQ: first bytes are 0x00 0xff");
    }

    #[test]
    fn test_source_skips_kind() {
        let error = at(ErrorKind::Io(io::Error::other("boom")), None, None);
        assert_eq!(error.to_string(), "source1: read failed");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("boom"));
    }
}
