//! The tiers' periodic passes: the archiver (read sets idle for longer than `archive.after`
//! become sources of archive jobs) and the deletion of copies a tier move left behind once their
//! grace period has passed.

use std::time::Duration;

use crate::model::time;
use crate::service::Service;

/// Runs both passes every `every` until `stopped` turns true. Safe with several processes: the
/// archiver's jobs move a read set once however many archive it, and a read set's list of copies
/// is replaced only while it is still as read.
pub async fn passes(service: Service, every: Duration, mut stopped: tokio::sync::watch::Receiver<bool>) {
    while !*stopped.borrow() {
        match service.archive_idle(time::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(read_sets = n, "archiver: archiving idle read sets"),
            Err(e) => tracing::warn!(error = ?e, "archiver could not look for idle read sets"),
        }
        match service.delete_stale_copies(time::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(objects = n, "deleted copies left by tier moves"),
            Err(e) => tracing::warn!(error = ?e, "could not delete copies left by tier moves"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// How often the passes run: a quarter of the shorter of `archive.after` and the grace period,
/// between half a second and a minute.
pub fn period(after: Option<Duration>, grace: Duration) -> Duration {
    let shortest = after.map_or(grace, |after| after.min(grace));
    (shortest / 4).clamp(Duration::from_millis(500), Duration::from_secs(60))
}
