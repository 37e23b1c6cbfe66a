//! The periodic sweep: aborts uploads abandoned for longer than `uploads.abandon_after_seconds`.

use crate::model::time;
use crate::service::Service;

/// Aborts abandoned uploads every `every` until `stopped` turns true. Safe with several processes:
/// each upload is re-checked inside its own transaction before it is aborted.
pub async fn abandoned_uploads(
    service: Service,
    idle: std::time::Duration,
    every: std::time::Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        let before = time::now() - i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        match service.abort_idle_uploads(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(aborted = n, "sweep aborted abandoned uploads"),
            Err(e) => tracing::warn!(error = ?e, "sweep could not abort abandoned uploads"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopped.changed() => {}
        }
    }
}
