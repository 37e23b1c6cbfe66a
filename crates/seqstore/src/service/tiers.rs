//! Storage tiers: archiving read sets (at once, by BatchArchiveReadSet, or when idle longer than
//! `archive.after`, by the archiver), activation jobs (StartReadSetActivationJob and its Get, List
//! and Cancel), deleting the copies a move left behind once its grace period has passed, and what
//! each tier holds. The moves themselves are the engine's `read_set_archive` and
//! `read_set_activation` kinds.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::imports::JobFilter;
use super::jobs::Submission;
use super::{Caller, Error, Page, Service};
use crate::db::{self, read_sets, tiers};
use crate::model::import::Source;
use crate::model::job::{Job, JobKind, JobSpec};
use crate::model::read_set::{ReadSetStatus, Tier};
use crate::model::tier::{ActivationSource, ArchiveSource};
use crate::model::time::Millis;
use crate::storage::objects::DataStore;

/// Sources in one archive job the archiver or BatchArchiveReadSet makes.
const SOURCES_PER_ARCHIVE_JOB: usize = 100;
/// Idle read sets the archiver takes per pass.
const IDLE_PER_PASS: i64 = 1000;
/// Read sets with pending copies read per page.
const PENDING_PAGE: i64 = 500;

/// `[archive]` as the service uses it.
#[derive(Debug, Clone)]
pub struct TierSettings {
    /// Read sets idle for longer are archived; `None`: only on request.
    pub after: Option<Duration>,
    /// How long the copies a move leaves stay.
    pub grace: Duration,
}

/// A StartReadSetActivationJob request, validated against the model.
#[derive(Debug, Clone, Serialize)]
pub struct StartActivation {
    /// Idempotency token (not part of the digest).
    #[serde(skip)]
    pub client_token: Option<String>,
    /// Read set ids, 1–20.
    pub read_set_ids: Vec<String>,
}

impl Service {
    /// The object storage of `tier`.
    pub fn tier(&self, tier: Tier) -> &DataStore {
        match tier {
            Tier::Hot => &self.data,
            Tier::Archive => &self.archive,
        }
    }

    /// The idle time after which the archiver archives read sets; `None`: it never does.
    pub fn archive_after(&self) -> Option<Duration> {
        self.tiers.after
    }

    /// How long the copies a tier move leaves stay.
    pub fn tier_grace(&self) -> Duration {
        self.tiers.grace
    }

    /// Archives read sets of a store at once (the extension BatchArchiveReadSet): each ACTIVE one
    /// becomes a source of an archive job; one already ARCHIVED, or already being archived, is
    /// left as it is. Returns the ids that cannot be archived, with the reason (not found; being
    /// activated; an upload's read set that is not ACTIVE).
    pub async fn archive_read_sets(
        &self,
        caller: &Caller,
        store_id: &str,
        ids: &[String],
    ) -> Result<Vec<(String, Error)>, Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        self.require_store(&mut tx, caller, store_id).await?;
        let (mut chosen, mut errors) = (Vec::new(), Vec::new());
        for id in ids {
            if chosen.contains(id) {
                continue;
            }
            let Some(set) = read_sets::get(&mut tx, &caller.account, store_id, id).await? else {
                errors.push((id.clone(), Error::NotFound { kind: "read set", id: id.clone() }));
                continue;
            };
            let reason = match set.status {
                ReadSetStatus::Active if tiers::archiving(&mut tx, id).await? => continue,
                ReadSetStatus::Active => {
                    chosen.push(id.clone());
                    continue;
                }
                ReadSetStatus::Archived => continue,
                ReadSetStatus::Activating => "is being activated: archive it once it is ACTIVE again",
                ReadSetStatus::ProcessingUpload | ReadSetStatus::UploadFailed => {
                    "is not ACTIVE: only ACTIVE read sets can be archived"
                }
            };
            errors.push((id.clone(), Error::Conflict { kind: "read set", id: id.clone(), reason }));
        }
        for chunk in chosen.chunks(SOURCES_PER_ARCHIVE_JOB) {
            let job = insert_archive_job(&mut tx, &caller.account, store_id, chunk).await?;
            tracing::info!(job = %job.id, store = store_id, read_sets = chunk.len(), "archive job submitted");
        }
        tx.commit().await.map_err(db::Error::from)?;
        self.wake.notify_waiters();
        Ok(errors)
    }

    /// One pass of the archiver: submits archive jobs (by store, up to 100 sources each) for up
    /// to 1000 ACTIVE read sets not read for longer than `archive.after` (a read set never read
    /// counts from its creation) and not already being archived; returns how many. Nothing when
    /// `archive.after` is unset. Safe with other processes running passes: a read set two jobs
    /// archive is moved once (the second commit finds it ARCHIVED and moves nothing).
    pub async fn archive_idle(&self, now: Millis) -> Result<usize, Error> {
        let Some(after) = self.tiers.after else { return Ok(0) };
        let cutoff = now - after.as_millis() as i64;
        let mut tx = self.db.begin().await?;
        let idle = tiers::idle(&mut tx, cutoff, IDLE_PER_PASS).await?;
        let mut start = 0;
        while start < idle.len() {
            let (account, store) = (&idle[start].account, &idle[start].store);
            let end = idle[start..]
                .iter()
                .position(|r| &r.account != account || &r.store != store)
                .map_or(idle.len(), |n| start + n)
                .min(start + SOURCES_PER_ARCHIVE_JOB);
            let ids: Vec<String> = idle[start..end].iter().map(|r| r.id.clone()).collect();
            let job = insert_archive_job(&mut tx, account, store, &ids).await?;
            tracing::info!(job = %job.id, store, read_sets = ids.len(), "archiving idle read sets");
            start = end;
        }
        tx.commit().await.map_err(db::Error::from)?;
        if !idle.is_empty() {
            self.wake.notify_waiters();
        }
        Ok(idle.len())
    }

    /// Submits an activation job (see [`Service::submit`] for the checks and their order): every
    /// read set must exist in the store (else ResourceNotFoundException naming it) and be
    /// ARCHIVED (else ValidationException saying its status), each listed once; they become
    /// ACTIVATING with the job.
    pub async fn start_activation(
        &self,
        caller: &Caller,
        store_id: &str,
        request: StartActivation,
    ) -> Result<Job, Error> {
        for (i, id) in request.read_set_ids.iter().enumerate() {
            if request.read_set_ids[..i].contains(id) {
                return Err(Error::Invalid {
                    member: format!("sources.{i}.readSetId"),
                    problem: format!("read set {id} is listed twice; list each read set once"),
                });
            }
        }
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&request).expect("request serializes")));
        let sources = request
            .read_set_ids
            .iter()
            .map(|id| JobSpec::Activation(ActivationSource { read_set_id: id.clone() }))
            .collect();
        let submission = Submission {
            kind: JobKind::Activation,
            scope: "StartReadSetActivationJob".to_owned(),
            destination: None,
            store_id: store_id.to_owned(),
            role_arn: String::new(),
            client_token: request.client_token.clone(),
            digest,
            sources,
            uris: Vec::new(),
            reference_arns: Vec::new(),
            activate: request.read_set_ids.clone(),
        };
        self.submit(caller, submission).await
    }

    /// Makes read set `id` ACTIVATING (inside the submission's transaction): it must exist
    /// (ResourceNotFoundException) and be ARCHIVED (ValidationException naming `member`).
    pub(super) async fn mark_activating(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        store_id: &str,
        member: &str,
        id: &str,
    ) -> Result<(), Error> {
        let (from, to) = (ReadSetStatus::Archived, ReadSetStatus::Activating);
        if tiers::set_status(conn, &caller.account, store_id, id, from, to).await? {
            return Ok(());
        }
        let set = read_sets::get(conn, &caller.account, store_id, id).await?;
        let set = set.ok_or_else(|| Error::NotFound { kind: "read set", id: id.to_owned() })?;
        let problem = match set.status {
            ReadSetStatus::Activating => format!("read set {id} is already being activated by another job"),
            status => format!("read set {id} is {status}: only ARCHIVED read sets can be activated"),
        };
        Err(Error::Invalid { member: member.to_owned(), problem })
    }

    /// An activation job of `caller` in `store_id` with its sources.
    pub async fn activation_job(
        &self,
        caller: &Caller,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<ActivationSource>>), Error> {
        self.job_with_sources(caller, JobKind::Activation, store_id, id).await
    }

    /// Cancels an activation job (see [`Service::cancel_job`]): its read sets not yet activated go
    /// back to ARCHIVED.
    pub async fn cancel_activation_job(
        &self,
        caller: &Caller,
        store_id: &str,
        id: &str,
    ) -> Result<(Job, Vec<Source<ActivationSource>>), Error> {
        self.cancel_job(caller, JobKind::Activation, store_id, id).await
    }

    /// One page of a store's activation jobs in (creationTime, id) order.
    pub async fn list_activation_jobs(
        &self,
        caller: &Caller,
        store_id: &str,
        filter: &JobFilter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Job>, Error> {
        let selection = (filter.status.clone(), filter.created_after, filter.created_before);
        let operation = "ListReadSetActivationJobs";
        self.job_page(caller, JobKind::Activation, operation, store_id, filter, selection, max_results, next_token)
            .await
    }

    /// Deletes the copies that moves between tiers left behind and whose grace period has passed
    /// by `now`; returns how many objects. A read set's list is replaced only while it is still as
    /// read (a move in between adds to it: the next pass deletes the rest).
    pub async fn delete_stale_copies(&self, now: Millis) -> Result<usize, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let (mut after, mut deleted) = (String::new(), 0);
        loop {
            let page = tiers::pending(&mut conn, &after, PENDING_PAGE).await?;
            let full = page.len() as i64 == PENDING_PAGE;
            for pending in page {
                after = pending.id.clone();
                let (due, left): (Vec<_>, Vec<_>) = pending.copies.iter().cloned().partition(|c| c.after <= now);
                if due.is_empty() {
                    continue;
                }
                let mut failed = false;
                for copy in &due {
                    for key in &copy.keys {
                        match self.tier(copy.tier).delete(key).await {
                            Ok(()) => deleted += 1,
                            Err(e) => {
                                tracing::warn!(error = ?e, key, "could not delete a copy a tier move left; retrying later");
                                failed = true;
                            }
                        }
                    }
                }
                if !failed {
                    tiers::replace_pending(&mut conn, &pending.id, &pending.stored, &left).await?;
                }
            }
            if !full {
                break;
            }
        }
        Ok(deleted)
    }

    /// Read sets and bytes per tier of every store (of `account` only when given).
    pub async fn tier_usage(&self, account: Option<&str>) -> Result<Vec<tiers::Usage>, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(tiers::usage(&mut conn, account).await?)
    }
}

/// An archive job of `store` (internal) with one source per read set of `ids`.
async fn insert_archive_job(
    conn: &mut sqlx::AnyConnection,
    account: &str,
    store: &str,
    ids: &[String],
) -> Result<Job, Error> {
    let specs = ids.iter().map(|id| JobSpec::Archive(ArchiveSource { read_set_id: id.clone() })).collect();
    Ok(super::jobs::insert_internal(conn, JobKind::Archive, (account, store), specs).await?)
}
