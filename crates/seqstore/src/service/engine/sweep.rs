//! The start-up sweep: deletes stored objects (and, on local disk, staging files) of read sets and
//! references that were never committed and that no live lease is writing, and the parts of
//! uploads that no longer exist.

use crate::db::{self, import_jobs, read_sets, references, uploads};
use crate::model::time;
use crate::service::Service;
use crate::storage::objects::{READ_SETS, UPLOADS};

/// Runs the sweep once. Safe with other processes running: objects under a live lease are kept.
pub(super) async fn run(service: &Service) -> Result<(), db::Error> {
    let dirs = match service.data.object_dirs().await {
        Ok(dirs) => dirs,
        Err(e) => {
            tracing::warn!(error = ?e, "sweep could not list stored objects; skipping it");
            return Ok(());
        }
    };
    let mut conn = service.db.pool().acquire().await?;
    let now = time::now();
    let mut removed = 0;
    for (store, kind, id) in dirs {
        // The live-lease check comes first: once it finds no live lease, no commit can follow
        // (a commit needs an unexpired lease, and an expired one cannot be renewed), so the
        // committed check after it is final. The other order could miss a commit in between.
        if import_jobs::read_set_in_progress(&mut conn, &id, now).await? {
            continue;
        }
        let committed = match kind.as_str() {
            READ_SETS => read_sets::exists(&mut conn, &id).await?,
            UPLOADS => uploads::exists(&mut conn, &id).await?,
            _ => references::exists(&mut conn, &id).await?,
        };
        if committed {
            continue;
        }
        match service.data.delete_dir(&store, &kind, &id).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(error = ?e, store, kind, id, "sweep could not delete orphan objects"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "sweep deleted objects of uncommitted read sets");
    }
    Ok(())
}
