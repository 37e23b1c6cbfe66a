//! Read set import jobs and their sources: statuses and the job/source state machine.

use serde::{Deserialize, Serialize};

use super::sequence_store::ETagAlgorithmFamily;
use super::tags::Tags;

/// Status of an import job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Accepted, no source started.
    Submitted,
    /// At least one source started, not all finished.
    InProgress,
    /// Every source finished.
    Completed,
    /// Some sources finished, some failed.
    CompletedWithFailures,
    /// Every source failed.
    Failed,
    /// Cancelled (CancelReadSetImportJob and its kin, an extension): sources not started have
    /// failed `cancelled`; the ones in progress are being stopped.
    Cancelling,
    /// Cancelled, and no source is in progress any more.
    Cancelled,
}

/// Status of one source of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceStatus {
    /// Waiting for a worker.
    NotStarted,
    /// A worker holds it under a lease.
    InProgress,
    /// Its read set is committed.
    Finished,
    /// It failed; `statusMessage` says why.
    Failed,
}

/// Declared type of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FileType {
    /// FASTQ, plain or compressed, single or paired.
    Fastq,
    /// Aligned BAM.
    Bam,
    /// Unaligned BAM.
    Ubam,
    /// CRAM.
    Cram,
}

wire_names!(JobStatus {
    Submitted => "SUBMITTED",
    InProgress => "IN_PROGRESS",
    Completed => "COMPLETED",
    CompletedWithFailures => "COMPLETED_WITH_FAILURES",
    Failed => "FAILED",
    Cancelling => "CANCELLING",
    Cancelled => "CANCELLED",
});
wire_names!(SourceStatus { NotStarted => "NOT_STARTED", InProgress => "IN_PROGRESS", Finished => "FINISHED", Failed => "FAILED" });
wire_names!(FileType { Fastq => "FASTQ", Bam => "BAM", Ubam => "UBAM", Cram => "CRAM" });

impl FileType {
    /// Its records can only be decoded against their reference: a source or upload of this type
    /// must name a `referenceArn`.
    pub fn needs_reference(self) -> bool {
        self == Self::Cram
    }

    /// A source or upload of this type may have a second file (`source2`, the mates of a pair).
    pub fn allows_source2(self) -> bool {
        self == Self::Fastq
    }

    /// It is scanned as an alignment format (BAM, uBAM, CRAM), one file with an index built in the
    /// same pass; FASTQ is scanned as reads.
    pub fn is_alignment(self) -> bool {
        self != Self::Fastq
    }

    /// Declared unaligned: a mapped record in it is an error that suggests BAM.
    pub fn unaligned_only(self) -> bool {
        self == Self::Ubam
    }

    /// The file-type half of its ETag algorithm names: `FASTQ`, `BAM` (BAM and uBAM) or `CRAM`.
    pub fn etag_prefix(self) -> &'static str {
        match self {
            Self::Fastq => "FASTQ",
            Self::Bam | Self::Ubam => "BAM",
            Self::Cram => "CRAM",
        }
    }

    /// Its ETag algorithm in `family`: e.g. `FASTQ_MD5up`, `BAM_SHA256up`.
    pub fn etag_algorithm(self, family: ETagAlgorithmFamily) -> String {
        format!("{}_{}", self.etag_prefix(), family.as_str())
    }

    /// The name of the stored index of a read set of this type (under its object directory),
    /// when its scan builds one: `source1.bai` (BAI or CSI) for BAM and uBAM, `source1.crai` for
    /// CRAM; FASTQ has none.
    pub fn index_name(self) -> Option<&'static str> {
        match self {
            Self::Fastq => None,
            Self::Bam | Self::Ubam => Some("source1.bai"),
            Self::Cram => Some("source1.crai"),
        }
    }

    /// The extension of the file name of a read set file of this type
    /// ([`super::read_set::names`]): `fastq`, or `fastq.gz` when `compressed` (gzip or BGZF);
    /// `bam` (BAM and uBAM); `cram`.
    pub fn extension(self, compressed: bool) -> &'static str {
        match self {
            Self::Fastq if compressed => "fastq.gz",
            Self::Fastq => "fastq",
            Self::Bam | Self::Ubam => "bam",
            Self::Cram => "cram",
        }
    }

    /// Whether [`Self::extension`] depends on the file's compression (FASTQ): only then must a
    /// file's first bytes be read to name it.
    pub fn compression_in_extension(self) -> bool {
        self == Self::Fastq
    }

    /// The extension of the file name of a read set's index of this type, from whether the index
    /// is `compressed` (its first bytes are gzip's): `bai` (BAI is not compressed) or `csi` (CSI
    /// is BGZF) for BAM and uBAM, `crai` for CRAM; FASTQ has no index.
    pub fn index_extension(self, compressed: bool) -> Option<&'static str> {
        match self {
            Self::Fastq => None,
            Self::Bam | Self::Ubam if compressed => Some("csi"),
            Self::Bam | Self::Ubam => Some("bai"),
            Self::Cram => Some("crai"),
        }
    }

    /// A read set of this type is expected to have an index (its missing one is noted in
    /// `statusMessage`): BAM and CRAM, not uBAM (unaligned) or FASTQ.
    pub fn expects_index(self) -> bool {
        matches!(self, Self::Bam | Self::Cram)
    }
}

impl JobStatus {
    /// True once the job can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::CompletedWithFailures | Self::Failed | Self::Cancelled)
    }

    /// The status of a job whose sources are all terminal, from how many finished and failed: a
    /// job being cancelled ends CANCELLED whatever its sources did.
    pub fn settled(self, finished: u64, failed: u64) -> Self {
        match (self, finished, failed) {
            (Self::Cancelling | Self::Cancelled, _, _) => Self::Cancelled,
            (_, _, 0) => Self::Completed,
            (_, 0, _) => Self::Failed,
            _ => Self::CompletedWithFailures,
        }
    }
}

/// One source of a job as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSpec {
    /// `s3://…` or `file://…` of the first (or only) file.
    pub source1: String,
    /// Second file of a FASTQ pair.
    pub source2: Option<String>,
    /// Declared type.
    pub file_type: FileType,
    /// Subject.
    pub subject_id: String,
    /// Sample.
    pub sample_id: String,
    /// Provenance note.
    pub generated_from: Option<String>,
    /// Reference the reads are aligned to.
    pub reference_arn: Option<String>,
    /// Read set name.
    pub name: Option<String>,
    /// Read set description.
    pub description: Option<String>,
    /// Read set tags.
    pub tags: Tags,
}

/// A source with its progress; `S` is what was submitted ([`SourceSpec`] for read sets,
/// [`super::reference::ReferenceSourceSpec`] for references: the variants of
/// [`super::job::JobSpec`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source<S = SourceSpec> {
    /// Position in the job (0-based).
    pub index: i64,
    /// What was submitted.
    pub spec: S,
    /// Status.
    pub status: SourceStatus,
    /// Short message (≤ 127 characters).
    pub status_message: Option<String>,
    /// Full message.
    pub status_detail: Option<String>,
    /// The id of what the source produces (a read set or reference), reserved by its latest
    /// attempt; what it created once FINISHED.
    pub output_id: Option<String>,
    /// Raw bytes read so far by the current attempt.
    pub bytes_processed: i64,
    /// Raw bytes to read, once the source is opened.
    pub bytes_total: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settled_status_follows_counts() {
        assert_eq!(JobStatus::InProgress.settled(3, 0), JobStatus::Completed);
        assert_eq!(JobStatus::InProgress.settled(0, 2), JobStatus::Failed);
        assert_eq!(JobStatus::InProgress.settled(1, 1), JobStatus::CompletedWithFailures);
        assert_eq!(JobStatus::Cancelling.settled(1, 1), JobStatus::Cancelled);
        assert!(!JobStatus::InProgress.is_terminal());
        assert!(!JobStatus::Cancelling.is_terminal());
        assert!(JobStatus::Cancelled.is_terminal());
        assert_eq!(FileType::parse("UBAM"), Some(FileType::Ubam));
        assert_eq!(SourceStatus::parse("FINISHED").map(SourceStatus::as_str), Some("FINISHED"));
    }

    #[test]
    fn file_type_facts() {
        let needs_reference: Vec<_> = FileType::ALL.iter().filter(|t| t.needs_reference()).collect();
        assert_eq!(needs_reference, [&FileType::Cram]);
        let pairs: Vec<_> = FileType::ALL.iter().filter(|t| t.allows_source2()).collect();
        assert_eq!(pairs, [&FileType::Fastq]);
        assert_eq!(FileType::Fastq.etag_algorithm(ETagAlgorithmFamily::Md5Up), "FASTQ_MD5up");
        assert_eq!(FileType::Ubam.etag_algorithm(ETagAlgorithmFamily::Sha256Up), "BAM_SHA256up");
        assert_eq!(FileType::Cram.etag_algorithm(ETagAlgorithmFamily::Sha512Up), "CRAM_SHA512up");
        assert_eq!(FileType::Cram.index_name(), Some("source1.crai"));
        assert_eq!(FileType::Bam.index_name(), Some("source1.bai"));
        assert_eq!(FileType::Fastq.index_name(), None);
        assert!(FileType::Bam.expects_index() && !FileType::Ubam.expects_index());
        let extensions: Vec<_> = FileType::ALL.iter().map(|t| t.extension(false)).collect();
        assert_eq!(extensions, ["fastq", "bam", "bam", "cram"]);
        let compressed: Vec<_> = FileType::ALL.iter().map(|t| t.extension(true)).collect();
        assert_eq!(compressed, ["fastq.gz", "bam", "bam", "cram"]);
        assert!(FileType::Fastq.compression_in_extension() && !FileType::Bam.compression_in_extension());
        let indexes: Vec<_> =
            FileType::ALL.iter().map(|t| (t.index_extension(false), t.index_extension(true))).collect();
        let (bai, csi, crai) = (Some("bai"), Some("csi"), Some("crai"));
        assert_eq!(indexes, [(None, None), (bai, csi), (bai, csi), (crai, crai)]);
        assert!(FileType::Ubam.unaligned_only() && FileType::Ubam.is_alignment() && !FileType::Fastq.is_alignment());
    }
}
