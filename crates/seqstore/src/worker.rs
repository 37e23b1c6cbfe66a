//! Import workers: each claims one source at a time under a lease, imports it, and commits or
//! fails it. A start-up step resumes this node's interrupted sources and sweeps orphan objects.
//!
//! Interruption: a worker may be stopped at any point (shutdown, crash, SIGKILL). Nothing is
//! visible before the commit transaction, which is checked against the lease generation; an
//! interrupted source is claimed again (at once by a restarted node that held it, by others once
//! its lease expires) and restarts from the beginning; its partial objects are deleted by the
//! attempt itself or by the next start-up sweep.

mod aligned;
pub(crate) mod common;
mod import;
mod lease;
mod reference_import;
mod report;
mod sweep;
mod tee;
mod upload;

use std::path::Path;
use std::time::Duration;

use seqstore_formats::limits::Limits as ScanLimits;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::config::Config;
use crate::db::{self, import_jobs};
use crate::model::import::JobKind;
use crate::model::time;
use crate::service::Service;

/// Everything a worker needs.
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
        }
    }
}

/// The running workers of this process.
pub struct Workers {
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
}

/// The id of this node: kept in `{data_dir}/node-id` so that a restarted process recognises, and
/// resumes at once, the leases its previous instance held.
pub fn node_id(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            std::fs::create_dir_all(data_dir)?;
            let id = uuid::Uuid::new_v4().to_string();
            std::fs::write(&path, &id)?;
            Ok(id)
        }
    }
}

/// Prepares this node (expires its own previous leases, sweeps orphan objects) and starts
/// `count` workers.
pub async fn start(service: Service, settings: Settings, count: usize) -> Result<Workers, db::Error> {
    let mut conn = service.db().pool().acquire().await?;
    let resumed = import_jobs::expire_leases_of(&mut conn, &settings.node_id).await?;
    drop(conn);
    if resumed > 0 {
        tracing::info!(resumed, "resuming sources interrupted by this node's previous run");
    }
    sweep::run(&service).await?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    for n in 0..count {
        tasks.spawn(work(service.clone(), settings.clone(), stopped.clone(), n));
    }
    // Checked ten times per idle period, at most once a minute.
    let every = (settings.upload_idle / 10).min(Duration::from_secs(60));
    tasks.spawn(sweep::abandoned_uploads(service.clone(), settings.upload_idle, every, stopped.clone()));
    Ok(Workers { tasks, stop })
}

impl Workers {
    /// Stops claiming, cancels imports in progress (they restart from the beginning later) and
    /// waits for the workers to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn work(service: Service, settings: Settings, mut stopped: watch::Receiver<bool>, n: usize) {
    let poll = Duration::from_secs(1);
    while !*stopped.borrow() {
        let claimed = claim(&service, &settings).await;
        match claimed {
            Ok(Some(claim)) => {
                report::claimed(&service, &claim, n);
                if let Some(previous) = &claim.previous {
                    let dir = match claim.kind {
                        JobKind::ReadSet | JobKind::Upload => crate::storage::data::READ_SETS,
                        JobKind::Reference => crate::storage::data::REFERENCES,
                    };
                    if let Err(e) = service.data().delete_dir(&claim.store_id, dir, previous).await {
                        tracing::warn!(error = ?e, previous, "objects of an interrupted attempt remain; the sweep will");
                    }
                }
                // Everything the attempt logs carries its job and source.
                let span = tracing::info_span!("attempt", job = %claim.job_id, source = claim.index);
                let attempt = async {
                    match claim.kind {
                        JobKind::ReadSet | JobKind::Upload => import::run(&service, &settings, claim).await,
                        JobKind::Reference => reference_import::run(&service, &settings, claim).await,
                    }
                }
                .instrument(span);
                let stop = tokio::select! {
                    () = attempt => false,
                    _ = stopped.changed() => true,
                };
                report::ended(&service);
                if stop {
                    break;
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = service.wake().notified() => {}
                    () = tokio::time::sleep(poll) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(e) => {
                tracing::error!(error = ?e, "claiming a source failed; retrying");
                tokio::time::sleep(poll).await;
            }
        }
    }
}

async fn claim(service: &Service, settings: &Settings) -> Result<Option<import_jobs::Claim>, db::Error> {
    let now = time::now();
    let expires = now + settings.lease.as_millis() as i64;
    let mut tx = service.db().begin().await?;
    let claim = import_jobs::claim(&mut tx, service.db().backend(), &settings.node_id, now, expires).await?;
    tx.commit().await?;
    Ok(claim)
}
