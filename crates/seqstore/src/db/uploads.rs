//! Rows of `uploads` and `upload_parts`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Error;
use super::filter::Filter;
use crate::model::time::Millis;
use crate::model::upload::{Part, PartSource, Upload, UploadStatus};

const COLUMNS: &str = "id, account_id, store_id, spec, status, creation_ms, activity_ms, read_set_id";
const PART_COLUMNS: &str = "source, part_number, object_key, size, checksum, creation_ms, updated_ms";

/// ListReadSetUploadParts as column bounds.
#[derive(Debug, Clone)]
pub struct PartQuery {
    /// The file whose parts are listed.
    pub source: PartSource,
    /// `creation_ms >= created_from`.
    pub created_from: Option<Millis>,
    /// `creation_ms < created_before`.
    pub created_before: Option<Millis>,
    /// After this `(part_number, source)`.
    pub after: Option<(i64, String)>,
    /// Page size.
    pub limit: i64,
}

/// Inserts an upload.
pub async fn insert(conn: &mut AnyConnection, upload: &Upload) -> Result<(), Error> {
    let sql = format!("INSERT INTO uploads ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    sqlx::query(&sql)
        .bind(&upload.id)
        .bind(&upload.account)
        .bind(&upload.store_id)
        .bind(serde_json::to_string(&upload.spec).expect("upload specs serialize"))
        .bind(upload.status.as_str())
        .bind(upload.creation_time)
        .bind(upload.activity_time)
        .bind(&upload.read_set_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Upload `id` of `account` in `store`, whatever its status.
pub async fn get(conn: &mut AnyConnection, account: &str, store: &str, id: &str) -> Result<Option<Upload>, Error> {
    let sql = format!("SELECT {COLUMNS} FROM uploads WHERE account_id = $1 AND store_id = $2 AND id = $3");
    let row = sqlx::query(&sql).bind(account).bind(store).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// One page of a store's uploads in progress in `(creation_ms, id)` order, after `after`.
pub async fn list(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    after: Option<&(Millis, String)>,
    limit: i64,
) -> Result<Vec<Upload>, Error> {
    let mut filter = Filter::default();
    filter.text_eq("account_id", account).text_eq("store_id", store).text_eq("status", "IN_PROGRESS").after(
        "creation_ms",
        "id",
        after,
    );
    let limit = filter.limit(limit);
    let sql = format!("SELECT {COLUMNS} FROM uploads WHERE {} ORDER BY creation_ms, id {limit}", filter.sql());
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Uploads of `account` still taking parts.
pub async fn count_in_progress(conn: &mut AnyConnection, account: &str) -> Result<i64, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM uploads WHERE account_id = $1 AND status = 'IN_PROGRESS'")
        .bind(account)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Uploads of `account` in `store`, whatever their status (a completed one is being processed).
pub async fn count_in_store(conn: &mut AnyConnection, account: &str, store: &str) -> Result<i64, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM uploads WHERE account_id = $1 AND store_id = $2")
        .bind(account)
        .bind(store)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Uploads still taking parts whose last activity is before `before`, oldest first.
pub async fn idle_since(conn: &mut AnyConnection, before: Millis, limit: i64) -> Result<Vec<Upload>, Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM uploads WHERE status = 'IN_PROGRESS' AND activity_ms < $1 ORDER BY activity_ms LIMIT $2"
    );
    let rows = sqlx::query(&sql).bind(before).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// True when an upload row `id` exists (any account, any status): its objects are not orphans.
pub async fn exists(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM uploads WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Records `part` of `upload_id` (keeping the first creation time when the part number is
/// replaced) and the upload's activity; returns the object key of the replaced part, if any.
pub async fn put_part(conn: &mut AnyConnection, upload_id: &str, part: &Part) -> Result<Option<String>, Error> {
    let previous =
        sqlx::query("SELECT object_key FROM upload_parts WHERE upload_id = $1 AND source = $2 AND part_number = $3")
            .bind(upload_id)
            .bind(part.source.as_str())
            .bind(part.number)
            .fetch_optional(&mut *conn)
            .await?;
    let previous: Option<String> = previous.map(|r| r.try_get("object_key")).transpose()?;
    if previous.is_some() {
        sqlx::query(
            "UPDATE upload_parts SET object_key = $1, size = $2, checksum = $3, updated_ms = $4 \
             WHERE upload_id = $5 AND source = $6 AND part_number = $7",
        )
        .bind(&part.key)
        .bind(part.size)
        .bind(&part.checksum)
        .bind(part.updated_time)
        .bind(upload_id)
        .bind(part.source.as_str())
        .bind(part.number)
        .execute(&mut *conn)
        .await?;
    } else {
        let sql =
            format!("INSERT INTO upload_parts (upload_id, {PART_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        sqlx::query(&sql)
            .bind(upload_id)
            .bind(part.source.as_str())
            .bind(part.number)
            .bind(&part.key)
            .bind(part.size)
            .bind(&part.checksum)
            .bind(part.creation_time)
            .bind(part.updated_time)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE uploads SET activity_ms = $1 WHERE id = $2")
        .bind(part.updated_time)
        .bind(upload_id)
        .execute(&mut *conn)
        .await?;
    Ok(previous)
}

/// Every part of an upload, by source then part number.
pub async fn all_parts(conn: &mut AnyConnection, upload_id: &str) -> Result<Vec<Part>, Error> {
    let sql = format!("SELECT {PART_COLUMNS} FROM upload_parts WHERE upload_id = $1 ORDER BY source, part_number");
    let rows = sqlx::query(&sql).bind(upload_id).fetch_all(&mut *conn).await?;
    rows.iter().map(part_from_row).collect()
}

/// One page of an upload's parts of one source, in part-number order.
pub async fn parts(conn: &mut AnyConnection, upload_id: &str, query: &PartQuery) -> Result<Vec<Part>, Error> {
    let mut filter = Filter::default();
    filter
        .text_eq("upload_id", upload_id)
        .text_eq("source", query.source.as_str())
        .int_at_least("creation_ms", query.created_from)
        .int_below("creation_ms", query.created_before)
        .after("part_number", "source", query.after.as_ref());
    let limit = filter.limit(query.limit);
    let sql = format!("SELECT {PART_COLUMNS} FROM upload_parts WHERE {} ORDER BY part_number {limit}", filter.sql());
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(part_from_row).collect()
}

/// Marks an upload in progress COMPLETED with the read set it created; false when it was no longer
/// in progress.
pub async fn complete(conn: &mut AnyConnection, id: &str, read_set_id: &str, now: Millis) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE uploads SET status = 'COMPLETED', read_set_id = $1, activity_ms = $2 \
         WHERE id = $3 AND status = 'IN_PROGRESS'",
    )
    .bind(read_set_id)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes an upload and its part rows; false when there was no such upload.
pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1").bind(id).execute(&mut *conn).await?;
    let done = sqlx::query("DELETE FROM uploads WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}

fn from_row(row: &AnyRow) -> Result<Upload, Error> {
    let spec: String = row.try_get("spec")?;
    let status: String = row.try_get("status")?;
    Ok(Upload {
        id: row.try_get("id")?,
        account: row.try_get("account_id")?,
        store_id: row.try_get("store_id")?,
        spec: serde_json::from_str(&spec).map_err(|_| Error::Corrupt { what: "upload" })?,
        status: UploadStatus::parse(&status).ok_or(Error::Corrupt { what: "upload status" })?,
        creation_time: row.try_get("creation_ms")?,
        activity_time: row.try_get("activity_ms")?,
        read_set_id: row.try_get("read_set_id")?,
    })
}

fn part_from_row(row: &AnyRow) -> Result<Part, Error> {
    let source: String = row.try_get("source")?;
    Ok(Part {
        source: PartSource::parse(&source).ok_or(Error::Corrupt { what: "part source" })?,
        number: row.try_get("part_number")?,
        key: row.try_get("object_key")?,
        size: row.try_get("size")?,
        checksum: row.try_get("checksum")?,
        creation_time: row.try_get("creation_ms")?,
        updated_time: row.try_get("updated_ms")?,
    })
}
