//! Read sets: the imported files of one sample, with statistics and ETags.

pub mod names;

use serde::{Deserialize, Serialize};

use super::import::{FileType, SourceSpec};
use super::time::Millis;

/// Status of a read set (the values of the model's `ReadSetStatus` that seqstore gives one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSetStatus {
    /// Its content is processed: counts, alignment, ETag and files describe what it holds.
    Active,
    /// A direct upload's read set while its parts are processed.
    ProcessingUpload,
    /// Processing a direct upload's parts failed; `statusMessage` says why.
    UploadFailed,
    /// Its files live in the archive tier (`[archive]`): listed and described, not readable until
    /// an activation job brings them back.
    Archived,
    /// An activation job is copying its files back from the archive tier; still not readable.
    Activating,
}

/// How a read set was created (the model's `CreationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreationType {
    /// By a read set import job.
    Import,
    /// By a direct upload.
    Upload,
}

/// Whether a read set's reads are aligned (`sequenceInformation.alignment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// Its header has reference sequences and at least one record is mapped.
    Aligned,
    /// FASTQ, uBAM, or an alignment file without a mapped record.
    Unaligned,
}

wire_names!(ReadSetStatus {
    Active => "ACTIVE",
    ProcessingUpload => "PROCESSING_UPLOAD",
    UploadFailed => "UPLOAD_FAILED",
    Archived => "ARCHIVED",
    Activating => "ACTIVATING",
});
wire_names!(CreationType { Import => "IMPORT", Upload => "UPLOAD" });
wire_names!(Alignment { Aligned => "ALIGNED", Unaligned => "UNALIGNED" });

impl CreationType {
    /// The status a read set created this way starts in: ACTIVE from an import (committed once
    /// scanned), PROCESSING_UPLOAD from an upload (created when the upload completes).
    pub fn initial_status(self) -> ReadSetStatus {
        match self {
            Self::Import => ReadSetStatus::Active,
            Self::Upload => ReadSetStatus::ProcessingUpload,
        }
    }
}

/// Where a read set's files live: the store's own storage, or the archive tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// The store's own storage (`[storage]`).
    Hot,
    /// The archive location (`[archive.storage]`).
    Archive,
}

wire_names!(Tier { Hot => "hot", Archive => "archive" });

impl ReadSetStatus {
    /// The tier its recorded files are in: the archive for ARCHIVED and ACTIVATING read sets (an
    /// activation's copies become its files only when it commits), the store's own storage
    /// otherwise.
    pub fn tier(self) -> Tier {
        match self {
            Self::Archived | Self::Activating => Tier::Archive,
            Self::Active | Self::ProcessingUpload | Self::UploadFailed => Tier::Hot,
        }
    }
}

impl Alignment {
    /// `Aligned` when `aligned`.
    pub fn of(aligned: bool) -> Self {
        if aligned { Self::Aligned } else { Self::Unaligned }
    }
}

/// How and when a read set was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creation {
    /// Import or upload.
    pub creation_type: CreationType,
    /// The import job (or upload) that created it.
    pub job_id: Option<String>,
    /// When.
    pub time: Millis,
}

/// One stored file of a read set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    /// Object key in the store's data.
    pub key: String,
    /// Size in bytes.
    pub content_length: u64,
    /// Part size for GetReadSet.
    pub part_size: u64,
    /// Number of parts.
    pub total_parts: u64,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    /// MD5 of the stored bytes, lowercase hex (the stored object's S3 ETag): recorded by imports
    /// and uploads since it exists, and backfilled for files recorded before
    /// (`Service::backfill_md5`); `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// Its file name (see [`names`]): recorded by imports and uploads since file names exist;
    /// `None` in the files of read sets created before (and of references), whose names
    /// [`names`] derives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl StoredFile {
    /// A file of `length` bytes cut in parts of `part_size`, with the `sha256` and `md5` of its
    /// bytes and no recorded name.
    pub fn new(key: String, length: u64, part_size: u64, sha256: String, md5: String) -> Self {
        let total_parts = length.div_ceil(part_size).max(1);
        Self { key, content_length: length, part_size, total_parts, sha256, md5: Some(md5), name: None }
    }

    /// The same file, recorded under file name `name`.
    pub fn named(self, name: String) -> Self {
        Self { name: Some(name), ..self }
    }
}

/// The file names of a read set's files, the one layout that exports
/// (`{destination}{readSetId}/{file}`) and S3 access share: see [`names`] for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNames {
    /// Name of source1 (e.g. `HG00405.final.cram`, or `{readSetId}_1.cram`).
    pub source1: String,
    /// Name of source2, when the read set has one.
    pub source2: Option<String>,
    /// Name of the index (`{source1}.bai`, `.csi` or `.crai`), when the read set has one.
    pub index: Option<String>,
}

/// The files of a read set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Files {
    /// First (or only) file.
    pub source1: Option<StoredFile>,
    /// Second file of a pair.
    pub source2: Option<StoredFile>,
    /// Index (BAM/CRAM).
    pub index: Option<StoredFile>,
}

impl Files {
    /// Every stored file (source1, source2, index; those there are).
    pub fn stored(&self) -> Vec<&StoredFile> {
        [&self.source1, &self.source2, &self.index].into_iter().filter_map(Option::as_ref).collect()
    }

    /// The bytes of every stored file.
    pub fn total_bytes(&self) -> u64 {
        self.stored().iter().map(|f| f.content_length).sum()
    }

    /// Every stored file (source1, source2, index; those there are), to change.
    pub fn stored_mut(&mut self) -> Vec<&mut StoredFile> {
        [&mut self.source1, &mut self.source2, &mut self.index].into_iter().filter_map(Option::as_mut).collect()
    }
}

/// ETag of a read set: algorithm name (e.g. `FASTQ_MD5up`) and digests per file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ETag {
    /// `FASTQ_MD5up` etc.
    pub algorithm: String,
    /// Digest of source1.
    pub source1: String,
    /// Digest of source2.
    pub source2: Option<String>,
}

impl ETag {
    /// Whether read sets with these ETags hold the same content: the same algorithm (one file type
    /// family, one digest family: digests of different algorithms are never compared) and the same
    /// digest for every file, `source1` and `source2` alike, so a pair never matches a single-end
    /// read set, even one whose file equals both of the pair's. An ETag not computed yet (empty)
    /// matches nothing.
    pub fn same_content(&self, other: &ETag) -> bool {
        !self.source1.is_empty()
            && self.algorithm == other.algorithm
            && self.source1 == other.source1
            && self.source2 == other.source2
    }
}

/// flagstat-style counts of an aligned read set (`samtools flagstat` definitions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlignmentStatistics {
    /// Primary records.
    pub primary: u64,
    /// Secondary alignments.
    pub secondary: u64,
    /// Supplementary alignments.
    pub supplementary: u64,
    /// Mapped records.
    pub mapped: u64,
    /// Paired records.
    pub paired: u64,
    /// Properly paired records.
    pub properly_paired: u64,
    /// PCR/optical duplicates.
    pub duplicates: u64,
}

/// A committed read set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSet {
    /// 10-digit id.
    pub id: String,
    /// `ACTIVE`; a direct upload's read set is `PROCESSING_UPLOAD` until its parts are processed,
    /// then `ACTIVE` or `UPLOAD_FAILED`; an archived one `ARCHIVED`, then `ACTIVATING` while an
    /// activation job brings it back.
    pub status: ReadSetStatus,
    /// Owning account.
    pub account: String,
    /// Store.
    pub store_id: String,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Subject.
    pub subject_id: String,
    /// Sample.
    pub sample_id: String,
    /// Provenance.
    pub generated_from: Option<String>,
    /// Reference.
    pub reference_arn: Option<String>,
    /// Type.
    pub file_type: FileType,
    /// `IMPORT` or `UPLOAD`.
    pub creation_type: CreationType,
    /// Import job that created it.
    pub creation_job_id: Option<String>,
    /// Commit time.
    pub creation_time: Millis,
    /// Reads.
    pub total_read_count: u64,
    /// Bases.
    pub total_base_count: u64,
    /// `ALIGNED` or `UNALIGNED`.
    pub alignment: Alignment,
    /// ETag.
    pub etag: ETag,
    /// Files.
    pub files: Files,
    /// Alignment counts (BAM, uBAM, CRAM).
    pub statistics: Option<AlignmentStatistics>,
    /// A note on the read set, e.g. why it has no index.
    pub status_message: Option<String>,
    /// When its data was last read (GetReadSet, the S3 endpoint, htsget, an export), coarsely (at
    /// most once a minute per process); `None` when never since it was created.
    pub last_access: Option<Millis>,
}

impl ReadSet {
    /// Read set `id` of `account` in `store_id` with what `spec` (an import's source, or an
    /// upload's) says of it, created as `creation` says, in [`CreationType::initial_status`], with
    /// no content yet: no reads or bases, `UNALIGNED`, an ETag not computed, no files, statistics
    /// or note (what a scan finds is set on it after).
    pub fn new(id: String, account: String, store_id: String, spec: &SourceSpec, creation: Creation) -> Self {
        Self {
            id,
            status: creation.creation_type.initial_status(),
            account,
            store_id,
            name: spec.name.clone(),
            description: spec.description.clone(),
            subject_id: spec.subject_id.clone(),
            sample_id: spec.sample_id.clone(),
            generated_from: spec.generated_from.clone(),
            reference_arn: spec.reference_arn.clone(),
            file_type: spec.file_type,
            creation_type: creation.creation_type,
            creation_job_id: creation.job_id,
            creation_time: creation.time,
            total_read_count: 0,
            total_base_count: 0,
            alignment: Alignment::Unaligned,
            etag: ETag { algorithm: String::new(), source1: String::new(), source2: None },
            files: Files::default(),
            statistics: None,
            status_message: None,
            last_access: None,
        }
    }

    /// True when its content is processed (`ACTIVE`): only then do its counts, alignment, ETag
    /// and files describe what it holds, and only then can its files be downloaded. A direct
    /// upload's read set is not while `PROCESSING_UPLOAD`, nor after `UPLOAD_FAILED` (whose kept
    /// files are the bytes as sent, not a processed read set).
    pub fn is_active(&self) -> bool {
        self.status == ReadSetStatus::Active
    }

    /// True when its counts, alignment and ETag describe what it holds: ACTIVE, and also while it
    /// is ARCHIVED or ACTIVATING (the same files, in the archive tier). Not while an upload's read
    /// set is PROCESSING_UPLOAD or after UPLOAD_FAILED.
    pub fn is_processed(&self) -> bool {
        matches!(self.status, ReadSetStatus::Active | ReadSetStatus::Archived | ReadSetStatus::Activating)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etag(algorithm: &str, source1: &str, source2: Option<&str>) -> ETag {
        ETag { algorithm: algorithm.into(), source1: source1.into(), source2: source2.map(Into::into) }
    }

    #[test]
    fn files_recorded_before_names_and_md5s_read_without_them() -> Result<(), serde_json::Error> {
        let old = r#"{"source1":{"key":"s/readSet/r/source1","contentLength":10,"partSize":4,"totalParts":3,"sha256":"ab"},"source2":null,"index":null}"#;
        let files: Files = serde_json::from_str(old)?;
        let source1 = files.source1.clone().expect("source1");
        let expected = StoredFile::new("s/readSet/r/source1".into(), 10, 4, "ab".into(), "cd".into());
        assert_eq!(source1, StoredFile { md5: None, ..expected.clone() });
        assert_eq!(serde_json::to_string(&files)?, old, "no name and no md5 are written as none");
        let json = serde_json::to_string(&expected)?;
        assert!(json.ends_with(r#","sha256":"ab","md5":"cd"}"#), "{json}");
        assert_eq!(serde_json::from_str::<StoredFile>(&json)?, expected);
        let named = source1.named("r1.fastq.gz".into());
        let json = serde_json::to_string(&named)?;
        assert!(json.ends_with(r#","name":"r1.fastq.gz"}"#), "{json}");
        assert_eq!(serde_json::from_str::<StoredFile>(&json)?, named);
        Ok(())
    }

    #[test]
    fn test_same_content() {
        let single = etag("FASTQ_MD5up", "aa", None);
        let pair = etag("FASTQ_MD5up", "aa", Some("aa"));
        assert!(single.same_content(&single.clone()) && pair.same_content(&pair.clone()));
        assert!(!pair.same_content(&single) && !single.same_content(&pair), "a pair is not its first file");
        assert!(!pair.same_content(&etag("FASTQ_MD5up", "aa", Some("bb"))), "every file counts");
        assert!(!single.same_content(&etag("FASTQ_SHA256up", "aa", None)), "another algorithm is not compared");
        assert!(!single.same_content(&etag("BAM_MD5up", "aa", None)), "another file type family");
        assert!(!etag("", "", None).same_content(&etag("", "", None)), "not computed yet");
    }
}
