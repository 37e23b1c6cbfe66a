//! Counts behind the quotas that span tables.

use sqlx::{AnyConnection, Row};

use super::Error;

/// Read sets `store` of `account` holds or is about to hold: committed rows (any status, from
/// [`super::read_set_counts`]: no count that grows with the store), sources of read set imports
/// not settled yet, and uploads still taking parts (both bounded by the in-flight quotas, counted
/// through the indexes on their status).
pub async fn read_sets_in_store(conn: &mut AnyConnection, account: &str, store: &str) -> Result<i64, Error> {
    let held = super::read_set_counts::count(conn, account, store).await?;
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM import_sources WHERE account_id = $1 AND store_id = $2 AND kind = 'readSet' \
            AND status IN ('NOT_STARTED', 'IN_PROGRESS')) \
         + (SELECT COUNT(*) FROM uploads WHERE account_id = $1 AND store_id = $2 AND status = 'IN_PROGRESS') AS n",
    )
    .bind(account)
    .bind(store)
    .fetch_one(&mut *conn)
    .await?;
    Ok(held + row.try_get::<i64, _>("n")?)
}

/// Reference stores of `account`.
pub async fn reference_stores(conn: &mut AnyConnection, account: &str) -> Result<i64, Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM reference_stores WHERE account_id = $1")
        .bind(account)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}
