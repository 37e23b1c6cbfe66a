//! Counts read at scrape time for `/metrics`: import jobs and sources by kind and status, the
//! depth of the import queue, and the read sets and bytes of each store's storage tiers.

use sqlx::{AnyConnection, Row};

use super::Error;
use super::tiers::{self, Usage};
use crate::model::time::Millis;

/// What the database holds right now, across all accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// `(kind, status, count)` of import jobs.
    pub jobs: Vec<(String, String, i64)>,
    /// `(kind, status, count)` of import sources.
    pub sources: Vec<(String, String, i64)>,
    /// Sources a worker could claim at `now`: NOT_STARTED, or IN_PROGRESS with an expired lease.
    pub queue_depth: i64,
    /// Read sets and bytes per store and tier (a store without read sets is absent).
    pub tiers: Vec<Usage>,
}

/// Reads the [`Snapshot`] at `now`.
pub async fn snapshot(conn: &mut AnyConnection, now: Millis) -> Result<Snapshot, Error> {
    let jobs = grouped(conn, "import_jobs").await?;
    let sources = grouped(conn, "import_sources").await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM import_sources WHERE status = 'NOT_STARTED' OR \
         (status = 'IN_PROGRESS' AND lease_expires_ms < $1)",
    )
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let queue_depth = row.try_get("n")?;
    let tiers = tiers::usage(conn, None).await?;
    Ok(Snapshot { jobs, sources, queue_depth, tiers })
}

async fn grouped(conn: &mut AnyConnection, table: &str) -> Result<Vec<(String, String, i64)>, Error> {
    let sql = format!("SELECT kind, status, COUNT(*) AS n FROM {table} GROUP BY kind, status ORDER BY kind, status");
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok((r.try_get("kind")?, r.try_get("status")?, r.try_get("n")?))).collect()
}
