//! Copying one stored file to an export destination with bounded memory: files up to
//! [`SINGLE_PUT`] in one request, larger ones as a multipart upload of [`PART`]-sized parts, at most
//! [`IN_FLIGHT`] at a time, whose id is recorded as the source's checkpoint before the first part
//! (an attempt that takes over after a crash aborts it). The SHA-256 of the bytes sent must equal
//! the one recorded for the file before the object is made visible, and the size the endpoint
//! reports afterwards must equal the file's: the written object is never read back.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use object_store::path::Path;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use super::kind::Attempt;
use crate::db::import_jobs;
use crate::model::read_set::StoredFile;
use crate::storage::destination::{Destination, WriteError};

/// Largest file written in one request.
pub(super) const SINGLE_PUT: u64 = 8 << 20;
/// Part size of a multipart upload (S3 allows 10,000 parts: larger files get larger parts).
const PART: u64 = 8 << 20;
/// Parts uploaded at once.
const IN_FLIGHT: usize = 4;

/// An open multipart upload, as recorded in the source's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OpenUpload {
    /// The destination key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
}

/// Why a file was not copied.
#[derive(Debug)]
pub(super) enum CopyError {
    /// A request to the destination failed after its retries.
    Write(WriteError),
    /// The stored file could not be read (e.g. the read set was deleted meanwhile).
    Read(String),
    /// The bytes read did not match the recorded SHA-256 or size.
    Mismatch(String),
    /// The lease was lost or the job is being cancelled: stop.
    Stopped,
    /// The database failed while recording the checkpoint.
    Db,
}

/// Copies `file` to `key` of `dest`, adding the bytes sent to the attempt's progress.
pub(super) async fn copy(at: &Attempt<'_>, dest: &Destination, key: &Path, file: &StoredFile) -> Result<(), CopyError> {
    if file.content_length <= SINGLE_PUT {
        let bytes = read(at, file, 0, file.content_length).await?;
        verify(file, &hex::encode(Sha256::digest(&bytes)), bytes.len() as u64)?;
        dest.put(key, bytes).await.map_err(CopyError::Write)?;
        at.progress.bytes.fetch_add(file.content_length, Ordering::Relaxed);
    } else {
        let id = dest.create_multipart(key).await.map_err(CopyError::Write)?;
        let open = OpenUpload { key: key.to_string(), upload_id: id.clone() };
        let result = async {
            checkpoint(at, Some(&open)).await?;
            let parts = upload_parts(at, dest, key, &id, file).await?;
            dest.complete(key, &id, parts).await.map_err(CopyError::Write)
        }
        .await;
        if let Err(e) = result {
            if let Err(abort) = dest.abort(key, &id).await {
                tracing::warn!(error = ?abort, key = %key, "could not abort an export's multipart upload");
            }
            return Err(e);
        }
        checkpoint(at, None).await?;
    }
    let size = dest.size(key).await.map_err(CopyError::Write)?;
    if size != file.content_length {
        return Err(CopyError::Mismatch(format!(
            "the destination reports {size} bytes for s3://…/{key}, not the {} bytes sent",
            file.content_length
        )));
    }
    Ok(())
}

/// Reads and uploads the parts in order, hashing them as read; checks the digest before returning
/// the part ids (in order) for completion.
async fn upload_parts(
    at: &Attempt<'_>,
    dest: &Destination,
    key: &Path,
    id: &str,
    file: &StoredFile,
) -> Result<Vec<object_store::multipart::PartId>, CopyError> {
    let part = PART.max(file.content_length.div_ceil(10_000));
    let count = file.content_length.div_ceil(part) as usize;
    let mut hasher = Sha256::new();
    let mut uploads = JoinSet::new();
    let mut parts = vec![None; count];
    for index in 0..count {
        if at.progress.lease_lost() {
            return Err(CopyError::Stopped);
        }
        while uploads.len() >= IN_FLIGHT {
            settle_one(at, &mut uploads, &mut parts).await?;
        }
        let start = index as u64 * part;
        let bytes = read(at, file, start, (start + part).min(file.content_length)).await?;
        hasher.update(&bytes);
        let (dest, key, id) = (dest.clone(), key.clone(), id.to_owned());
        uploads.spawn(async move {
            let len = bytes.len() as u64;
            dest.put_part(&key, &id, index, bytes).await.map(|p| (index, p, len))
        });
    }
    while !uploads.is_empty() {
        settle_one(at, &mut uploads, &mut parts).await?;
    }
    verify(file, &hex::encode(hasher.finalize()), file.content_length)?;
    Ok(parts.into_iter().map(|p| p.expect("every part uploaded")).collect())
}

type PartResult = Result<(usize, object_store::multipart::PartId, u64), WriteError>;

async fn settle_one(
    at: &Attempt<'_>,
    uploads: &mut JoinSet<PartResult>,
    parts: &mut [Option<object_store::multipart::PartId>],
) -> Result<(), CopyError> {
    match uploads.join_next().await {
        Some(Ok(Ok((index, id, len)))) => {
            parts[index] = Some(id);
            at.progress.bytes.fetch_add(len, Ordering::Relaxed);
            Ok(())
        }
        Some(Ok(Err(e))) => Err(CopyError::Write(e)),
        Some(Err(join)) => Err(CopyError::Read(format!("a part upload stopped unexpectedly: {join}"))),
        None => Ok(()),
    }
}

/// Bytes `start..end` of the stored `file`, throttled as the worker's settings say.
async fn read(at: &Attempt<'_>, file: &StoredFile, start: u64, end: u64) -> Result<Bytes, CopyError> {
    let key = Path::from(file.key.as_str());
    let unreadable = |e: &dyn std::fmt::Display| {
        tracing::warn!(error = %e, key = %key, "a stored file could not be read for an export");
        CopyError::Read("the read set's stored file could not be read (was it deleted during the export?)".into())
    };
    let mut stream = at.service.data.get_range(&key, start..end).await.map_err(|e| unreadable(&e))?;
    let mut bytes = BytesMut::with_capacity((end - start) as usize);
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(|e| unreadable(&e))?);
    }
    let throttle = at.settings.throttle_bytes_per_sec;
    if throttle > 0 {
        tokio::time::sleep(Duration::from_secs_f64(bytes.len() as f64 / throttle as f64)).await;
    }
    if bytes.len() as u64 != end - start {
        return Err(unreadable(&format!("{} bytes instead of {}", bytes.len(), end - start)));
    }
    Ok(bytes.freeze())
}

/// The bytes sent must be the file as recorded.
fn verify(file: &StoredFile, sha256: &str, size: u64) -> Result<(), CopyError> {
    if sha256 != file.sha256 || size != file.content_length {
        return Err(CopyError::Mismatch(format!(
            "the stored file no longer matches its recorded SHA-256 ({} bytes read, SHA-256 {sha256}); run seqstore \
             verify",
            size
        )));
    }
    Ok(())
}

/// Records (or clears) the open upload with the lease; a lost lease stops the copy.
async fn checkpoint(at: &Attempt<'_>, open: Option<&OpenUpload>) -> Result<(), CopyError> {
    let text = open.map(|o| serde_json::to_string(o).expect("checkpoint serializes"));
    let recorded = async {
        let mut conn = at.service.db.pool().acquire().await?;
        import_jobs::set_checkpoint(&mut conn, at.claim, text.as_deref()).await
    }
    .await;
    match recorded {
        Ok(true) => Ok(()),
        Ok(false) => Err(CopyError::Stopped),
        Err(e) => {
            tracing::error!(error = ?e, "could not record an export's checkpoint");
            Err(CopyError::Db)
        }
    }
}
