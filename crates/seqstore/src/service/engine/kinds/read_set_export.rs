//! Read set export: each source is one read set of the job's store, copied file by file (source1,
//! source2, index, under their names) to `{destination}{readSetId}/{file}` through a location the
//! job's role may write. A failed or cancelled source deletes every object of the read set under
//! the destination (also what an interrupted earlier attempt completed) and aborts what it had
//! open, so a read set is either exported whole or not at all.

use object_store::path::Path;

use super::super::copy_out::{self, CopyError, OpenUpload};
use super::super::kind::{Attempt, Discard, Kind, Outcome, RunsAs};
use crate::db::{self, read_sets};
use crate::model::export::{ExportSource, S3Prefix};
use crate::model::read_set::{ReadSet, ReadSetStatus, StoredFile};
use crate::service::Caller;
use crate::storage::destination::{Destination, WriteError};
use crate::storage::source::failure::S3Cause;

/// The read set export kind.
pub(in crate::service::engine) struct ReadSetExport;

impl RunsAs for ExportSource {
    type Kind = ReadSetExport;
}

/// What an export wrote.
pub(in crate::service::engine) struct Exported {
    files: usize,
    bytes: u64,
}

impl Kind for ReadSetExport {
    type Spec = ExportSource;
    type Output = Exported;
    type Kept = ();
    const OBJECTS: Option<&'static str> = None;

    async fn attempt(at: &Attempt<'_>, spec: &ExportSource) -> Result<Exported, Outcome> {
        let set = read_set(at, &spec.read_set_id).await?;
        at.service.note_read_set_access(&set.id);
        let names = at.service.read_set_file_names(&set).await.map_err(|e| {
            tracing::error!(error = ?e, "could not name the files of an exported read set");
            Outcome::Abandoned
        })?;
        let (dest, prefix) = destination(at, spec)?;
        let files: Vec<(&StoredFile, String)> = [
            (set.files.source1.as_ref(), Some(names.source1)),
            (set.files.source2.as_ref(), names.source2),
            (set.files.index.as_ref(), names.index),
        ]
        .into_iter()
        .filter_map(|(file, name)| Some((file?, name?)))
        .collect();
        at.progress.set_total(files.iter().map(|(f, _)| f.content_length).sum());
        for (file, name) in &files {
            let key = Path::from(prefix.key(&set.id, name));
            copy_out::copy(at, &dest, &key, file).await.map_err(|e| outcome(&prefix, e))?;
        }
        let bytes = files.iter().map(|(f, _)| f.content_length).sum();
        Ok(Exported { files: files.len(), bytes })
    }

    fn records(_output: &Exported) -> u64 {
        0
    }

    async fn commit(
        _at: &Attempt<'_>,
        _tx: &mut db::Tx,
        _spec: &ExportSource,
        output: Exported,
    ) -> Result<Option<String>, db::Error> {
        Ok(Some(format!("exported {} files, {} bytes", output.files, output.bytes)))
    }

    /// A failed or cancelled source deletes every object of its read set under the destination
    /// (the open upload was aborted where it failed); an abandoned attempt leaves them to the
    /// attempt that took over, which writes the same keys.
    async fn discard(at: &Attempt<'_>, spec: &ExportSource, why: Discard) {
        if why != Discard::Failed {
            return;
        }
        let Ok(set) = read_set(at, &spec.read_set_id).await else { return };
        let (Ok(names), Ok((dest, prefix))) = (at.service.read_set_file_names(&set).await, destination(at, spec))
        else {
            return;
        };
        let keys = [Some(names.source1), names.source2, names.index].into_iter().flatten();
        for key in keys.map(|name| Path::from(prefix.key(&set.id, &name))) {
            if let Err(e) = dest.delete(&key).await {
                tracing::warn!(error = ?e, key = %key, "could not delete an object of a failed export");
            }
        }
    }

    /// Aborts the multipart upload the interrupted attempt had open (its checkpoint); the objects
    /// it completed are written again under the same keys.
    async fn discard_previous(at: &Attempt<'_>, spec: &ExportSource, _previous: &str) {
        let Some(open) = at.claim.checkpoint.as_deref().and_then(|c| serde_json::from_str::<OpenUpload>(c).ok()) else {
            return;
        };
        let Ok((dest, _)) = destination(at, spec) else { return };
        match dest.abort(&Path::from(open.key.as_str()), &open.upload_id).await {
            Ok(()) => tracing::info!(key = open.key, "aborted the upload of an interrupted export"),
            Err(e) => tracing::warn!(error = ?e, "could not abort the upload of an interrupted export"),
        }
    }
}

/// The read set to export: it must still exist and be ACTIVE.
async fn read_set(at: &Attempt<'_>, id: &str) -> Result<ReadSet, Outcome> {
    let claim = at.claim;
    let found = async {
        let mut conn = at.service.db.pool().acquire().await?;
        read_sets::get(&mut conn, &claim.account, &claim.store_id, id).await
    }
    .await
    .map_err(|e: db::Error| {
        tracing::error!(error = ?e, "database failure during export");
        Outcome::Abandoned
    })?;
    let set = found.ok_or_else(|| Outcome::Failed(format!("read set {id} no longer exists (it was deleted)")))?;
    match set.status {
        ReadSetStatus::Active => {}
        ReadSetStatus::Archived | ReadSetStatus::Activating => {
            return Err(Outcome::Failed(format!(
                "read set {id} is {}: only ACTIVE read sets can be exported; activate it \
                 (StartReadSetActivationJob) and export it once it is ACTIVE",
                set.status
            )));
        }
        status => {
            return Err(Outcome::Failed(format!("read set {id} is {status}: only ACTIVE read sets can be exported")));
        }
    }
    Ok(set)
}

/// The destination client, through the location of the job's role that may write there.
fn destination(at: &Attempt<'_>, spec: &ExportSource) -> Result<(Destination, S3Prefix), Outcome> {
    let prefix = S3Prefix::parse(&spec.destination)
        .ok_or_else(|| Outcome::Failed(format!("{} is not an s3://bucket/prefix/", spec.destination)))?;
    let caller = Caller { account: at.claim.account.clone() };
    let grants = at.service.grants(&caller, &at.claim.role_arn).map_err(|e| Outcome::Failed(e.to_string()))?;
    let location = grants
        .writable_location_for(&prefix)
        .ok_or_else(|| Outcome::Failed(format!("the role may no longer write {}", spec.destination)))?;
    let dest = Destination::open(location, &prefix.bucket).map_err(|e| Outcome::Failed(write_failure(&e)))?;
    Ok((dest, prefix))
}

/// What a failed copy means for the source.
fn outcome(prefix: &S3Prefix, error: CopyError) -> Outcome {
    match error {
        CopyError::Write(e) => {
            tracing::warn!(error = ?e, destination = %prefix, "an export could not write");
            Outcome::Failed(write_failure(&e))
        }
        CopyError::Read(message) | CopyError::Mismatch(message) => Outcome::Failed(message),
        CopyError::Stopped | CopyError::Db => Outcome::Abandoned,
    }
}

/// One sentence for a destination that refused or failed.
fn write_failure(e: &WriteError) -> String {
    let at = format!("s3://{}/{}", e.bucket, e.key);
    match &e.cause {
        S3Cause::Missing { .. } => {
            format!(
                "could not write {at}: bucket {} does not exist at the role's endpoint; create it or export elsewhere",
                e.bucket
            )
        }
        S3Cause::Denied { .. } => {
            format!("could not write {at}: {}; check that the role's credentials may write there", e.cause)
        }
        cause if cause.retried() => format!("could not write {at}: {cause}, also after retries; export again later"),
        cause => format!("could not write {at}: {cause}; the server's log has the details"),
    }
}
