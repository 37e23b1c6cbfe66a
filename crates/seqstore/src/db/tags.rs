//! Tags of any resource, keyed by ARN.

use sqlx::{AnyConnection, Row};

use super::Error;
use crate::model::tags::Tags;

/// All tags of `arn`.
pub async fn list(conn: &mut AnyConnection, arn: &str) -> Result<Tags, Error> {
    let rows = sqlx::query("SELECT tag_key, tag_value FROM tags WHERE resource_arn = $1 ORDER BY tag_key")
        .bind(arn)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get("tag_key")?, r.try_get("tag_value")?))).collect()
}

/// Sets each of `tags` on `arn`, replacing the values of keys it already has: one statement
/// (its keys are distinct, as PostgreSQL's `ON CONFLICT DO UPDATE` needs within one statement).
pub async fn put(conn: &mut AnyConnection, arn: &str, tags: &Tags) -> Result<(), Error> {
    if tags.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..tags.len()).map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3)).collect();
    let sql = format!(
        "INSERT INTO tags (resource_arn, tag_key, tag_value) VALUES {} \
         ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(arn);
    for (key, value) in tags {
        query = query.bind(key).bind(value);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Removes `keys` from `arn`; keys it does not have are ignored.
pub async fn remove(conn: &mut AnyConnection, arn: &str, keys: &[String]) -> Result<(), Error> {
    for key in keys {
        sqlx::query("DELETE FROM tags WHERE resource_arn = $1 AND tag_key = $2")
            .bind(arn)
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Removes every tag of `arn`.
pub async fn clear(conn: &mut AnyConnection, arn: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM tags WHERE resource_arn = $1").bind(arn).execute(&mut *conn).await?;
    Ok(())
}
