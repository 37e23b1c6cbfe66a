//! Reference stores and references: genomes that aligned read sets point at.

pub mod names;

use serde::{Deserialize, Serialize};

use super::read_set::StoredFile;
use super::sequence_store::SseConfig;
use super::tags::Tags;
use super::time::Millis;

/// A reference store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceStore {
    /// 10-digit id.
    pub id: String,
    /// Owning account.
    pub account: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Encryption settings as given.
    pub sse: Option<SseConfig>,
    /// Creation time.
    pub creation_time: Millis,
}

/// One sequence of a reference, with its `.fai` layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// Name (header up to the first whitespace).
    pub name: String,
    /// Bases.
    pub length: u64,
    /// Lowercase hex MD5 of the upper-cased bases (SAM `@SQ M5`).
    pub md5: String,
    /// The GA4GH refget identifier of the same bases (`SQ.` + `sha512t24u`): recorded by
    /// reference imports since it exists; `None` for sequences imported before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refget: Option<String>,
    /// Offset of the first base in the uncompressed file.
    pub offset: u64,
    /// Bases per full line.
    pub line_bases: u64,
    /// Bytes per full line.
    pub line_width: u64,
}

/// Stored files of a reference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReferenceFiles {
    /// The FASTA as imported.
    pub source: Option<StoredFile>,
    /// Its `.fai`.
    pub index: Option<StoredFile>,
    /// Internal BGZF copy of a plain-gzip source, for random access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgzf: Option<StoredFile>,
    /// `.gzi` of the BGZF file used for random access (the source's or the copy's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gzi: Option<StoredFile>,
}

impl ReferenceFiles {
    /// Every stored file (source, index, bgzf, gzi; those there are).
    pub fn stored_mut(&mut self) -> Vec<&mut StoredFile> {
        let files = [&mut self.source, &mut self.index, &mut self.bgzf, &mut self.gzi];
        files.into_iter().filter_map(Option::as_mut).collect()
    }
}

/// A committed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// 10-digit id.
    pub id: String,
    /// Owning account.
    pub account: String,
    /// Store.
    pub store_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Lowercase hex MD5 of the uncompressed FASTA.
    pub md5: String,
    /// Import job that created it.
    pub creation_job_id: Option<String>,
    /// Commit time.
    pub creation_time: Millis,
    /// Last change.
    pub update_time: Millis,
    /// `PLAIN`, `GZIP` or `BGZF`, of the stored source.
    pub compression: String,
    /// Sequences in file order.
    pub sequences: Vec<Sequence>,
    /// Stored files.
    pub files: ReferenceFiles,
}

/// One source of a reference import job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceSourceSpec {
    /// `s3://…` or `file://…`.
    pub source_file: String,
    /// Reference name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Tags of the reference.
    pub tags: Tags,
}
