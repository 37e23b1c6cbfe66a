//! The one run of an attempt, for every kind: delete what an interrupted earlier attempt wrote,
//! attempt under a lease renewed with the progress, then commit or fail in a transaction that locks
//! the job row before the source row, checks the lease generation, and settles the job once its
//! last source settles. A source of a CANCELLING job is never committed: an attempt claimed during
//! the cancellation is not started, one running stops at its next lease renewal (or at its
//! settlement, which sees the job under its lock), and either deletes what it wrote and fails
//! [`import_jobs::CANCELLED`].

use std::sync::Arc;

use tokio_util::task::AbortOnDropHandle;

use super::kind::{Attempt, Discard, Kind, Outcome};
use super::sources::status_message;
use super::tee::Progress;
use super::{Ended, Settings, lease};
use crate::db::{self, import_jobs};
use crate::model::import::SourceStatus;
use crate::model::job::Claim;
use crate::model::time;
use crate::service::Service;

/// Runs the attempt of `claim` at `spec` as a `K` to its end.
pub(super) async fn run<K: Kind>(service: &Service, settings: &Settings, claim: &Claim, spec: &K::Spec) -> Ended {
    let progress = Arc::new(Progress::default());
    let at = Attempt { service, settings, claim, progress: Arc::clone(&progress) };
    if let Some(previous) = &claim.previous {
        K::discard_previous(&at, spec, previous).await;
    }
    let result = if claim.cancelling {
        Err(Outcome::Failed(import_jobs::CANCELLED.to_owned()))
    } else {
        let keeper = AbortOnDropHandle::new(tokio::spawn(lease::keep(
            service.clone(),
            settings.clone(),
            claim.clone(),
            Arc::clone(&progress),
        )));
        let result = K::attempt(&at, spec).await;
        drop(keeper);
        if progress.cancelled() {
            Err(Outcome::Failed(import_jobs::CANCELLED.to_owned()))
        } else if progress.lease_lost() {
            Err(Outcome::Abandoned)
        } else {
            result
        }
    };
    let settled = match result {
        Ok(output) => {
            let ended = Ended::Finished { bytes: progress.bytes(), records: K::records(&output) };
            match commit::<K>(&at, spec, output).await {
                Ok(Committed::Cancelled) => failed::<K>(&at, spec, import_jobs::CANCELLED).await,
                committed => committed.map(|c| (c == Committed::Done).then_some(ended)),
            }
        }
        Err(Outcome::Failed(message)) => failed::<K>(&at, spec, &message).await,
        Err(Outcome::Abandoned) => Ok(None),
    };
    match settled {
        Ok(Some(ended)) => {
            K::settled(&at, spec).await;
            ended
        }
        Ok(None) => {
            K::discard(&at, spec, Discard::Abandoned).await;
            Ended::Unsettled
        }
        Err(e) => {
            tracing::error!(error = ?e, job = %claim.job_id, source = claim.index, "could not settle source");
            Ended::Unsettled
        }
    }
}

/// Deletes what the attempt wrote and fails the source with `message` (a bad source, or
/// `cancelled`); `None` when the failure was not settled (see [`fail`]).
async fn failed<K: Kind>(at: &Attempt<'_>, spec: &K::Spec, message: &str) -> Result<Option<Ended>, db::Error> {
    K::discard(at, spec, Discard::Failed).await;
    Ok(fail::<K>(at, spec, message).await?.then(|| Ended::Failed(message.to_owned())))
}

/// How a commit ended.
#[derive(Debug, PartialEq, Eq)]
enum Committed {
    /// The output is visible and the source FINISHED.
    Done,
    /// Nothing written: the lease generation moved on or the lease expired.
    Lost,
    /// Nothing written: the job is CANCELLING.
    Cancelled,
}

/// Fails a source whose stored spec is unreadable (it wrote nothing).
pub(super) async fn unreadable(service: &Service, claim: &Claim, error: &str) -> Ended {
    let message = format!("{error}; submit the job again");
    let short = status_message(&message);
    let settled = async {
        let (tx, now) = begin_settlement(service, claim).await?;
        settle(tx, claim, SourceStatus::Failed, (Some(&short), Some(&message)), now, None).await
    };
    match settled.await {
        Ok(true) => Ended::Failed(message),
        Ok(false) => Ended::Unsettled,
        Err(e) => {
            tracing::error!(error = ?e, job = %claim.job_id, source = claim.index, "could not settle source");
            Ended::Unsettled
        }
    }
}

/// Commits `output` and the FINISHED source, unless the lease generation moved on or the lease
/// expired, or the job is CANCELLING (then nothing is written).
async fn commit<K: Kind>(at: &Attempt<'_>, spec: &K::Spec, output: K::Output) -> Result<Committed, db::Error> {
    let (mut tx, now) = begin_settlement(at.service, at.claim).await?;
    if import_jobs::cancelling(&mut tx, &at.claim.job_id).await? {
        return Ok(Committed::Cancelled);
    }
    let note = K::commit(at, &mut tx, spec, output).await?;
    if !settle(tx, at.claim, SourceStatus::Finished, (note.as_deref(), None), now, Some(&at.progress)).await? {
        return Ok(Committed::Lost);
    }
    tracing::info!(job = %at.claim.job_id, source = at.claim.index, output = %at.claim.output_id, "committed");
    Ok(Committed::Done)
}

/// Records the failure: a short message within the model's 127 characters and P_TEXT pattern, and
/// the full text as `statusDetail`, with what the kind keeps.
async fn fail<K: Kind>(at: &Attempt<'_>, spec: &K::Spec, message: &str) -> Result<bool, db::Error> {
    let Some(kept) = K::keep(at, spec).await else { return Ok(false) };
    let short = status_message(message);
    let (mut tx, now) = begin_settlement(at.service, at.claim).await?;
    K::fail(at, &mut tx, spec, kept, &short).await?;
    settle(tx, at.claim, SourceStatus::Failed, (Some(&short), Some(message)), now, Some(&at.progress)).await
}

/// Opens the transaction that settles `claim` with its job row locked (before any source row:
/// the engine's one lock order; the last source to settle sees the others' outcomes), and the
/// settlement time.
async fn begin_settlement(service: &Service, claim: &Claim) -> Result<(db::Tx, time::Millis), db::Error> {
    let mut tx = service.db.begin().await?;
    import_jobs::lock_job(&mut tx, service.db.backend(), &claim.job_id).await?;
    Ok((tx, time::now()))
}

/// Settles the source as `status` with the attempt's last `progress` (an attempt shorter than
/// one lease renewal recorded none) and, when it was the last, its job, and commits; false (the
/// transaction rolled back) when the lease generation moved on or the lease expired.
async fn settle(
    mut tx: db::Tx,
    claim: &Claim,
    status: SourceStatus,
    (message, detail): (Option<&str>, Option<&str>),
    now: time::Millis,
    progress: Option<&Progress>,
) -> Result<bool, db::Error> {
    if let Some(progress) = progress {
        let (bytes, total) = (progress.bytes() as i64, progress.total().map(|t| t as i64));
        import_jobs::record_progress(&mut tx, claim, bytes, total).await?;
    }
    if !import_jobs::settle_source(&mut tx, claim, status, message, detail, now).await? {
        return Ok(false);
    }
    import_jobs::settle_job(&mut tx, &claim.job_id, now).await?;
    tx.commit().await?;
    Ok(true)
}
