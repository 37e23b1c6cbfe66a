//! What a kind of job is: one type that says what its work item is (`Spec`), how one is attempted
//! (a streaming step that reports progress through its [`Attempt`]), and what committing or
//! failing one writes. The skeleton ([`super::skeleton`]) does the rest, the same for every kind.

use std::future::Future;
use std::sync::Arc;

use super::Settings;
use super::tee::Progress;
use crate::db;
use crate::model::job::Claim;
use crate::service::Service;

/// Why an attempt's writes are discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Discard {
    /// The source fails (a bad source, or the job is cancelled); this attempt still holds it.
    Failed,
    /// The attempt lost its lease or could not settle; another may hold the source now.
    Abandoned,
}

/// How an attempt ended without a result.
pub(super) enum Outcome {
    /// The source is bad or unreadable: record it as FAILED with this message.
    Failed(String),
    /// The lease was lost, the process is stopping or the database failed: commit nothing.
    Abandoned,
}

/// One attempt at one claimed work item.
pub(super) struct Attempt<'a> {
    /// The service, for everything the attempt reads or writes.
    pub service: &'a Service,
    /// This node's engine settings.
    pub settings: &'a Settings,
    /// The claim (job, source, lease generation, output id).
    pub claim: &'a Claim,
    /// Bytes read so far and the size to read, renewed with the lease; set when the lease is lost.
    pub progress: Arc<Progress>,
}

/// A kind of job. Every method gets the attempt; the settlement methods run inside the transaction
/// that settles the source (its job row locked first), before the source's own row is updated —
/// when the lease generation has moved on, the transaction is rolled back with what they wrote.
pub(super) trait Kind {
    /// One work item, as submitted.
    type Spec: Sync;
    /// What a successful attempt produced, committed by [`Kind::commit`].
    type Output: Send;
    /// What a failed attempt keeps, prepared by [`Kind::keep`] outside the transaction (`()` for
    /// the kinds that keep nothing).
    type Kept: Send + Default;
    /// Where the attempt's objects live in the store's data (`{store}/{OBJECTS}/{claim.object_dir()}`),
    /// deleted when the attempt fails or is interrupted; `None` for a kind that writes nothing
    /// there (an export writes elsewhere and undoes its own writes).
    const OBJECTS: Option<&'static str>;

    /// Attempts the work item: reads its sources, writes its objects under the claim's object
    /// directory, and records progress in `at.progress`.
    fn attempt(at: &Attempt<'_>, spec: &Self::Spec) -> impl Future<Output = Result<Self::Output, Outcome>> + Send;

    /// Records found, for the log and metrics.
    fn records(output: &Self::Output) -> u64;

    /// Makes `output` visible (inside the settlement transaction); returns the FINISHED source's
    /// status message.
    fn commit(
        at: &Attempt<'_>,
        tx: &mut db::Tx,
        spec: &Self::Spec,
        output: Self::Output,
    ) -> impl Future<Output = Result<Option<String>, db::Error>> + Send;

    /// Prepares what the failure keeps, before its settlement; `None` leaves the source unsettled
    /// (claimed again once its lease expires). By default nothing.
    fn keep(_at: &Attempt<'_>, _spec: &Self::Spec) -> impl Future<Output = Option<Self::Kept>> + Send {
        async { Some(Self::Kept::default()) }
    }

    /// Records the failure `message` (already fit for `statusMessage`) beside the FAILED source
    /// (inside the settlement transaction). By default nothing beside the source's own row.
    fn fail(
        _at: &Attempt<'_>,
        _tx: &mut db::Tx,
        _spec: &Self::Spec,
        _kept: Self::Kept,
        _message: &str,
    ) -> impl Future<Output = Result<(), db::Error>> + Send {
        async { Ok(()) }
    }

    /// Undoes what an interrupted earlier attempt (whose output id was `previous`, with the
    /// claim's checkpoint) left behind, before this attempt starts. By default deletes its object
    /// directory.
    fn discard_previous(at: &Attempt<'_>, _spec: &Self::Spec, previous: &str) -> impl Future<Output = ()> + Send {
        async move {
            let Some(objects) = Self::OBJECTS else { return };
            if let Err(e) = at.service.data.delete_dir(&at.claim.store_id, objects, previous).await {
                tracing::warn!(error = ?e, previous, "objects of an interrupted attempt remain; the sweep will");
            }
        }
    }

    /// Deletes what this attempt wrote: it failed or was cancelled ([`Discard::Failed`], the lease
    /// still held), or it lost its lease or could not settle ([`Discard::Abandoned`]: another
    /// attempt may already be writing). By default its object directory, either way (each attempt
    /// has its own).
    fn discard(at: &Attempt<'_>, _spec: &Self::Spec, _why: Discard) -> impl Future<Output = ()> + Send {
        async move {
            let Some(objects) = Self::OBJECTS else { return };
            let claim = at.claim;
            if let Err(e) = at.service.data.delete_dir(&claim.store_id, objects, &claim.object_dir()).await {
                tracing::warn!(error = ?e, "could not delete the objects of a failed attempt; the sweep will");
            }
        }
    }

    /// Runs once the settlement committed, either way (e.g. deletes what the output replaced). By
    /// default nothing.
    fn settled(_at: &Attempt<'_>, _spec: &Self::Spec) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Names the kind that runs a spec: each kind's file implements it for its spec type, which is how
/// the dispatch (`kinds::run`) finds the kind of a claimed source.
pub(super) trait RunsAs: Sized {
    /// The kind.
    type Kind: Kind<Spec = Self>;
}
