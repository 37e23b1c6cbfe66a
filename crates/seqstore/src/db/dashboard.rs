//! The dashboard's read-only queries: summaries the API has no operation for (read set counts, and
//! read sets and bytes per storage tier of a store, the duplicate and file-type filters, finished
//! sources for the throughput chart, the processing of uploads, the job list's progress and
//! samples). Every query is bound to one account. The dashboard reaches them through the service (`service::dashboard`).

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::filter::Filter;
use super::{Error, read_sets};
use crate::model::import::{FileType, SourceSpec, SourceStatus};
use crate::model::job::{JobKind, JobSpec};
use crate::model::read_set::{ReadSetStatus, Tier};
use crate::model::time::Millis;

/// A cheap stand-in for the state of a store's read sets, answered from the covering index:
/// their count and latest creation. Any insertion or deletion changes it; a processed upload,
/// which fills its read set's files in place, and a move between tiers, which changes its status
/// and files in place, do not (the dashboard keeps each tier's bytes per fingerprint, for a
/// bounded time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// Read sets in the store.
    pub count: i64,
    /// Latest creation time.
    pub latest: Option<Millis>,
}

/// Fingerprints of the read sets of `stores` of `account` (stores without read sets are absent).
pub async fn fingerprints(
    conn: &mut AnyConnection,
    account: &str,
    stores: &[String],
) -> Result<HashMap<String, Fingerprint>, Error> {
    if stores.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT store_id, COUNT(*) AS n, MAX(creation_ms) AS latest FROM read_sets \
         WHERE account_id = $1 AND store_id IN ({}) GROUP BY store_id",
        placeholders(stores.len())
    );
    let rows = bind_texts(sqlx::query(&sql).bind(account.to_owned()), stores).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let fingerprint = Fingerprint { count: row.try_get("n")?, latest: row.try_get("latest")? };
            Ok((row.try_get("store_id")?, fingerprint))
        })
        .collect()
}

/// What one storage tier of a store holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierTotal {
    /// Read sets whose files are in the tier.
    pub read_sets: i64,
    /// The sizes of their files, summed.
    pub bytes: i64,
}

/// What each storage tier of a store holds: the store's own storage (every read set whose status
/// is not ARCHIVED or ACTIVATING) and the archive location.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreTiers {
    /// The store's own storage.
    pub hot: TierTotal,
    /// The archive location.
    pub archive: TierTotal,
}

impl StoreTiers {
    /// The total of `tier`.
    pub fn of(&self, tier: Tier) -> TierTotal {
        match tier {
            Tier::Hot => self.hot,
            Tier::Archive => self.archive,
        }
    }
}

/// What each tier of `store` of `account` holds: the read sets' `bytes` (their files' sizes, kept
/// beside them since migration 0014), summed per tier by the database.
pub async fn store_tiers(conn: &mut AnyConnection, account: &str, store: &str) -> Result<StoreTiers, Error> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n, CAST(SUM(bytes) AS BIGINT) AS bytes FROM read_sets \
         WHERE account_id = $1 AND store_id = $2 GROUP BY status",
    )
    .bind(account.to_owned())
    .bind(store.to_owned())
    .fetch_all(&mut *conn)
    .await?;
    let mut tiers = StoreTiers::default();
    for row in rows {
        let status = read_sets::status(&row.try_get::<String, _>("status")?)?;
        let total = match status.tier() {
            Tier::Hot => &mut tiers.hot,
            Tier::Archive => &mut tiers.archive,
        };
        total.read_sets += row.try_get::<i64, _>("n")?;
        total.bytes += row.try_get::<Option<i64>, _>("bytes")?.unwrap_or(0);
    }
    Ok(tiers)
}

/// `$2, $3, …`: `n` placeholders after the account's `$1`.
fn placeholders(n: usize) -> String {
    (0..n).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ")
}

/// `query` with `values` bound after what it has (for [`placeholders`]).
fn bind_texts<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    values: &[String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in values {
        query = query.bind(value.clone());
    }
    query
}

/// The read set list's filters.
#[derive(Debug, Clone, Default)]
pub struct ReadSetQuery {
    /// Exact sample id.
    pub sample: Option<String>,
    /// Exact subject id.
    pub subject: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// Exact file type.
    pub file_type: Option<String>,
    /// Exact ETag digest of the first file.
    pub etag: Option<String>,
    /// Only read sets whose ETag another read set of the store shares.
    pub duplicates: bool,
    /// Keyset position: after `(creation_ms, id)`.
    pub after: Option<(i64, String)>,
    /// Page size.
    pub limit: i64,
}

/// One row of the read set list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSetRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Status.
    pub status: ReadSetStatus,
    /// Sample id.
    pub sample: String,
    /// Subject id.
    pub subject: String,
    /// File type.
    pub file_type: FileType,
    /// Creation time.
    pub created: Millis,
    /// Reads.
    pub reads: i64,
    /// Bases.
    pub bases: i64,
    /// ETag digest of the first file.
    pub etag: Option<String>,
    /// When its data was last read; `None`: never since it was created.
    pub last_access: Option<Millis>,
    /// The sizes of its files, summed.
    pub bytes: i64,
}

/// One page (`limit + 1` rows, to learn whether more follow) of a store's read sets in
/// `(creation_ms, id)` order.
pub async fn read_sets(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    query: &ReadSetQuery,
) -> Result<Vec<ReadSetRow>, Error> {
    let mut filter = Filter::default();
    filter
        .text_eq("account_id", account)
        .text_eq("store_id", store)
        .text_eq_opt("sample_id", query.sample.as_deref())
        .text_eq_opt("subject_id", query.subject.as_deref())
        .text_eq_opt("status", query.status.as_deref())
        .text_eq_opt("file_type", query.file_type.as_deref())
        .text_eq_opt("etag_source1", query.etag.as_deref())
        .after("creation_ms", "id", query.after.as_ref());
    let limit = filter.limit(query.limit + 1);
    // Reuses $1 (account) and $2 (store), the filter's first two conditions, so the subquery is
    // evaluated once rather than per row.
    let duplicates = if query.duplicates {
        " AND etag_source1 IN (SELECT d.etag_source1 FROM read_sets d WHERE d.account_id = $1 AND d.store_id = $2 \
         AND d.etag_source1 IS NOT NULL GROUP BY d.etag_source1 HAVING COUNT(*) > 1)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT id, name, status, sample_id, subject_id, file_type, creation_ms, total_read_count, total_base_count, \
         etag_source1, last_access_ms, bytes FROM read_sets WHERE {}{duplicates} ORDER BY creation_ms, id {limit}",
        filter.sql()
    );
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            Ok(ReadSetRow {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                status: read_sets::status(&row.try_get::<String, _>("status")?)?,
                sample: row.try_get("sample_id")?,
                subject: row.try_get("subject_id")?,
                file_type: read_sets::file_type(&row.try_get::<String, _>("file_type")?)?,
                created: row.try_get("creation_ms")?,
                reads: row.try_get("total_read_count")?,
                bases: row.try_get("total_base_count")?,
                etag: row.try_get("etag_source1")?,
                last_access: row.try_get("last_access_ms")?,
                bytes: row.try_get("bytes")?,
            })
        })
        .collect()
}

/// Sources that finished, grouped by when they started and finished (to `resolution`): the
/// earliest start and latest finish of the group, the bytes they read, how many they are and the
/// rate of the fastest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinishedSources {
    /// When the first of them started.
    pub started: Millis,
    /// When the last of them was settled.
    pub finished: Millis,
    /// Bytes read.
    pub bytes: i64,
    /// How many sources.
    pub count: i64,
    /// Bytes per second of the fastest of them: its bytes over its run, a run shorter than
    /// [`MIN_RATE_MS`] taken as that long.
    pub peak_rate: i64,
}

/// The shortest run a source's rate is measured over: a file read in a few milliseconds is not a
/// rate of gigabytes per second.
pub const MIN_RATE_MS: i64 = 1000;

/// The sources of `account` (read set and reference imports, processed uploads) that finished at
/// or after `since`, whichever process ran them, grouped by start and finish time to
/// `resolution` milliseconds, at most `limit` groups.
pub async fn finished_sources(
    conn: &mut AnyConnection,
    account: &str,
    since: Millis,
    resolution: i64,
    limit: i64,
) -> Result<Vec<FinishedSources>, Error> {
    let sql = format!(
        "SELECT MIN(started_ms) AS started, MAX(finished_ms) AS finished, CAST(SUM(bytes_processed) AS BIGINT) AS bytes, \
         COUNT(*) AS n, CAST(MAX(bytes_processed * 1000 / CASE WHEN finished_ms - started_ms < {MIN_RATE_MS} \
         THEN {MIN_RATE_MS} ELSE finished_ms - started_ms END) AS BIGINT) AS peak FROM import_sources \
         WHERE account_id = $1 AND status = 'FINISHED' AND started_ms IS NOT NULL \
         AND finished_ms >= $2 GROUP BY started_ms / $3, finished_ms / $3 LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(account.to_owned())
        .bind(since)
        .bind(resolution.max(1))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(FinishedSources {
                started: row.try_get("started")?,
                finished: row.try_get("finished")?,
                bytes: row.try_get::<Option<i64>, _>("bytes")?.unwrap_or(0),
                count: row.try_get("n")?,
                peak_rate: row.try_get::<Option<i64>, _>("peak")?.unwrap_or(0),
            })
        })
        .collect()
}

/// Where an import job's sources stand, for the job list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobSummary {
    /// Its sources.
    pub sources: i64,
    /// Those FINISHED.
    pub finished: i64,
    /// Those FAILED.
    pub failed: i64,
    /// The sample ids of its sources, each once, in source order.
    pub samples: Vec<String>,
    /// Bytes read: a settled source's total (what it read, when the total is unknown), the
    /// others' bytes read so far.
    pub processed: i64,
    /// Bytes to read, when every source not settled knows its total.
    pub total: Option<i64>,
}

impl JobSummary {
    /// Whole percent done: 100 once every source is settled; else by bytes when the total is
    /// known, else by settled sources.
    pub fn percent(&self) -> i64 {
        let settled = self.finished + self.failed;
        if self.sources == 0 || settled >= self.sources {
            return 100;
        }
        match self.total {
            Some(total) if total > 0 => (self.processed.clamp(0, total) * 100 / total).min(99),
            _ => settled * 100 / self.sources,
        }
    }
}

/// [`JobSummary`]s of `jobs` of `account` (ids of other accounts' jobs are absent).
pub async fn job_summaries(
    conn: &mut AnyConnection,
    account: &str,
    jobs: &[String],
) -> Result<HashMap<String, JobSummary>, Error> {
    if jobs.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT job_id, kind, spec, status, bytes_processed, bytes_total FROM import_sources \
         WHERE account_id = $1 AND job_id IN ({}) ORDER BY job_id, idx",
        placeholders(jobs.len())
    );
    let rows = bind_texts(sqlx::query(&sql).bind(account.to_owned()), jobs).fetch_all(&mut *conn).await?;
    let mut out: HashMap<String, JobSummary> = HashMap::new();
    let mut known: HashMap<String, bool> = HashMap::new();
    for row in &rows {
        let job: String = row.try_get("job_id")?;
        let kind = JobKind::parse(&row.try_get::<String, _>("kind")?).ok_or(Error::Corrupt { what: "job kind" })?;
        let spec = JobSpec::from_stored(kind, &row.try_get::<String, _>("spec")?)
            .map_err(|_| Error::Corrupt { what: "import source" })?;
        let status = SourceStatus::parse(&row.try_get::<String, _>("status")?)
            .ok_or(Error::Corrupt { what: "source status" })?;
        let processed: i64 = row.try_get("bytes_processed")?;
        let total: Option<i64> = row.try_get("bytes_total")?;
        let summary = out.entry(job.clone()).or_default();
        let all_known = known.entry(job).or_insert(true);
        summary.sources += 1;
        let settled = match status {
            SourceStatus::Finished => {
                summary.finished += 1;
                true
            }
            SourceStatus::Failed => {
                summary.failed += 1;
                true
            }
            _ => false,
        };
        if let Ok(spec) = SourceSpec::try_from(spec)
            && !summary.samples.contains(&spec.sample_id)
        {
            summary.samples.push(spec.sample_id);
        }
        let done = if settled { total.unwrap_or(processed).max(processed) } else { processed };
        summary.processed += done;
        match total {
            Some(total) => summary.total = Some(summary.total.unwrap_or(0) + total.max(done)),
            None if settled => summary.total = Some(summary.total.unwrap_or(0) + done),
            None => *all_known = false,
        }
    }
    for (job, all_known) in known {
        if !all_known && let Some(summary) = out.get_mut(&job) {
            summary.total = None;
        }
    }
    Ok(out)
}

/// The processing of a completed upload (the hidden one-source job of kind `upload`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadProcessing {
    /// The read set it fills.
    pub read_set_id: Option<String>,
    /// Source status.
    pub status: String,
    /// Why it failed.
    pub message: Option<String>,
    /// Bytes read so far.
    pub processed: i64,
    /// Bytes to read, when known.
    pub total: Option<i64>,
    /// When it was created.
    pub created: Millis,
}

/// The latest `limit` upload processings of a store.
pub async fn upload_processing(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    limit: i64,
) -> Result<Vec<UploadProcessing>, Error> {
    let rows = sqlx::query(
        "SELECT read_set_id, status, status_message, bytes_processed, bytes_total, created_ms FROM import_sources \
         WHERE account_id = $1 AND store_id = $2 AND kind = 'upload' ORDER BY created_ms DESC, job_id DESC LIMIT $3",
    )
    .bind(account.to_owned())
    .bind(store.to_owned())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(UploadProcessing {
                read_set_id: row.try_get("read_set_id")?,
                status: row.try_get("status")?,
                message: row.try_get("status_message")?,
                processed: row.try_get("bytes_processed")?,
                total: row.try_get("bytes_total")?,
                created: row.try_get("created_ms")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_done_when_every_source_settled_else_by_bytes_or_sources() {
        let summary = |finished, failed, processed, total| JobSummary {
            sources: 4,
            finished,
            failed,
            samples: Vec::new(),
            processed,
            total,
        };
        assert_eq!(summary(3, 1, 10, Some(10)).percent(), 100, "settled, whatever the bytes");
        assert_eq!(summary(1, 0, 250, Some(1000)).percent(), 25, "by bytes");
        assert_eq!(summary(3, 0, 1000, Some(1000)).percent(), 99, "not 100 before the last source settles");
        assert_eq!(summary(1, 1, 250, None).percent(), 50, "by sources while a total is unknown");
        assert_eq!(JobSummary::default().percent(), 100, "a job without sources");
    }
}
