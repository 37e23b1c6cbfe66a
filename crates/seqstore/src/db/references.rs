//! Rows of `genome_references` <-> [`Reference`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Error;
use super::filter::Filter;
use crate::model::reference::Reference;
use crate::model::time::Millis;

pub(super) const COLUMNS: &str = "id, account_id, store_id, name, description, md5, creation_job_id, creation_ms, update_ms, \
                       compression, sequences, files";

/// ListReferences as column bounds.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Exact name.
    pub name: Option<String>,
    /// Exact MD5.
    pub md5: Option<String>,
    /// `creation_ms >= created_from`.
    pub created_from: Option<Millis>,
    /// `creation_ms < created_before`.
    pub created_before: Option<Millis>,
    /// After this `(creation_ms, id)`.
    pub after: Option<(Millis, String)>,
    /// Page size.
    pub limit: i64,
}

/// Inserts a committed reference.
pub async fn insert(conn: &mut AnyConnection, reference: &Reference) -> Result<(), Error> {
    let sql =
        format!("INSERT INTO genome_references ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
    sqlx::query(&sql)
        .bind(&reference.id)
        .bind(&reference.account)
        .bind(&reference.store_id)
        .bind(&reference.name)
        .bind(&reference.description)
        .bind(&reference.md5)
        .bind(&reference.creation_job_id)
        .bind(reference.creation_time)
        .bind(reference.update_time)
        .bind(&reference.compression)
        .bind(serde_json::to_string(&reference.sequences).expect("sequences serialize"))
        .bind(serde_json::to_string(&reference.files).expect("files serialize"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Reference `id` of `account` in `store`.
pub async fn get(conn: &mut AnyConnection, account: &str, store: &str, id: &str) -> Result<Option<Reference>, Error> {
    let sql = format!("SELECT {COLUMNS} FROM genome_references WHERE account_id = $1 AND store_id = $2 AND id = $3");
    let row = sqlx::query(&sql).bind(account).bind(store).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// One page of a store's references in `(creation_ms, id)` order.
pub async fn list(
    conn: &mut AnyConnection,
    account: &str,
    store: &str,
    query: &Query,
) -> Result<Vec<Reference>, Error> {
    let mut filter = Filter::default();
    filter.text_eq("account_id", account).text_eq("store_id", store);
    if let Some(name) = &query.name {
        filter.text_eq("name", name);
    }
    if let Some(md5) = &query.md5 {
        filter.text_eq("md5", md5);
    }
    filter.int_below("creation_ms", query.created_before).from_or_after(
        "creation_ms",
        "id",
        query.created_from,
        query.after.as_ref(),
    );
    let limit = filter.limit(query.limit);
    let sql =
        format!("SELECT {COLUMNS} FROM genome_references WHERE {} ORDER BY creation_ms, id {limit}", filter.sql());
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Number of references in a store.
pub async fn count_in_store(conn: &mut AnyConnection, account: &str, store: &str) -> Result<i64, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM genome_references WHERE account_id = $1 AND store_id = $2")
        .bind(account)
        .bind(store)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Up to `limit` references of every account with ids after `after` (`""` for the first page), in
/// id order, of `store` only when given: for maintenance (`seqstore verify`), never for the API.
pub async fn page_all(
    conn: &mut AnyConnection,
    store: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<Reference>, Error> {
    let of_store = if store.is_some() { "AND store_id = $2" } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM genome_references WHERE id > $1 {of_store} ORDER BY id LIMIT {limit}");
    let mut query = sqlx::query(&sql).bind(after);
    if let Some(store) = store {
        query = query.bind(store);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Up to `limit` references of `store` with ids from `from` on (inclusive; exclusive when not
/// `inclusive`), in id order: the S3
/// endpoint's listing, which walks a store in key order (ids are digits of one length, so id order
/// is key order).
pub async fn page_of_store(
    conn: &mut AnyConnection,
    store: &str,
    from: &str,
    inclusive: bool,
    limit: i64,
) -> Result<Vec<Reference>, Error> {
    let op = if inclusive { ">=" } else { ">" };
    let sql =
        format!("SELECT {COLUMNS} FROM genome_references WHERE store_id = $1 AND id {op} $2 ORDER BY id LIMIT {limit}");
    let rows = sqlx::query(&sql).bind(store).bind(from).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// True when a reference `id` is committed (any account).
pub async fn exists(conn: &mut AnyConnection, id: &str) -> Result<bool, Error> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM genome_references WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Deletes a reference; false when there is none.
pub async fn delete(conn: &mut AnyConnection, account: &str, store: &str, id: &str) -> Result<bool, Error> {
    let done = sqlx::query("DELETE FROM genome_references WHERE account_id = $1 AND store_id = $2 AND id = $3")
        .bind(account)
        .bind(store)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// True when a committed read set names `reference_arn`.
pub async fn used_by_read_sets(conn: &mut AnyConnection, reference_arn: &str) -> Result<bool, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM read_sets WHERE reference_arn = $1")
        .bind(reference_arn)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

pub(super) fn from_row(row: &AnyRow) -> Result<Reference, Error> {
    let sequences: String = row.try_get("sequences")?;
    let files: String = row.try_get("files")?;
    Ok(Reference {
        id: row.try_get("id")?,
        account: row.try_get("account_id")?,
        store_id: row.try_get("store_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        md5: row.try_get("md5")?,
        creation_job_id: row.try_get("creation_job_id")?,
        creation_time: row.try_get("creation_ms")?,
        update_time: row.try_get("update_ms")?,
        compression: row.try_get("compression")?,
        sequences: serde_json::from_str(&sequences).map_err(|_| Error::Corrupt { what: "reference sequences" })?,
        files: serde_json::from_str(&files).map_err(|_| Error::Corrupt { what: "reference files" })?,
    })
}
