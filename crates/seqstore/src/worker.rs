//! Workers: each claims one source at a time through the service's job engine (or is handed the
//! next by the previous settlement, see `Service::run_claim`), runs the claimed
//! attempt there to its end, and logs and counts what happened. A start-up step resumes this
//! node's interrupted sources and sweeps orphan objects, then starts two background passes: one
//! records the MD5 of files stored without one, the other the refget identifiers (and
//! `reference_sequences` rows) of references imported without them; periodic steps abort abandoned
//! uploads, settle jobs a stop left unsettled after their last source, archive idle read sets and
//! delete the copies tier moves left behind.
//! Everything that touches the database or storage is a service use case
//! ([`crate::service::engine`]); the worker is the loop.

mod backfill;
mod report;
mod sweep;
mod tiers;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::service::engine::NextClaim;
pub use crate::service::engine::Settings;
use crate::service::{self, Service};

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

/// Prepares this node (expires its own previous leases, sweeps orphan objects) and starts the
/// worker loops over `count` attempt slots ([`SETTLING_AHEAD`]), the periodic sweeps and the MD5,
/// refget and QC backfill passes.
pub async fn start(service: Service, settings: Settings, count: usize) -> Result<Workers, service::Error> {
    let resumed = service.resume_leases_of(&settings.node_id).await?;
    if resumed > 0 {
        tracing::info!(resumed, "resuming sources interrupted by this node's previous run");
    }
    service.sweep_orphan_objects().await?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let slots = Arc::new(Semaphore::new(count));
    let loops = if service.writes_one_at_a_time() { count } else { count * SETTLING_AHEAD };
    for n in 0..loops {
        tasks.spawn(work(service.clone(), settings.clone(), Arc::clone(&slots), stopped.clone(), n));
    }
    // Checked ten times per idle period, at most once a minute.
    let every = (settings.upload_idle / 10).min(Duration::from_secs(60));
    tasks.spawn(sweep::abandoned_uploads(service.clone(), settings.upload_idle, every, stopped.clone()));
    tasks.spawn(sweep::done_jobs(service.clone(), stopped.clone()));
    tasks.spawn(backfill::stored_md5(service.clone(), stopped.clone()));
    tasks.spawn(backfill::refget(service.clone(), stopped.clone()));
    tasks.spawn(backfill::qc(service.clone(), stopped.clone()));
    let every = tiers::period(service.archive_after(), service.tier_grace());
    tasks.spawn(tiers::passes(service.clone(), every, stopped.clone()));
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

/// Worker loops per attempt slot where writers do not wait for one another (PostgreSQL): while
/// one loop's settlement waits for the database, another claims and runs an attempt in the slot
/// (#28: with one loop per slot, many tiny imports kept the two cores a third idle, each loop
/// waiting for its own round trips and commits). Claims are taken only with a slot in hand (a
/// settlement claims its loop's next source only with a free one, see `Service::run_claim`), so a
/// node never holds sources it cannot start. On SQLite, one loop per slot: every write there
/// waits for the one write lock anyway (and the settling loop's own slot is always free).
const SETTLING_AHEAD: usize = 2;

async fn work(
    service: Service,
    settings: Settings,
    slots: Arc<Semaphore>,
    mut stopped: watch::Receiver<bool>,
    n: usize,
) {
    let poll = Duration::from_secs(1);
    // A source the previous settlement claimed for this worker, with its slot (see
    // `Service::run_claim`). One still held when the worker stops is left as an interrupted
    // attempt is: this node's restart resumes it at once, another node once its lease expires.
    let mut next: Option<NextClaim> = None;
    while !*stopped.borrow() {
        let (claimed, slot) = match next.take() {
            Some(NextClaim { claim, slot }) => (Ok(Some(claim)), Some(slot)),
            None => {
                let slot = tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => slot.expect("the slots are never closed"),
                    _ = stopped.changed() => break,
                };
                (service.claim_source(&settings).await, Some(slot))
            }
        };
        match claimed {
            Ok(Some(claim)) => {
                report::claimed(&service, &claim, n);
                let started = Instant::now();
                // Everything the attempt logs carries its job and source.
                let span = tracing::info_span!("attempt", job = %claim.job_id, source = claim.index);
                let attempt = service.run_claim(&settings, &claim, Some(&slots), slot).instrument(span);
                let ended = tokio::select! {
                    ended = attempt => Some(ended),
                    _ = stopped.changed() => None,
                };
                report::ended(&service);
                match ended {
                    Some((ended, following)) => {
                        report::settled(&service, &claim, &ended, started);
                        next = following;
                    }
                    None => break,
                }
            }
            Ok(None) => {
                drop(slot);
                tokio::select! {
                    () = service.wake().notified() => {}
                    () = tokio::time::sleep(poll) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(e) => {
                drop(slot);
                tracing::error!(error = ?e, "claiming a source failed; retrying");
                tokio::time::sleep(poll).await;
            }
        }
    }
}
