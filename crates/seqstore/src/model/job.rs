//! The kinds of background job, listed once ([`job_kinds!`]): each kind's stored name, what a
//! source of it is submitted with (its variant of [`JobSpec`]) and the facts the job engine needs
//! about it; a job ([`Job`]) and a claimed attempt ([`Claim`]).
//!
//! Adding a kind adds one entry to the list below and its own file in `service/engine/kinds/`
//! (a type implementing the engine's `Kind` for the spec, named by `impl RunsAs`); the compiler
//! then asks for nothing else but the kind's API, CLI and dashboard entries.

use serde::{Deserialize, Serialize};

use super::export::ExportSource;
use super::import::{JobStatus, SourceSpec};
use super::qc::QcSource;
use super::reference::ReferenceSourceSpec;
use super::tier::{ActivationSource, ArchiveSource};
use super::time::Millis;
use super::upload::UploadedParts;

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

/// Declares the kinds of job, each as `Variant(SpecType) => "stored name" { facts }`, and derives
/// from that one list: [`JobKind`] (with its wire names and facts), [`JobSpec`] (one variant per
/// kind holding its spec), the spec's stored form, conversions between a spec and [`JobSpec`], and
/// `with_job_spec!`, a `match` over [`JobSpec`] that runs the same code for every kind with the
/// kind's own spec type (how the job engine dispatches without a list of its own).
macro_rules! job_kinds {
    ($d:tt $( $(#[$doc:meta])* $variant:ident($spec:ty) => $name:literal {
        store: $store:ident, family: $family:ident, fresh_output_ids: $fresh:expr $(,)?
    } ),* $(,)?) => {
        /// The kind of a job: what its sources produce.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum JobKind { $( $(#[$doc])* $variant ),* }

        wire_names!(JobKind { $($variant => $name),* });

        impl JobKind {
            /// The kind of store the job belongs to.
            pub fn store(self) -> StoreKind {
                match self { $(Self::$variant => StoreKind::$store),* }
            }

            /// The family of API operations that list, count and cancel it.
            pub fn family(self) -> JobFamily {
                match self { $(Self::$variant => JobFamily::$family),* }
            }

            /// The id space a fresh output id is reserved in for each attempt; `None` when the
            /// output id is reserved at submission and every attempt fills that one (an upload's
            /// read set exists from completion on).
            pub fn fresh_output_ids(self) -> Option<&'static str> {
                match self { $(Self::$variant => $fresh),* }
            }
        }

        /// What one work item (source) of a job is, by kind.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum JobSpec { $( $(#[$doc])* $variant($spec) ),* }

        impl JobSpec {
            /// The kind of job this is a source of.
            pub fn kind(&self) -> JobKind {
                match self { $(Self::$variant(_) => JobKind::$variant),* }
            }

            /// The stored form (the `spec` column): the variant's own JSON; the kind is stored
            /// beside it.
            pub fn to_stored(&self) -> String {
                let json = match self { $(Self::$variant(s) => serde_json::to_string(s)),* };
                json.expect("specs serialize")
            }

            /// Reads the stored form of a source of a `kind` job.
            pub fn from_stored(kind: JobKind, stored: &str) -> Result<Self, UnreadableSpec> {
                let spec = match kind { $(JobKind::$variant => serde_json::from_str(stored).map(Self::$variant)),* };
                spec.map_err(|source| UnreadableSpec { kind: kind.as_str(), source })
            }
        }

        $(
            impl From<$spec> for JobSpec {
                fn from(spec: $spec) -> Self {
                    Self::$variant(spec)
                }
            }

            impl TryFrom<JobSpec> for $spec {
                type Error = JobKind;

                /// The spec of this kind's source; the other kind otherwise.
                fn try_from(spec: JobSpec) -> Result<Self, JobKind> {
                    match spec {
                        JobSpec::$variant(s) => Ok(s),
                        #[allow(unreachable_patterns)]
                        other => Err(other.kind()),
                    }
                }
            }
        )*

        /// `with_job_spec!(spec_ref, s => expr)`: evaluates `expr` with `s` bound to the spec of
        /// whichever kind `spec_ref` (a `&JobSpec`) is, typed as that kind's spec.
        macro_rules! with_job_spec {
            ($d spec:expr, $d s:ident => $d body:expr) => {
                match $d spec {
                    $( $crate::model::job::JobSpec::$variant($d s) => $d body, )*
                }
            };
        }
        pub(crate) use with_job_spec;
    };
}

job_kinds! {$
    /// Read sets imported into a sequence store from `source1`/`source2`.
    ReadSet(SourceSpec) => "readSet" { store: Sequence, family: Import, fresh_output_ids: Some("readSet") },
    /// References imported into a reference store from FASTA files.
    Reference(ReferenceSourceSpec) => "reference" { store: Reference, family: Import, fresh_output_ids: Some("reference") },
    /// The processing of a completed direct upload into the read set made at completion (one
    /// source; not listed as an import job).
    Upload(UploadSource) => "upload" { store: Sequence, family: Internal, fresh_output_ids: None },
    /// Read sets exported to an S3 prefix (the source's output id is the read set it exports).
    Export(ExportSource) => "export" { store: Sequence, family: Export, fresh_output_ids: None },
    /// Read sets moved to the archive tier (internal: made by the archiver or BatchArchiveReadSet;
    /// the source's output id is the read set it moves).
    Archive(ArchiveSource) => "archive" { store: Sequence, family: Internal, fresh_output_ids: None },
    /// Archived read sets copied back (StartReadSetActivationJob; the source's output id is the
    /// read set it activates).
    Activation(ActivationSource) => "activation" { store: Sequence, family: Activation, fresh_output_ids: None },
    /// Read sets' QC statistics computed from their stored files (internal: for read sets imported
    /// without them, and activated ones; the source's output id is the read set).
    Qc(QcSource) => "qc" { store: Sequence, family: Internal, fresh_output_ids: None },
}

/// The kinds of store a job belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A sequence store (read sets).
    Sequence,
    /// A reference store (references).
    Reference,
}

/// The families of job the API tells apart: each lists, counts (for its quota) and cancels only
/// its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFamily {
    /// Import jobs (Start…ImportJob, `concurrent_import_jobs`).
    Import,
    /// Export jobs (StartReadSetExportJob, `concurrent_export_jobs`).
    Export,
    /// Activation jobs (StartReadSetActivationJob, `concurrent_activation_jobs`).
    Activation,
    /// Work the API does not show as a job (an upload's processing, archiving).
    Internal,
}

impl JobFamily {
    /// The kinds of this family.
    pub fn kinds(self) -> impl Iterator<Item = JobKind> {
        JobKind::ALL.iter().copied().filter(move |k| k.family() == self)
    }
}

/// What every kind's spec says about itself.
pub trait Spec {
    /// The reference this source names, if any (DeleteReference refuses while an unsettled source
    /// names it).
    fn reference_arn(&self) -> Option<&str> {
        None
    }

    /// The output id fixed at submission, for the kinds whose attempts all fill one
    /// ([`JobKind::fresh_output_ids`] is `None`) and know it from their spec.
    fn reserved_output_id(&self) -> Option<&str> {
        None
    }
}

impl Spec for SourceSpec {
    fn reference_arn(&self) -> Option<&str> {
        self.reference_arn.as_deref()
    }
}

impl Spec for ReferenceSourceSpec {}

impl Spec for UploadSource {
    fn reference_arn(&self) -> Option<&str> {
        self.source.reference_arn.as_deref()
    }
}

impl Spec for ExportSource {
    fn reserved_output_id(&self) -> Option<&str> {
        Some(&self.read_set_id)
    }
}

impl Spec for ArchiveSource {
    fn reserved_output_id(&self) -> Option<&str> {
        Some(&self.read_set_id)
    }
}

impl Spec for ActivationSource {
    fn reserved_output_id(&self) -> Option<&str> {
        Some(&self.read_set_id)
    }
}

impl Spec for QcSource {
    fn reserved_output_id(&self) -> Option<&str> {
        Some(&self.read_set_id)
    }
}

impl JobSpec {
    /// The reference this source names, if any ([`Spec::reference_arn`]).
    pub fn reference_arn(&self) -> Option<&str> {
        with_job_spec!(self, s => s.reference_arn())
    }

    /// The output id fixed at submission, if any ([`Spec::reserved_output_id`]).
    pub fn reserved_output_id(&self) -> Option<&str> {
        with_job_spec!(self, s => s.reserved_output_id())
    }
}

/// A job: its sources are read separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// 10-digit id.
    pub id: String,
    /// What its sources produce.
    pub kind: JobKind,
    /// Owning account.
    pub account: String,
    /// Target store.
    pub store_id: String,
    /// Role passed at submission.
    pub role_arn: String,
    /// Status.
    pub status: JobStatus,
    /// Summary message once settled.
    pub status_message: Option<String>,
    /// Submission time.
    pub creation_time: Millis,
    /// When the last source settled.
    pub completion_time: Option<Millis>,
    /// Where an export job writes (`s3://bucket/prefix/`); `None` for the other kinds.
    pub destination: Option<String>,
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
    /// What the interrupted earlier attempt recorded to be undone (an export's open multipart
    /// upload), if anything.
    pub checkpoint: Option<String>,
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
