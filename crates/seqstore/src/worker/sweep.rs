//! The start-up sweep: deletes stored objects (and, on local disk, staging files) of read sets and
//! references that were never committed and that no live lease is writing.

use crate::db::{self, import_jobs, read_sets, references};
use crate::model::time;
use crate::service::Service;
use crate::storage::data::READ_SETS;

/// Runs the sweep once. Safe with other processes running: objects under a live lease are kept.
pub async fn run(service: &Service) -> Result<(), db::Error> {
    let dirs = match service.data().object_dirs().await {
        Ok(dirs) => dirs,
        Err(e) => {
            tracing::warn!(error = ?e, "sweep could not list stored objects; skipping it");
            return Ok(());
        }
    };
    let mut conn = service.db().pool().acquire().await?;
    let now = time::now();
    let mut removed = 0;
    for (store, kind, id) in dirs {
        let committed = match kind.as_str() {
            READ_SETS => read_sets::exists(&mut conn, &id).await?,
            _ => references::exists(&mut conn, &id).await?,
        };
        if committed || import_jobs::read_set_in_progress(&mut conn, &id, now).await? {
            continue;
        }
        match service.data().delete_dir(&store, &kind, &id).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(error = ?e, store, kind, id, "sweep could not delete orphan objects"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "sweep deleted objects of uncommitted read sets");
    }
    Ok(())
}
