//! Read set statistics computed after the fact: each source is one ACTIVE read set of the job's
//! store without statistics (imported before they were collected, or while `[qc] enabled` was
//! off, or activated from the archive), its stored files read back and counted; the settlement
//! records the report — or, when a file no longer scans, why — in `read_set_qc`. Nothing is
//! written to storage, so an interrupted attempt leaves nothing behind.
//!
//! A server with statistics off (`[qc] enabled = false`) reads nothing for a `qc` job that an
//! earlier server (or another process) queued: each source fails at once with [`OFF`], the read
//! set keeps no statistics, and the start-up pass of a server with them on submits it again (a
//! settled source does not hold a read set back).

use super::super::kind::{Attempt, Kind, Outcome, RunsAs};
use super::super::read_set_scan::{encode_qc, qc_of_stored};
use super::super::tier_copy::read_set_to_move;
use crate::db::{self, qc};
use crate::model::qc::{QcReport, QcSource};
use crate::model::read_set::{ReadSet, ReadSetStatus};
use crate::model::time;

/// The message of a `qc` source that a server with statistics off claimed.
const OFF: &str = "QC statistics are off on the server that claimed this job \
     ([qc] enabled = false): nothing was read; a server started with them on computes them";

/// The read set statistics kind.
pub(in crate::service::engine) struct ReadSetQc;

impl RunsAs for QcSource {
    type Kind = ReadSetQc;
}

/// The read set and what counting it gave: its statistics encoded for their row (with the
/// sequences and records counted), or why there are none.
pub(in crate::service::engine) struct Counted {
    set: ReadSet,
    report: Result<Encoded, String>,
}

/// A report encoded for its row, and the counts the log and the source's message give.
pub(in crate::service::engine) struct Encoded {
    prepared: qc::Prepared,
    sequences: u64,
    records: u64,
}

impl Encoded {
    /// `report` of `set`, encoded outside the settlement's transaction.
    fn new(set: &ReadSet, report: &QcReport) -> Result<Self, Outcome> {
        Ok(Self {
            prepared: encode_qc(set, report)?,
            sequences: report.totals.sequences,
            records: report.totals.records,
        })
    }
}

impl Kind for ReadSetQc {
    type Spec = QcSource;
    type Output = Counted;
    type Kept = ();
    const OBJECTS: Option<&'static str> = None;

    async fn attempt(at: &Attempt<'_>, spec: &QcSource) -> Result<Counted, Outcome> {
        if !at.settings.qc {
            return Err(Outcome::Failed(OFF.to_owned()));
        }
        let set = read_set_to_move(at, &spec.read_set_id, ReadSetStatus::Active, "counted").await?;
        let report = qc_of_stored(at, &set).await?;
        if at.progress.lease_lost() {
            return Err(Outcome::Abandoned);
        }
        let report = match report {
            Ok(report) => Ok(Encoded::new(&set, &report)?),
            Err(message) => Err(message),
        };
        Ok(Counted { set, report })
    }

    fn records(output: &Counted) -> u64 {
        output.report.as_ref().map_or(0, |r| r.records)
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
            Ok(encoded) => {
                (qc::Outcome::Report(&encoded.prepared), format!("statistics of {} reads", encoded.sequences))
            }
            Err(message) => (qc::Outcome::Failed(message), format!("no statistics: {message}")),
        };
        qc::put(tx, key, time::now(), outcome).await?;
        Ok(Some(note))
    }
}
