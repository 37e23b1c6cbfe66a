//! Rows of `import_jobs` and `import_sources`: submission, claiming under leases, renewal,
//! settlement.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::filter::Filter;
use super::{Backend, Error};

use crate::model::import::{JobStatus, Source, SourceStatus};
pub use crate::model::job::Claim;
use crate::model::job::{Job, JobFamily, JobKind, JobSpec};
use crate::model::read_set::ReadSetStatus;
use crate::model::time::Millis;

const JOB_COLUMNS: &str =
    "id, account_id, store_id, role_arn, status, status_message, creation_ms, completion_ms, kind, destination";
const SOURCE_COLUMNS: &str =
    "idx, kind, spec, status, status_message, status_detail, read_set_id, bytes_processed, bytes_total";

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

/// Inserts a job row.
pub async fn insert_job(conn: &mut AnyConnection, job: &Job) -> Result<(), Error> {
    let sql = format!("INSERT INTO import_jobs ({JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
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
        .bind(&job.destination)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rows of one multi-row INSERT of [`insert_sources`]: 9 binds each, well inside SQLite's and
/// PostgreSQL's limits on binds per statement.
const SOURCES_PER_INSERT: usize = 500;

/// Inserts the sources of `job`, `specs[i]` as source `i`, NOT_STARTED, each with the reference its
/// spec names, if any (DeleteReference refuses while an unfinished source names it), and the
/// output id its spec fixes, if any. One statement per [`SOURCES_PER_INSERT`] sources: a job of
/// 100 sources was 100 statements in its submission's transaction (#28).
pub async fn insert_sources(conn: &mut AnyConnection, job: &Job, specs: &[JobSpec]) -> Result<(), Error> {
    for (chunk, specs) in specs.chunks(SOURCES_PER_INSERT).enumerate() {
        let sql = format!(
            "INSERT INTO import_sources (job_id, idx, account_id, store_id, spec, created_ms, kind, reference_arn, \
             read_set_id, status, generation, bytes_processed) VALUES {}",
            super::value_rows(specs.len(), 9, "'NOT_STARTED', 0, 0")
        );
        // Not cached: its text differs with the number of sources, and each would take a place in
        // the connection's statement cache from the statements every source runs.
        let mut query = sqlx::query(&sql).persistent(false);
        for (i, spec) in specs.iter().enumerate() {
            query = query
                .bind(&job.id)
                .bind((chunk * SOURCES_PER_INSERT + i) as i64)
                .bind(&job.account)
                .bind(&job.store_id)
                .bind(spec.to_stored())
                .bind(job.creation_time)
                .bind(spec.kind().as_str())
                .bind(spec.reference_arn())
                .bind(spec.reserved_output_id());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `kind IN (…)` of the kinds of `families`.
fn kinds_of(families: &[JobFamily]) -> String {
    let kinds: Vec<String> = families.iter().flat_map(|f| f.kinds()).map(|k| format!("'{}'", k.as_str())).collect();
    format!("kind IN ({})", kinds.join(", "))
}

/// Job `id` of `account` in `store`, of kind `kind` only.
pub async fn job(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    kind: JobKind,
    id: &str,
) -> Result<Option<Job>, Error> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM import_jobs WHERE account_id = $1 AND store_id = $2 AND id = $3 AND kind = $4"
    );
    let row =
        sqlx::query(&sql).bind(account).bind(store).bind(id).bind(kind.as_str()).fetch_optional(&mut *conn).await?;
    row.as_ref().map(job_from_row).transpose()
}

/// Fixes the output id of a source before it is claimed, for the kinds whose output exists from
/// submission on ([`JobKind::fresh_output_ids`] is `None`: every attempt fills that one).
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

/// The sources of a job in index order, their specs read as `S` (the spec of the job's kind).
pub async fn sources<S: TryFrom<JobSpec>>(conn: &mut AnyConnection, job_id: &str) -> Result<Vec<Source<S>>, Error> {
    let sql = format!("SELECT {SOURCE_COLUMNS} FROM import_sources WHERE job_id = $1 ORDER BY idx");
    let rows = sqlx::query(&sql).bind(job_id).fetch_all(&mut *conn).await?;
    rows.iter().map(source_from_row).collect()
}

/// One page of a store's jobs of kind `kind` in `(creation_ms, id)` order.
pub async fn list(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    kind: JobKind,
    query: &Query,
) -> Result<Vec<Job>, Error> {
    let (sql, filter) = list_statement(account, store, kind, query);
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(job_from_row).collect()
}

/// The statement [`list`] runs, with its bound values (for [`super::plans`]): served by
/// `import_jobs_by_kind` or, with a status, `import_jobs_by_kind_status` (0016), both ending in
/// `(creation_ms, id)`.
pub fn list_statement(account: &str, store: &str, kind: JobKind, query: &Query) -> (String, Filter) {
    let mut filter = Filter::default();
    filter.text_eq("account_id", account).text_eq("store_id", store).text_eq("kind", kind.as_str());
    if let Some(status) = &query.status {
        filter.text_eq("status", status);
    }
    filter.int_below("creation_ms", query.created_before).from_or_after(
        "creation_ms",
        "id",
        query.created_from,
        query.after.as_ref(),
    );
    let limit = filter.limit(query.limit);
    let sql = format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE {} ORDER BY creation_ms, id {limit}", filter.sql());
    (sql, filter)
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

/// Jobs of `families` of `account` (in `store` when given) that are not settled, CANCELLING
/// included.
pub async fn count_active(
    conn: &mut AnyConnection,
    account: &str,
    store: Option<&str>,
    families: &[JobFamily],
) -> Result<i64, Error> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM import_jobs WHERE account_id = $1 AND status IN ('SUBMITTED', 'IN_PROGRESS', 'CANCELLING') \
         AND ($2 = '' OR store_id = $2) AND {}",
        kinds_of(families)
    );
    let row = sqlx::query(&sql).bind(account).bind(store.unwrap_or("")).fetch_one(&mut *conn).await?;
    Ok(row.try_get("n")?)
}

/// Locks job `job_id` for the rest of the transaction, alone: what changes the job's status from
/// outside its attempts (a cancellation, a restarted node expiring its leases) and the job's own
/// settlement ([`settle_job_if_done`]) take this lock before the job's source rows, so no other
/// transaction is between them and the job's sources; it waits for every claim and source
/// settlement of the job in flight (they hold [`share_job`]'s lock), and they for it. SQLite's
/// `BEGIN IMMEDIATE` already serialises writers.
pub async fn lock_job(conn: &mut AnyConnection, backend: Backend, job_id: &str) -> Result<(), Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM import_jobs WHERE id = $1 FOR UPDATE")
            .bind(job_id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The lock a claim or a source's settlement holds on its job row (PostgreSQL's `FOR KEY SHARE`):
/// shared by every claim and settlement of the job, so that they do not wait for each other's
/// commits (#28: with one exclusive lock, the job row was held through two commits per source and
/// a job's sources were imported one commit after another), and exclusive of [`lock_job`], so a
/// cancellation waits for them and they for it. Taken before the source row, after the kind's
/// rows in a settlement. The job's status is the caller's to read (the row's current version).
fn share_job(backend: Backend) -> &'static str {
    if backend == Backend::Postgres { " FOR KEY SHARE" } else { "" }
}

/// A claimable source is NOT_STARTED, or IN_PROGRESS with a lease expired before `$1`.
const CLAIMABLE: &str = "(status = 'NOT_STARTED' OR (status = 'IN_PROGRESS' AND lease_expires_ms < $1))";

/// The job of the oldest [`CLAIMABLE`] source (`$1`: now). One indexed lookup per status, each the
/// oldest of its kind, and the older of the two: written as [`CLAIMABLE`]'s OR, SQLite could not
/// read the `(status, created_ms)` index in order and scanned and sorted every source ever
/// imported (26.7 ms at 60,000, inside the claim's write transaction; 0.055 ms this way, #28).
/// PostgreSQL's plan of either form was not measured.
const OLDEST_CLAIMABLE: &str = "SELECT job_id FROM (\
     SELECT job_id, created_ms, idx FROM (SELECT job_id, created_ms, idx FROM import_sources \
       WHERE status = 'NOT_STARTED' ORDER BY created_ms, job_id, idx LIMIT 1) AS fresh \
     UNION ALL \
     SELECT job_id, created_ms, idx FROM (SELECT job_id, created_ms, idx FROM import_sources \
       WHERE status = 'IN_PROGRESS' AND lease_expires_ms < $1 ORDER BY created_ms, job_id, idx LIMIT 1) AS expired\
   ) AS oldest ORDER BY created_ms, job_id, idx LIMIT 1";

/// Claims the oldest claimable source (NOT_STARTED, or IN_PROGRESS with an expired lease) for
/// `owner` until `expires`, with a fresh lease generation and an output id: the one reserved at
/// submission, or a newly reserved one for the kinds that produce a fresh output per attempt (each
/// attempt writes its own objects). Runs inside the caller's transaction, locking the job row
/// ([`share_job`]: other claims of the job go on beside it) before the source row; the job becomes
/// IN_PROGRESS. A claimed source of a
/// CANCELLING job (an attempt interrupted during cancellation) is marked [`Claim::cancelling`]: it
/// must not be started, only failed [`CANCELLED`].
pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    now: Millis,
    expires: Millis,
) -> Result<Option<Claim>, Error> {
    // The oldest claimable source names the job; under that job's shared lock, the job's first
    // claimable source no other claim has locked is taken, or else (all of them being claimed)
    // the first once those claims commit (then another worker may have taken the one seen first:
    // its next one, or, when the job has none left, the search starts again).
    let share = share_job(backend);
    // One statement finds the job and takes its lock (a round trip fewer per claim, #28).
    let oldest = format!("SELECT id FROM import_jobs WHERE id = ({OLDEST_CLAIMABLE}){share}");
    let row = 'found: loop {
        let Some(row) = sqlx::query(&oldest).bind(now).fetch_optional(&mut *conn).await? else {
            return Ok(None);
        };
        let job_id: String = row.try_get("id")?;
        let locks: &[&str] = if backend == Backend::Postgres { &[SKIP_LOCKED, "FOR UPDATE"] } else { &[""] };
        for lock in locks {
            if let Some(row) = first_claimable(conn, &job_id, now, lock).await? {
                break 'found row;
            }
        }
    };
    take(conn, &row, owner, now, expires).await.map(Some)
}

/// Claims, as [`claim`] does, the first claimable source of job `job_id` that no other claim
/// has locked, or nothing (the job has none, or every one is being claimed: this never waits
/// for a source row). For a settlement of one of the job's sources, which claims the settler's
/// next source in its own transaction: that transaction holds the job's shared lock already
/// ([`settle_source`]), so the lock order (job row, then source rows) holds, and a source's
/// claim costs no transaction of its own (#28: one commit fewer per source on PostgreSQL).
pub async fn claim_in_job(
    conn: &mut AnyConnection,
    backend: Backend,
    job_id: &str,
    owner: &str,
    now: Millis,
    expires: Millis,
) -> Result<Option<Claim>, Error> {
    let lock = if backend == Backend::Postgres { SKIP_LOCKED } else { "" };
    match first_claimable(conn, job_id, now, lock).await? {
        Some(row) => take(conn, &row, owner, now, expires).await.map(Some),
        None => Ok(None),
    }
}

/// PostgreSQL's lock of a source row to claim that skips rows other claims hold.
const SKIP_LOCKED: &str = "FOR UPDATE SKIP LOCKED";

/// The first [`CLAIMABLE`] source of job `job_id` at `now`, locked with `lock` (PostgreSQL's row
/// lock clause, or nothing on SQLite), with its job's role and status (the caller holds the job's
/// lock: the job's UPDATE in [`take`] is needed only by its first claim).
async fn first_claimable(
    conn: &mut AnyConnection,
    job_id: &str,
    now: Millis,
    lock: &str,
) -> Result<Option<AnyRow>, Error> {
    let sql = format!(
        "SELECT job_id, idx, kind, read_set_id, status, checkpoint, \
         (SELECT role_arn FROM import_jobs WHERE id = $2) AS role_arn, \
         (SELECT status FROM import_jobs WHERE id = $2) AS job_status \
         FROM import_sources WHERE job_id = $2 AND {CLAIMABLE} ORDER BY idx LIMIT 1 {lock}"
    );
    Ok(sqlx::query(&sql).bind(now).bind(job_id).fetch_optional(&mut *conn).await?)
}

/// Takes the source `row` ([`first_claimable`]) for `owner` until `expires`: a fresh lease
/// generation and its output id, and the job IN_PROGRESS if it was SUBMITTED.
async fn take(
    conn: &mut AnyConnection,
    row: &AnyRow,
    owner: &str,
    now: Millis,
    expires: Millis,
) -> Result<Claim, Error> {
    let (job_id, index): (String, i64) = (row.try_get("job_id")?, row.try_get("idx")?);
    let kind: String = row.try_get("kind")?;
    let kind = JobKind::parse(&kind).ok_or(Error::Corrupt { what: "job kind" })?;
    let status: String = row.try_get("status")?;
    let mut previous: Option<String> = row.try_get("read_set_id")?;
    let checkpoint: Option<String> = row.try_get("checkpoint")?;
    let (role_arn, job_status): (String, String) = (row.try_get("role_arn")?, row.try_get("job_status")?);
    let output_id = match (kind.fresh_output_ids(), previous.clone()) {
        (Some(space), _) => super::ids::reserve(conn, space).await?,
        (None, Some(reserved)) => {
            // Refilled by every attempt (after deleting what an interrupted one wrote).
            if status == SourceStatus::NotStarted.as_str() {
                previous = None;
            }
            reserved
        }
        (None, None) => return Err(Error::Corrupt { what: "source without its reserved output id" }),
    };
    let row = sqlx::query(
        "UPDATE import_sources SET status = 'IN_PROGRESS', lease_owner = $1, lease_expires_ms = $2, \
         generation = generation + 1, read_set_id = $3, bytes_processed = 0, bytes_total = NULL, \
         status_message = NULL, status_detail = NULL, started_ms = COALESCE(started_ms, $4) \
         WHERE job_id = $5 AND idx = $6 RETURNING account_id, store_id, spec, generation",
    )
    .bind(owner)
    .bind(expires)
    .bind(&output_id)
    .bind(now)
    .bind(&job_id)
    .bind(index)
    .fetch_one(&mut *conn)
    .await?;
    if job_status == JobStatus::Submitted.as_str() {
        sqlx::query("UPDATE import_jobs SET status = 'IN_PROGRESS' WHERE id = $1 AND status = 'SUBMITTED'")
            .bind(&job_id)
            .execute(&mut *conn)
            .await?;
    }
    let spec: String = row.try_get("spec")?;
    Ok(Claim {
        job_id,
        index,
        account: row.try_get("account_id")?,
        store_id: row.try_get("store_id")?,
        role_arn,
        kind,
        spec: JobSpec::from_stored(kind, &spec).map_err(|e| format!("{e} ({})", e.source)),
        generation: row.try_get("generation")?,
        output_id,
        previous,
        checkpoint,
        cancelling: job_status == JobStatus::Cancelling.as_str(),
    })
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

/// Records what `claim`'s attempt must have undone if it is interrupted (`None` once nothing is);
/// false when the lease was lost (the attempt must stop).
pub async fn set_checkpoint(conn: &mut AnyConnection, claim: &Claim, checkpoint: Option<&str>) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE import_sources SET checkpoint = $1 WHERE job_id = $2 AND idx = $3 AND generation = $4 \
         AND status = 'IN_PROGRESS'",
    )
    .bind(checkpoint)
    .bind(&claim.job_id)
    .bind(claim.index)
    .bind(claim.generation)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How [`settle_source`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceSettled {
    /// The source is settled (visible once the caller commits).
    Done,
    /// Nothing changed: the lease generation no longer matches or the lease has expired (another
    /// node may already have swept this attempt's objects; the source will be claimed again).
    Lost,
    /// Nothing changed: the source was to be FINISHED, and its job is CANCELLING (the caller must
    /// roll back what it wrote and fail the source [`CANCELLED`]).
    Cancelling,
}

/// Ends the claimed attempt as `status` with its `message` and `detail` and, when the attempt
/// recorded any, its last `progress` (bytes read, and the total once known); a source to be
/// FINISHED is not while its job is CANCELLING. Runs inside the caller's transaction, one
/// statement (two only when nothing changed and the source was to be FINISHED: the job's status
/// then tells [`SourceSettled::Lost`] from [`SourceSettled::Cancelling`]): the settled source's
/// bytes processed are its total when known.
///
/// The statement takes [`share_job`]'s lock on the job row before the source row (the engine's
/// lock order): the job's status is read by an uncorrelated sub-select, which PostgreSQL runs
/// once, before reading any source row (an `InitPlan` with `LockRows`, and the status check as
/// the `One-Time Filter` above the source's index scan), and which SQLite's write lock makes
/// moot. It was a statement of its own before the source's update (#28: one fewer per source).
/// The lease is checked against `now`, the caller's time before the statement: what the job's lock
/// may wait for holds it only briefly (a cancellation, the job's own settlement, a node expiring
/// its leases), far less than a lease outlives its last renewal (renewed every second).
pub async fn settle_source(
    conn: &mut AnyConnection,
    backend: Backend,
    claim: &Claim,
    status: SourceStatus,
    (message, detail): (Option<&str>, Option<&str>),
    progress: Option<(i64, Option<i64>)>,
    now: Millis,
) -> Result<SourceSettled, Error> {
    let (bytes, total) = progress.map_or((None, None), |(bytes, total)| (Some(bytes), total));
    let finishing = status == SourceStatus::Finished;
    // A failure settles whatever the job's status; the sub-select still takes the job's lock.
    let job = if finishing { "<> 'CANCELLING'" } else { "IS NOT NULL" };
    let sql = format!(
        "UPDATE import_sources SET status = $1, status_message = $2, status_detail = $3, finished_ms = $4, \
         settled_by = lease_owner, lease_owner = NULL, lease_expires_ms = NULL, \
         bytes_total = COALESCE($8, bytes_total), bytes_processed = COALESCE($8, bytes_total, $9, bytes_processed) \
         WHERE job_id = $5 AND idx = $6 AND generation = $7 AND status = 'IN_PROGRESS' AND lease_expires_ms >= $4 \
         AND (SELECT status FROM import_jobs WHERE id = $5{}) {job}",
        share_job(backend)
    );
    let done = sqlx::query(&sql)
        .bind(status.as_str())
        .bind(message)
        .bind(detail)
        .bind(now)
        .bind(&claim.job_id)
        .bind(claim.index)
        .bind(claim.generation)
        .bind(total)
        .bind(bytes)
        .execute(&mut *conn)
        .await?;
    Ok(if done.rows_affected() == 1 {
        SourceSettled::Done
    } else if finishing && cancelling(conn, &claim.job_id).await? {
        SourceSettled::Cancelling
    } else {
        SourceSettled::Lost
    })
}

/// Settles the job once every source is FINISHED or FAILED: COMPLETED, COMPLETED_WITH_FAILURES or
/// FAILED, or CANCELLED when it is CANCELLING, with its completion time; a job already ended is
/// left as it is. Runs inside the caller's transaction, which holds the job's [`lock_job`] (no
/// source of it settles in between).
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
    let row = sqlx::query("SELECT status FROM import_jobs WHERE id = $1").bind(job_id).fetch_one(&mut *conn).await?;
    let current: String = row.try_get("status")?;
    let current = JobStatus::parse(&current).ok_or(Error::Corrupt { what: "job status" })?;
    if current.is_terminal() {
        return Ok(());
    }
    let status = current.settled(finished as u64, failed as u64);
    let message = match status {
        JobStatus::Cancelled => Some(format!("cancelled; {finished} of {total} sources finished")),
        _ => (failed > 0).then(|| format!("{failed} of {total} sources failed")),
    };
    sqlx::query("UPDATE import_jobs SET status = $1, status_message = $2, completion_ms = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(message)
        .bind(now)
        .bind(job_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether job `job_id` has no source left to settle (none NOT_STARTED or IN_PROGRESS).
///
/// A source's settlement commits without settling its job; the settler reads this after its
/// commit and, when it is true, settles the job in a transaction of its own
/// ([`settle_job_if_done`]). Of two settlements of a job's last sources, the one that commits
/// second reads after both commits, so one of them always sees the job done (both may: the job's
/// settlement is idempotent).
///
/// Reads the job's sources from the last: sources are claimed in order, so while any is left the
/// last ones are, and the answer costs a row or a few, not one per source of the job.
pub async fn all_settled(conn: &mut AnyConnection, job_id: &str) -> Result<bool, Error> {
    let left = sqlx::query(
        "SELECT idx FROM import_sources WHERE job_id = $1 AND status IN ('NOT_STARTED', 'IN_PROGRESS') \
         ORDER BY idx DESC LIMIT 1",
    )
    .bind(job_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(left.is_none())
}

/// Takes the job's [`lock_job`] and settles job `job_id` ([`settle_job`]) when it has no source
/// left to settle; nothing otherwise, or when it has ended already. Runs inside the caller's
/// transaction (the job's lock then held until it ends), never a source's settlement's: that
/// holds the shared lock this one waits for.
pub async fn settle_job_if_done(
    conn: &mut AnyConnection,
    backend: Backend,
    job_id: &str,
    now: Millis,
) -> Result<(), Error> {
    lock_job(conn, backend, job_id).await?;
    if all_settled(conn, job_id).await? {
        settle_job(conn, job_id, now).await?;
    }
    Ok(())
}

/// Jobs not ended whose sources are all settled: a server stopped between a last source's
/// commit and its job's settlement leaves one (see [`all_settled`]). Reads the jobs not ended
/// only (`import_jobs_by_status_only`).
pub async fn unsettled_done_jobs(conn: &mut AnyConnection) -> Result<Vec<String>, Error> {
    let rows = sqlx::query(
        "SELECT id FROM import_jobs WHERE status IN ('SUBMITTED', 'IN_PROGRESS', 'CANCELLING') AND NOT EXISTS \
         (SELECT 1 FROM import_sources WHERE import_sources.job_id = import_jobs.id \
          AND import_sources.status IN ('NOT_STARTED', 'IN_PROGRESS')) ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// The status message of a source ended by the cancellation of its job.
pub const CANCELLED: &str = "cancelled";

/// Cancels job `job_id` (SUBMITTED or IN_PROGRESS; anything else is left as it is): the job
/// becomes CANCELLING, its NOT_STARTED sources FAILED with the message [`CANCELLED`], and the job
/// CANCELLED at once when no source is left in progress (the attempts in progress stop on their
/// next renewal or settlement and settle it); the read sets of an activation job's NOT_STARTED
/// sources go back to ARCHIVED. Runs inside the caller's transaction, locking the
/// job row before the source rows ([`lock_job`]).
pub async fn cancel(conn: &mut AnyConnection, backend: Backend, job_id: &str, now: Millis) -> Result<(), Error> {
    lock_job(conn, backend, job_id).await?;
    let done = sqlx::query(
        "UPDATE import_jobs SET status = 'CANCELLING' WHERE id = $1 AND status IN ('SUBMITTED', 'IN_PROGRESS')",
    )
    .bind(job_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(());
    }
    // The read sets of activation sources that will not start go back to ARCHIVED.
    let unstarted = sqlx::query(
        "SELECT account_id, store_id, read_set_id FROM import_sources WHERE job_id = $1 AND status = 'NOT_STARTED' \
         AND kind = 'activation'",
    )
    .bind(job_id)
    .fetch_all(&mut *conn)
    .await?;
    for row in unstarted {
        let (account, store): (String, String) = (row.try_get("account_id")?, row.try_get("store_id")?);
        let Some(id) = row.try_get::<Option<String>, _>("read_set_id")? else { continue };
        let (from, to) = (ReadSetStatus::Activating, ReadSetStatus::Archived);
        super::tiers::set_status(conn, &account, &store, &id, from, to).await?;
    }
    sqlx::query(
        "UPDATE import_sources SET status = 'FAILED', status_message = $1, \
         status_detail = 'the job was cancelled before this source started', finished_ms = $2 \
         WHERE job_id = $3 AND status = 'NOT_STARTED'",
    )
    .bind(CANCELLED)
    .bind(now)
    .bind(job_id)
    .execute(&mut *conn)
    .await?;
    settle_job(conn, job_id, now).await
}

/// True when job `job_id` is CANCELLING: its attempts in progress must stop and fail
/// [`CANCELLED`].
pub async fn cancelling(conn: &mut AnyConnection, job_id: &str) -> Result<bool, Error> {
    let row =
        sqlx::query("SELECT status FROM import_jobs WHERE id = $1").bind(job_id).fetch_optional(&mut *conn).await?;
    let status: Option<String> = row.map(|r| r.try_get("status")).transpose()?;
    Ok(status.as_deref() == Some(JobStatus::Cancelling.as_str()))
}

/// Makes every lease held by `owner` claimable at once (a restarted process resuming its own work).
/// On PostgreSQL in its own transaction that locks the jobs concerned first (in id order), then
/// their sources ([`lock_job`]).
pub async fn expire_leases_of(conn: &mut AnyConnection, owner: &str) -> Result<u64, Error> {
    let expire = "UPDATE import_sources SET lease_expires_ms = 0 WHERE status = 'IN_PROGRESS' AND lease_owner = $1";
    if Backend::of(conn) != Backend::Postgres {
        return Ok(sqlx::query(expire).bind(owner).execute(&mut *conn).await?.rows_affected());
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    sqlx::query(
        "SELECT id FROM import_jobs WHERE id IN (SELECT job_id FROM import_sources WHERE status = 'IN_PROGRESS' \
         AND lease_owner = $1) ORDER BY id FOR UPDATE",
    )
    .bind(owner)
    .fetch_all(&mut *tx)
    .await?;
    let done = sqlx::query(expire).bind(owner).execute(&mut *tx).await?;
    tx.commit().await?;
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
        destination: row.try_get("destination")?,
    })
}

fn source_from_row<S: TryFrom<JobSpec>>(row: &AnyRow) -> Result<Source<S>, Error> {
    let status: String = row.try_get("status")?;
    let spec: String = row.try_get("spec")?;
    let kind: String = row.try_get("kind")?;
    let kind = JobKind::parse(&kind).ok_or(Error::Corrupt { what: "job kind" })?;
    let spec = JobSpec::from_stored(kind, &spec).map_err(|_| Error::Corrupt { what: "import source" })?;
    Ok(Source {
        index: row.try_get("idx")?,
        spec: spec.try_into().map_err(|_| Error::Corrupt { what: "import source of another kind" })?,
        status: SourceStatus::parse(&status).ok_or(Error::Corrupt { what: "source status" })?,
        status_message: row.try_get("status_message")?,
        status_detail: row.try_get("status_detail")?,
        output_id: row.try_get("read_set_id")?,
        bytes_processed: row.try_get("bytes_processed")?,
        bytes_total: row.try_get("bytes_total")?,
    })
}
