//! Rows of `s3_access_policies`: the S3 access policy of a store's access point, as text.

use sqlx::{AnyConnection, Row};

use super::Error;
use crate::model::time::Millis;

/// A store's recorded policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The policy's JSON text; `None` after DeleteS3AccessPolicy.
    pub policy: Option<String>,
    /// When it was put or deleted.
    pub update_time: Millis,
}

/// The recorded policy of store `store_id` of `account`; `None` when none was ever recorded.
pub async fn get(conn: &mut AnyConnection, account: &str, store_id: &str) -> Result<Option<Recorded>, Error> {
    let row = sqlx::query("SELECT policy, update_ms FROM s3_access_policies WHERE account_id = $1 AND store_id = $2")
        .bind(account)
        .bind(store_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| Ok(Recorded { policy: row.try_get("policy")?, update_time: row.try_get("update_ms")? })).transpose()
}

/// Records `policy` (`None`: deleted) as the policy of store `store_id` of `account` at `now`,
/// replacing what was recorded.
pub async fn set(
    conn: &mut AnyConnection,
    account: &str,
    store_id: &str,
    policy: Option<&str>,
    now: Millis,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO s3_access_policies (store_id, account_id, policy, update_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (store_id) DO UPDATE SET policy = excluded.policy, update_ms = excluded.update_ms \
         WHERE s3_access_policies.account_id = excluded.account_id",
    )
    .bind(store_id)
    .bind(account)
    .bind(policy)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the policy of store `store_id` of `account` (the store is deleted).
pub async fn clear(conn: &mut AnyConnection, account: &str, store_id: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM s3_access_policies WHERE account_id = $1 AND store_id = $2")
        .bind(account)
        .bind(store_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
