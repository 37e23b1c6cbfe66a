//! Rows of `import_jobs` and `import_sources`: submission, claiming under leases, renewal,
//! settlement.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::filter::Filter;
use super::{Backend, Error};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::import::{Job, JobKind, JobStatus, Source, SourceStatus};
use crate::model::time::Millis;

const JOB_COLUMNS: &str =
    "id, account_id, store_id, role_arn, status, status_message, creation_ms, completion_ms, kind";
const SOURCE_COLUMNS: &str =
    "idx, spec, status, status_message, status_detail, read_set_id, bytes_processed, bytes_total";

/// ListReadSetImportJobs, as column bounds.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only this status.
    pub status: Option<String>,
    /// `creation_ms >= created_from`.
    pub created_from: Option<Millis>,
    /// `creation_ms < created_before`.
    pub created_before: Option<Millis>,
    /// After this `(creation_ms, id)`.
    pub after: Option<(Millis, String)>,
    /// Page size.
    pub limit: i64,
}

/// A source claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// What the job creates.
    pub kind: JobKind,
    /// What to import, as submitted (its type depends on `kind`).
    pub spec: serde_json::Value,
    /// Lease generation of this claim.
    pub generation: i64,
    /// Read set (or reference) id reserved for this attempt.
    pub read_set_id: String,
    /// The id an earlier, interrupted attempt used: its objects are garbage.
    pub previous: Option<String>,
}

impl Claim {
    /// The object directory this attempt writes under (`{store}/readSet/{dir}/…`): the read set id,
    /// which is fresh for every attempt, except for an upload, whose read set id is fixed at
    /// completion: there each attempt writes under `{id}/{generation}`, so an attempt that lost its
    /// lease can never overwrite or delete what the attempt that took over committed.
    pub fn object_dir(&self) -> String {
        match self.kind {
            JobKind::Upload => format!("{}/{}", self.read_set_id, self.generation),
            JobKind::ReadSet | JobKind::Reference => self.read_set_id.clone(),
        }
    }
}

/// Inserts a job row.
pub async fn insert_job(conn: &mut AnyConnection, job: &Job) -> Result<(), Error> {
    let sql = format!("INSERT INTO import_jobs ({JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    sqlx::query(&sql)
        .bind(&job.id)
        .bind(&job.account)
        .bind(&job.store_id)
        .bind(&job.role_arn)
        .bind(job.status.as_str())
        .bind(&job.status_message)
        .bind(job.creation_time)
        .bind(job.completion_time)
        .bind(job.kind.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts source `index` of `job`, NOT_STARTED; `reference_arn` is the reference it names, if any
/// (DeleteReference refuses while an unfinished source names it).
pub async fn insert_source<S: Serialize>(
    conn: &mut AnyConnection,
    job: &Job,
    index: i64,
    spec: &S,
    reference_arn: Option<&str>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO import_sources (job_id, idx, account_id, store_id, spec, status, generation, bytes_processed, \
         created_ms, kind, reference_arn) VALUES ($1, $2, $3, $4, $5, 'NOT_STARTED', 0, 0, $6, $7, $8)",
    )
    .bind(&job.id)
    .bind(index)
    .bind(&job.account)
    .bind(&job.store_id)
    .bind(serde_json::to_string(spec).expect("specs serialize"))
    .bind(job.creation_time)
    .bind(job.kind.as_str())
    .bind(reference_arn)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Import job `id` of `account` in `store` (the hidden processing jobs of uploads are not import
/// jobs).
pub async fn job(conn: &mut AnyConnection, account: &str, store: &str, id: &str) -> Result<Option<Job>, Error> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM import_jobs WHERE account_id = $1 AND store_id = $2 AND id = $3 AND kind <> 'upload'"
    );
    let row = sqlx::query(&sql).bind(account).bind(store).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(job_from_row).transpose()
}

/// Fixes the read set id of a source before it is claimed: an upload's read set exists (as
/// PROCESSING_UPLOAD) from completion on, so every attempt fills that one.
pub async fn reserve_read_set(
    conn: &mut AnyConnection,
    job_id: &str,
    index: i64,
    read_set_id: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE import_sources SET read_set_id = $1 WHERE job_id = $2 AND idx = $3")
        .bind(read_set_id)
        .bind(job_id)
        .bind(index)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Job `id` of `account` in whichever store.
pub async fn job_any_store(conn: &mut AnyConnection, account: &str, id: &str) -> Result<Option<Job>, Error> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(account).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(job_from_row).transpose()
}

/// The sources of a job in index order, their specs read as `S`.
pub async fn sources<S: DeserializeOwned>(conn: &mut AnyConnection, job_id: &str) -> Result<Vec<Source<S>>, Error> {
    let sql = format!("SELECT {SOURCE_COLUMNS} FROM import_sources WHERE job_id = $1 ORDER BY idx");
    let rows = sqlx::query(&sql).bind(job_id).fetch_all(&mut *conn).await?;
    rows.iter().map(source_from_row).collect()
}

/// One page of a store's import jobs in `(creation_ms, id)` order (upload processing jobs are not
/// listed).
pub async fn list(conn: &mut AnyConnection, account: &str, store: &str, query: &Query) -> Result<Vec<Job>, Error> {
    let mut filter = Filter::default();
    filter.text_eq("account_id", account).text_eq("store_id", store);
    filter.not_text_eq("kind", JobKind::Upload.as_str());
    if let Some(status) = &query.status {
        filter.text_eq("status", status);
    }
    filter.int_at_least("creation_ms", query.created_from).int_below("creation_ms", query.created_before).after(
        "creation_ms",
        "id",
        query.after.as_ref(),
    );
    let limit = filter.limit(query.limit);
    let sql = format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE {} ORDER BY creation_ms, id {limit}", filter.sql());
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(job_from_row).collect()
}

/// True when an unsettled source names `reference_arn`.
pub async fn reference_in_use(conn: &mut AnyConnection, reference_arn: &str) -> Result<bool, Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM import_sources WHERE reference_arn = $1 AND status IN ('NOT_STARTED', 'IN_PROGRESS')",
    )
    .bind(reference_arn)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Import jobs of `account` (in `store` when given) that are not settled (upload processing is not
/// an import job).
pub async fn count_active(conn: &mut AnyConnection, account: &str, store: Option<&str>) -> Result<i64, Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM import_jobs WHERE account_id = $1 AND status IN ('SUBMITTED', 'IN_PROGRESS') \
         AND ($2 = '' OR store_id = $2) AND kind <> 'upload'",
    )
    .bind(account)
    .bind(store.unwrap_or(""))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// Serialises the settlement of one job's sources for the rest of the transaction, so the last
/// source to finish always sees the others' outcomes and settles the job (PostgreSQL's READ
/// COMMITTED would otherwise let two concurrent commits each miss the other; SQLite's
/// `BEGIN IMMEDIATE` already serialises writers).
pub async fn lock_job(conn: &mut AnyConnection, backend: Backend, job_id: &str) -> Result<(), Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM import_jobs WHERE id = $1 FOR UPDATE")
            .bind(job_id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Claims the oldest claimable source (NOT_STARTED, or IN_PROGRESS with an expired lease) for
/// `owner` until `expires`, with a fresh lease generation and a newly reserved read set id (each
/// attempt writes its own objects). Runs inside the caller's transaction; the job becomes
/// IN_PROGRESS.
pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    now: Millis,
    expires: Millis,
) -> Result<Option<Claim>, Error> {
    let lock = if backend == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "SELECT job_id, idx, kind, read_set_id, status FROM import_sources WHERE status = 'NOT_STARTED' OR \
         (status = 'IN_PROGRESS' AND lease_expires_ms < $1) ORDER BY created_ms, job_id, idx LIMIT 1 {lock}"
    );
    let Some(row) = sqlx::query(&sql).bind(now).fetch_optional(&mut *conn).await? else { return Ok(None) };
    let (job_id, index): (String, i64) = (row.try_get("job_id")?, row.try_get("idx")?);
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let mut previous: Option<String> = row.try_get("read_set_id")?;
    // An upload's read set id is fixed at completion: a retry refills it (after deleting what an
    // interrupted attempt wrote). Every other attempt writes under a fresh id.
    let read_set_id = match (kind == JobKind::Upload.as_str(), previous.clone()) {
        (true, Some(fixed)) => {
            if status == SourceStatus::NotStarted.as_str() {
                previous = None;
            }
            fixed
        }
        _ => super::ids::reserve(conn, &kind).await?,
    };
    let row = sqlx::query(
        "UPDATE import_sources SET status = 'IN_PROGRESS', lease_owner = $1, lease_expires_ms = $2, \
         generation = generation + 1, read_set_id = $3, bytes_processed = 0, bytes_total = NULL, \
         status_message = NULL, status_detail = NULL, started_ms = COALESCE(started_ms, $4) \
         WHERE job_id = $5 AND idx = $6 RETURNING account_id, store_id, spec, generation, kind",
    )
    .bind(owner)
    .bind(expires)
    .bind(&read_set_id)
    .bind(now)
    .bind(&job_id)
    .bind(index)
    .fetch_one(&mut *conn)
    .await?;
    let job = sqlx::query(
        "UPDATE import_jobs SET status = CASE WHEN status = 'SUBMITTED' THEN 'IN_PROGRESS' ELSE status END \
         WHERE id = $1 RETURNING role_arn",
    )
    .bind(&job_id)
    .fetch_one(&mut *conn)
    .await?;
    let spec: String = row.try_get("spec")?;
    let kind: String = row.try_get("kind")?;
    Ok(Some(Claim {
        job_id,
        index,
        account: row.try_get("account_id")?,
        store_id: row.try_get("store_id")?,
        role_arn: job.try_get("role_arn")?,
        kind: JobKind::parse(&kind).ok_or(Error::Corrupt { what: "job kind" })?,
        spec: serde_json::from_str(&spec).map_err(|_| Error::Corrupt { what: "import source" })?,
        generation: row.try_get("generation")?,
        read_set_id,
        previous,
    }))
}

/// Extends the lease of `claim` and records progress; false when the lease was lost (another
/// worker took the source over, or the lease expired at `now`: expiry is final, because once a
/// lease has expired another node's sweep may delete the attempt's objects), in which case the
/// caller must stop and commit nothing.
pub async fn renew(
    conn: &mut AnyConnection,
    claim: &Claim,
    now: Millis,
    expires: Millis,
    bytes_processed: i64,
    bytes_total: Option<i64>,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE import_sources SET lease_expires_ms = $1, bytes_processed = $2, bytes_total = $3 \
         WHERE job_id = $4 AND idx = $5 AND generation = $6 AND status = 'IN_PROGRESS' AND lease_expires_ms >= $7",
    )
    .bind(expires)
    .bind(bytes_processed)
    .bind(bytes_total)
    .bind(&claim.job_id)
    .bind(claim.index)
    .bind(claim.generation)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the claimed attempt as `status`; false when the lease generation no longer matches or the
/// lease has expired (another node may already have swept this attempt's objects; the source will
/// be claimed again). Runs inside the caller's transaction.
pub async fn settle_source(
    conn: &mut AnyConnection,
    claim: &Claim,
    status: SourceStatus,
    message: Option<&str>,
    detail: Option<&str>,
    now: Millis,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE import_sources SET status = $1, status_message = $2, status_detail = $3, finished_ms = $4, \
         settled_by = lease_owner, lease_owner = NULL, lease_expires_ms = NULL, bytes_processed = COALESCE(bytes_total, bytes_processed) \
         WHERE job_id = $5 AND idx = $6 AND generation = $7 AND status = 'IN_PROGRESS' AND lease_expires_ms >= $4",
    )
    .bind(status.as_str())
    .bind(message)
    .bind(detail)
    .bind(now)
    .bind(&claim.job_id)
    .bind(claim.index)
    .bind(claim.generation)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Settles the job once every source is FINISHED or FAILED: COMPLETED, COMPLETED_WITH_FAILURES or
/// FAILED, with its completion time.
pub async fn settle_job(conn: &mut AnyConnection, job_id: &str, now: Millis) -> Result<(), Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS total, \
         SUM(CASE WHEN status = 'FINISHED' THEN 1 ELSE 0 END) AS finished, \
         SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS failed \
         FROM import_sources WHERE job_id = $1",
    )
    .bind(job_id)
    .fetch_one(&mut *conn)
    .await?;
    let (total, finished, failed): (i64, i64, i64) =
        (row.try_get("total")?, row.try_get("finished")?, row.try_get("failed")?);
    if finished + failed < total {
        return Ok(());
    }
    let status = JobStatus::settled(finished as u64, failed as u64);
    let message = (failed > 0).then(|| format!("{failed} of {total} sources failed"));
    sqlx::query("UPDATE import_jobs SET status = $1, status_message = $2, completion_ms = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(message)
        .bind(now)
        .bind(job_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Makes every lease held by `owner` claimable at once (a restarted process resuming its own work).
pub async fn expire_leases_of(conn: &mut AnyConnection, owner: &str) -> Result<u64, Error> {
    let done =
        sqlx::query("UPDATE import_sources SET lease_expires_ms = 0 WHERE status = 'IN_PROGRESS' AND lease_owner = $1")
            .bind(owner)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

/// True when a live lease (not expired at `now`) is working on `read_set_id`.
pub async fn read_set_in_progress(conn: &mut AnyConnection, read_set_id: &str, now: Millis) -> Result<bool, Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM import_sources WHERE read_set_id = $1 AND status = 'IN_PROGRESS' \
         AND lease_expires_ms >= $2",
    )
    .bind(read_set_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

fn job_from_row(row: &AnyRow) -> Result<Job, Error> {
    let status: String = row.try_get("status")?;
    let kind: String = row.try_get("kind")?;
    Ok(Job {
        id: row.try_get("id")?,
        kind: JobKind::parse(&kind).ok_or(Error::Corrupt { what: "job kind" })?,
        account: row.try_get("account_id")?,
        store_id: row.try_get("store_id")?,
        role_arn: row.try_get("role_arn")?,
        status: JobStatus::parse(&status).ok_or(Error::Corrupt { what: "job status" })?,
        status_message: row.try_get("status_message")?,
        creation_time: row.try_get("creation_ms")?,
        completion_time: row.try_get("completion_ms")?,
    })
}

fn source_from_row<S: DeserializeOwned>(row: &AnyRow) -> Result<Source<S>, Error> {
    let status: String = row.try_get("status")?;
    let spec: String = row.try_get("spec")?;
    Ok(Source {
        index: row.try_get("idx")?,
        spec: serde_json::from_str(&spec).map_err(|_| Error::Corrupt { what: "import source" })?,
        status: SourceStatus::parse(&status).ok_or(Error::Corrupt { what: "source status" })?,
        status_message: row.try_get("status_message")?,
        status_detail: row.try_get("status_detail")?,
        read_set_id: row.try_get("read_set_id")?,
        bytes_processed: row.try_get("bytes_processed")?,
        bytes_total: row.try_get("bytes_total")?,
    })
}
