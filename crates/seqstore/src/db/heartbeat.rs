//! The readiness write: a committed update of the one-row `heartbeat` table, proving that the
//! database accepts writes right now (a query, or a write rolled back, proves nothing about a full
//! disk), and on SQLite that the file can still grow.

use sqlx::Row;

use super::{Backend, Db, Error};
use crate::model::time::Millis;

/// Commits `now` into the heartbeat row. Fails when the database cannot write (e.g. `database or
/// disk is full`), and with [`Error::Full`] when a SQLite file has reached its largest size
/// (`max_page_count`) with no free page left, where only writes that fit in place would succeed.
pub async fn beat(db: &Db, now: Millis) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE heartbeat SET beat_ms = $1 WHERE id = 1").bind(now).execute(&mut *tx).await?;
    if db.backend() == Backend::Sqlite {
        let row = sqlx::query(
            "SELECT p.page_count AS pages, m.max_page_count AS max_pages, f.freelist_count AS free \
             FROM pragma_page_count() AS p, pragma_max_page_count() AS m, pragma_freelist_count() AS f",
        )
        .fetch_one(&mut *tx)
        .await?;
        let (pages, max_pages, free): (i64, i64, i64) =
            (row.try_get("pages")?, row.try_get("max_pages")?, row.try_get("free")?);
        if pages >= max_pages && free == 0 {
            return Err(Error::Full { pages });
        }
    }
    tx.commit().await?;
    Ok(())
}
