//! Direct multipart read set uploads: what was declared at creation, the parts received, and the
//! stored parts a completed upload hands to its processing job.

use serde::{Deserialize, Serialize};

use super::import::FileType;
use super::tags::Tags;
use super::time::Millis;

/// `SOURCE1` or `SOURCE2` (`ReadSetPartSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PartSource {
    /// The first (or only) file.
    #[serde(rename = "SOURCE1")]
    Source1,
    /// The second file of a FASTQ pair.
    #[serde(rename = "SOURCE2")]
    Source2,
}

impl PartSource {
    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source1 => "SOURCE1",
            Self::Source2 => "SOURCE2",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SOURCE1" => Some(Self::Source1),
            "SOURCE2" => Some(Self::Source2),
            _ => None,
        }
    }
}

/// What CreateMultipartReadSetUpload declared for the read set to come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadSpec {
    /// Declared type.
    pub file_type: FileType,
    /// Subject.
    pub subject_id: String,
    /// Sample.
    pub sample_id: String,
    /// Provenance note.
    pub generated_from: Option<String>,
    /// Reference the reads are aligned to (required for CRAM).
    pub reference_arn: Option<String>,
    /// Read set name.
    pub name: String,
    /// Read set description.
    pub description: Option<String>,
    /// Read set tags.
    pub tags: Tags,
}

/// Whether an upload still takes parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStatus {
    /// Parts may be uploaded; it can be completed or aborted.
    InProgress,
    /// Completed: its read set is being processed.
    Completed,
}

impl UploadStatus {
    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
        }
    }

    /// Parses the database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "IN_PROGRESS" => Some(Self::InProgress),
            "COMPLETED" => Some(Self::Completed),
            _ => None,
        }
    }
}

/// One upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// 10-digit id.
    pub id: String,
    /// Owning account.
    pub account: String,
    /// Target sequence store.
    pub store_id: String,
    /// What was declared.
    pub spec: UploadSpec,
    /// Status.
    pub status: UploadStatus,
    /// Creation time.
    pub creation_time: Millis,
    /// Time of the last part received (or of creation).
    pub activity_time: Millis,
    /// The read set created at completion.
    pub read_set_id: Option<String>,
}

/// One received part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// File it belongs to.
    pub source: PartSource,
    /// 1–10,000.
    pub number: i64,
    /// Object holding its bytes.
    pub key: String,
    /// Size in bytes.
    pub size: i64,
    /// Base64 SHA-256 of its bytes.
    pub checksum: String,
    /// First upload of this part number.
    pub creation_time: Millis,
    /// Latest upload of this part number.
    pub updated_time: Millis,
}

/// A stored part as the processing job reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPart {
    /// Object key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// The parts of a completed upload, in order, per file: what its processing job streams instead of
/// opening source URIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedParts {
    /// The upload.
    pub upload_id: String,
    /// Parts of SOURCE1 in part-number order.
    pub source1: Vec<StoredPart>,
    /// Parts of SOURCE2 in part-number order (empty unless paired FASTQ).
    pub source2: Vec<StoredPart>,
    /// Keep the parts (as the failed read set's files) when processing fails: the store has a
    /// `fallbackLocation`.
    pub keep_on_failure: bool,
}
