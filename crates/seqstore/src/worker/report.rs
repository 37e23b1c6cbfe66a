//! One structured log line and the metrics for each change of a source's state that this process
//! makes: claimed (`IN_PROGRESS`, noting a takeover of an expired lease), then `FINISHED` or
//! `FAILED`.

use std::time::Instant;

use crate::metrics::Settled;
use crate::model::job::Claim;
use crate::service::Service;
use crate::service::engine::Ended;

/// Logs and counts a claim: the source is now `IN_PROGRESS` in this process.
pub(super) fn claimed(service: &Service, claim: &Claim, worker: usize) {
    let takeover = claim.previous.is_some();
    if takeover {
        service.metrics().lease_takeover();
    }
    service.metrics().attempt_running(1);
    tracing::info!(
        job = %claim.job_id,
        source = claim.index,
        read_set = %claim.output_id,
        kind = claim.kind.as_str(),
        status = "IN_PROGRESS",
        generation = claim.generation,
        takeover,
        worker,
        "source state change"
    );
}

/// Counts the end of an attempt, settled or not.
pub(super) fn ended(service: &Service) {
    service.metrics().attempt_running(-1);
}

/// Logs and counts a source settled by this process as `ended` (nothing when it was not settled),
/// `started` being when it was claimed.
pub(super) fn settled(service: &Service, claim: &Claim, ended: &Ended, started: Instant) {
    let (outcome, message) = match ended {
        Ended::Finished { bytes, records } => (Settled::Finished { bytes: *bytes, records: *records }, None),
        Ended::Failed(message) => (Settled::Failed, Some(message.as_str())),
        Ended::Unsettled => return,
    };
    let elapsed = started.elapsed();
    service.metrics().source_settled(claim.kind.as_str(), outcome, elapsed);
    let (status, bytes, records) = match outcome {
        Settled::Finished { bytes, records } => ("FINISHED", bytes, records),
        Settled::Failed => ("FAILED", 0, 0),
    };
    tracing::info!(
        job = %claim.job_id,
        source = claim.index,
        read_set = %claim.output_id,
        kind = claim.kind.as_str(),
        status,
        bytes,
        records,
        elapsed_ms = elapsed.as_millis() as u64,
        status_message = message.unwrap_or(""),
        "source state change"
    );
}
