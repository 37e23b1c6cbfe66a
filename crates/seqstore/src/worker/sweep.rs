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

/// Settles, at once and then once a minute until `stopped` turns true, the jobs whose sources are
/// all settled but which have not ended (a server stopped between a job's last source's commit and
/// the job's own settlement, see `Service::settle_done_jobs`). Safe with several processes: each
/// job is settled under its lock, and settling an ended job changes nothing.
pub async fn done_jobs(service: Service, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let every = std::time::Duration::from_secs(60);
    while !*stopped.borrow() {
        match service.settle_done_jobs().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "settled jobs whose sources had all settled"),
            Err(e) => tracing::warn!(error = ?e, "could not settle jobs whose sources had all settled"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopped.changed() => {}
        }
    }
}
