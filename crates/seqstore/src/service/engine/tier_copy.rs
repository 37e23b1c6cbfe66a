//! A read set's files copied from one tier to the other with bounded memory: each file streamed
//! from its recorded key in the tier it is in to `{store}/readSet/{dir}/{slot}` in the other (the
//! attempt's own directory), through a multipart writer, its SHA-256 and MD5 computed as written.
//! A copy is accepted only when the bytes written are the file as recorded (size and SHA-256) and
//! the target reports the same size; the MD5, when the file had none recorded yet, is recorded
//! from the copy.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use seqstore_formats::digest::{Algorithm, Digest};

use super::kind::{Attempt, Outcome};
use crate::model::read_set::{Files, StoredFile};
use crate::report::chain;
use crate::storage::objects::{DataStore, WriteOptions};

/// Copies every file of `files` from `from` to directory `dir` of `to`; returns the same files
/// under their new keys. A file that no longer matches its record fails the source (the message
/// says to run `seqstore verify`); a storage failure fails it too, naming the tier.
pub(super) async fn copy(
    at: &Attempt<'_>,
    (from, to): (&DataStore, &DataStore),
    files: &Files,
    dir: &str,
    options: &WriteOptions,
) -> Result<Files, Outcome> {
    at.progress.set_total(files.total_bytes());
    let mut copied = files.clone();
    let slots = [("source1", &mut copied.source1), ("source2", &mut copied.source2), ("index", &mut copied.index)];
    for (slot, file) in slots {
        let Some(file) = file else { continue };
        let key = DataStore::read_set_key(&at.claim.store_id, dir, slot);
        *file = copy_file(at, from, to, file, &key, options).await?;
    }
    Ok(copied)
}

async fn copy_file(
    at: &Attempt<'_>,
    from: &DataStore,
    to: &DataStore,
    file: &StoredFile,
    key: &Path,
    options: &WriteOptions,
) -> Result<StoredFile, Outcome> {
    let source = Path::from(file.key.as_str());
    let failed = |what: &str, e: &dyn std::error::Error| {
        tracing::warn!(error = %chain(e), key = %source, "{what}");
        Outcome::Failed(format!("{what} ({}); the server's log has the details, try again later", chain(e)))
    };
    let mut stream = from
        .get_range(&source, 0..file.content_length)
        .await
        .map_err(|e| failed("could not read a stored file of the read set", &e))?;
    let mut writer = to.writer(key, options).await.map_err(|e| failed("could not write to the other tier", &e))?;
    let mut digests = [Digest::new(Algorithm::Sha256), Digest::new(Algorithm::Md5)];
    let mut written = 0u64;
    let throttle = at.settings.throttle_bytes_per_sec;
    while let Some(chunk) = stream.next().await {
        if at.progress.lease_lost() {
            writer.abort().await.ok();
            return Err(Outcome::Abandoned);
        }
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                writer.abort().await.ok();
                return Err(failed("could not read a stored file of the read set", &e));
            }
        };
        digests.iter_mut().for_each(|d| d.update(&chunk));
        written += chunk.len() as u64;
        at.progress.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if let Err(e) = writer.wait_for_capacity(4).await {
            return Err(failed("could not write to the other tier", &e));
        }
        writer.write(&chunk);
        if throttle > 0 {
            tokio::time::sleep(Duration::from_secs_f64(chunk.len() as f64 / throttle as f64)).await;
        }
    }
    let [sha256, md5] = digests.map(Digest::finalize_hex);
    if sha256 != file.sha256 || written != file.content_length {
        writer.abort().await.ok();
        return Err(Outcome::Failed(format!(
            "the stored file {} no longer matches its record ({written} bytes with SHA-256 {sha256}, recorded {} \
             bytes with SHA-256 {}); nothing was moved: run seqstore verify",
            file.key, file.content_length, file.sha256
        )));
    }
    writer.finish().await.map_err(|e| failed("could not write to the other tier", &e))?;
    let size = match to.object_store().head(key).await {
        Ok(meta) => meta.size,
        Err(e) => return Err(failed("could not check the copy in the other tier", &e)),
    };
    if size != file.content_length {
        return Err(Outcome::Failed(format!(
            "the other tier reports {size} bytes for {key}, not the {} bytes written; nothing was moved",
            file.content_length
        )));
    }
    Ok(StoredFile { key: key.to_string(), md5: file.md5.clone().or(Some(md5)), ..file.clone() })
}

/// The directory (under `{store}/readSet/`) an attempt of a tier move writes in: the read set's,
/// then the job and the attempt's lease generation, so that no two attempts of any job — and no
/// copy a move left behind to be deleted later — ever share a key.
pub(super) fn attempt_dir(claim: &crate::model::job::Claim) -> String {
    format!("{}/{}.{}", claim.output_id, claim.job_id, claim.generation)
}

/// The directory the attempt before this one (interrupted: its lease expired) wrote in.
pub(super) fn previous_dir(claim: &crate::model::job::Claim) -> String {
    format!("{}/{}.{}", claim.output_id, claim.job_id, claim.generation - 1)
}

/// How copies of `set` are written: with its store's encryption and propagated tags.
pub(super) async fn write_options(
    at: &Attempt<'_>,
    set: &crate::model::read_set::ReadSet,
) -> Result<WriteOptions, crate::db::Error> {
    let mut conn = at.service.db.pool().acquire().await?;
    let store = crate::db::sequence_stores::get(&mut conn, &set.account, &set.store_id).await?;
    let Some(store) = store else { return Ok(WriteOptions::default()) };
    let arn = at.service.read_set_arn(&set.account, &set.store_id, &set.id);
    let tags = crate::db::tags::list(&mut conn, &arn).await?;
    Ok(WriteOptions::read_set(&store, &tags))
}

/// Deletes directory `dir` of the read set's objects in `data` (what a failed or interrupted
/// attempt wrote); a failure is left to the sweep.
pub(super) async fn delete_dir(data: &DataStore, store: &str, dir: &str) {
    if let Err(e) = data.delete_dir(store, crate::storage::objects::READ_SETS, dir).await {
        tracing::warn!(error = ?e, dir, "could not delete the copies of an unfinished tier move; the sweep will");
    }
}

/// Read set `id` of the claim's store, which must still exist and have status `from` (what the
/// move starts from); `verb` says what the move does, for the message.
pub(super) async fn read_set_to_move(
    at: &Attempt<'_>,
    id: &str,
    from: crate::model::read_set::ReadSetStatus,
    verb: &str,
) -> Result<crate::model::read_set::ReadSet, Outcome> {
    let claim = at.claim;
    let found = async {
        let mut conn = at.service.db.pool().acquire().await?;
        crate::db::read_sets::get(&mut conn, &claim.account, &claim.store_id, id).await
    }
    .await
    .map_err(abandoned)?;
    let set = found.ok_or_else(|| Outcome::Failed(format!("read set {id} no longer exists (it was deleted)")))?;
    if set.status != from {
        return Err(Outcome::Failed(format!("read set {id} is {}: only {from} read sets can be {verb}", set.status)));
    }
    Ok(set)
}

/// A database failure during an attempt: logged; the attempt commits nothing and the source is
/// claimed again.
pub(super) fn abandoned(e: crate::db::Error) -> Outcome {
    tracing::error!(error = ?e, "database failure during a tier move");
    Outcome::Abandoned
}

/// After the settlement: when the read set does not record the attempt's copies in `tier` (it
/// was deleted or changed before the commit, or the source failed), deletes them.
pub(super) async fn drop_unused_copies(at: &Attempt<'_>, tier: crate::model::read_set::Tier) {
    let claim = at.claim;
    let found = async {
        let mut conn = at.service.db.pool().acquire().await?;
        crate::db::read_sets::get(&mut conn, &claim.account, &claim.store_id, &claim.output_id).await
    }
    .await;
    let dir = attempt_dir(claim);
    let prefix = format!("{}/{}/{dir}/", claim.store_id, crate::storage::objects::READ_SETS);
    let used = match found {
        Ok(Some(set)) => set.status.tier() == tier && set.files.stored().iter().any(|f| f.key.starts_with(&prefix)),
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(error = ?e, "could not check a tier move's copies; the sweep will");
            return;
        }
    };
    if !used {
        delete_dir(at.service.tier(tier), &claim.store_id, &dir).await;
    }
}
