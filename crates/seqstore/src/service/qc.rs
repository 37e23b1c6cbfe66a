//! Quality-control statistics of read sets (issue #27): a read set's report (GetReadSetQc, the
//! dashboard's charts, `seqstore readsets qc`), the store's comparison view, and what the
//! background `qc` pass has left to compute. Imports collect the statistics in their own pass
//! (`engine::read_set_scan`); the `read_set_qc` kind computes them for read sets without.

use super::{Caller, Error, Service};
use crate::db::{self, qc};
use crate::model::qc::{QcStatus, ReadSetQc, SortBy};
use crate::model::read_set::{ReadSet, ReadSetStatus};

pub use crate::db::qc::ComparisonRow;

/// A page of the comparison view.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The rows.
    pub rows: Vec<ComparisonRow>,
    /// Read sets of the store with statistics.
    pub with_statistics: u64,
    /// Read sets of the store.
    pub read_sets: u64,
}

impl Service {
    /// Whether imports collect statistics and the background pass computes missing ones
    /// (`[qc] enabled`).
    pub fn qc_enabled(&self) -> bool {
        self.qc
    }

    /// Read set `id` of `caller` in `store_id` and its statistics; a pending one says why
    /// (statistics off, archived, or queued for the background pass).
    pub async fn read_set_qc(&self, caller: &Caller, store_id: &str, id: &str) -> Result<(ReadSet, ReadSetQc), Error> {
        let set = self.read_set(caller, store_id, id).await?;
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let mut found = qc::get(&mut conn, &caller.account, store_id, id).await?;
        if found.status == QcStatus::Pending {
            found.status_message = Some(pending_reason(&set, self.qc).to_owned());
        }
        Ok((set, found))
    }

    /// A page of `store_id`'s comparison view: `limit` read sets from `offset`, sorted by `sort`
    /// (descending when `descending`); sorted by a figure, only read sets with it are listed.
    pub async fn qc_comparison(
        &self,
        caller: &Caller,
        store_id: &str,
        (sort, descending): (SortBy, bool),
        offset: u64,
        limit: u64,
    ) -> Result<Comparison, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store(&mut conn, caller, store_id).await?;
        let (offset, limit) = (offset.min(i64::MAX as u64) as i64, limit.min(1000) as i64);
        let rows = qc::compare(&mut conn, &caller.account, store_id, (sort, descending), offset, limit).await?;
        let (with_statistics, read_sets) = qc::coverage(&mut conn, &caller.account, store_id).await?;
        Ok(Comparison { rows, with_statistics, read_sets })
    }
}

/// Why `set` has no statistics yet.
fn pending_reason(set: &ReadSet, enabled: bool) -> &'static str {
    match set.status {
        ReadSetStatus::Archived | ReadSetStatus::Activating => {
            "the read set is archived: its statistics are computed once it is activated"
        }
        ReadSetStatus::ProcessingUpload => "the upload is still being processed",
        ReadSetStatus::UploadFailed => "the upload failed: there is nothing to compute statistics of",
        ReadSetStatus::Active if enabled => {
            "imported before statistics were collected: a background qc job computes them shortly"
        }
        ReadSetStatus::Active => "statistics are off on this server ([qc] enabled = false)",
    }
}
