//! The processing of a completed direct upload: its one source is the upload's stored parts,
//! scanned like an import; its read set (PROCESSING_UPLOAD since completion, its id reserved then)
//! becomes ACTIVE with what the scan computed, or UPLOAD_FAILED with the message; either way the
//! upload's rows go and its part objects are deleted — except, on failure, when the store has a
//! `fallbackLocation`: then the uploaded bytes are kept as the failed read set's files, so the user
//! can still download what they sent, and copied to the fallback location
//! ([`super::super::fallback`]), which the read set's status message names.

use futures_util::StreamExt;
use seqstore_formats::digest::{Algorithm, Digest};

use super::super::fallback;
use super::super::kind::{Attempt, Kind, Outcome, RunsAs};
use super::super::read_set_scan::{self, ScannedSet, duplicate_note};
use crate::db::{self, read_sets, sequence_stores, uploads};
use crate::model::job::UploadSource;
use crate::model::read_set::{Files, ReadSetStatus, StoredFile};
use crate::model::upload::StoredPart;
use crate::storage::objects::{self, DataStore, READ_SETS, WriteOptions};

/// Writes in flight while parts are copied.
const COPY_CONCURRENCY: usize = 2;

/// The upload processing kind.
pub(in crate::service::engine) struct UploadProcessing;

impl RunsAs for UploadSource {
    type Kind = UploadProcessing;
}

impl Kind for UploadProcessing {
    type Spec = UploadSource;
    type Output = ScannedSet;
    /// The kept files, and what became of their copy to the fallback location.
    type Kept = (Files, Option<String>);
    const OBJECTS: Option<&'static str> = Some(READ_SETS);

    async fn attempt(at: &Attempt<'_>, spec: &UploadSource) -> Result<ScannedSet, Outcome> {
        read_set_scan::scan(at, &spec.source, Some(&spec.parts)).await
    }

    fn records(output: &ScannedSet) -> u64 {
        output.set.total_read_count
    }

    /// Fills the upload's read set with the scanned one (ACTIVE), records its QC statistics and
    /// removes the upload.
    async fn commit(
        _: &Attempt<'_>,
        tx: &mut db::Tx,
        spec: &UploadSource,
        mut scanned: ScannedSet,
    ) -> Result<Option<String>, db::Error> {
        let set = &mut scanned.set;
        let note = duplicate_note(tx, set).await?;
        set.status = ReadSetStatus::Active;
        set.status_message = match (set.status_message.take(), note.clone()) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        if read_sets::finish_upload(tx, set).await? {
            scanned.commit_qc(tx).await?;
        } else {
            tracing::warn!(read_set = %set.id, "the read set of an upload vanished while its parts were processed");
        }
        uploads::delete(tx, &spec.parts.upload_id).await?;
        Ok(note)
    }

    /// The uploaded bytes copied as the read set's files (with the store's encryption and the
    /// propagated tags) and to the store's fallback location when it has one; none otherwise.
    async fn keep(at: &Attempt<'_>, spec: &UploadSource) -> Option<(Files, Option<String>)> {
        let mut files = Files::default();
        if !spec.parts.keep_on_failure {
            return Some((files, None));
        }
        let (service, claim) = (at.service, at.claim);
        let store = async {
            let mut conn = service.db.pool().acquire().await?;
            sequence_stores::get(&mut conn, &claim.account, &claim.store_id).await
        };
        let store = match store.await {
            Ok(Some(store)) => store,
            Ok(None) => return None,
            Err(e) => {
                let e: db::Error = e;
                tracing::error!(error = ?e, "database failure while failing an upload");
                return None;
            }
        };
        let options = WriteOptions::read_set(&store, &spec.source.tags);
        let (data, part_size, parts) = (&service.data, at.settings.part_size, &spec.parts);
        let kept = async {
            let key = DataStore::read_set_key(&claim.store_id, &claim.object_dir(), "source1");
            files.source1 = Some(copy_parts(data, &parts.source1, &key, part_size, &options).await?);
            if !parts.source2.is_empty() {
                let key = DataStore::read_set_key(&claim.store_id, &claim.object_dir(), "source2");
                files.source2 = Some(copy_parts(data, &parts.source2, &key, part_size, &options).await?);
            }
            Ok::<_, objects::Error>(())
        };
        if let Err(e) = kept.await {
            tracing::error!(error = ?e, upload = %parts.upload_id, "could not keep the parts of a failed upload");
            return None;
        }
        let Some(fallback) = store.fallback_location.as_deref() else { return Some((files, None)) };
        let found = async {
            let mut conn = service.db.pool().acquire().await?;
            read_sets::get(&mut conn, &claim.account, &claim.store_id, &claim.output_id).await
        };
        let note = match found.await {
            Ok(Some(mut set)) => {
                set.files = files.clone();
                Some(fallback::copy(at, fallback, &set).await)
            }
            Ok(None) => None,
            Err(e) => {
                let e: db::Error = e;
                tracing::error!(error = ?e, "database failure while failing an upload");
                return None;
            }
        };
        Some((files, note))
    }

    /// Marks the upload's read set UPLOAD_FAILED with `message` and the kept files, and removes the
    /// upload.
    async fn fail(
        at: &Attempt<'_>,
        tx: &mut db::Tx,
        spec: &UploadSource,
        (files, fallback): (Files, Option<String>),
        message: &str,
    ) -> Result<(), db::Error> {
        let claim = at.claim;
        if let Some(mut set) = read_sets::get(tx, &claim.account, &claim.store_id, &claim.output_id).await? {
            set.status = ReadSetStatus::UploadFailed;
            set.status_message = Some(match fallback {
                Some(note) => read_set_message(&format!("{message}; {note}")),
                None => message.to_owned(),
            });
            set.files = files;
            read_sets::finish_upload(tx, &set).await?;
        }
        uploads::delete(tx, &spec.parts.upload_id).await?;
        Ok(())
    }

    /// Deletes the upload's part objects.
    async fn settled(at: &Attempt<'_>, spec: &UploadSource) {
        at.service.delete_upload_objects(&at.claim.store_id, &spec.parts.upload_id).await;
    }
}

/// `message` cut to the 255 characters a read set's `statusMessage` may have.
fn read_set_message(message: &str) -> String {
    const MAX: usize = 255;
    if message.chars().count() <= MAX {
        return message.to_owned();
    }
    let mut cut: String = message.chars().take(MAX - 1).collect();
    cut.push('…');
    cut
}

/// Concatenates `parts` into the object `key`, written with `options`.
async fn copy_parts(
    data: &DataStore,
    parts: &[StoredPart],
    key: &object_store::path::Path,
    part_size: u64,
    options: &WriteOptions,
) -> Result<StoredFile, objects::Error> {
    let object_err = |source| objects::Error::Object { key: key.to_string(), source };
    let mut writer = data.writer(key, options).await?;
    let (mut size, mut sha256, mut md5) = (0u64, Digest::new(Algorithm::Sha256), Digest::new(Algorithm::Md5));
    for part in parts {
        let mut stream = data.get_range(&object_store::path::Path::from(part.key.as_str()), 0..part.size).await?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(object_err)?;
            size += chunk.len() as u64;
            sha256.update(&chunk);
            md5.update(&chunk);
            writer.wait_for_capacity(COPY_CONCURRENCY).await.map_err(object_err)?;
            writer.put(chunk);
        }
    }
    writer.finish().await.map_err(object_err)?;
    Ok(StoredFile::new(key.to_string(), size, part_size, sha256.finalize_hex(), md5.finalize_hex()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;
    use object_store::path::Path;
    use seqstore_formats::digest::{Algorithm, Digest};

    use super::*;

    fn hex(algorithm: Algorithm, bytes: &[u8]) -> String {
        let mut digest = Digest::new(algorithm);
        digest.update(bytes);
        digest.finalize_hex()
    }

    #[tokio::test]
    async fn copied_parts_record_the_size_sha256_and_md5_of_the_copy() -> Result<(), Box<dyn std::error::Error>> {
        let data = DataStore::from_object_store(Arc::new(InMemory::new()));
        let options = WriteOptions::default();
        let mut parts = Vec::new();
        for (number, bytes) in [b"@r1\nACGT\n+\n".as_slice(), b"IIII\n"].into_iter().enumerate() {
            let key = format!("s/upload/u/SOURCE1/{number}-n");
            data.put(&Path::from(key.as_str()), bytes.to_vec(), &options).await?;
            parts.push(StoredPart { key, size: bytes.len() as u64 });
        }
        let key = Path::from("s/readSet/r/source1");
        let file = copy_parts(&data, &parts, &key, 4, &options).await?;
        let whole = b"@r1\nACGT\n+\nIIII\n";
        let expected = StoredFile::new(
            key.to_string(),
            whole.len() as u64,
            4,
            hex(Algorithm::Sha256, whole),
            hex(Algorithm::Md5, whole),
        );
        assert_eq!(file, expected);
        assert_eq!(data.object_store().get(&key).await?.bytes().await?.as_ref(), whole);
        Ok(())
    }
}
