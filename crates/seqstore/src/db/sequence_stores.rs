//! Rows of `sequence_stores` <-> [`SequenceStore`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Error;
use super::filter::Filter;
use crate::model::sequence_store::{ETagAlgorithmFamily, SequenceStore, SseConfig};
use crate::model::time::Millis;

const COLUMNS: &str = "id, account_id, name, description, sse_type, sse_key_arn, fallback_location, \
                       etag_family, propagated_tags, access_log_location, creation_ms, update_ms";

/// What ListSequenceStores asks for, already turned into column bounds.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Exact name.
    pub name: Option<String>,
    /// `creation_ms >= created_from`.
    pub created_from: Option<Millis>,
    /// `creation_ms < created_before`.
    pub created_before: Option<Millis>,
    /// `update_ms >= updated_from`.
    pub updated_from: Option<Millis>,
    /// `update_ms < updated_before`.
    pub updated_before: Option<Millis>,
    /// Only rows after this `(creation_ms, id)`.
    pub after: Option<(Millis, String)>,
    /// Page size.
    pub limit: i64,
}

/// Inserts a new store.
pub async fn insert(conn: &mut AnyConnection, store: &SequenceStore) -> Result<(), Error> {
    let sql =
        format!("INSERT INTO sequence_stores ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
    let tags = serde_json::to_string(&store.propagated_set_level_tags).expect("strings serialize");
    sqlx::query(&sql)
        .bind(&store.id)
        .bind(&store.account)
        .bind(&store.name)
        .bind(&store.description)
        .bind(store.sse.as_ref().map(|s| s.kind.clone()))
        .bind(store.sse.as_ref().and_then(|s| s.key_arn.clone()))
        .bind(&store.fallback_location)
        .bind(store.etag_family.as_str())
        .bind(tags)
        .bind(&store.access_log_location)
        .bind(store.creation_time)
        .bind(store.update_time)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The store `id` of `account`, if it exists.
pub async fn get(conn: &mut AnyConnection, account: &str, id: &str) -> Result<Option<SequenceStore>, Error> {
    let sql = format!("SELECT {COLUMNS} FROM sequence_stores WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(account).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// One page of `account`'s stores in `(creation_ms, id)` order.
pub async fn list(conn: &mut AnyConnection, account: &str, query: &Query) -> Result<Vec<SequenceStore>, Error> {
    let mut filter = Filter::default();
    filter.text_eq("account_id", account);
    if let Some(name) = &query.name {
        filter.text_eq("name", name);
    }
    filter
        .int_below("creation_ms", query.created_before)
        .int_at_least("update_ms", query.updated_from)
        .int_below("update_ms", query.updated_before)
        .from_or_after("creation_ms", "id", query.created_from, query.after.as_ref());
    let limit = filter.limit(query.limit);
    let sql = format!("SELECT {COLUMNS} FROM sequence_stores WHERE {} ORDER BY creation_ms, id {limit}", filter.sql());
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Number of stores `account` has.
pub async fn count(conn: &mut AnyConnection, account: &str) -> Result<i64, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM sequence_stores WHERE account_id = $1")
        .bind(account)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Writes the mutable fields of `store` back.
pub async fn update(conn: &mut AnyConnection, store: &SequenceStore) -> Result<(), Error> {
    let tags = serde_json::to_string(&store.propagated_set_level_tags).expect("strings serialize");
    sqlx::query(
        "UPDATE sequence_stores SET name = $1, description = $2, fallback_location = $3, propagated_tags = $4, \
         access_log_location = $5, update_ms = $6 WHERE account_id = $7 AND id = $8",
    )
    .bind(&store.name)
    .bind(&store.description)
    .bind(&store.fallback_location)
    .bind(tags)
    .bind(&store.access_log_location)
    .bind(store.update_time)
    .bind(&store.account)
    .bind(&store.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the store; false when `account` has no store `id`.
pub async fn delete(conn: &mut AnyConnection, account: &str, id: &str) -> Result<bool, Error> {
    let done = sqlx::query("DELETE FROM sequence_stores WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn from_row(row: &AnyRow) -> Result<SequenceStore, Error> {
    let family: String = row.try_get("etag_family")?;
    let tags: String = row.try_get("propagated_tags")?;
    let sse_type: Option<String> = row.try_get("sse_type")?;
    Ok(SequenceStore {
        id: row.try_get("id")?,
        account: row.try_get("account_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        sse: sse_type
            .map(|kind| Ok::<_, Error>(SseConfig { kind, key_arn: row.try_get("sse_key_arn")? }))
            .transpose()?,
        fallback_location: row.try_get("fallback_location")?,
        etag_family: ETagAlgorithmFamily::parse(&family).ok_or(Error::Corrupt { what: "eTagAlgorithmFamily" })?,
        propagated_set_level_tags: serde_json::from_str(&tags)
            .map_err(|_| Error::Corrupt { what: "propagated tags" })?,
        access_log_location: row.try_get("access_log_location")?,
        creation_time: row.try_get("creation_ms")?,
        update_time: row.try_get("update_ms")?,
    })
}
