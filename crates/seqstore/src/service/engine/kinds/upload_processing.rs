//! How the processing of a completed direct upload ends: its read set (PROCESSING_UPLOAD since
//! completion) becomes ACTIVE with what the import pipeline computed, or UPLOAD_FAILED with the
//! message; either way the upload's rows go and its part objects are deleted — except, on
//! failure, when the store has a `fallbackLocation`: then the uploaded bytes are kept as the failed
//! read set's files, so the user can still download what they sent.

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::Settings;
use super::common::{begin_settlement, duplicate_note, status_message};
use crate::db::import_jobs::{self, Claim};
use crate::db::{self, read_sets, sequence_stores, uploads};
use crate::model::import::SourceStatus;
use crate::model::read_set::{Files, ReadSet, StoredFile};
use crate::model::tags::Tags;
use crate::model::upload::{StoredPart, UploadedParts};
use crate::service::Service;
use crate::storage::data::{self, DataStore, WriteOptions};

/// Writes in flight while parts are copied.
const COPY_CONCURRENCY: usize = 2;

/// Fills the upload's read set with `set` (ACTIVE), settles the source and job, and removes the
/// upload; false (nothing written) when the lease generation moved on.
pub(super) async fn commit(
    service: &Service,
    claim: &Claim,
    mut set: ReadSet,
    parts: &UploadedParts,
) -> Result<bool, db::Error> {
    let (mut tx, now) = begin_settlement(service, claim).await?;
    let note = duplicate_note(&mut tx, &set).await?;
    if !import_jobs::settle_source(&mut tx, claim, SourceStatus::Finished, note.as_deref(), None, now).await? {
        return Ok(false);
    }
    set.status = "ACTIVE".into();
    set.status_message = match (set.status_message.take(), note) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    if !read_sets::finish_upload(&mut tx, &set).await? {
        tracing::warn!(read_set = %set.id, "the read set of an upload vanished while its parts were processed");
    }
    uploads::delete(&mut tx, &parts.upload_id).await?;
    import_jobs::settle_job(&mut tx, &claim.job_id, now).await?;
    tx.commit().await?;
    tracing::info!(upload = %parts.upload_id, read_set = %set.id, "uploaded read set committed");
    service.delete_upload_objects(&claim.store_id, &parts.upload_id).await;
    Ok(true)
}

/// Marks the upload's read set UPLOAD_FAILED with `message`, settles the source and job, and
/// removes the upload (keeping its bytes as the read set's files, with the store's encryption and
/// the propagated ones of the read set's `tags`, when the store asks for it).
pub(super) async fn fail(
    service: &Service,
    settings: &Settings,
    claim: &Claim,
    parts: &UploadedParts,
    tags: &Tags,
    message: &str,
) -> Result<bool, db::Error> {
    let mut files = Files::default();
    if parts.keep_on_failure {
        let mut conn = service.db().pool().acquire().await?;
        let store = sequence_stores::get(&mut conn, &claim.account, &claim.store_id).await?;
        drop(conn);
        let Some(store) = store else { return Ok(false) };
        let options = WriteOptions::read_set(&store, tags);
        let data = service.data();
        let part_size = settings.part_size;
        let kept = async {
            let key = DataStore::read_set_key(&claim.store_id, &claim.object_dir(), "source1");
            files.source1 = Some(copy_parts(data, &parts.source1, &key, part_size, &options).await?);
            if !parts.source2.is_empty() {
                let key = DataStore::read_set_key(&claim.store_id, &claim.object_dir(), "source2");
                files.source2 = Some(copy_parts(data, &parts.source2, &key, part_size, &options).await?);
            }
            Ok::<_, data::Error>(())
        };
        if let Err(e) = kept.await {
            tracing::error!(error = ?e, upload = %parts.upload_id, "could not keep the parts of a failed upload");
            return Ok(false);
        }
    }
    let (mut tx, now) = begin_settlement(service, claim).await?;
    let short = status_message(message);
    if !import_jobs::settle_source(&mut tx, claim, SourceStatus::Failed, Some(&short), Some(message), now).await? {
        return Ok(false);
    }
    if let Some(mut set) = read_sets::get(&mut tx, &claim.account, &claim.store_id, &claim.read_set_id).await? {
        set.status = "UPLOAD_FAILED".into();
        set.status_message = Some(short);
        set.files = files;
        read_sets::finish_upload(&mut tx, &set).await?;
    }
    uploads::delete(&mut tx, &parts.upload_id).await?;
    import_jobs::settle_job(&mut tx, &claim.job_id, now).await?;
    tx.commit().await?;
    service.delete_upload_objects(&claim.store_id, &parts.upload_id).await;
    Ok(true)
}

/// Concatenates `parts` into the object `key`, written with `options`.
async fn copy_parts(
    data: &DataStore,
    parts: &[StoredPart],
    key: &object_store::path::Path,
    part_size: u64,
    options: &WriteOptions,
) -> Result<StoredFile, data::Error> {
    let object_err = |source| data::Error::Object { key: key.to_string(), source };
    let mut writer = data.writer(key, options).await?;
    let (mut size, mut hasher) = (0u64, Sha256::new());
    for part in parts {
        let mut stream = data.get_range(&object_store::path::Path::from(part.key.as_str()), 0..part.size).await?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(object_err)?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
            writer.wait_for_capacity(COPY_CONCURRENCY).await.map_err(object_err)?;
            writer.put(chunk);
        }
    }
    writer.finish().await.map_err(object_err)?;
    Ok(StoredFile::new(key.to_string(), size, part_size, hex::encode(hasher.finalize())))
}
