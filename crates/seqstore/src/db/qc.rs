//! Rows of `read_set_qc` <-> a read set's QC report (stored as gzip-compressed JSON), its
//! sortable figures, and the store's comparison view over them.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Error;
use crate::model::import::FileType;
use crate::model::qc::{QcFigures, QcReport, QcStatus, ReadSetQc, SortBy};
use crate::model::read_set::ReadSetStatus;
use crate::model::time::Millis;

/// A report ready for its row: its figures and its gzip-compressed JSON, made before the write
/// transaction that stores it (encoding is the costly part of the row, and a write transaction
/// holds SQLite's one write lock).
#[derive(Debug, Clone)]
pub struct Prepared {
    figures: QcFigures,
    report: Vec<u8>,
}

impl Prepared {
    /// `report` with its `figures`, encoded.
    pub fn new(report: &QcReport, figures: QcFigures) -> Result<Self, Error> {
        Ok(Self { figures, report: compress(report)? })
    }
}

/// A read set's row: its report (or why the `qc` job could not compute it) as of `computed_ms`.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// Computed.
    Report(&'a Prepared),
    /// The `qc` job failed with this message.
    Failed(&'a str),
}

/// Writes (or replaces) read set `id`'s row.
pub async fn put(
    conn: &mut AnyConnection,
    (account, store, id): (&str, &str, &str),
    computed_ms: Millis,
    outcome: Outcome<'_>,
) -> Result<(), Error> {
    let (figures, report, failure) = match outcome {
        Outcome::Report(prepared) => (prepared.figures, Some(prepared.report.as_slice()), None),
        Outcome::Failed(message) => (QcFigures::default(), None, Some(message)),
    };
    // sqlx 0.8.6's Any driver binds a missing double as a missing 4-byte float
    // (`AnyValueKind::Null(Double)` becomes `Option::<f32>::None`), and PostgreSQL keeps the type a
    // statement was first prepared with on a connection, then refuses a present 8-byte value
    // ("incorrect binary data format"). So no double is bound missing: each figure is bound as a
    // value and a flag (1 = present), and the statement is cached on both backends (prepared
    // afresh per insert, it was parsed and planned once per imported read set on PostgreSQL, #28).
    let figure = |f: Option<f64>| (f.unwrap_or(0.0), i64::from(f.is_some()));
    let (mean, has_mean) = figure(figures.mean_quality);
    let (gc, has_gc) = figure(figures.gc_percent);
    let (mapped, has_mapped) = figure(figures.mapped_percent);
    sqlx::query(
        "INSERT INTO read_set_qc (read_set_id, account_id, store_id, computed_ms, mean_quality, gc_percent, \
         mapped_percent, report, failure) VALUES ($1, $2, $3, $4, CASE WHEN $10 = 1 THEN $5 END, \
         CASE WHEN $11 = 1 THEN $6 END, CASE WHEN $12 = 1 THEN $7 END, $8, $9) \
         ON CONFLICT (read_set_id) DO UPDATE SET computed_ms = excluded.computed_ms, \
         mean_quality = excluded.mean_quality, gc_percent = excluded.gc_percent, \
         mapped_percent = excluded.mapped_percent, report = excluded.report, failure = excluded.failure",
    )
    .bind(id)
    .bind(account)
    .bind(store)
    .bind(computed_ms)
    .bind(mean)
    .bind(gc)
    .bind(mapped)
    .bind(report)
    .bind(failure)
    .bind(has_mean)
    .bind(has_gc)
    .bind(has_mapped)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Read set `id`'s statistics as they stand: [`QcStatus::Pending`] without a row.
pub async fn get(conn: &mut AnyConnection, account: &str, store: &str, id: &str) -> Result<ReadSetQc, Error> {
    let row = sqlx::query(
        "SELECT computed_ms, report, failure FROM read_set_qc WHERE account_id = $1 AND store_id = $2 \
         AND read_set_id = $3",
    )
    .bind(account)
    .bind(store)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(ReadSetQc { status: QcStatus::Pending, status_message: None, computed_ms: None, report: None });
    };
    let computed_ms: i64 = row.try_get("computed_ms")?;
    let report: Option<Vec<u8>> = row.try_get("report")?;
    let failure: Option<String> = row.try_get("failure")?;
    Ok(match report {
        Some(bytes) => ReadSetQc {
            status: QcStatus::Available,
            status_message: None,
            computed_ms: Some(computed_ms),
            report: Some(decompress(&bytes)?),
        },
        None => ReadSetQc {
            status: QcStatus::Failed,
            status_message: failure,
            computed_ms: Some(computed_ms),
            report: None,
        },
    })
}

/// Whether read set `id` has a row (statistics, or why there are none).
pub async fn exists(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM read_set_qc WHERE read_set_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Unsettled `qc` sources (queued or running), and the bytes they have read of those they
/// know the size of: of one read set (`read_set` given) or of a whole store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Sources not started.
    pub queued: u64,
    /// Sources running.
    pub running: u64,
    /// Bytes read by the running ones.
    pub bytes_processed: u64,
    /// Bytes the running ones read in all.
    pub bytes_total: u64,
}

/// The unsettled `qc` sources of `store` (of read set `read_set` only, when given).
pub async fn progress(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    read_set: Option<&str>,
) -> Result<Progress, Error> {
    let one = if read_set.is_some() { "AND read_set_id = $3" } else { "" };
    // PostgreSQL sums BIGINTs as NUMERIC: each sum is cast back.
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'NOT_STARTED' THEN 1 ELSE 0 END), 0) AS BIGINT) AS queued, \
         CAST(COALESCE(SUM(CASE WHEN status = 'IN_PROGRESS' THEN 1 ELSE 0 END), 0) AS BIGINT) AS running, \
         CAST(COALESCE(SUM(CASE WHEN status = 'IN_PROGRESS' THEN bytes_processed ELSE 0 END), 0) AS BIGINT) \
         AS processed, CAST(COALESCE(SUM(CASE WHEN status = 'IN_PROGRESS' THEN COALESCE(bytes_total, 0) ELSE 0 END), 0) \
         AS BIGINT) AS total \
         FROM import_sources WHERE account_id = $1 AND store_id = $2 AND kind = 'qc' \
         AND status IN ('NOT_STARTED', 'IN_PROGRESS') {one}"
    );
    let mut query = sqlx::query(&sql).bind(account).bind(store);
    if let Some(id) = read_set {
        query = query.bind(id);
    }
    let row = query.fetch_one(&mut *conn).await?;
    let number = |column: &str| row.try_get::<i64, _>(column).map(|n| n.max(0) as u64);
    Ok(Progress {
        queued: number("queued")?,
        running: number("running")?,
        bytes_processed: number("processed")?,
        bytes_total: number("total")?,
    })
}

/// Deletes read set `id`'s row (with the read set).
pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM read_set_qc WHERE read_set_id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Up to `limit` ACTIVE read sets of any account without a row and without an unsettled `qc`
/// source, ids after `after`, in id order: what the start-up `qc` pass submits, as (account,
/// store, id).
pub async fn missing(
    conn: &mut AnyConnection,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, String, String)>, Error> {
    let rows = sqlx::query(
        "SELECT r.account_id, r.store_id, r.id FROM read_sets r LEFT JOIN read_set_qc q ON q.read_set_id = r.id \
         WHERE r.status = $1 AND r.id > $2 AND q.read_set_id IS NULL AND NOT EXISTS (SELECT 1 FROM import_sources s \
         WHERE s.read_set_id = r.id AND s.kind = 'qc' AND s.status IN ('NOT_STARTED', 'IN_PROGRESS')) \
         ORDER BY r.id LIMIT $3",
    )
    .bind(ReadSetStatus::Active.as_str())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("account_id")?, r.try_get("store_id")?, r.try_get("id")?))).collect()
}

/// The column of `sort`.
fn column(sort: SortBy) -> &'static str {
    match sort {
        SortBy::Created => "r.creation_ms",
        SortBy::Reads => "r.total_read_count",
        SortBy::Bases => "r.total_base_count",
        SortBy::MeanQuality => "q.mean_quality",
        SortBy::GcPercent => "q.gc_percent",
        SortBy::MappedPercent => "q.mapped_percent",
    }
}

/// One read set of the comparison view.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// Read set id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its sample.
    pub sample_id: String,
    /// Its file type.
    pub file_type: FileType,
    /// Its status.
    pub status: ReadSetStatus,
    /// Reads.
    pub reads: u64,
    /// Bases.
    pub bases: u64,
    /// Where its statistics stand.
    pub qc: QcStatus,
    /// Its figures (all `None` unless [`QcStatus::Available`]).
    pub figures: QcFigures,
    /// Other read sets of the store with the same ETag (source1's digest).
    pub same_etag: u64,
    /// When it was created.
    pub created: Millis,
}

/// A page of `store`'s read sets for the comparison view: `limit` rows from `offset`, sorted by
/// `sort` (ascending unless `descending`, then by id); read sets without the figure are left out
/// when [`SortBy::needs_statistics`]. Each sort is answered from an index on (account, store,
/// column).
pub async fn compare(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    (sort, descending): (SortBy, bool),
    offset: i64,
    limit: i64,
) -> Result<Vec<ComparisonRow>, Error> {
    let (direction, column) = (if descending { "DESC" } else { "ASC" }, column(sort));
    let (from, filter) = match sort.needs_statistics() {
        true => (
            "read_set_qc q JOIN read_sets r ON r.id = q.read_set_id",
            format!("q.account_id = $1 AND q.store_id = $2 AND {column} IS NOT NULL"),
        ),
        false => (
            "read_sets r LEFT JOIN read_set_qc q ON q.read_set_id = r.id",
            "r.account_id = $1 AND r.store_id = $2".to_owned(),
        ),
    };
    let sql = format!(
        "SELECT r.id, r.name, r.sample_id, r.file_type, r.status, r.total_read_count, r.total_base_count, r.creation_ms, \
         q.computed_ms, q.failure, q.mean_quality, q.gc_percent, q.mapped_percent, \
         (SELECT COUNT(*) FROM read_sets d WHERE d.account_id = r.account_id AND d.store_id = r.store_id \
          AND d.etag_source1 = r.etag_source1 AND d.id <> r.id) AS same_etag \
         FROM {from} WHERE {filter} ORDER BY {column} {direction}, r.id {direction} LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql).bind(account).bind(store).bind(limit).bind(offset).fetch_all(&mut *conn).await?;
    rows.iter().map(comparison_row).collect()
}

/// How many of `store`'s read sets have statistics, and how many in all.
pub async fn coverage(conn: &mut AnyConnection, account: &str, store: &str) -> Result<(u64, u64), Error> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM read_set_qc WHERE account_id = $1 AND store_id = $2 AND report IS NOT NULL) \
         AS with_qc, (SELECT COUNT(*) FROM read_sets WHERE account_id = $1 AND store_id = $2) AS total",
    )
    .bind(account)
    .bind(store)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get::<i64, _>("with_qc")? as u64, row.try_get::<i64, _>("total")? as u64))
}

fn comparison_row(row: &AnyRow) -> Result<ComparisonRow, Error> {
    let file_type: String = row.try_get("file_type")?;
    let status: String = row.try_get("status")?;
    let computed: Option<i64> = row.try_get("computed_ms")?;
    let failure: Option<String> = row.try_get("failure")?;
    let qc = match (computed, failure) {
        (None, _) => QcStatus::Pending,
        (Some(_), Some(_)) => QcStatus::Failed,
        (Some(_), None) => QcStatus::Available,
    };
    Ok(ComparisonRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        sample_id: row.try_get("sample_id")?,
        file_type: FileType::parse(&file_type).ok_or(Error::Corrupt { what: "file_type" })?,
        status: ReadSetStatus::parse(&status).ok_or(Error::Corrupt { what: "status" })?,
        reads: row.try_get::<i64, _>("total_read_count")? as u64,
        bases: row.try_get::<i64, _>("total_base_count")? as u64,
        qc,
        figures: QcFigures {
            mean_quality: row.try_get("mean_quality")?,
            gc_percent: row.try_get("gc_percent")?,
            mapped_percent: row.try_get("mapped_percent")?,
        },
        same_etag: row.try_get::<i64, _>("same_etag")? as u64,
        created: row.try_get("creation_ms")?,
    })
}

fn compress(report: &QcReport) -> Result<Vec<u8>, Error> {
    let json = serde_json::to_vec(report).map_err(|_| Error::Corrupt { what: "qc report" })?;
    // The fastest level: the report is a few kilobytes of JSON, and at the default level its
    // compression cost more than scanning a tiny FASTQ (#28).
    let mut encoder = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::fast());
    encoder.write_all(&json).map_err(|_| Error::Corrupt { what: "qc report" })?;
    encoder.finish().map_err(|_| Error::Corrupt { what: "qc report" })
}

fn decompress(bytes: &[u8]) -> Result<QcReport, Error> {
    let mut json = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut json).map_err(|_| Error::Corrupt { what: "qc report" })?;
    serde_json::from_slice(&json).map_err(|_| Error::Corrupt { what: "qc report" })
}
