//! The one run of an attempt, for every kind: delete what an interrupted earlier attempt wrote,
//! attempt under a lease renewed with the progress (in one of the node's attempt slots, given back
//! before the settlement), then commit or fail in a transaction that writes the kind's rows, then
//! settles the source in one statement that locks the job row (shared with the job's other claims
//! and settlements) before the source row and checks the lease generation; after the commit, the
//! job is settled once no source of it is left. A source of a CANCELLING job is never committed:
//! an attempt claimed during the cancellation is not started, one running stops at its next lease
//! renewal (or at its settlement, which reads the job's status under the shared lock a
//! cancellation waits for), and either deletes what it wrote and fails
//! [`import_jobs::CANCELLED`].

use std::sync::Arc;

use tokio_util::task::AbortOnDropHandle;

use super::kind::{Attempt, Discard, Kind, Outcome};
use super::sources::status_message;
use super::tee::Progress;
use super::{Ended, NextClaim, Settings, Slot, Slots, lease};
use crate::db::import_jobs::{self, SourceSettled};
use crate::db::{self, Backend};
use crate::model::import::SourceStatus;
use crate::model::job::Claim;
use crate::model::time;
use crate::service::Service;

/// Runs the attempt of `claim` at `spec` as a `K` to its end; with `slots`, the settlement's
/// transaction also claims this node's next source where it may ([`Next`]). `slot` is released
/// when the attempt's work ends, before its settlement.
pub(super) async fn run<K: Kind>(
    service: &Service,
    settings: &Settings,
    claim: &Claim,
    spec: &K::Spec,
    slots: Option<&Slots>,
    slot: Slot,
) -> (Ended, Option<NextClaim>) {
    let next = Next(slots.map(|slots| (service, settings, slots)));
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
    drop(slot);
    let settled = match result {
        Ok(output) => {
            let ended = Ended::Finished { bytes: progress.bytes(), records: K::records(&output) };
            match commit::<K>(&at, spec, output, next).await {
                Ok(Committed::Cancelled) => failed::<K>(&at, spec, import_jobs::CANCELLED, next).await,
                Ok(Committed::Done(following)) => Ok(Some((ended, following.map(|c| *c)))),
                Ok(Committed::Lost) => Ok(None),
                Err(e) => Err(e),
            }
        }
        Err(Outcome::Failed(message)) => failed::<K>(&at, spec, &message, next).await,
        Err(Outcome::Abandoned) => Ok(None),
    };
    match settled {
        Ok(Some((ended, following))) => {
            K::settled(&at, spec).await;
            (ended, following)
        }
        Ok(None) => {
            K::discard(&at, spec, Discard::Abandoned).await;
            (Ended::Unsettled, None)
        }
        Err(e) => {
            tracing::error!(error = ?e, job = %claim.job_id, source = claim.index, "could not settle source");
            (Ended::Unsettled, None)
        }
    }
}

/// Whether, and for whom, a settlement claims this node's next source in its own transaction:
/// only with one of the node's attempt slots free at that moment (taken then, and handed to the
/// worker with the claim), so a node never holds a source it cannot start at once.
///
/// A claim's own transaction was half of what tiny imports paid per source (#28): on SQLite its
/// turn of the one write lock, `BEGIN IMMEDIATE` and the commit's write of the log; on PostgreSQL
/// its commit's `fdatasync`, and a statement to find the job. On SQLite the settlement claims the
/// oldest claimable source of any job (its write lock serialises every writer; one worker loop per
/// slot there, so the settling loop's own slot is free). On PostgreSQL writers lock rows, and
/// claiming in another job would lock that job's row while the settled one's is held — against
/// the engine's one lock order — so the settlement claims only a source of its own job, whose
/// shared lock it holds, skipping sources other claims hold ([`import_jobs::claim_in_job`]); when
/// there is none, or no slot is free (another loop took the slot this attempt gave back), the
/// worker claims in a transaction of its own.
#[derive(Clone, Copy)]
struct Next<'a>(Option<(&'a Service, &'a Settings, &'a Slots)>);

impl Next<'_> {
    /// Claims the next source inside `tx` at `now`, after `settled`'s settlement, in a slot free
    /// now; or nothing.
    async fn claim(self, tx: &mut db::Tx, settled: &Claim, now: time::Millis) -> Result<Option<NextClaim>, db::Error> {
        let Some((service, settings, slots)) = self.0 else { return Ok(None) };
        let Ok(slot) = Arc::clone(slots).try_acquire_owned() else { return Ok(None) };
        let claim = match service.db.backend() {
            Backend::Sqlite => service.claim_in(tx, settings, now).await?,
            Backend::Postgres => service.claim_in_job(tx, settings, &settled.job_id, now).await?,
        };
        Ok(claim.map(|claim| NextClaim { claim, slot }))
    }
}

/// Deletes what the attempt wrote and fails the source with `message` (a bad source, or
/// `cancelled`), with the next claim if `next` took one; `None` when the failure was not settled
/// (see [`fail`]).
async fn failed<K: Kind>(
    at: &Attempt<'_>,
    spec: &K::Spec,
    message: &str,
    next: Next<'_>,
) -> Result<Option<(Ended, Option<NextClaim>)>, db::Error> {
    K::discard(at, spec, Discard::Failed).await;
    Ok(match fail::<K>(at, spec, message, next).await? {
        Settled::Done(following) => Some((Ended::Failed(message.to_owned()), following.map(|c| *c))),
        Settled::Lost | Settled::Cancelling => None,
    })
}

/// How a commit ended.
#[derive(Debug)]
enum Committed {
    /// The output is visible and the source FINISHED; with the next claim if one was taken.
    Done(Option<Box<NextClaim>>),
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
        let tx = service.db.begin().await?;
        let texts = (Some(short.as_str()), Some(message.as_str()));
        settle(service, tx, claim, SourceStatus::Failed, texts, None, Next(None)).await
    };
    match settled.await {
        Ok(Settled::Done(_)) => Ended::Failed(message),
        Ok(Settled::Lost | Settled::Cancelling) => Ended::Unsettled,
        Err(e) => {
            tracing::error!(error = ?e, job = %claim.job_id, source = claim.index, "could not settle source");
            Ended::Unsettled
        }
    }
}

/// Commits `output` and the FINISHED source, unless the lease generation moved on or the lease
/// expired, or the job is CANCELLING (then the transaction is rolled back: nothing is written).
async fn commit<K: Kind>(
    at: &Attempt<'_>,
    spec: &K::Spec,
    output: K::Output,
    next: Next<'_>,
) -> Result<Committed, db::Error> {
    let mut tx = at.service.db.begin().await?;
    let note = K::commit(at, &mut tx, spec, output).await?;
    let message = (note.as_deref(), None);
    Ok(match settle(at.service, tx, at.claim, SourceStatus::Finished, message, Some(&at.progress), next).await? {
        Settled::Done(following) => {
            tracing::info!(job = %at.claim.job_id, source = at.claim.index, output = %at.claim.output_id, "committed");
            Committed::Done(following)
        }
        Settled::Lost => Committed::Lost,
        Settled::Cancelling => Committed::Cancelled,
    })
}

/// Records the failure: a short message within the model's 127 characters and P_TEXT pattern, and
/// the full text as `statusDetail`, with what the kind keeps.
async fn fail<K: Kind>(at: &Attempt<'_>, spec: &K::Spec, message: &str, next: Next<'_>) -> Result<Settled, db::Error> {
    let Some(kept) = K::keep(at, spec).await else { return Ok(Settled::Lost) };
    let short = status_message(message);
    let mut tx = at.service.db.begin().await?;
    K::fail(at, &mut tx, spec, kept, &short).await?;
    let message = (Some(short.as_str()), Some(message));
    settle(at.service, tx, at.claim, SourceStatus::Failed, message, Some(&at.progress), next).await
}

/// How a settlement ended.
enum Settled {
    /// Committed; with the next claim if one was taken.
    Done(Option<Box<NextClaim>>),
    /// Rolled back: the lease generation moved on or the lease expired.
    Lost,
    /// Rolled back: the source was to be FINISHED, and its job is CANCELLING.
    Cancelling,
}

/// Settles the source as `status` with the attempt's last `progress` (an attempt shorter than
/// one lease renewal recorded none); claims the next source where `next` does; commits; then,
/// when it was the job's last source, settles the job ([`Service::settle_job_if_done`]).
/// [`Settled::Lost`] (the transaction rolled back) when the lease generation moved on or the
/// lease expired. The settlement's time is taken here, after the kind's rows are written.
async fn settle(
    service: &Service,
    mut tx: db::Tx,
    claim: &Claim,
    status: SourceStatus,
    message: (Option<&str>, Option<&str>),
    progress: Option<&Progress>,
    next: Next<'_>,
) -> Result<Settled, db::Error> {
    let now = time::now();
    let progress = progress.map(|p| (p.bytes() as i64, p.total().map(|t| t as i64)));
    match import_jobs::settle_source(&mut tx, service.db.backend(), claim, status, message, progress, now).await? {
        SourceSettled::Done => {}
        SourceSettled::Lost => return Ok(Settled::Lost),
        SourceSettled::Cancelling => return Ok(Settled::Cancelling),
    }
    let following = next.claim(&mut tx, claim, now).await?;
    tx.commit().await?;
    // A source of the job just claimed is unsettled: the job is not done (one read fewer).
    if following.as_ref().is_none_or(|next| next.claim.job_id != claim.job_id) {
        service.settle_job_if_done(&claim.job_id).await;
    }
    Ok(Settled::Done(following.map(Box::new)))
}
