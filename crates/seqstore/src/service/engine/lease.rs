//! Lease renewal: while an attempt runs, its lease is extended and its progress recorded every
//! second; when the renewal finds the lease taken over, or the job CANCELLING, the attempt is told
//! to stop.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Settings;
use super::tee::Progress;
use crate::db::import_jobs;
use crate::model::job::Claim;
use crate::model::time;
use crate::service::Service;

/// How often progress is written and the lease renewed.
const INTERVAL: Duration = Duration::from_secs(1);

/// Renews `claim` until the future is dropped or the lease is lost (then sets
/// `progress.lease_lost` and returns) or the job is found CANCELLING (then sets
/// `progress.cancelled` too: the lease is still held, so the attempt can settle the source as
/// cancelled). Database errors are logged and retried: the lease is long enough to survive a few
/// missed renewals.
pub(super) async fn keep(service: Service, settings: Settings, claim: Claim, progress: Arc<Progress>) {
    loop {
        tokio::time::sleep(INTERVAL).await;
        let now = time::now();
        let expires = now + settings.lease.as_millis() as i64;
        let bytes = progress.bytes() as i64;
        let total = progress.total().map(|t| t as i64);
        let renewed = async {
            let mut conn = service.db.pool().acquire().await?;
            let renewed = import_jobs::renew(&mut conn, &claim, now, expires, bytes, total).await?;
            let cancelling = renewed && import_jobs::cancelling(&mut conn, &claim.job_id).await?;
            Ok::<_, crate::db::Error>((renewed, cancelling))
        }
        .await;
        match renewed {
            Ok((true, false)) => {}
            Ok((true, true)) => {
                tracing::info!(job = %claim.job_id, source = claim.index, "job cancelled; stopping this attempt");
                progress.cancelled.store(true, Ordering::Relaxed);
                progress.lease_lost.store(true, Ordering::Relaxed);
                return;
            }
            Ok((false, _)) => {
                tracing::warn!(job = %claim.job_id, source = claim.index, "lease lost; abandoning this attempt");
                progress.lease_lost.store(true, Ordering::Relaxed);
                return;
            }
            Err(e) => tracing::warn!(error = ?e, "lease renewal failed; will retry"),
        }
    }
}
