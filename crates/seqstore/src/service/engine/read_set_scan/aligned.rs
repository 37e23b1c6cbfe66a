//! One attempt at an aligned source (BAM, uBAM, CRAM): one file, teed into storage and the
//! format's scanner (CRAM decoded against the stored reference, one whole sequence at a time),
//! with the index (BAI/CSI/CRAI) built in the same pass and stored as the read set's INDEX, named
//! after source1 with the extension of the index built (`.bai`, `.csi` or `.crai`).

use std::sync::Arc;

use seqstore_formats::alignment::{ReferenceSequence, Summary};
use seqstore_formats::digest::Algorithm;
use seqstore_formats::limits::{Limit, Limits};
use seqstore_formats::{bam, cram};
use tokio::runtime::Handle;
use tokio_util::task::AbortOnDropHandle;

use super::super::kind::{Attempt, Outcome};
use super::super::sources::{open_spec, status_message, storage_failed, tee_failed};
use super::super::tee::{self, TeeError};
use crate::config::LimitsConfig;
use crate::model::import::{FileType, SourceSpec};
use crate::model::read_set::{Alignment, AlignmentStatistics, ETag, Files, ReadSet, StoredFile, names};
use crate::model::reference::Reference;
use crate::model::sequence_store::{ETagAlgorithmFamily, SequenceStore};
use crate::model::upload::UploadedParts;
use crate::service::{Caller, Service};
use crate::storage::objects::{DataStore, WriteOptions};

/// Imports one BAM, uBAM or CRAM source (the upload's stored `parts` when given) into `store`,
/// whose ETag family, encryption and propagated tags apply.
pub(super) async fn attempt(
    at: &Attempt<'_>,
    spec: &SourceSpec,
    parts: Option<&UploadedParts>,
    store: &SequenceStore,
) -> Result<super::ScannedSet, Outcome> {
    let (service, settings, claim, progress) = (at.service, at.settings, at.claim, &at.progress);
    let family = store.etag_family;
    let options = WriteOptions::read_set(store, &spec.tags);
    let reference = match &spec.reference_arn {
        Some(arn) => {
            let caller = Caller { account: claim.account.clone() };
            let found = service.reference_by_arn(&caller, arn).await;
            Some(found.map_err(|_| Outcome::Failed(format!("referenceArn {arn} no longer names a reference")))?)
        }
        None => None,
    };
    let mut opened = open_spec(at, spec, parts, false).await?;
    let source = opened.remove(0);
    let key = DataStore::read_set_key(&claim.store_id, &claim.object_dir(), "source1");
    let writer = service.data.writer(&key, &options).await.map_err(|e| storage_failed("source1", &e))?;
    let (tx, reader) = tee::channel();
    let throttle = settings.throttle_bytes_per_sec;
    let tee = AbortOnDropHandle::new(tokio::spawn(tee::run(source.stream, writer, tx, Arc::clone(progress), throttle)));
    let algorithm = match family {
        ETagAlgorithmFamily::Md5Up => Algorithm::Md5,
        ETagAlgorithmFamily::Sha256Up => Algorithm::Sha256,
        ETagAlgorithmFamily::Sha512Up => Algorithm::Sha512,
    };
    let file_type = spec.file_type;
    let stored_reference = reference.clone().map(|r| StoredReference {
        service: service.clone(),
        reference: r,
        handle: Handle::current(),
    });
    // samtools names CRAM records stored without a name after the file it opened.
    let name_prefix = spec.source1.rsplit('/').next().unwrap_or_default().to_owned();
    let (limits, qc) = (settings.scan_limits, settings.qc);
    let scanner = tokio::task::spawn_blocking(move || {
        scan(file_type, reader, algorithm, stored_reference, Naming { name_prefix, limits, qc })
    });
    let tee_result = tee.await.unwrap_or_else(|e| Err(TeeError::Read { offset: 0, source: std::io::Error::other(e) }));
    let scan = scanner.await.map_err(|e| Outcome::Failed(format!("the scanner stopped unexpectedly: {e}")))?;
    if progress.lease_lost() {
        return Err(Outcome::Abandoned);
    }
    if let Some(outcome) = tee_result.err().and_then(|e| tee_failed("source1", &e)) {
        return Err(outcome);
    }
    let mut scanned = scan.map_err(Outcome::Failed)?;
    let part = settings.part_size;
    let (name, _) = super::source_names(at, spec, parts.is_none(), (file_type.extension(true), None));
    let index = match (&scanned.index, file_type.index_name()) {
        (Some((kind, bytes)), Some(object)) => {
            let index_key = DataStore::read_set_key(&claim.store_id, &claim.object_dir(), object);
            service.data.put(&index_key, bytes.clone(), &options).await.map_err(|e| storage_failed(object, &e))?;
            let file = tee::in_memory(index_key.to_string(), bytes, part);
            Some(file.named(names::index_name(&name, kind.extension())))
        }
        _ => None,
    };
    let (sha256, md5) = (scanned.stored_sha256.clone(), scanned.stored_md5.clone());
    let source1 = StoredFile::new(key.to_string(), scanned.stored_bytes, part, sha256, md5);
    let source1 = source1.named(name);
    let mut set = super::imported(at, spec);
    set.status_message = (index.is_none() && file_type.expects_index()).then(|| match &scanned.unindexed {
        // Within the model's 127 characters and P_TEXT: the read name can be long, and any bytes.
        Some(why) => status_message(&format!("imported without index: {why}")),
        None => "imported without index: the file is not coordinate-sorted (SO:coordinate)".to_owned(),
    });
    set.total_read_count = scanned.records;
    set.total_base_count = scanned.bases;
    set.alignment = Alignment::of(scanned.aligned);
    set.etag = ETag { algorithm: file_type.etag_algorithm(family), source1: scanned.etag.clone(), source2: None };
    set.files = Files { source1: Some(source1), source2: None, index };
    set.statistics = Some(statistics(&scanned.statistics));
    let qc = scanned.qc.take().map(|qc| qc.report());
    super::ScannedSet::new(set, qc)
}

/// The statistics of stored read set `set` (BAM, uBAM or CRAM, its reference read as an import
/// reads it) from `reader` over its source1: `Err` with the scanner's message when the file does
/// not scan (it did when imported: storage changed under it, or a reference went missing).
pub(super) async fn qc_of_stored(
    at: &Attempt<'_>,
    set: &ReadSet,
    reader: tee::ChannelReader,
) -> Result<Result<Summary, String>, Outcome> {
    let service = at.service;
    let reference = match &set.reference_arn {
        Some(arn) => {
            let caller = Caller { account: set.account.clone() };
            match service.reference_by_arn(&caller, arn).await {
                Ok(reference) => Some(reference),
                Err(_) => return Ok(Err(format!("referenceArn {arn} no longer names a reference"))),
            }
        }
        None => None,
    };
    let stored_reference =
        reference.map(|reference| StoredReference { service: service.clone(), reference, handle: Handle::current() });
    let file_type = set.file_type;
    let naming = Naming { name_prefix: format!("{}.cram", set.id), limits: at.settings.scan_limits, qc: true };
    let scanner =
        tokio::task::spawn_blocking(move || scan(file_type, reader, Algorithm::Md5, stored_reference, naming));
    scanner.await.map_err(|e| Outcome::Failed(format!("the scanner stopped unexpectedly: {e}")))
}

/// How records are named, what the scanner accepts and whether it collects QC statistics (see
/// [`cram::Options`]).
struct Naming {
    name_prefix: String,
    limits: Limits,
    qc: bool,
}

/// Runs the scanner of `file_type` on a blocking thread; the error is the user-facing message.
fn scan(
    file_type: FileType,
    reader: tee::ChannelReader,
    algorithm: Algorithm,
    reference: Option<StoredReference>,
    Naming { name_prefix, limits, qc }: Naming,
) -> Result<Summary, String> {
    let sequences = reference.as_ref().map(|r| reference_sequences(&r.reference));
    match file_type {
        FileType::Cram => {
            let reference = reference.ok_or("sources.referenceArn is required for CRAM")?;
            let options =
                cram::Options { algorithm, reference: sequences.unwrap_or_default(), name_prefix, limits, qc };
            cram::scan(reader, &reference, &options).map_err(|e| refusal(&e, e.limit()))
        }
        FileType::Bam | FileType::Ubam | FileType::Fastq => {
            let unaligned_only = file_type.unaligned_only();
            let options = bam::Options { algorithm, unaligned_only, reference: sequences, limits, qc };
            bam::scan(reader, &options).map_err(|e| refusal(&e, e.limit()))
        }
    }
}

/// The sequences of a stored reference, as either scanner checks an alignment's `@SQ` lines
/// against them.
fn reference_sequences(reference: &Reference) -> Vec<ReferenceSequence> {
    let sequences = reference.sequences.iter();
    sequences.map(|s| ReferenceSequence { name: s.name.clone(), length: s.length, md5: s.md5.clone() }).collect()
}

/// The message of a scanner's `error`; when the file went beyond one of the scan `limit`s, it names
/// the key that raises it.
fn refusal(error: &dyn std::error::Error, limit: Option<Limit>) -> String {
    match limit {
        Some(limit) => format!(
            "{error} ({}); raise it in the server's configuration if the file is genuine",
            LimitsConfig::scan_limit_key(limit)
        ),
        None => error.to_string(),
    }
}

/// The model's copy of the flagstat counts both scanners produce.
fn statistics(s: &bam::AlignmentStatistics) -> AlignmentStatistics {
    AlignmentStatistics {
        primary: s.primary,
        secondary: s.secondary,
        supplementary: s.supplementary,
        mapped: s.mapped,
        paired: s.paired,
        properly_paired: s.properly_paired,
        duplicates: s.duplicates,
    }
}

/// Whole reference sequences for the CRAM decoder, read through the reference API (upper-cased,
/// as CRAM and its M5 checksums expect). Used on a blocking thread.
struct StoredReference {
    service: Service,
    reference: Reference,
    handle: Handle,
}

impl cram::ReferenceSource for StoredReference {
    fn sequence(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(sequence) = self.reference.sequences.iter().find(|s| s.name == name) else { return Ok(None) };
        let read = self.handle.block_on(self.service.reference_bases(&self.reference, name, 0, sequence.length));
        let mut bases = read.map_err(std::io::Error::other)?.bases;
        bases.make_ascii_uppercase();
        Ok(Some(bases))
    }
}
