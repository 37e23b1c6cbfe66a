//! Why a CRAM source is invalid or unreadable. A CRAM read set has one source, so every message
//! starts with `source1`.

use std::fmt;
use std::io;

use crate::limits::{Exceeded, Limit};
use crate::sniff::Content;

/// Why a CRAM source is invalid, or could not be read.
///
/// `Display` is a complete message that starts with the file, e.g.
/// `source1 is truncated: the EOF container is missing`.
#[derive(Debug)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// 1-based number of the record concerned, when one is.
    pub record: Option<u64>,
}

impl Error {
    /// The limit the file went beyond, when that is why it was refused.
    pub fn limit(&self) -> Option<Limit> {
        match &self.kind {
            ErrorKind::HeaderLimit(exceeded) | ErrorKind::ContainerLimit { exceeded, .. } => Some(exceeded.limit),
            _ => None,
        }
    }

    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self { kind, record: None }
    }

    pub(crate) fn at(kind: ErrorKind, record: u64) -> Self {
        Self { kind, record: Some(record) }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("source1")?;
        if let Some(record) = self.record {
            write!(f, " record {record}")?;
        }
        let separator = if self.kind.is_predicate() && self.record.is_none() { " " } else { ": " };
        write!(f, "{separator}{}", self.kind)
    }
}

impl std::error::Error for Error {
    // The kind's message is already part of ours, so the chain continues with the kind's source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// What is wrong with a CRAM source. Each message is a lowercase phrase that follows the file
/// (and record) of [`Error`].
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The underlying reader failed.
    #[error("read failed")]
    Io(#[source] io::Error),
    /// No bytes at all.
    #[error("is empty")]
    Empty,
    /// Recognisably another format.
    #[error("is {content}, not CRAM: {}", advice(*.content))]
    WrongFormat {
        /// What the content looks like.
        content: Content,
    },
    /// A CRAM major version other than 3.
    #[error(
        "is CRAM {major}.{minor}, which this server cannot read: rewrite it as CRAM 3 with samtools view -C -T REF"
    )]
    UnsupportedVersion {
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// The file ends at a container boundary without the EOF container.
    #[error("is truncated: the EOF container is missing")]
    MissingEof,
    /// The file ends inside the file definition, the header or a container.
    #[error("is truncated: the file ends inside {what} at byte {offset}")]
    Truncated {
        /// The structure cut short.
        what: &'static str,
        /// 0-based offset of the structure's first byte.
        offset: u64,
    },
    /// The CRAM file header container does not decode.
    #[error("has an invalid SAM header")]
    InvalidHeader(#[source] io::Error),
    /// The SAM header holds more than the scan's [`Limits`](crate::limits::Limits) allow.
    #[error("the header {0}")]
    HeaderLimit(Exceeded),
    /// A container is longer, or declares more raw block data, than the scan's
    /// [`Limits`](crate::limits::Limits) allow.
    #[error("the container at byte {offset} {exceeded}")]
    ContainerLimit {
        /// 0-based offset of the container.
        offset: u64,
        /// The limit and what the container declared.
        exceeded: Exceeded,
    },
    /// A container or its records do not decode.
    #[error("invalid container at byte {offset}")]
    InvalidContainer {
        /// 0-based offset of the container.
        offset: u64,
        /// The decoder's report.
        #[source]
        source: io::Error,
    },
    /// The CRAM decoder (noodles-cram) panicked on a container that may well be valid: a limit
    /// of the decoder, not necessarily of the file.
    #[error(
        "the CRAM decoder failed on the container at byte {offset} ({detail}); this is a limitation of \
         seqstore's decoder, not necessarily a bad file: please report it"
    )]
    DecoderFailed {
        /// 0-based offset of the container.
        offset: u64,
        /// The panic message.
        detail: String,
    },
    /// An `@SQ` names a sequence the reference does not have.
    #[error("@SQ {name} is not in the reference")]
    UnknownSequence {
        /// `@SQ SN`.
        name: String,
    },
    /// An `@SQ` length differs from the reference's.
    #[error("@SQ {name} LN {length} differs from the reference's {expected}")]
    LengthMismatch {
        /// `@SQ SN`.
        name: String,
        /// `@SQ LN`.
        length: u64,
        /// The reference sequence's length.
        expected: u64,
    },
    /// An `@SQ M5` differs from the reference's MD5.
    #[error("@SQ {name} M5 {md5} differs from the reference's {expected}")]
    Md5Mismatch {
        /// `@SQ SN`.
        name: String,
        /// `@SQ M5`, as written.
        md5: String,
        /// The reference sequence's MD5.
        expected: String,
    },
    /// A slice's reference MD5 differs from the reference bases it covers.
    #[error("does not match the reference at {name}:{start}-{end} (slice reference MD5 differs)")]
    ReferenceMismatch {
        /// Reference sequence name.
        name: String,
        /// 1-based first base of the slice.
        start: u64,
        /// 1-based last base of the slice.
        end: u64,
    },
    /// The reference source has no sequence a record needs, although the reference lists it.
    #[error("reference sequence {name} is not available")]
    MissingSequence {
        /// Sequence name.
        name: String,
    },
    /// The reference source failed.
    #[error("reading reference sequence {name} failed")]
    Reference {
        /// Sequence name.
        name: String,
        /// The source's report.
        #[source]
        source: io::Error,
    },
    /// A record comes before its predecessor under `SO:coordinate`.
    #[error("{name} at {position} comes after {previous}, but the header declares SO:coordinate")]
    Unsorted {
        /// The record's name.
        name: String,
        /// Where it is, `chr:pos` or `*`.
        position: String,
        /// Where the record before it is.
        previous: String,
    },
    /// A worker thread could not be started.
    #[error("could not start a decoding thread")]
    Thread(#[source] io::Error),
}

impl ErrorKind {
    // Kinds phrased as a predicate of the file ("source1 is empty") rather than a report about it.
    fn is_predicate(&self) -> bool {
        match self {
            ErrorKind::Empty
            | ErrorKind::WrongFormat { .. }
            | ErrorKind::UnsupportedVersion { .. }
            | ErrorKind::MissingEof
            | ErrorKind::Truncated { .. }
            | ErrorKind::InvalidHeader(_)
            | ErrorKind::ReferenceMismatch { .. }
            | ErrorKind::UnknownSequence { .. }
            | ErrorKind::LengthMismatch { .. }
            | ErrorKind::Md5Mismatch { .. } => true,
            ErrorKind::Io(_)
            | ErrorKind::HeaderLimit(_)
            | ErrorKind::ContainerLimit { .. }
            | ErrorKind::InvalidContainer { .. }
            | ErrorKind::DecoderFailed { .. }
            | ErrorKind::MissingSequence { .. }
            | ErrorKind::Reference { .. }
            | ErrorKind::Unsorted { .. }
            | ErrorKind::Thread(_) => false,
        }
    }
}

fn advice(content: Content) -> &'static str {
    match content {
        Content::Bam => "declare sourceFileType BAM",
        Content::Fastq => "declare sourceFileType FASTQ",
        Content::Cram => "declare sourceFileType CRAM",
        Content::Fasta => "import it as a reference",
        Content::Sam => "convert it to CRAM with samtools view -C -T REF",
        Content::Empty | Content::Unknown => "expected the CRAM magic number",
    }
}
