//! Rows of `reference_stores` <-> [`ReferenceStore`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Error;
use super::filter::Filter;
use crate::model::reference::ReferenceStore;
use crate::model::sequence_store::SseConfig;
use crate::model::time::Millis;

const COLUMNS: &str = "id, account_id, name, description, sse_type, sse_key_arn, creation_ms";

/// ListReferenceStores as column bounds.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Exact name.
    pub name: Option<String>,
    /// `creation_ms >= created_from`.
    pub created_from: Option<Millis>,
    /// `creation_ms < created_before`.
    pub created_before: Option<Millis>,
    /// After this `(creation_ms, id)`.
    pub after: Option<(Millis, String)>,
    /// Page size.
    pub limit: i64,
}

/// Inserts a store.
pub async fn insert(conn: &mut AnyConnection, store: &ReferenceStore) -> Result<(), Error> {
    let sql = format!("INSERT INTO reference_stores ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
    sqlx::query(&sql)
        .bind(&store.id)
        .bind(&store.account)
        .bind(&store.name)
        .bind(&store.description)
        .bind(store.sse.as_ref().map(|s| s.kind.clone()))
        .bind(store.sse.as_ref().and_then(|s| s.key_arn.clone()))
        .bind(store.creation_time)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Store `id` of `account`.
pub async fn get(conn: &mut AnyConnection, account: &str, id: &str) -> Result<Option<ReferenceStore>, Error> {
    let sql = format!("SELECT {COLUMNS} FROM reference_stores WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(account).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// One page of `account`'s stores in `(creation_ms, id)` order.
pub async fn list(conn: &mut AnyConnection, account: &str, query: &Query) -> Result<Vec<ReferenceStore>, Error> {
    let mut filter = Filter::default();
    filter.text_eq("account_id", account);
    if let Some(name) = &query.name {
        filter.text_eq("name", name);
    }
    filter.int_below("creation_ms", query.created_before).from_or_after(
        "creation_ms",
        "id",
        query.created_from,
        query.after.as_ref(),
    );
    let limit = filter.limit(query.limit);
    let sql = format!("SELECT {COLUMNS} FROM reference_stores WHERE {} ORDER BY creation_ms, id {limit}", filter.sql());
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Deletes the store; false when `account` has no store `id`.
pub async fn delete(conn: &mut AnyConnection, account: &str, id: &str) -> Result<bool, Error> {
    let done = sqlx::query("DELETE FROM reference_stores WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn from_row(row: &AnyRow) -> Result<ReferenceStore, Error> {
    let sse_type: Option<String> = row.try_get("sse_type")?;
    Ok(ReferenceStore {
        id: row.try_get("id")?,
        account: row.try_get("account_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        sse: sse_type
            .map(|kind| Ok::<_, Error>(SseConfig { kind, key_arn: row.try_get("sse_key_arn")? }))
            .transpose()?,
        creation_time: row.try_get("creation_ms")?,
    })
}
