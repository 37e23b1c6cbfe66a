//! The start-up sweep: deletes stored objects (and, on local disk, staging files) of read sets
//! that were never committed and that no live lease is writing.

use crate::db::{self, import_jobs, read_sets};
use crate::model::time;
use crate::service::Service;

/// Runs the sweep once. Safe with other processes running: objects under a live lease are kept.
pub async fn run(service: &Service) -> Result<(), db::Error> {
    let dirs = match service.data().read_set_dirs().await {
        Ok(dirs) => dirs,
        Err(e) => {
            tracing::warn!(error = ?e, "sweep could not list stored objects; skipping it");
            return Ok(());
        }
    };
    let mut conn = service.db().pool().acquire().await?;
    let now = time::now();
    let mut removed = 0;
    for (store, id) in dirs {
        if read_sets::exists(&mut conn, &id).await? || import_jobs::read_set_in_progress(&mut conn, &id, now).await? {
            continue;
        }
        match service.data().delete_read_set(&store, &id).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(error = ?e, store, read_set = id, "sweep could not delete orphan objects"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "sweep deleted objects of uncommitted read sets");
    }
    Ok(())
}
