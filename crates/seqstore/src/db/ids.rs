//! Reservation of ids that are unique across every kind of resource on the server.

use sqlx::AnyConnection;

use super::Error;
use crate::model::{id, time};

/// Draws random ids until one is not taken, records it under `kind` and returns it. Runs inside the
/// caller's transaction, so a rolled-back creation frees its id again.
pub async fn reserve(conn: &mut AnyConnection, kind: &str) -> Result<String, Error> {
    loop {
        let candidate = id::random();
        let inserted = sqlx::query(
            "INSERT INTO resource_ids (id, kind, created_ms) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&candidate)
        .bind(kind)
        .bind(time::now())
        .execute(&mut *conn)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(candidate);
        }
    }
}
