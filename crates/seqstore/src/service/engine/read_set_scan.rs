//! One attempt at one claimed source: open, tee into storage and the scanner, then commit the read
//! set (or record the failure) in a transaction checked against the lease generation.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use seqstore_formats::digest::Algorithm;
use seqstore_formats::fastq;
use tokio::task::JoinHandle;
use tokio_util::task::AbortOnDropHandle;

use super::Settings;
use super::common::{Outcome, begin_settlement, duplicate_note, fail, open_spec, storage_failed, tee_failed};
use super::lease;
use super::tee::{self, ChannelReader, Progress, TeeError};
use crate::db::import_jobs::{self, Claim};
use crate::db::{self, read_sets, sequence_stores};
use crate::metrics::Settled;
use crate::model::import::{FileType, SourceSpec, SourceStatus};
use crate::model::read_set::{ETag, Files, ReadSet, StoredFile};
use crate::model::sequence_store::ETagAlgorithmFamily;
use crate::model::tags::{self, Tags};
use crate::model::time;
use crate::service::Service;
use crate::storage::data::{DataStore, WriteOptions};
use crate::storage::source::Opened;

/// What a successful scan produced for one file.
struct Scanned {
    file: StoredFile,
    summary: fastq::Summary,
}

/// Runs the attempt to its end. Never panics on bad input; errors of the database are logged and
/// leave the source to be claimed again when its lease expires.
pub async fn run(service: &Service, settings: &Settings, claim: Claim) {
    let started = std::time::Instant::now();
    let progress = Arc::new(Progress::default());
    let spec = serde_json::from_value::<SourceSpec>(claim.spec.clone());
    let result = match &spec {
        Ok(spec) => attempt(service, settings, &claim, spec, &progress).await,
        Err(e) => Err(Outcome::Failed(format!("the stored source is unreadable ({e}); submit the job again"))),
    };
    let upload = spec.as_ref().ok().and_then(|s| s.upload.as_ref());
    let tags = spec.as_ref().map(|s| s.tags.clone()).unwrap_or_default();
    let data = service.data();
    let mut outcome = None;
    let settled = match (result, upload) {
        (Ok(read_set), upload) => {
            let bytes = progress.bytes.load(Ordering::Relaxed);
            outcome = Some((Settled::Finished { bytes, records: read_set.total_read_count }, None));
            match upload {
                Some(parts) => super::upload::commit(service, &claim, read_set, parts).await,
                None => commit(service, &claim, &tags, read_set).await,
            }
        }
        (Err(Outcome::Failed(message)), upload) => {
            delete_objects(data, &claim).await;
            let settled = match upload {
                Some(parts) => super::upload::fail(service, settings, &claim, parts, &tags, &message).await,
                None => fail(service, &claim, &message).await,
            };
            outcome = Some((Settled::Failed, Some(message)));
            settled
        }
        (Err(Outcome::Abandoned), _) => {
            delete_objects(data, &claim).await;
            Ok(true)
        }
    };
    match settled {
        Ok(true) => {
            if let Some((outcome, message)) = outcome {
                super::report::settled(service, &claim, outcome, message.as_deref(), started);
            }
        }
        Ok(false) => delete_objects(data, &claim).await,
        Err(e) => tracing::error!(error = ?e, job = %claim.job_id, source = claim.index, "could not settle source"),
    }
}

async fn attempt(
    service: &Service,
    settings: &Settings,
    claim: &Claim,
    spec: &SourceSpec,
    progress: &Arc<Progress>,
) -> Result<ReadSet, Outcome> {
    let db_failed = |e: db::Error| {
        tracing::error!(error = ?e, "database failure during import");
        Outcome::Abandoned
    };
    let mut conn = service.db().pool().acquire().await.map_err(|e| db_failed(e.into()))?;
    let store = sequence_stores::get(&mut conn, &claim.account, &claim.store_id).await.map_err(db_failed)?;
    drop(conn);
    let store = store.ok_or_else(|| Outcome::Failed("the sequence store no longer exists".into()))?;
    if spec.file_type != FileType::Fastq {
        return super::aligned::attempt(service, settings, claim, spec, &store, progress).await;
    }
    let opened = open_spec(service, claim, spec, true).await?;
    let total: u64 = opened.iter().map(|o| o.size).sum();
    let keeper = AbortOnDropHandle::new(tokio::spawn(lease::keep(
        service.clone(),
        settings.clone(),
        claim.clone(),
        Arc::clone(progress),
        Some(total as i64),
    )));
    let options = WriteOptions::read_set(&store, &spec.tags);
    let scanned = transfer(service.data(), settings, claim, store.etag_family, &options, opened, progress).await;
    drop(keeper);
    if progress.lease_lost.load(Ordering::Relaxed) {
        return Err(Outcome::Abandoned);
    }
    let scanned = scanned?;
    Ok(read_set(claim, spec, store.etag_family, scanned))
}

/// Streams every file once into storage (written with `options`) and the scanner; returns each
/// file's result.
async fn transfer(
    data: &DataStore,
    settings: &Settings,
    claim: &Claim,
    family: ETagAlgorithmFamily,
    options: &WriteOptions,
    opened: Vec<Opened>,
    progress: &Arc<Progress>,
) -> Result<Vec<Scanned>, Outcome> {
    let algorithm = match family {
        ETagAlgorithmFamily::Md5Up => Algorithm::Md5,
        ETagAlgorithmFamily::Sha256Up => Algorithm::Sha256,
        ETagAlgorithmFamily::Sha512Up => Algorithm::Sha512,
    };
    let mut tees = Vec::new();
    let mut readers = Vec::new();
    let mut keys = Vec::new();
    for (i, source) in opened.into_iter().enumerate() {
        let name = if i == 0 { "source1" } else { "source2" };
        let key = DataStore::read_set_key(&claim.store_id, &claim.object_dir(), name);
        let writer = data.writer(&key, options).await.map_err(|e| storage_failed(name, &e))?;
        let (tx, reader) = tee::channel();
        let throttle = settings.throttle_bytes_per_sec;
        tees.push(AbortOnDropHandle::new(tokio::spawn(tee::run(
            source.stream,
            writer,
            tx,
            Arc::clone(progress),
            throttle,
        ))));
        readers.push(reader);
        keys.push(key.to_string());
    }
    let scanner = spawn_scanner(readers, algorithm);
    let mut tee_errors = Vec::new();
    for (i, tee) in tees.into_iter().enumerate() {
        match tee.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tee_errors.push((i, e)),
            Err(join) => tee_errors.push((i, TeeError::Read { offset: 0, source: std::io::Error::other(join) })),
        }
    }
    let scan = scanner.await.map_err(|e| Outcome::Failed(format!("the FASTQ scanner stopped unexpectedly: {e}")))?;
    for (i, error) in &tee_errors {
        let name = if *i == 0 { "source1" } else { "source2" };
        if let Some(outcome) = tee_failed(name, error) {
            return Err(outcome);
        }
    }
    let summaries = scan.map_err(|e| Outcome::Failed(e.to_string()))?;
    Ok(summaries
        .into_iter()
        .zip(keys)
        .map(|(summary, key)| Scanned {
            file: StoredFile::new(key, summary.stored_bytes, settings.part_size, summary.stored_sha256.clone()),
            summary,
        })
        .collect())
}

fn spawn_scanner(
    mut readers: Vec<ChannelReader>,
    algorithm: Algorithm,
) -> JoinHandle<Result<Vec<fastq::Summary>, fastq::Error>> {
    tokio::task::spawn_blocking(move || {
        let first = readers.remove(0);
        match readers.pop() {
            None => fastq::scan(fastq::Which::Source1, first, algorithm).map(|s| vec![s]),
            Some(second) => fastq::scan_pair(first, second, algorithm).map(|(a, b)| vec![a, b]),
        }
    })
}

fn read_set(claim: &Claim, spec: &SourceSpec, family: ETagAlgorithmFamily, scanned: Vec<Scanned>) -> ReadSet {
    let mut scanned = scanned.into_iter();
    let first = scanned.next().expect("source1 is always scanned");
    let second = scanned.next();
    let records = first.summary.records + second.as_ref().map_or(0, |s| s.summary.records);
    let bases = first.summary.bases + second.as_ref().map_or(0, |s| s.summary.bases);
    ReadSet {
        id: claim.read_set_id.clone(),
        status: "ACTIVE".into(),
        account: claim.account.clone(),
        store_id: claim.store_id.clone(),
        name: spec.name.clone(),
        description: spec.description.clone(),
        subject_id: spec.subject_id.clone(),
        sample_id: spec.sample_id.clone(),
        generated_from: spec.generated_from.clone(),
        reference_arn: spec.reference_arn.clone(),
        file_type: spec.file_type,
        creation_type: "IMPORT".into(),
        creation_job_id: Some(claim.job_id.clone()),
        creation_time: time::now(),
        total_read_count: records,
        total_base_count: bases,
        alignment: "UNALIGNED".into(),
        etag: ETag {
            algorithm: format!("FASTQ_{}", family.as_str()),
            source1: first.summary.etag.clone(),
            source2: second.as_ref().map(|s| s.summary.etag.clone()),
        },
        files: Files { source1: Some(first.file), source2: second.map(|s| s.file), index: None },
        statistics: None,
        status_message: None,
    }
}

/// Commits the read set, its tags and the FINISHED source in one transaction; false (nothing
/// written) when the lease generation moved on.
async fn commit(service: &Service, claim: &Claim, tags: &Tags, set: ReadSet) -> Result<bool, db::Error> {
    let (mut tx, now) = begin_settlement(service, claim).await?;
    let note = duplicate_note(&mut tx, &set).await?;
    if !import_jobs::settle_source(&mut tx, claim, SourceStatus::Finished, note.as_deref(), None, now).await? {
        return Ok(false);
    }
    read_sets::insert(&mut tx, &set).await?;
    let arn = service.read_set_arn(&claim.account, &claim.store_id, &set.id);
    db::tags::put(&mut tx, &arn, &tags::with_system_tags(tags, &set.sample_id, &set.subject_id)).await?;
    import_jobs::settle_job(&mut tx, &claim.job_id, now).await?;
    tx.commit().await?;
    tracing::info!(job = %claim.job_id, source = claim.index, read_set = %set.id, "read set committed");
    Ok(true)
}

pub(super) async fn delete_objects(data: &DataStore, claim: &Claim) {
    if let Err(e) = data.delete_read_set(&claim.store_id, &claim.object_dir()).await {
        tracing::warn!(error = ?e, "could not delete the objects of a failed attempt; the sweep will");
    }
}
