//! What the operational probes ask of the database: whether it commits a write now (`/readyz`),
//! and the shared queue's and the storage tiers' counts (`/metrics`).

use super::{Error, Service};
use crate::db::{self, heartbeat};
use crate::model::time;

pub use crate::db::metrics::Snapshot;
pub use crate::db::tiers::Usage;

impl Service {
    /// Commits the heartbeat write: fails when the database cannot write now (unreachable, a full
    /// disk, a SQLite file at its largest size), although it may still answer queries.
    pub async fn heartbeat(&self) -> Result<(), Error> {
        Ok(heartbeat::beat(&self.db, time::now()).await?)
    }

    /// Import jobs and sources by kind and status across all accounts, the queue's depth now, and
    /// the read sets and bytes of each store's tiers.
    pub async fn queue_snapshot(&self) -> Result<Snapshot, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(db::metrics::snapshot(&mut conn, time::now()).await?)
    }
}
