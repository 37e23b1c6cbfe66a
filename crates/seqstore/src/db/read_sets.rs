//! Rows of `read_sets` <-> [`ReadSet`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Error;
use super::filter::Filter;
use crate::model::import::FileType;
use crate::model::read_set::{Alignment, CreationType, ETag, ReadSet, ReadSetStatus};
use crate::model::time::Millis;

/// The columns every write sets, in [`insert`]'s order.
macro_rules! columns {
    () => {
        "id, account_id, store_id, status, name, description, subject_id, sample_id, generated_from, \
         reference_arn, file_type, creation_type, creation_job_id, creation_ms, total_read_count, \
         total_base_count, alignment, etag, files, statistics, status_message, etag_source1, bytes"
    };
}
const COLUMNS: &str = columns!();
/// [`COLUMNS`] and what only reads return (the last access, written by [`touch`]).
const READ_COLUMNS: &str = concat!(columns!(), ", last_access_ms");

/// Inserts a read set (ACTIVE from an import, PROCESSING_UPLOAD from a completed upload).
pub async fn insert(conn: &mut AnyConnection, set: &ReadSet) -> Result<(), Error> {
    let sql = format!(
        "INSERT INTO read_sets ({COLUMNS}) VALUES ($1, $2, $3, $22, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17, $18, $19, $20, $21, $23)"
    );
    sqlx::query(&sql)
        .bind(&set.id)
        .bind(&set.account)
        .bind(&set.store_id)
        .bind(&set.name)
        .bind(&set.description)
        .bind(&set.subject_id)
        .bind(&set.sample_id)
        .bind(&set.generated_from)
        .bind(&set.reference_arn)
        .bind(set.file_type.as_str())
        .bind(set.creation_type.as_str())
        .bind(&set.creation_job_id)
        .bind(set.creation_time)
        .bind(set.total_read_count as i64)
        .bind(set.total_base_count as i64)
        .bind(set.alignment.as_str())
        .bind(serde_json::to_string(&set.etag).expect("etag serializes"))
        .bind(serde_json::to_string(&set.files).expect("files serialize"))
        .bind(set.statistics.as_ref().map(|s| serde_json::to_string(s).expect("statistics serialize")))
        .bind(&set.status_message)
        .bind(non_empty(&set.etag.source1))
        .bind(set.status.as_str())
        .bind(set.files.total_bytes() as i64)
        .execute(&mut *conn)
        .await?;
    super::read_set_counts::add(conn, &set.account, &set.store_id, &set.id, 1).await
}

/// Fills a PROCESSING_UPLOAD read set with what processing its parts produced (status, counts,
/// ETag, files, statistics, note); false when it is no longer PROCESSING_UPLOAD (deleted).
pub async fn finish_upload(conn: &mut AnyConnection, set: &ReadSet) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE read_sets SET status = $1, total_read_count = $2, total_base_count = $3, alignment = $4, etag = $5, \
         files = $6, statistics = $7, status_message = $8, etag_source1 = $9, bytes = $13 \
         WHERE account_id = $10 AND store_id = $11 AND id = $12 AND status = 'PROCESSING_UPLOAD'",
    )
    .bind(set.status.as_str())
    .bind(set.total_read_count as i64)
    .bind(set.total_base_count as i64)
    .bind(set.alignment.as_str())
    .bind(serde_json::to_string(&set.etag).expect("etag serializes"))
    .bind(serde_json::to_string(&set.files).expect("files serialize"))
    .bind(set.statistics.as_ref().map(|s| serde_json::to_string(s).expect("statistics serialize")))
    .bind(&set.status_message)
    .bind(non_empty(&set.etag.source1))
    .bind(&set.account)
    .bind(&set.store_id)
    .bind(&set.id)
    .bind(set.files.total_bytes() as i64)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An ETag digest as stored in `etag_source1`: none until processed.
fn non_empty(digest: &str) -> Option<&str> {
    (!digest.is_empty()).then_some(digest)
}

/// Read set `id` of `account` in `store`.
pub async fn get(conn: &mut AnyConnection, account: &str, store: &str, id: &str) -> Result<Option<ReadSet>, Error> {
    let sql = format!("SELECT {READ_COLUMNS} FROM read_sets WHERE account_id = $1 AND store_id = $2 AND id = $3");
    let row = sqlx::query(&sql).bind(account).bind(store).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// ListReadSets as column bounds.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Exact name.
    pub name: Option<String>,
    /// Exact sample id.
    pub sample_id: Option<String>,
    /// Exact subject id.
    pub subject_id: Option<String>,
    /// Exact provenance.
    pub generated_from: Option<String>,
    /// `IMPORT` or `UPLOAD`.
    pub creation_type: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// Exact reference ARN; `Some("")` means read sets without a reference.
    pub reference_arn: Option<String>,
    /// Exact `etag.source1`.
    pub etag: Option<String>,
    /// `creation_ms >= created_from`.
    pub created_from: Option<Millis>,
    /// `creation_ms < created_before`.
    pub created_before: Option<Millis>,
    /// After this `(creation_ms, id)`.
    pub after: Option<(Millis, String)>,
    /// Page size.
    pub limit: i64,
}

/// One page of a store's read sets in `(creation_ms, id)` order.
pub async fn list(conn: &mut AnyConnection, account: &str, store: &str, query: &Query) -> Result<Vec<ReadSet>, Error> {
    let (sql, filter) = list_statement(account, store, query);
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// The statement [`list`] runs, with its bound values (for [`super::plans`]): every equality
/// filter has an index of 0016 that ends in `(creation_ms, id)`, so a page of any filter, first or
/// deep, is one index range read in order.
pub fn list_statement(account: &str, store: &str, query: &Query) -> (String, Filter) {
    let mut filter = Filter::default();
    filter
        .text_eq("account_id", account)
        .text_eq("store_id", store)
        .text_eq_opt("name", query.name.as_deref())
        .text_eq_opt("sample_id", query.sample_id.as_deref())
        .text_eq_opt("subject_id", query.subject_id.as_deref())
        .text_eq_opt("generated_from", query.generated_from.as_deref())
        .text_eq_opt("creation_type", query.creation_type.as_deref())
        .text_eq_opt("status", query.status.as_deref())
        .text_eq_opt("etag_source1", query.etag.as_deref());
    match query.reference_arn.as_deref() {
        Some("") => {
            filter.is_null("reference_arn");
        }
        other => {
            filter.text_eq_opt("reference_arn", other);
        }
    }
    filter.int_below("creation_ms", query.created_before).from_or_after(
        "creation_ms",
        "id",
        query.created_from,
        query.after.as_ref(),
    );
    let limit = filter.limit(query.limit);
    let sql = format!("SELECT {READ_COLUMNS} FROM read_sets WHERE {} ORDER BY creation_ms, id {limit}", filter.sql());
    (sql, filter)
}

/// The first other read set of `set`'s store (and account) with the same content as `set`: the
/// same file type and [`ETag::same_content`] (same algorithm, every file's digest equal).
pub async fn same_content(conn: &mut AnyConnection, set: &ReadSet) -> Result<Option<String>, Error> {
    if set.etag.source1.is_empty() {
        return Ok(None);
    }
    let rows = sqlx::query(
        "SELECT id, etag FROM read_sets WHERE account_id = $1 AND store_id = $2 AND etag_source1 = $3 AND id <> $4 \
         AND file_type = $5 ORDER BY creation_ms, id",
    )
    .bind(&set.account)
    .bind(&set.store_id)
    .bind(&set.etag.source1)
    .bind(&set.id)
    .bind(set.file_type.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let etag: String = row.try_get("etag")?;
        let etag: ETag = serde_json::from_str(&etag).map_err(|_| Error::Corrupt { what: "etag" })?;
        if set.etag.same_content(&etag) {
            return Ok(Some(row.try_get("id")?));
        }
    }
    Ok(None)
}

/// Deletes read set `id` unless it is still PROCESSING_UPLOAD; false when `account` has no such
/// deletable read set in `store`.
pub async fn delete(conn: &mut AnyConnection, account: &str, store: &str, id: &str) -> Result<bool, Error> {
    let done = sqlx::query(
        "DELETE FROM read_sets WHERE account_id = $1 AND store_id = $2 AND id = $3 AND status <> 'PROCESSING_UPLOAD'",
    )
    .bind(account)
    .bind(store)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    super::read_set_counts::add(conn, account, store, id, -1).await?;
    super::qc::delete(conn, id).await?;
    Ok(true)
}

/// True when a store holds at least one read set (one index entry read, whatever the store holds).
pub async fn any_in_store(conn: &mut AnyConnection, account: &str, store: &str) -> Result<bool, Error> {
    let row = sqlx::query("SELECT id FROM read_sets WHERE account_id = $1 AND store_id = $2 LIMIT 1")
        .bind(account)
        .bind(store)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Up to `limit` read sets of every account with ids after `after` (`""` for the first page), in
/// id order, of `store` only when given: for maintenance (`seqstore verify`), never for the API.
pub async fn page_all(
    conn: &mut AnyConnection,
    store: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<ReadSet>, Error> {
    let of_store = if store.is_some() { "AND store_id = $2" } else { "" };
    let sql = format!("SELECT {READ_COLUMNS} FROM read_sets WHERE id > $1 {of_store} ORDER BY id LIMIT {limit}");
    let mut query = sqlx::query(&sql).bind(after);
    if let Some(store) = store {
        query = query.bind(store);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Up to `limit` read sets of `store` with ids from `from` on (inclusive; exclusive when not
/// `inclusive`), in id order: the S3
/// endpoint's listing, which walks a store in key order (ids are digits of one length, so id order
/// is key order).
pub async fn page_of_store(
    conn: &mut AnyConnection,
    store: &str,
    from: &str,
    inclusive: bool,
    limit: i64,
) -> Result<Vec<ReadSet>, Error> {
    let op = if inclusive { ">=" } else { ">" };
    let sql =
        format!("SELECT {READ_COLUMNS} FROM read_sets WHERE store_id = $1 AND id {op} $2 ORDER BY id LIMIT {limit}");
    let rows = sqlx::query(&sql).bind(store).bind(from).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Read set `id` of any account: for maintenance (the sweep), never for the API.
pub async fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<ReadSet>, Error> {
    let sql = format!("SELECT {READ_COLUMNS} FROM read_sets WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// True when a read set `id` is committed (any account).
pub async fn exists(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM read_sets WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// The row as a [`ReadSet`]: the one place the text columns become the model's values.
fn from_row(row: &AnyRow) -> Result<ReadSet, Error> {
    let text = |column: &str| row.try_get::<String, _>(column);
    let count = |column: &str| row.try_get::<i64, _>(column).map(|n| n as u64);
    let statistics: Option<String> = row.try_get("statistics")?;
    Ok(ReadSet {
        id: text("id")?,
        status: status(&text("status")?)?,
        account: text("account_id")?,
        store_id: text("store_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        subject_id: text("subject_id")?,
        sample_id: text("sample_id")?,
        generated_from: row.try_get("generated_from")?,
        reference_arn: row.try_get("reference_arn")?,
        file_type: file_type(&text("file_type")?)?,
        creation_type: CreationType::parse(&text("creation_type")?).ok_or(Error::Corrupt { what: "creation type" })?,
        creation_job_id: row.try_get("creation_job_id")?,
        creation_time: row.try_get("creation_ms")?,
        total_read_count: count("total_read_count")?,
        total_base_count: count("total_base_count")?,
        alignment: Alignment::parse(&text("alignment")?).ok_or(Error::Corrupt { what: "alignment" })?,
        etag: serde_json::from_str(&text("etag")?).map_err(|_| Error::Corrupt { what: "etag" })?,
        files: serde_json::from_str(&text("files")?).map_err(|_| Error::Corrupt { what: "files" })?,
        statistics: statistics
            .map(|s| serde_json::from_str(&s).map_err(|_| Error::Corrupt { what: "alignment statistics" }))
            .transpose()?,
        status_message: row.try_get("status_message")?,
        last_access: row.try_get("last_access_ms")?,
    })
}

/// The `status` column's text as a [`ReadSetStatus`].
pub(super) fn status(text: &str) -> Result<ReadSetStatus, Error> {
    ReadSetStatus::parse(text).ok_or(Error::Corrupt { what: "read set status" })
}

/// The `file_type` column's text as a [`FileType`].
pub(super) fn file_type(text: &str) -> Result<FileType, Error> {
    FileType::parse(text).ok_or(Error::Corrupt { what: "file type" })
}

/// Records that read set `id`'s data was read at `now` (ms since the epoch), unless a later
/// access is already recorded (another process's).
pub async fn touch(db: &super::Db, id: &str, now: Millis) -> Result<(), Error> {
    let update = "UPDATE read_sets SET last_access_ms = $1 \
                  WHERE id = $2 AND (last_access_ms IS NULL OR last_access_ms < $1)";
    sqlx::query(update).bind(now).bind(id).execute(db.pool()).await?;
    Ok(())
}
