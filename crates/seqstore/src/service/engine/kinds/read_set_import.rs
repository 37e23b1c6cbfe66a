//! Read set import: each source is a FASTQ (single or paired), BAM, uBAM or CRAM file read through
//! the job's role; a finished source commits a new ACTIVE read set with its tags.

use super::super::kind::{Attempt, Kind, Outcome, RunsAs};
use super::super::read_set_scan::{self, ScannedSet, duplicate_note};
use crate::db;
use crate::model::import::SourceSpec;
use crate::model::tags;
use crate::storage::objects::READ_SETS;

/// The read set import kind.
pub(in crate::service::engine) struct ReadSetImport;

impl RunsAs for SourceSpec {
    type Kind = ReadSetImport;
}

impl Kind for ReadSetImport {
    type Spec = SourceSpec;
    type Output = ScannedSet;
    type Kept = ();
    const OBJECTS: Option<&'static str> = Some(READ_SETS);

    async fn attempt(at: &Attempt<'_>, spec: &SourceSpec) -> Result<ScannedSet, Outcome> {
        read_set_scan::scan(at, spec, None).await
    }

    fn records(output: &ScannedSet) -> u64 {
        output.set.total_read_count
    }

    /// Inserts the read set, its QC statistics and its tags (with the system tags); the source's
    /// message notes a read set of the store with the same content.
    async fn commit(
        at: &Attempt<'_>,
        tx: &mut db::Tx,
        spec: &SourceSpec,
        scanned: ScannedSet,
    ) -> Result<Option<String>, db::Error> {
        let set = &scanned.set;
        let note = duplicate_note(tx, set).await?;
        db::read_sets::insert(tx, set).await?;
        scanned.commit_qc(tx).await?;
        let arn = at.service.read_set_arn(&set.account, &set.store_id, &set.id);
        db::tags::put(tx, &arn, &tags::with_system_tags(&spec.tags, &set.sample_id, &set.subject_id)).await?;
        Ok(note)
    }
}
