//! The kinds of background job, in one place: what a source of each kind is submitted with
//! ([`JobSpec`]), how that is stored, the facts the job engine needs about each kind, and a claimed
//! attempt ([`Claim`]). Adding a kind adds a variant here (and to [`JobKind`]) and its own file in
//! `service/engine/kinds/`.

use serde::{Deserialize, Serialize};

use super::import::{JobKind, SourceSpec};
use super::reference::ReferenceSourceSpec;
use super::upload::UploadedParts;

/// What one work item (source) of a job is, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSpec {
    /// A read set to import from `source1`/`source2`.
    ReadSet(SourceSpec),
    /// A reference to import from a FASTA file.
    Reference(ReferenceSourceSpec),
    /// The processing of a completed direct upload into the read set made at completion.
    Upload(UploadSource),
}

/// A completed upload's processing: the read set as declared, and the stored parts to read instead
/// of source URIs. Stored as the declared [`SourceSpec`] with the parts under `upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadSource {
    /// The read set as declared (its `source1`/`source2` are `upload://` names).
    #[serde(flatten)]
    pub source: SourceSpec,
    /// The stored parts.
    #[serde(rename = "upload")]
    pub parts: UploadedParts,
}

/// The stored spec of a source does not read as its job's kind.
#[derive(Debug, thiserror::Error)]
#[error("the stored {kind} source is unreadable")]
pub struct UnreadableSpec {
    /// The job's kind.
    pub kind: &'static str,
    /// Why.
    #[source]
    pub source: serde_json::Error,
}

impl JobSpec {
    /// The kind of job this is a source of.
    pub fn kind(&self) -> JobKind {
        match self {
            Self::ReadSet(_) => JobKind::ReadSet,
            Self::Reference(_) => JobKind::Reference,
            Self::Upload(_) => JobKind::Upload,
        }
    }

    /// The reference this source names, if any (DeleteReference refuses while an unsettled source
    /// names it).
    pub fn reference_arn(&self) -> Option<&str> {
        match self {
            Self::ReadSet(s) => s.reference_arn.as_deref(),
            Self::Upload(u) => u.source.reference_arn.as_deref(),
            Self::Reference(_) => None,
        }
    }

    /// The stored form (the `spec` column): the variant's own JSON; the kind is stored beside it.
    pub fn to_stored(&self) -> String {
        let json = match self {
            Self::ReadSet(s) => serde_json::to_string(s),
            Self::Reference(s) => serde_json::to_string(s),
            Self::Upload(s) => serde_json::to_string(s),
        };
        json.expect("specs serialize")
    }

    /// Reads the stored form of a source of a `kind` job.
    pub fn from_stored(kind: JobKind, stored: &str) -> Result<Self, UnreadableSpec> {
        let spec = match kind {
            JobKind::ReadSet => serde_json::from_str(stored).map(Self::ReadSet),
            JobKind::Reference => serde_json::from_str(stored).map(Self::Reference),
            JobKind::Upload => serde_json::from_str(stored).map(Self::Upload),
        };
        spec.map_err(|source| UnreadableSpec { kind: kind.as_str(), source })
    }
}

impl TryFrom<JobSpec> for SourceSpec {
    type Error = JobKind;

    /// The spec of a read set import source; the other kind otherwise.
    fn try_from(spec: JobSpec) -> Result<Self, JobKind> {
        match spec {
            JobSpec::ReadSet(s) => Ok(s),
            other => Err(other.kind()),
        }
    }
}

impl TryFrom<JobSpec> for ReferenceSourceSpec {
    type Error = JobKind;

    /// The spec of a reference import source; the other kind otherwise.
    fn try_from(spec: JobSpec) -> Result<Self, JobKind> {
        match spec {
            JobSpec::Reference(s) => Ok(s),
            other => Err(other.kind()),
        }
    }
}

impl JobKind {
    /// True for the kinds listed and counted as import jobs by the API (an upload's processing is
    /// not an import job).
    pub fn is_import_job(self) -> bool {
        match self {
            JobKind::ReadSet | JobKind::Reference => true,
            JobKind::Upload => false,
        }
    }

    /// The id space a fresh output id is reserved in for each attempt; `None` when the output id is
    /// reserved at submission and every attempt fills that one (an upload's read set exists from
    /// completion on).
    pub fn fresh_output_ids(self) -> Option<&'static str> {
        match self {
            JobKind::ReadSet => Some("readSet"),
            JobKind::Reference => Some("reference"),
            JobKind::Upload => None,
        }
    }
}

/// A source claimed by a worker: one attempt at one work item, fenced by its lease generation.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Job.
    pub job_id: String,
    /// Source index.
    pub index: i64,
    /// Account of the job.
    pub account: String,
    /// Target store.
    pub store_id: String,
    /// Role of the job.
    pub role_arn: String,
    /// The job's kind.
    pub kind: JobKind,
    /// What to do, as submitted; an error when the stored spec is unreadable (the source then fails).
    pub spec: Result<JobSpec, String>,
    /// Lease generation of this claim.
    pub generation: i64,
    /// The id of what this attempt produces (a read set or reference id).
    pub output_id: String,
    /// The output id an earlier, interrupted attempt used: its objects are garbage.
    pub previous: Option<String>,
    /// The job is CANCELLING: the claim only fails the source as cancelled (after deleting what
    /// an interrupted attempt wrote), it never starts it.
    pub cancelling: bool,
}

impl Claim {
    /// The object directory this attempt writes under (`{store}/readSet/{dir}/…`): the output id,
    /// fresh for every attempt, except where the output id is reserved at submission: there each
    /// attempt writes under `{id}/{generation}`, so an attempt that lost its lease can never
    /// overwrite or delete what the attempt that took over committed.
    pub fn object_dir(&self) -> String {
        match self.kind.fresh_output_ids() {
            Some(_) => self.output_id.clone(),
            None => format!("{}/{}", self.output_id, self.generation),
        }
    }
}
