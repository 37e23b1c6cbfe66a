//! Reference import: each source is a FASTA file (plain, gzip or BGZF) read through the job's
//! role, teed into storage and the scanner (plus, for plain gzip, a BGZF copy for random access);
//! its `.fai`/`.gzi` are stored beside it; a finished source commits a new reference with its tags.

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use object_store::WriteMultipart;
use seqstore_formats::digest::{Algorithm, Digest};
use seqstore_formats::fasta;
use seqstore_formats::sniff::Compression;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use super::super::kind::{Attempt, Kind, Outcome, RunsAs};
use super::super::sources::{open_all, storage_failed, tee_failed};
use super::super::tee::{self, TeeError};
use crate::db::{self, reference_sequences, reference_stores, references};
use crate::model::arn::{Arn, Resource};
use crate::model::read_set::StoredFile;
use crate::model::reference::{Reference, ReferenceFiles, ReferenceSourceSpec, Sequence};
use crate::model::time;
use crate::storage::objects::{DataStore, REFERENCES, WriteOptions};
use crate::storage::source::Opened;

/// The reference import kind.
pub(in crate::service::engine) struct ReferenceImport;

impl RunsAs for ReferenceSourceSpec {
    type Kind = ReferenceImport;
}

impl Kind for ReferenceImport {
    type Spec = ReferenceSourceSpec;
    type Output = Reference;
    type Kept = ();
    const OBJECTS: Option<&'static str> = Some(REFERENCES);

    async fn attempt(at: &Attempt<'_>, spec: &ReferenceSourceSpec) -> Result<Reference, Outcome> {
        let (service, claim) = (at.service, at.claim);
        let store = async {
            let mut conn = service.db.pool().acquire().await?;
            reference_stores::get(&mut conn, &claim.account, &claim.store_id).await
        }
        .await
        .map_err(|e: db::Error| {
            tracing::error!(error = ?e, "database failure during reference import");
            Outcome::Abandoned
        })?;
        let store = store.ok_or_else(|| Outcome::Failed("the reference store no longer exists".into()))?;
        let options = WriteOptions::encrypted(store.sse.as_ref());
        let mut opened = open_all(at, &[("sourceFile", spec.source_file.clone())]).await?;
        let transferred = transfer(at, &options, opened.remove(0)).await?;
        finish(at, &options, spec, transferred).await
    }

    fn records(_: &Reference) -> u64 {
        0
    }

    /// Inserts the reference, its sequences' digests (`reference_sequences`) and its tags.
    async fn commit(
        at: &Attempt<'_>,
        tx: &mut db::Tx,
        spec: &ReferenceSourceSpec,
        reference: Reference,
    ) -> Result<Option<String>, db::Error> {
        references::insert(tx, &reference).await?;
        reference_sequences::insert_of(tx, &reference).await?;
        let resource = Resource::Reference { store: reference.store_id.clone(), id: reference.id.clone() };
        let arn = Arn::new(at.service.region(), &reference.account, resource).to_string();
        db::tags::put(tx, &arn, &spec.tags).await?;
        Ok(None)
    }
}

type Transferred = (fasta::Summary, StoredFile, Option<StoredFile>);

/// Streams the source once into storage (written with `options`) and the scanner, with the BGZF
/// copy of a plain gzip source beside it.
async fn transfer(at: &Attempt<'_>, options: &WriteOptions, source: Opened) -> Result<Transferred, Outcome> {
    let (data, settings, claim, progress) = (&at.service.data, at.settings, at.claim, &at.progress);
    let key = DataStore::reference_key(&claim.store_id, &claim.output_id, "source");
    let writer = data.writer(&key, options).await.map_err(|e| storage_failed("sourceFile", &e))?;
    let copy_key = DataStore::reference_key(&claim.store_id, &claim.output_id, "source.bgz");
    let copy_writer = data.writer(&copy_key, options).await.map_err(|e| storage_failed("the BGZF copy", &e))?;
    let (tx, reader) = tee::channel();
    let throttle = settings.throttle_bytes_per_sec;
    let tee = AbortOnDropHandle::new(tokio::spawn(tee::run(source.stream, writer, tx, Arc::clone(progress), throttle)));
    let (copy_tx, copy_rx) = mpsc::channel::<Bytes>(16);
    let copy = AbortOnDropHandle::new(tokio::spawn(drain(copy_rx, copy_writer)));
    let scanner = tokio::task::spawn_blocking(move || {
        let mut sink = ChannelWriter(copy_tx);
        fasta::scan(reader, Some(&mut sink as &mut dyn Write))
    });
    let tee_result = tee.await.unwrap_or_else(|e| Err(TeeError::Read { offset: 0, source: std::io::Error::other(e) }));
    let scan = scanner.await.map_err(|e| Outcome::Failed(format!("the FASTA scanner stopped unexpectedly: {e}")))?;
    let copied = copy.await.unwrap_or_else(|e| Err(object_store::Error::JoinError { source: e }));
    if let Some(outcome) = tee_result.err().and_then(|e| tee_failed("sourceFile", &e)) {
        return Err(outcome);
    }
    let summary = scan.map_err(|e| Outcome::Failed(e.to_string()))?;
    let copied = copied.map_err(|e| storage_failed("the BGZF copy", &e))?;
    let part = settings.part_size;
    let (sha256, md5) = (summary.stored_sha256.clone(), summary.stored_md5.clone());
    let source_file = StoredFile::new(key.to_string(), summary.stored_bytes, part, sha256, md5);
    let bgzf = copied.map(|(bytes, sha256, md5)| StoredFile::new(copy_key.to_string(), bytes, part, sha256, md5));
    Ok((summary, source_file, bgzf))
}

/// Writes the BGZF copy the scanner produces and returns its size, SHA-256 and MD5; aborts (stores
/// nothing) when it produced nothing.
async fn drain(
    mut rx: mpsc::Receiver<Bytes>,
    mut writer: WriteMultipart,
) -> Result<Option<(u64, String, String)>, object_store::Error> {
    let mut written = 0u64;
    let (mut sha256, mut md5) = (Digest::new(Algorithm::Sha256), Digest::new(Algorithm::Md5));
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = writer.wait_for_capacity(4).await {
            let _ = writer.abort().await;
            return Err(e);
        }
        written += chunk.len() as u64;
        sha256.update(&chunk);
        md5.update(&chunk);
        writer.put(chunk);
    }
    if written == 0 {
        writer.abort().await?;
        return Ok(None);
    }
    writer.finish().await?;
    Ok(Some((written, sha256.finalize_hex(), md5.finalize_hex())))
}

/// A [`Write`] that hands its bytes to an async task; for the blocking scanner.
struct ChannelWriter(mpsc::Sender<Bytes>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| std::io::Error::other("BGZF copy writer stopped"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stores the `.fai` and `.gzi` (written with `options`) and builds the reference.
async fn finish(
    at: &Attempt<'_>,
    options: &WriteOptions,
    spec: &ReferenceSourceSpec,
    (summary, source, bgzf): Transferred,
) -> Result<Reference, Outcome> {
    let (data, settings, claim) = (&at.service.data, at.settings, at.claim);
    let small = |name: &str, bytes: &[u8]| {
        let key = DataStore::reference_key(&claim.store_id, &claim.output_id, name);
        (key.clone(), tee::in_memory(key.to_string(), bytes, settings.part_size))
    };
    let (fai_key, index) = small("source.fai", &summary.fai);
    data.put(&fai_key, summary.fai.clone(), options).await.map_err(|e| storage_failed("the .fai index", &e))?;
    let gzi = match &summary.gzi {
        Some(bytes) => {
            let (key, file) = small("source.gzi", bytes);
            data.put(&key, bytes.clone(), options).await.map_err(|e| storage_failed("the .gzi index", &e))?;
            Some(file)
        }
        None => None,
    };
    let compression = match summary.compression {
        Compression::Plain => "PLAIN",
        Compression::Gzip => "GZIP",
        Compression::Bgzf => "BGZF",
    };
    let now = time::now();
    Ok(Reference {
        id: claim.output_id.clone(),
        account: claim.account.clone(),
        store_id: claim.store_id.clone(),
        name: spec.name.clone(),
        description: spec.description.clone(),
        md5: summary.md5.clone(),
        creation_job_id: Some(claim.job_id.clone()),
        creation_time: now,
        update_time: now,
        compression: compression.into(),
        sequences: summary
            .sequences
            .iter()
            .map(|s| Sequence {
                name: s.name.clone(),
                length: s.length,
                md5: s.md5.clone(),
                refget: Some(s.refget.clone()),
                offset: s.offset,
                line_bases: s.line_bases,
                line_width: s.line_width,
            })
            .collect(),
        files: ReferenceFiles { source: Some(source), index: Some(index), bgzf, gzi },
    })
}
