//! clientToken records: which request first used a token, and what it created.

use sqlx::{AnyConnection, Row};

use super::Error;
use crate::model::time;

/// The first request recorded for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Digest of that request's body.
    pub request_hash: String,
    /// The resource it created or changed.
    pub resource_id: String,
}

/// Looks up the record for (`account`, `scope`, `token`).
pub async fn find(conn: &mut AnyConnection, account: &str, scope: &str, token: &str) -> Result<Option<Record>, Error> {
    let row = sqlx::query(
        "SELECT request_hash, resource_id FROM idempotency WHERE account_id = $1 AND scope = $2 AND token = $3",
    )
    .bind(account)
    .bind(scope)
    .bind(token)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok(Record { request_hash: r.try_get("request_hash")?, resource_id: r.try_get("resource_id")? }))
        .transpose()
}

/// Records a token; fails with a unique violation when another request recorded it first.
pub async fn insert(
    conn: &mut AnyConnection,
    account: &str,
    scope: &str,
    token: &str,
    record: &Record,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO idempotency (account_id, scope, token, request_hash, resource_id, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account)
    .bind(scope)
    .bind(token)
    .bind(&record.request_hash)
    .bind(&record.resource_id)
    .bind(time::now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets every token recorded for `resource_id` (when the resource is deleted).
pub async fn forget_resource(conn: &mut AnyConnection, account: &str, resource_id: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM idempotency WHERE account_id = $1 AND resource_id = $2")
        .bind(account)
        .bind(resource_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
