//! What the BAM and CRAM scans share: the reference sequences an alignment's `@SQ` lines are
//! checked against, and what a scan found ([`Summary`]), so that a caller handles either format's
//! result in one place.

pub use crate::flagstat::AlignmentStatistics;
use crate::qc::QcCollector;

/// One sequence of the reference an alignment was made against (from the reference named by
/// `referenceArn`): a matching `@SQ` line has its name and length, and its MD5 when it has `M5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceSequence {
    /// Sequence name, as `@SQ SN` must spell it.
    pub name: String,
    /// Length in bases, as in `@SQ LN`.
    pub length: u64,
    /// Lowercase hex MD5 of the normalised sequence (SAM § 1.3.2), as in `@SQ M5`.
    pub md5: String,
}

/// Which kind of index [`Summary::index`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// BAI (SAM/BAM § 5.2), of a BAM.
    Bai,
    /// CSI 1 (min shift 14), of a BAM whose references are longer than BAI can address
    /// (2^29 - 1).
    Csi,
    /// CRAI, of a CRAM: gzip-compressed text, as `samtools index` writes it.
    Crai,
}

impl IndexKind {
    /// The extension htslib looks for beside the indexed file: `bai`, `csi` or `crai`.
    pub fn extension(self) -> &'static str {
        match self {
            IndexKind::Bai => "bai",
            IndexKind::Csi => "csi",
            IndexKind::Crai => "crai",
        }
    }
}

impl std::fmt::Display for IndexKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IndexKind::Bai => "BAI",
            IndexKind::Csi => "CSI",
            IndexKind::Crai => "CRAI",
        })
    }
}

/// What a successful scan of a BAM, uBAM or CRAM found.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Records, as `samtools view -c` counts them.
    pub records: u64,
    /// Sum of the sequence lengths (`SEQ` `*` counts 0).
    pub bases: u64,
    /// The header has reference sequences (`@SQ` lines) and at least one record is mapped.
    pub aligned: bool,
    /// flagstat-style counts.
    pub statistics: AlignmentStatistics,
    /// Lowercase hex digest, in the family of the scan's `Options::algorithm`, of the records as
    /// SAM text without header: byte for byte what `samtools view FILE` prints (for a CRAM,
    /// `samtools view -T REF FILE`).
    pub etag: String,
    /// Lowercase hex SHA-256 of the raw bytes (as stored).
    pub stored_sha256: String,
    /// Lowercase hex MD5 of the raw bytes (as stored).
    pub stored_md5: String,
    /// Number of raw bytes.
    pub stored_bytes: u64,
    /// CRAM major and minor version; `None` for BAM.
    pub version: Option<(u8, u8)>,
    /// The records are in coordinate order: the header says `SO:coordinate` (and disorder is an
    /// error), or, for BAM, it gives no order (no `SO`, or `SO:unknown`) and they were found in
    /// that order, as `samtools index` accepts them. A BAM without `@SQ` lines is never sorted.
    pub sorted: bool,
    /// The index built in the same pass when [`Summary::sorted`]: BAI or CSI for BAM, CRAI for
    /// CRAM; `None` otherwise, or when a record could not be indexed ([`Summary::unindexed`]).
    pub index: Option<(IndexKind, Vec<u8>)>,
    /// Why records in coordinate order have no index (BAM only): the `bam::Error` message of the
    /// first record the index could not take (`bam::ErrorKind::Unindexable`; `samtools index`
    /// fails on it too), e.g. `source1 record 7 (read 'r7') cannot be indexed: it spans …`. The
    /// file is valid.
    pub unindexed: Option<String>,
    /// The quality-control statistics of every record, when the scan's options asked for them.
    pub qc: Option<Box<QcCollector>>,
}
