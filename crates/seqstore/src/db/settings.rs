//! Server-wide settings shared by all processes through the database.

use sqlx::Row;

use super::{Db, Error};

/// Returns the value stored under `name`, storing `make()` first if there is none. Concurrent first
/// calls from several processes agree on one value: the first insert wins and everyone reads it.
pub async fn get_or_init(db: &Db, name: &str, make: impl FnOnce() -> String) -> Result<String, Error> {
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(make())
        .execute(db.pool())
        .await?;
    let row = sqlx::query("SELECT value FROM settings WHERE name = $1").bind(name).fetch_one(db.pool()).await?;
    Ok(row.try_get("value")?)
}
