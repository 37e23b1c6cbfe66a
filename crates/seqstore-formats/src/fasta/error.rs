//! Why a FASTA reference, its `.fai` or `.gzi`, or a random read of its bases failed, with the
//! line and sequence concerned, and messages that quote offending bytes safely.

use std::fmt;
use std::io;

use super::MAX_NAME;
use crate::inflate::GzipError;
use crate::quote::{Byte, Escaped, Hex};
use crate::sniff::Content;

/// Why a FASTA reference is invalid or unreadable, or one of its indexes or a read of its bases
/// failed.
///
/// `Display` is a complete message that starts with `reference`, e.g.
/// `reference line 7: duplicate sequence name 'chr1' (first at line 1)`; it stays under about
/// 200 characters.
#[derive(Debug)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// 1-based number of the line concerned, when one is: a line of the decompressed FASTA text,
    /// or of the `.fai` text for the `Fai*` kinds.
    pub line: Option<u64>,
    /// Name of the sequence concerned, when one is (also quoted in the message).
    pub sequence: Option<String>,
}

impl Error {
    /// An error without position.
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self { kind, line: None, sequence: None }
    }

    /// An error at `line`.
    pub(crate) fn at(kind: ErrorKind, line: u64) -> Self {
        Self { kind, line: Some(line), sequence: None }
    }

    /// The same error, concerning sequence `name`.
    pub(crate) fn of(self, name: &str) -> Self {
        Self { sequence: Some(name.to_owned()), ..self }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("reference")?;
        match (self.kind.placement(), self.line) {
            (Placement::Predicate, _) => write!(f, " {}", self.kind),
            (Placement::Text, Some(line)) => write!(f, " line {line}: {}", self.kind),
            (Placement::Fai, Some(line)) => write!(f, " .fai line {line}: {}", self.kind),
            (Placement::Text | Placement::Fai, None) => write!(f, ": {}", self.kind),
        }
    }
}

impl std::error::Error for Error {
    // The kind's message is already part of ours, so the chain continues with the kind's source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// What is wrong. Each message is a lowercase phrase that follows `reference` and the position
/// of [`Error`].
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The underlying reader (or [`ReadAt`](super::ReadAt)) failed.
    #[error("read failed")]
    Io(#[source] io::Error),
    /// Writing the BGZF copy of a gzip source failed.
    #[error("writing the BGZF copy failed")]
    Copy(#[source] io::Error),
    /// No bytes, compressed data that decompresses to nothing, or only blank lines.
    #[error("is empty")]
    Empty,
    /// Recognisably another format.
    #[error("is {content}, not FASTA: {}", advice(*.content))]
    WrongFormat {
        /// What the content looks like.
        content: Content,
    },
    /// Binary data, not recognisably any format.
    #[error("is not FASTA: first bytes are {}", Hex(.prefix))]
    NotFasta {
        /// Up to the first 8 (decompressed) bytes.
        prefix: Vec<u8>,
    },
    /// The gzip (or BGZF) data is invalid.
    #[error(transparent)]
    Gzip(#[from] GzipError),
    /// A line ends with `\r\n`.
    #[error("CRLF line endings; convert with dos2unix or tr -d '\\r'")]
    Crlf,
    /// An empty line before non-empty content.
    #[error("blank line before the end of the file")]
    BlankLine,
    /// The first non-empty line does not start with `>`.
    #[error("missing '>' header; is this FASTA?")]
    MissingHeader,
    /// A header with nothing, or whitespace, right after `>`.
    #[error("header has no sequence name: the name must follow '>' directly")]
    MissingName,
    /// A sequence name byte that is not printable ASCII (names end at a space or tab).
    #[error("sequence name contains {}; allowed: printable ASCII", Byte(*.byte))]
    InvalidName {
        /// The offending byte.
        byte: u8,
    },
    /// A sequence name longer than [`MAX_NAME`] bytes.
    #[error("sequence name longer than {MAX_NAME} bytes")]
    NameTooLong,
    /// A second sequence with the same name.
    #[error("duplicate sequence name '{}' (first at line {first_line})", Escaped(.name.as_bytes()))]
    DuplicateName {
        /// The name.
        name: String,
        /// Line of the first header with this name.
        first_line: u64,
    },
    /// A sequence byte that is neither an IUPAC nucleotide letter (either case) nor `*` or `-`.
    #[error("sequence '{}' contains {} at column {column}", Escaped(.name.as_bytes()), Byte(*.byte))]
    InvalidBase {
        /// The sequence.
        name: String,
        /// The offending byte.
        byte: u8,
        /// 1-based column in the line.
        column: u64,
    },
    /// A line longer than the sequence's first line, or a shorter line that is not its last.
    #[error(
        "sequence '{}' has lines of {expected} and {found} bases; .fai needs equal line lengths: \
         reformat with samtools faidx or seqkit seq -w {expected}",
        Escaped(.name.as_bytes())
    )]
    UnequalLines {
        /// The sequence.
        name: String,
        /// Bases on its first line.
        expected: u64,
        /// Bases on the offending line.
        found: u64,
    },
    /// A header followed by another header or the end of the file.
    #[error("sequence '{}' (line {header_line}) has no bases", Escaped(.name.as_bytes()))]
    NoBases {
        /// The sequence.
        name: String,
        /// Line of its header.
        header_line: u64,
    },
    /// A `.fai` line without exactly five tab-separated fields.
    #[error("expected 5 tab-separated fields, found {found}")]
    FaiFields {
        /// Fields found.
        found: usize,
    },
    /// A `.fai` field that is not a name or not a decimal number.
    #[error("field {field} ({}) is invalid", fai_field_name(*.field))]
    FaiField {
        /// 1-based field number.
        field: usize,
    },
    /// A `.fai` entry whose line layout cannot be: bases per line must be at least 1 and less
    /// than bytes per line.
    #[error("sequence '{}' has {line_bases} bases in lines of {line_width} bytes", Escaped(.name.as_bytes()))]
    LineLayout {
        /// The sequence.
        name: String,
        /// `.fai` column 4.
        line_bases: u64,
        /// `.fai` column 5.
        line_width: u64,
    },
    /// A `.gzi` that is not a count followed by that many offset pairs.
    #[error("invalid .gzi index")]
    InvalidGzi(#[source] io::Error),
    /// A `.gzi` entry not strictly after the one before.
    #[error(".gzi entry {entry} is not after the entry before it")]
    UnsortedGzi {
        /// 1-based entry number.
        entry: u64,
    },
    /// A range of bases that is not inside its sequence.
    #[error("bases {start}..{end} are outside sequence '{}' of {length} bases", Escaped(.name.as_bytes()))]
    OutOfRange {
        /// The sequence.
        name: String,
        /// 0-based first base asked for.
        start: u64,
        /// 0-based end (exclusive) asked for.
        end: u64,
        /// Bases in the sequence.
        length: u64,
    },
    /// Random access asked of plain gzip, which only reads from the start.
    #[error("plain gzip cannot be read at random; read its BGZF copy")]
    NotSeekable,
    /// Random access asked of BGZF without its `.gzi`.
    #[error("BGZF data needs its .gzi index to be read at random")]
    MissingGzi,
    /// BGZF blocks that do not decode.
    #[error("BGZF data from compressed byte {offset} is invalid")]
    InvalidBgzf {
        /// Compressed offset of the first block read.
        offset: u64,
        /// The decoder's report.
        #[source]
        source: io::Error,
    },
    /// The stored data ends before the bases a `.fai` entry locates.
    #[error("sequence '{}' ends past the stored data, at uncompressed byte {end}", Escaped(.name.as_bytes()))]
    PastEnd {
        /// The sequence.
        name: String,
        /// Uncompressed offset just past the last byte needed.
        end: u64,
    },
    /// The stored data has something other than a base, or a newline, where the `.fai` entry
    /// places one.
    #[error(
        "stored data does not match the .fai entry of sequence '{}': {} at uncompressed byte {offset}",
        Escaped(.name.as_bytes()),
        Byte(*.byte)
    )]
    Mismatch {
        /// The sequence.
        name: String,
        /// The unexpected byte.
        byte: u8,
        /// Its uncompressed offset.
        offset: u64,
    },
}

/// Where the position of an [`Error`] goes in its message.
enum Placement {
    /// `reference is …`: the message is a predicate of the file, or places itself.
    Predicate,
    /// `reference line N: …`, or `reference: …` without a line.
    Text,
    /// `reference .fai line N: …`.
    Fai,
}

impl ErrorKind {
    fn placement(&self) -> Placement {
        match self {
            ErrorKind::Empty
            | ErrorKind::WrongFormat { .. }
            | ErrorKind::NotFasta { .. }
            | ErrorKind::NoBases { .. } => Placement::Predicate,
            ErrorKind::FaiFields { .. } | ErrorKind::FaiField { .. } | ErrorKind::LineLayout { .. } => Placement::Fai,
            ErrorKind::Io(_)
            | ErrorKind::Copy(_)
            | ErrorKind::Gzip(_)
            | ErrorKind::Crlf
            | ErrorKind::BlankLine
            | ErrorKind::MissingHeader
            | ErrorKind::MissingName
            | ErrorKind::InvalidName { .. }
            | ErrorKind::NameTooLong
            | ErrorKind::DuplicateName { .. }
            | ErrorKind::InvalidBase { .. }
            | ErrorKind::UnequalLines { .. }
            | ErrorKind::InvalidGzi(_)
            | ErrorKind::UnsortedGzi { .. }
            | ErrorKind::OutOfRange { .. }
            | ErrorKind::NotSeekable
            | ErrorKind::MissingGzi
            | ErrorKind::InvalidBgzf { .. }
            | ErrorKind::PastEnd { .. }
            | ErrorKind::Mismatch { .. } => Placement::Text,
        }
    }
}

fn fai_field_name(field: usize) -> &'static str {
    match field {
        1 => "name",
        2 => "length",
        3 => "offset",
        4 => "line bases",
        _ => "line width",
    }
}

fn advice(content: Content) -> &'static str {
    match content {
        Content::Fastq => "import FASTQ as a read set",
        Content::Bam => "import BAM as a read set",
        Content::Cram => "import CRAM as a read set",
        Content::Sam => "convert it to BAM (samtools view -b) and import it as a read set",
        Content::Fasta | Content::Empty | Content::Unknown => "not a reference format",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::MAX_QUOTED;

    #[test]
    fn test_display() {
        let duplicate = ErrorKind::DuplicateName { name: "chr1".to_owned(), first_line: 1 };
        assert_eq!(
            Error::at(duplicate, 7).of("chr1").to_string(),
            "reference line 7: duplicate sequence name 'chr1' (first at line 1)"
        );
        let base = ErrorKind::InvalidBase { name: "chr1".to_owned(), byte: b'J', column: 12 };
        assert_eq!(
            Error::at(base, 3).to_string(),
            "reference line 3: sequence 'chr1' contains 'J' (0x4a) at column 12"
        );
        let lines = ErrorKind::UnequalLines { name: "chr1".to_owned(), expected: 60, found: 61 };
        assert_eq!(
            Error::at(lines, 4).to_string(),
            "reference line 4: sequence 'chr1' has lines of 60 and 61 bases; .fai needs equal line lengths: \
             reformat with samtools faidx or seqkit seq -w 60"
        );
        let empty = ErrorKind::NoBases { name: "chr2".to_owned(), header_line: 5 };
        assert_eq!(Error::at(empty, 5).to_string(), "reference sequence 'chr2' (line 5) has no bases");
        assert_eq!(
            Error::at(ErrorKind::MissingHeader, 1).to_string(),
            "reference line 1: missing '>' header; is this FASTA?"
        );
        assert_eq!(Error::new(ErrorKind::Empty).to_string(), "reference is empty");
        assert_eq!(
            Error::new(ErrorKind::WrongFormat { content: Content::Fastq }).to_string(),
            "reference is FASTQ, not FASTA: import FASTQ as a read set"
        );
        assert_eq!(
            Error::new(ErrorKind::Gzip(GzipError::Truncated { compressed_bytes: 12 })).to_string(),
            "reference: gzip stream is truncated after 12 compressed bytes"
        );
        assert_eq!(
            Error::at(ErrorKind::FaiField { field: 2 }, 3).to_string(),
            "reference .fai line 3: field 2 (length) is invalid"
        );
    }

    #[test]
    fn test_display_quotes_bytes_safely() {
        let kind = ErrorKind::InvalidBase { name: "a'b".to_owned(), byte: 0x07, column: 2 };
        assert_eq!(
            Error::at(kind, 2).to_string(),
            "reference line 2: sequence 'a\\x27b' contains '\\x07' (0x07) at column 2"
        );
        let long = [b'n'; 100];
        assert_eq!(Escaped(&long).to_string().len(), MAX_QUOTED + 3);
        let not_fasta = ErrorKind::NotFasta { prefix: vec![0, 0xff] };
        assert_eq!(Error::new(not_fasta).to_string(), "reference is not FASTA: first bytes are 0x00 0xff");
    }

    #[test]
    fn test_source_skips_kind() {
        let error = Error::new(ErrorKind::Io(io::Error::other("boom")));
        assert_eq!(error.to_string(), "reference: read failed");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("boom"));
    }
}
