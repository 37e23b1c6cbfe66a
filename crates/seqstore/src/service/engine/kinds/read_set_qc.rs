//! Read set statistics computed after the fact: each source is one ACTIVE read set of the job's
//! store without statistics (imported before they were collected, or while `[qc] enabled` was
//! off, or activated from the archive), its stored files read back and counted; the settlement
//! records the report — or, when a file no longer scans, why — in `read_set_qc`. Nothing is
//! written to storage, so an interrupted attempt leaves nothing behind.

use super::super::kind::{Attempt, Kind, Outcome, RunsAs};
use super::super::read_set_scan::qc_of_stored;
use super::super::tier_copy::read_set_to_move;
use crate::db::{self, qc};
use crate::model::qc::{QcFigures, QcReport, QcSource};
use crate::model::read_set::{Alignment, ReadSet, ReadSetStatus};
use crate::model::time;

/// The read set statistics kind.
pub(in crate::service::engine) struct ReadSetQc;

impl RunsAs for QcSource {
    type Kind = ReadSetQc;
}

/// The read set and what counting it gave.
pub(in crate::service::engine) struct Counted {
    set: ReadSet,
    report: Result<QcReport, String>,
}

impl Kind for ReadSetQc {
    type Spec = QcSource;
    type Output = Counted;
    type Kept = ();
    const OBJECTS: Option<&'static str> = None;

    async fn attempt(at: &Attempt<'_>, spec: &QcSource) -> Result<Counted, Outcome> {
        let set = read_set_to_move(at, &spec.read_set_id, ReadSetStatus::Active, "counted").await?;
        let report = qc_of_stored(at, &set).await?;
        if at.progress.lease_lost() {
            return Err(Outcome::Abandoned);
        }
        Ok(Counted { set, report })
    }

    fn records(output: &Counted) -> u64 {
        output.report.as_ref().map_or(0, |r| r.totals.records)
    }

    /// Records the statistics (or why there are none) unless the read set was deleted meanwhile.
    async fn commit(
        _at: &Attempt<'_>,
        tx: &mut db::Tx,
        _spec: &QcSource,
        output: Counted,
    ) -> Result<Option<String>, db::Error> {
        let set = &output.set;
        if !db::read_sets::exists(tx, &set.id).await? {
            return Ok(Some("the read set was deleted meanwhile".to_owned()));
        }
        let key = (set.account.as_str(), set.store_id.as_str(), set.id.as_str());
        let (outcome, note) = match &output.report {
            Ok(report) => {
                let figures = QcFigures::of(report, set.alignment == Alignment::Aligned);
                (qc::Outcome::Report { report, figures }, format!("statistics of {} reads", report.totals.sequences))
            }
            Err(message) => (qc::Outcome::Failed(message), format!("no statistics: {message}")),
        };
        qc::put(tx, key, time::now(), outcome).await?;
        Ok(Some(note))
    }
}
