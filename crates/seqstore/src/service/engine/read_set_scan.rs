//! The attempt of the kinds that make a read set (imports and direct uploads): open source1 (and
//! source2), tee them into storage and the format's scanner (FASTQ here, BAM/uBAM/CRAM in
//! [`aligned`]), and build the read set.

mod aligned;
mod stored;

pub(super) use stored::qc_of_stored;

use std::sync::Arc;

use seqstore_formats::digest::Algorithm;
use seqstore_formats::fastq;
use seqstore_formats::sniff::Compression;
use tokio::task::JoinHandle;
use tokio_util::task::AbortOnDropHandle;

use super::kind::{Attempt, Outcome};
use super::sources::{open_spec, storage_failed, tee_failed};
use super::tee::{self, ChannelReader, TeeError};
use crate::db::{self, read_sets, sequence_stores};
use crate::model::import::SourceSpec;
use crate::model::qc::{QcFigures, QcReport};
use crate::model::read_set::{Alignment, Creation, CreationType, ETag, Files, ReadSet, StoredFile, names};
use crate::model::sequence_store::ETagAlgorithmFamily;
use crate::model::time;
use crate::model::upload::UploadedParts;
use crate::storage::objects::{DataStore, WriteOptions};
use crate::storage::source::Opened;

/// A read set a scan made, with the statistics collected in the same pass (`None` with
/// `[qc] enabled = false`), encoded for their row before the commit's transaction.
pub(super) struct ScannedSet {
    pub(super) set: ReadSet,
    qc: Option<db::qc::Prepared>,
}

impl ScannedSet {
    /// `set` with its statistics `report`, encoded now (outside the transaction that commits them).
    pub(super) fn new(set: ReadSet, report: Option<QcReport>) -> Result<Self, Outcome> {
        let qc = report.map(|report| encode_qc(&set, &report)).transpose()?;
        Ok(Self { set, qc })
    }

    /// Records the statistics of the read set (committed by `tx` with it).
    pub(super) async fn commit_qc(&self, tx: &mut db::Tx) -> Result<(), db::Error> {
        let Some(prepared) = &self.qc else { return Ok(()) };
        let set = &self.set;
        db::qc::put(tx, (&set.account, &set.store_id, &set.id), time::now(), db::qc::Outcome::Report(prepared)).await
    }
}

/// `report` of `set` with its figures, encoded for its row before the transaction that stores it;
/// a report that cannot be encoded fails the source.
pub(super) fn encode_qc(set: &ReadSet, report: &QcReport) -> Result<db::qc::Prepared, Outcome> {
    let figures = QcFigures::of(report, set.alignment == Alignment::Aligned);
    db::qc::Prepared::new(report, figures).map_err(|e| {
        tracing::error!(error = ?e, "could not encode the QC statistics");
        Outcome::Failed(format!("could not encode the QC statistics of the read set: {e}"))
    })
}

/// What a successful scan produced for one file.
struct Scanned {
    file: StoredFile,
    summary: fastq::Summary,
}

/// Scans the read set of `spec` (read from the upload's stored `parts` when given) into the claim's
/// object directory; the read set is ACTIVE with what the scanner found, its files named after
/// their sources (an import) or by default (a direct upload: see [`names`]).
pub(super) async fn scan(
    at: &Attempt<'_>,
    spec: &SourceSpec,
    parts: Option<&UploadedParts>,
) -> Result<ScannedSet, Outcome> {
    let (service, claim) = (at.service, at.claim);
    let store = async {
        let mut conn = service.db.pool().acquire().await?;
        sequence_stores::get(&mut conn, &claim.account, &claim.store_id).await
    }
    .await
    .map_err(|e: db::Error| {
        tracing::error!(error = ?e, "database failure during import");
        Outcome::Abandoned
    })?;
    let store = store.ok_or_else(|| Outcome::Failed("the sequence store no longer exists".into()))?;
    if spec.file_type.is_alignment() {
        return aligned::attempt(at, spec, parts, &store).await;
    }
    let opened = open_spec(at, spec, parts, true).await?;
    let options = WriteOptions::read_set(&store, &spec.tags);
    let mut scanned = transfer(at, store.etag_family, &options, opened).await?;
    // A pair's files count as R1 and R2 of one set of statistics.
    let mut collectors = scanned.iter_mut().filter_map(|s| s.summary.qc.take());
    let qc = collectors.next().map(|mut qc| {
        collectors.for_each(|other| qc.merge(&other));
        qc.report()
    });
    ScannedSet::new(read_set(at, spec, store.etag_family, scanned, parts.is_none()), qc)
}

/// The file names of the claim's read set (see [`names`]): for an import (`from_sources`), its
/// sources' own names; for a direct upload, or an import whose names are unusable or equal, the
/// defaults, whose `extensions` are those of source1 (and source2, when there is one).
fn source_names(
    at: &Attempt<'_>,
    spec: &SourceSpec,
    from_sources: bool,
    extensions: (&str, Option<&str>),
) -> (String, Option<String>) {
    let sources = from_sources.then_some((spec.source1.as_str(), spec.source2.as_deref()));
    names::source_names(&at.claim.output_id, sources, extensions)
}

/// `same content as read set N` when another read set of the store holds the same content as
/// `set` (`read_sets::same_content`: same file type, same ETag algorithm, every file's digest
/// equal).
pub(super) async fn duplicate_note(tx: &mut db::Tx, set: &ReadSet) -> Result<Option<String>, db::Error> {
    let duplicate = read_sets::same_content(tx, set).await?;
    Ok(duplicate.map(|id| format!("same content as read set {id}")))
}

/// Streams every file once into storage (written with `options`) and the scanner; returns each
/// file's result.
async fn transfer(
    at: &Attempt<'_>,
    family: ETagAlgorithmFamily,
    options: &WriteOptions,
    opened: Vec<Opened>,
) -> Result<Vec<Scanned>, Outcome> {
    let (data, settings, claim, progress) = (&at.service.data, at.settings, at.claim, &at.progress);
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
    let scanner = spawn_scanner(readers, fastq::Options { algorithm, qc: settings.qc });
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
            file: StoredFile::new(
                key,
                summary.stored_bytes,
                settings.part_size,
                summary.stored_sha256.clone(),
                summary.stored_md5.clone(),
            ),
            summary,
        })
        .collect())
}

fn spawn_scanner(
    mut readers: Vec<ChannelReader>,
    options: fastq::Options,
) -> JoinHandle<Result<Vec<fastq::Summary>, fastq::Error>> {
    tokio::task::spawn_blocking(move || {
        let first = readers.remove(0);
        match readers.pop() {
            None => fastq::scan(fastq::Which::Source1, first, options).map(|s| vec![s]),
            Some(second) => fastq::scan_pair(first, second, options).map(|(a, b)| vec![a, b]),
        }
    })
}

/// The read set of the scanned files; `from_sources` (an import, not a direct upload) names its
/// files after their sources.
fn read_set(
    at: &Attempt<'_>,
    spec: &SourceSpec,
    family: ETagAlgorithmFamily,
    scanned: Vec<Scanned>,
    from_sources: bool,
) -> ReadSet {
    let mut scanned = scanned.into_iter();
    let first = scanned.next().expect("source1 is always scanned");
    let second = scanned.next();
    let extension = |s: &Scanned| spec.file_type.extension(s.summary.compression != Compression::Plain);
    let extensions = (extension(&first), second.as_ref().map(extension));
    let (name1, name2) = source_names(at, spec, from_sources, extensions);
    let mut set = imported(at, spec);
    set.total_read_count = first.summary.records + second.as_ref().map_or(0, |s| s.summary.records);
    set.total_base_count = first.summary.bases + second.as_ref().map_or(0, |s| s.summary.bases);
    set.etag = ETag {
        algorithm: spec.file_type.etag_algorithm(family),
        source1: first.summary.etag.clone(),
        source2: second.as_ref().map(|s| s.summary.etag.clone()),
    };
    let source2 = second.map(|s| StoredFile { name: name2, ..s.file });
    set.files = Files { source1: Some(first.file.named(name1)), source2, index: None };
    set
}

/// The read set the claim's attempt at `spec` makes (created now by its import job, ACTIVE),
/// before the scan's findings are set on it.
fn imported(at: &Attempt<'_>, spec: &SourceSpec) -> ReadSet {
    let claim = at.claim;
    let creation =
        Creation { creation_type: CreationType::Import, job_id: Some(claim.job_id.clone()), time: time::now() };
    ReadSet::new(claim.output_id.clone(), claim.account.clone(), claim.store_id.clone(), spec, creation)
}
