//! Quality-control statistics of read sets (issue #27): a read set's report (GetReadSetQc, the
//! dashboard's charts, `seqstore readsets qc`), the store's comparison view, and what the
//! background `qc` pass has left to compute. Imports collect the statistics in their own pass
//! (`engine::read_set_scan`); the `read_set_qc` kind computes them for read sets without.

use super::{Caller, Error, Service};
use crate::db::{self, qc};
use crate::model::job::{JobKind, JobSpec};
use crate::model::qc::{QcSource, QcStatus, ReadSetQc, SortBy};
use crate::model::read_set::{ReadSet, ReadSetStatus};

/// Sources in one `qc` job.
const SOURCES_PER_QC_JOB: usize = 100;

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
    /// The store's `qc` sources under way.
    pub progress: qc::Progress,
}

/// "N % read" of the running sources of `progress` ("starting" before their size is known).
pub fn read_share(progress: &qc::Progress) -> String {
    match progress.bytes_total {
        0 => "starting".to_owned(),
        total => format!("{} % read", (100 * progress.bytes_processed / total).min(100)),
    }
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
        let found = self.qc_of(&set).await?;
        Ok((set, found))
    }

    /// The statistics of `set` (a read set the caller has read); a pending one says why.
    pub async fn qc_of(&self, set: &ReadSet) -> Result<ReadSetQc, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let mut found = qc::get(&mut conn, &set.account, &set.store_id, &set.id).await?;
        if found.status == QcStatus::Pending {
            let progress = qc::progress(&mut conn, &set.account, &set.store_id, Some(&set.id)).await?;
            found.status_message = Some(match (progress.running, progress.queued) {
                (0, 0) => pending_reason(set, self.qc).to_owned(),
                (0, _) => "a qc job is queued to compute them".to_owned(),
                _ => format!("a qc job is computing them: {}", read_share(&progress)),
            });
        }
        Ok(found)
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
        let progress = qc::progress(&mut conn, &caller.account, store_id, None).await?;
        Ok(Comparison { rows, with_statistics, read_sets, progress })
    }
}

impl Service {
    /// One step of the start-up pass over read sets without statistics: submits `qc` jobs (by
    /// store, up to 100 sources each) for up to `limit` ACTIVE read sets after id `after` that
    /// have none and no unsettled `qc` source; returns how many, and the id to continue after
    /// (`None` at the end). Nothing when statistics are off. Safe with other processes running
    /// the pass: a read set two jobs count is counted twice, recorded once.
    pub async fn submit_missing_qc(&self, after: &str, limit: i64) -> Result<(usize, Option<String>), Error> {
        if !self.qc {
            return Ok((0, None));
        }
        let mut tx = self.db.begin().await?;
        let mut missing = qc::missing(&mut tx, after, limit).await?;
        let next = (missing.len() as i64 == limit).then(|| missing.last().map(|(_, _, id)| id.clone())).flatten();
        missing.sort();
        for group in missing.chunk_by(|a, b| (&a.0, &a.1) == (&b.0, &b.1)) {
            for chunk in group.chunks(SOURCES_PER_QC_JOB) {
                let (account, store) = (&chunk[0].0, &chunk[0].1);
                let ids: Vec<&str> = chunk.iter().map(|(_, _, id)| id.as_str()).collect();
                let job = insert_qc_job(&mut tx, (account, store), &ids).await?;
                tracing::info!(job = %job.id, store, read_sets = ids.len(), "computing QC statistics of read sets without");
            }
        }
        tx.commit().await.map_err(db::Error::from)?;
        if !missing.is_empty() {
            self.wake.notify_waiters();
        }
        Ok((missing.len(), next))
    }

    /// Within the transaction that activates read set `id` of `store`: submits a `qc` job for it
    /// when it has no statistics (it was archived before they were computed) and they are on.
    pub(super) async fn qc_after_activation(
        &self,
        tx: &mut db::Tx,
        (account, store): (&str, &str),
        id: &str,
    ) -> Result<(), db::Error> {
        if self.qc && !qc::exists(tx, id).await? {
            insert_qc_job(tx, (account, store), &[id]).await?;
        }
        Ok(())
    }
}

/// A `qc` job of `store` with one source per read set of `ids`.
async fn insert_qc_job(
    conn: &mut sqlx::AnyConnection,
    (account, store): (&str, &str),
    ids: &[&str],
) -> Result<crate::model::job::Job, db::Error> {
    let specs = ids.iter().map(|id| JobSpec::Qc(QcSource { read_set_id: (*id).to_owned() })).collect();
    super::jobs::insert_internal(conn, JobKind::Qc, (account, store), specs).await
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
