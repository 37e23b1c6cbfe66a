//! The job engine: the use cases the workers call (resume this node's leases, sweep orphan
//! objects, claim a source, run the claimed attempt to its end) and the one skeleton every kind of
//! job runs in ([`skeleton`]); each kind is one type in `engine/kinds/` ([`kind::Kind`]).
//!
//! Interruption: an attempt may be stopped at any point (shutdown, crash, SIGKILL). Nothing is
//! visible before the settlement transaction, which is checked against the lease generation; an
//! interrupted source is claimed again (at once by a restarted node that held it, by others once
//! its lease expires) and restarts from the beginning; its partial objects are deleted by the
//! attempt itself or by the next start-up sweep.
//!
//! Lock order: every transaction that changes a job's sources locks the job row before the source
//! rows — claims and source settlements with a lock they share (PostgreSQL `FOR KEY SHARE`, see
//! [`db::import_jobs::settle_source`]), so a job's sources are claimed and settled side by
//! side; a cancellation, a node expiring its own leases and the job's own settlement with the
//! exclusive [`db::import_jobs::lock_job`], which waits for those and they for it. A settlement
//! writes what its kind commits (a new read set and its count's row, tags, a read set's tier)
//! first and takes the job row after them. The transactions that lock a job row exclusively never
//! wait for rows a settlement holds: a cancellation touches the job's and its sources' rows and
//! the read sets of sources not started, which no attempt holds; a job's settlement reads its
//! sources and writes the job. A source's settlement does not settle its job: after its commit,
//! the settler settles the job if no source is left ([`Service::settle_job_if_done`]). A
//! settlement may claim its worker's next source in its own transaction: on PostgreSQL only a
//! source of the same job, whose shared lock it holds, and only one no other claim has locked
//! (`SKIP LOCKED`), so it never waits for a source row while it holds one
//! ([`db::import_jobs::claim_in_job`]).

mod copy_out;
mod fallback;
mod kind;
mod kinds;
mod lease;
mod read_set_scan;
mod skeleton;
mod sources;
mod sweep;
pub(super) mod tee;
mod tier_copy;

use std::time::Duration;

use seqstore_formats::limits::Limits as ScanLimits;

use super::{Error, Service};
use crate::config::Config;
use crate::db::{self, import_jobs};
use crate::model::job::Claim;
use crate::model::time;

/// What the engine needs to run attempts on this node.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lease owner name of this process.
    pub node_id: String,
    /// Lease length.
    pub lease: Duration,
    /// Read throttle in bytes per second (0 = off).
    pub throttle_bytes_per_sec: u64,
    /// Part size recorded for stored files.
    pub part_size: u64,
    /// An upload idle for this long is aborted.
    pub upload_idle: Duration,
    /// What the scanners accept from a file's declared sizes (`[limits]`).
    pub scan_limits: ScanLimits,
    /// Collect QC statistics during imports (`[qc] enabled`).
    pub qc: bool,
}

impl Settings {
    /// Settings from the configuration, with this node's id.
    pub fn new(node_id: String, config: &Config) -> Self {
        Self {
            node_id,
            lease: Duration::from_secs(config.worker.lease_seconds),
            throttle_bytes_per_sec: config.worker.throttle_bytes_per_sec,
            part_size: config.storage.part_size,
            upload_idle: Duration::from_secs(config.uploads.abandon_after_seconds),
            scan_limits: config.limits.scan_limits(),
            qc: config.qc.enabled,
        }
    }
}

/// What an attempt holds while it works: one of the `worker.count` permits of this node (what
/// bounds the CPU and memory of attempts running at once), released before its settlement.
pub type Slot = Option<tokio::sync::OwnedSemaphorePermit>;

/// The node's `worker.count` attempt slots, of which each [`Slot`] is one.
pub type Slots = std::sync::Arc<tokio::sync::Semaphore>;

/// A source a settlement claimed for its worker's next attempt ([`Service::run_claim`]), with
/// the attempt slot it was claimed with (a settlement claims only with a free slot in hand, so a
/// node never holds a claim it cannot start at once).
#[derive(Debug)]
pub struct NextClaim {
    /// The claimed source.
    pub claim: Claim,
    /// The slot its attempt runs in.
    pub slot: tokio::sync::OwnedSemaphorePermit,
}

/// How an attempt ended, for the worker's log and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The source is FINISHED: `bytes` read, `records` found.
    Finished {
        /// Raw bytes read.
        bytes: u64,
        /// Records found (0 where a kind counts none).
        records: u64,
    },
    /// The source is FAILED with this message.
    Failed(String),
    /// Nothing was settled: the lease was lost, or the database failed (the source is claimed again
    /// once its lease expires).
    Unsettled,
}

impl Service {
    /// Makes the leases this node held before a restart claimable at once; returns how many.
    pub async fn resume_leases_of(&self, node_id: &str) -> Result<u64, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        Ok(import_jobs::expire_leases_of(&mut conn, node_id).await?)
    }

    /// Deletes stored objects that no committed resource and no live lease owns (see [`sweep`]).
    /// Safe with other processes running.
    pub async fn sweep_orphan_objects(&self) -> Result<(), Error> {
        Ok(sweep::run(self).await?)
    }

    /// Settles job `job_id` once its sources are all settled ([`import_jobs::all_settled`], then
    /// [`import_jobs::settle_job_if_done`] in a transaction of its own); called after each source's
    /// settlement commits. A failure is logged, not returned: the source's settlement stands, and
    /// [`Service::settle_done_jobs`] settles the job later.
    pub(super) async fn settle_job_if_done(&self, job_id: &str) {
        let settled = async {
            let mut conn = self.db.pool().acquire().await?;
            if !import_jobs::all_settled(&mut conn, job_id).await? {
                return Ok(());
            }
            drop(conn);
            let mut tx = self.db.begin().await?;
            import_jobs::settle_job_if_done(&mut tx, self.db.backend(), job_id, time::now()).await?;
            tx.commit().await?;
            Ok::<_, db::Error>(())
        };
        if let Err(e) = settled.await {
            tracing::warn!(error = ?e, job = job_id, "could not settle a job whose sources are settled; retried within a minute");
        }
    }

    /// Settles every job whose sources are all settled but which is not ended (a server stopped
    /// between a last source's commit and its job's settlement); returns how many were found.
    /// Run at start-up and once a minute.
    pub async fn settle_done_jobs(&self) -> Result<usize, Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let jobs = import_jobs::unsettled_done_jobs(&mut conn).await?;
        drop(conn);
        for job in &jobs {
            let mut tx = self.db.begin().await?;
            import_jobs::settle_job_if_done(&mut tx, self.db.backend(), job, time::now()).await?;
            tx.commit().await.map_err(db::Error::from)?;
        }
        Ok(jobs.len())
    }

    /// Claims the oldest claimable source for `settings.node_id` under a lease of
    /// `settings.lease`, or `None` when there is none.
    pub async fn claim_source(&self, settings: &Settings) -> Result<Option<Claim>, Error> {
        let mut tx = self.db.begin().await?;
        let claim = self.claim_in(&mut tx, settings, time::now()).await?;
        tx.commit().await.map_err(db::Error::from)?;
        Ok(claim)
    }

    /// Claims as [`Service::claim_source`] does, at `now`, inside `tx`.
    async fn claim_in(
        &self,
        tx: &mut db::Tx,
        settings: &Settings,
        now: time::Millis,
    ) -> Result<Option<Claim>, db::Error> {
        let expires = now + settings.lease.as_millis() as i64;
        import_jobs::claim(tx, self.db.backend(), &settings.node_id, now, expires).await
    }

    /// Claims a source of job `job_id` only, at `now`, inside `tx`, which holds the job's shared
    /// lock (a settlement of another of its sources, see [`import_jobs::claim_in_job`]).
    async fn claim_in_job(
        &self,
        tx: &mut db::Tx,
        settings: &Settings,
        job_id: &str,
        now: time::Millis,
    ) -> Result<Option<Claim>, db::Error> {
        let expires = now + settings.lease.as_millis() as i64;
        import_jobs::claim_in_job(tx, self.db.backend(), job_id, &settings.node_id, now, expires).await
    }

    /// Runs the attempt of `claim` to its end: deletes what an interrupted earlier attempt wrote,
    /// attempts the work item under a renewed lease, and commits or fails it (settling the job
    /// once its last source settles). Never panics on bad input; a lost lease or a database
    /// failure leaves the source to be claimed again. Dropping the future stops the attempt.
    ///
    /// With `slots` (the node's attempt slots), the settlement also claims this node's next
    /// source in its own transaction when one of them is free at that moment (see
    /// [`skeleton`]'s `Next`), returned with that slot beside how the attempt ended: the caller
    /// runs it next in that slot, as if [`Service::claim_source`] had returned it (its lease runs
    /// from the settlement). `None` means: claim as usual.
    ///
    /// `slot` (one of the node's attempt slots, see [`Slot`]) is released once the attempt's work
    /// has ended, before its settlement: the worker's next attempt may start while this one's
    /// settlement waits for the database.
    pub async fn run_claim(
        &self,
        settings: &Settings,
        claim: &Claim,
        slots: Option<&Slots>,
        slot: Slot,
    ) -> (Ended, Option<NextClaim>) {
        kinds::run(self, settings, claim, slots, slot).await
    }

    /// Whether this node's writes wait for one another (SQLite's one write lock): then one worker
    /// loop per attempt slot is enough, where on PostgreSQL a loop's settlement waits for the
    /// database while another loop runs an attempt in the slot it released.
    pub fn writes_one_at_a_time(&self) -> bool {
        self.db.backend() == db::Backend::Sqlite
    }
}
