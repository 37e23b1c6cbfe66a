//! Direct multipart read set uploads: creating an upload, receiving parts (streamed to storage,
//! never held whole), completing it into a read set that a hidden processing job fills, aborting,
//! listing, and aborting uploads abandoned for longer than `uploads.abandon_after_seconds`.

use base64::Engine as _;
use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Caller, Error, Listing, Page, Service};
use crate::db::{self, idempotency, import_jobs, read_sets, sequence_stores, uploads};
use crate::model::import::{JobStatus, SourceSpec};
use crate::model::job::{Job, JobKind, JobSpec, UploadSource};
use crate::model::read_set::{Creation, CreationType, ReadSet};
use crate::model::sequence_store::SequenceStore;
use crate::model::tags;
use crate::model::time::{self, Millis};
use crate::model::upload::{Part, PartSource, StoredPart, Upload, UploadSpec, UploadStatus, UploadedParts};
use crate::storage::objects::{self, DataStore, UPLOADS, WriteOptions};

/// Writes in flight to storage while a part streams in.
const PART_WRITE_CONCURRENCY: usize = 2;

/// A CreateMultipartReadSetUpload request, validated against the model.
#[derive(Debug, Clone, Serialize)]
pub struct CreateUpload {
    /// Idempotency token (not part of the digest).
    #[serde(skip)]
    pub client_token: Option<String>,
    /// The read set to come.
    pub spec: UploadSpec,
}

/// A part as CompleteMultipartReadSetUpload lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// File.
    pub source: PartSource,
    /// Part number.
    pub number: i64,
    /// The checksum UploadReadSetPart returned.
    pub checksum: String,
}

/// ListReadSetUploadParts filter, timestamps in microseconds as given.
#[derive(Debug, Clone, Serialize)]
pub struct PartFilter {
    /// The file whose parts are listed.
    pub source: PartSource,
    /// Inclusive lower bound of creation time.
    pub created_after: Option<i64>,
    /// Exclusive upper bound of creation time.
    pub created_before: Option<i64>,
}

/// A part body as it arrives.
pub type PartBody = BoxStream<'static, Result<Bytes, std::io::Error>>;

impl Service {
    /// Largest part UploadReadSetPart accepts (`uploads.max_part_bytes`).
    pub fn max_part_bytes(&self) -> u64 {
        self.uploads.max_part_bytes
    }

    /// Creates an upload: checks, in order, the store, the clientToken, the tags, CRAM's reference,
    /// the `referenceArn`, then the quotas (uploads in progress, read sets per store).
    pub async fn create_upload(&self, caller: &Caller, store_id: &str, request: CreateUpload) -> Result<Upload, Error> {
        let scope = "CreateMultipartReadSetUpload";
        let body = serde_json::to_vec(&request).expect("request serializes");
        let digest = hex::encode(Sha256::digest([store_id.as_bytes(), b"\n", &body].concat()));
        let mut tx = self.db.begin_for(&caller.account).await?;
        self.require_store(&mut tx, caller, store_id).await?;
        if let Some(token) = &request.client_token
            && let Some(record) = idempotency::find(&mut tx, &caller.account, scope, token).await?
        {
            if record.request_hash != digest {
                return Err(Error::TokenReused { token: token.clone() });
            }
            let upload = uploads::get(&mut tx, &caller.account, store_id, &record.resource_id).await?;
            return upload.ok_or(Error::NotFound { kind: "upload", id: record.resource_id });
        }
        let spec = &request.spec;
        tags::check_user_tags(spec.tags.keys()).map_err(|source| Error::Tags { member: "tags".into(), source })?;
        if spec.file_type.needs_reference() && spec.reference_arn.is_none() {
            return Err(Error::CramNeedsReference { member: "referenceArn".into() });
        }
        if let Some(arn) = &spec.reference_arn {
            self.check_reference_arn(&mut tx, caller, "referenceArn", arn).await?;
        }
        self.check_upload_quotas(&mut tx, caller, store_id).await?;
        let now = time::now();
        let upload = Upload {
            id: db::ids::reserve(&mut tx, "upload").await?,
            account: caller.account.clone(),
            store_id: store_id.to_owned(),
            spec: request.spec.clone(),
            status: UploadStatus::InProgress,
            creation_time: now,
            activity_time: now,
            read_set_id: None,
        };
        uploads::insert(&mut tx, &upload).await?;
        if let Some(token) = &request.client_token {
            let record = idempotency::Record { request_hash: digest, resource_id: upload.id.clone() };
            idempotency::insert(&mut tx, &caller.account, scope, token, &record).await?;
        }
        tx.commit().await.map_err(db::Error::from)?;
        Ok(upload)
    }

    /// Receives part `number` of `source`: streams `body` into a new object while hashing it,
    /// refusing an empty part or one over `uploads.max_part_bytes`, then records it (replacing an
    /// earlier upload of the same part number, whose object is deleted). `expected_sha256` is the
    /// hex digest the client signed, checked once the body is read. Returns the checksum: the
    /// base64 SHA-256 of the part.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_part(
        &self,
        caller: &Caller,
        store_id: &str,
        upload_id: &str,
        source: PartSource,
        number: i64,
        body: PartBody,
        expected_sha256: Option<&str>,
    ) -> Result<String, Error> {
        let (store, upload) = self.upload_in_progress(caller, store_id, upload_id).await?;
        if source == PartSource::Source2 && !upload.spec.file_type.allows_source2() {
            return Err(Error::Invalid {
                member: "partSource".into(),
                problem: "SOURCE2 is only allowed for sourceFileType FASTQ (paired reads)".into(),
            });
        }
        let key = DataStore::upload_part_key(store_id, upload_id, source.as_str(), number);
        let (size, digest) = self.store_part(&key, body, &WriteOptions::encrypted(store.sse.as_ref())).await?;
        let delete_part = || async {
            if let Err(e) = self.data.delete(key.as_ref()).await {
                tracing::warn!(error = ?e, %key, "could not delete a refused part; the sweep will");
            }
        };
        if size == 0 {
            delete_part().await;
            return Err(Error::Invalid { member: "payload".into(), problem: "the part is empty".into() });
        }
        if expected_sha256.is_some_and(|hash| !hash.eq_ignore_ascii_case(&hex::encode(digest))) {
            delete_part().await;
            return Err(Error::PayloadHashMismatch);
        }
        let checksum = base64::engine::general_purpose::STANDARD.encode(digest);
        let now = time::now();
        let part = Part {
            source,
            number,
            key: key.to_string(),
            size: size as i64,
            checksum: checksum.clone(),
            creation_time: now,
            updated_time: now,
        };
        let mut tx = self.db.begin_for(&caller.account).await?;
        let current = uploads::get(&mut tx, &caller.account, store_id, upload_id).await?;
        if !current.is_some_and(|u| u.status == UploadStatus::InProgress) {
            drop(tx);
            delete_part().await;
            return Err(Error::NotFound { kind: "upload in progress", id: upload_id.to_owned() });
        }
        let replaced = uploads::put_part(&mut tx, upload_id, &part).await?;
        tx.commit().await.map_err(db::Error::from)?;
        if let Some(old) = replaced
            && let Err(e) = self.data.delete(&old).await
        {
            tracing::warn!(error = ?e, key = old, "could not delete a replaced part; the sweep will");
        }
        Ok(checksum)
    }

    /// Streams `body` to `key`, written with `options`: at most `uploads.max_part_bytes`, else
    /// nothing is kept.
    async fn store_part(
        &self,
        key: &object_store::path::Path,
        mut body: PartBody,
        options: &WriteOptions,
    ) -> Result<(u64, [u8; 32]), Error> {
        let storage_err = |source| Error::Storage { what: "the part could not be stored", source: Box::new(source) };
        let object_err = |source| storage_err(objects::Error::Object { key: key.to_string(), source });
        let mut writer = self.data.writer(key, options).await.map_err(storage_err)?;
        let limit = self.uploads.max_part_bytes;
        let (mut size, mut hasher) = (0u64, Sha256::new());
        let outcome = loop {
            let chunk = match body.next().await {
                None => break Ok(()),
                Some(Err(e)) => break Err(Error::BodyRead { source: e }),
                Some(Ok(chunk)) => chunk,
            };
            size += chunk.len() as u64;
            if size > limit {
                break Err(Error::Invalid {
                    member: "payload".into(),
                    problem: format!(
                        "the part is larger than {limit} bytes, the largest this server accepts \
                         (uploads.max_part_bytes): split the file into more parts"
                    ),
                });
            }
            hasher.update(&chunk);
            if let Err(e) = writer.wait_for_capacity(PART_WRITE_CONCURRENCY).await {
                break Err(object_err(e));
            }
            writer.put(chunk);
        };
        match outcome {
            Ok(()) => {
                writer.finish().await.map_err(object_err)?;
                Ok((size, hasher.finalize().into()))
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// Completes an upload: every listed part must have been uploaded with the listed checksum, and
    /// each file's parts must be numbered 1, 2, 3, … without gaps (parts not listed are dropped).
    /// Creates the read set (PROCESSING_UPLOAD, creationType UPLOAD) and the job that processes the
    /// parts through the import pipeline, in one transaction; returns the read set id.
    pub async fn complete_upload(
        &self,
        caller: &Caller,
        store_id: &str,
        upload_id: &str,
        listed: &[CompletedPart],
    ) -> Result<String, Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        let store = sequence_stores::get(&mut tx, &caller.account, store_id).await?;
        let store = store.ok_or_else(|| Error::NotFound { kind: "sequence store", id: store_id.to_owned() })?;
        let upload = uploads::get(&mut tx, &caller.account, store_id, upload_id).await?;
        let upload = upload
            .filter(|u| u.status == UploadStatus::InProgress)
            .ok_or_else(|| Error::NotFound { kind: "upload in progress", id: upload_id.to_owned() })?;
        let stored = uploads::all_parts(&mut tx, upload_id).await?;
        let (source1, source2) = chosen_parts(&stored, listed)?;
        let spec = &upload.spec;
        if !source2.is_empty() && !spec.file_type.allows_source2() {
            return Err(Error::Invalid { member: "parts".into(), problem: "SOURCE2 is only for FASTQ".into() });
        }
        let now = time::now();
        let has_source2 = !source2.is_empty();
        let source = SourceSpec {
            source1: format!("upload://{upload_id}/SOURCE1"),
            source2: has_source2.then(|| format!("upload://{upload_id}/SOURCE2")),
            file_type: spec.file_type,
            subject_id: spec.subject_id.clone(),
            sample_id: spec.sample_id.clone(),
            generated_from: spec.generated_from.clone(),
            reference_arn: spec.reference_arn.clone(),
            name: Some(spec.name.clone()),
            description: spec.description.clone(),
            tags: spec.tags.clone(),
        };
        let creation = Creation { creation_type: CreationType::Upload, job_id: Some(upload_id.to_owned()), time: now };
        let id = db::ids::reserve(&mut tx, "readSet").await?;
        let read_set = ReadSet::new(id, caller.account.clone(), store_id.to_owned(), &source, creation);
        read_sets::insert(&mut tx, &read_set).await?;
        let arn = self.read_set_arn(&caller.account, store_id, &read_set.id);
        db::tags::put(&mut tx, &arn, &tags::with_system_tags(&spec.tags, &spec.sample_id, &spec.subject_id)).await?;
        let job = Job {
            id: upload_id.to_owned(),
            kind: JobKind::Upload,
            account: caller.account.clone(),
            store_id: store_id.to_owned(),
            role_arn: String::new(),
            status: JobStatus::Submitted,
            status_message: None,
            creation_time: now,
            completion_time: None,
            destination: None,
        };
        let parts = UploadedParts {
            upload_id: upload_id.to_owned(),
            source1,
            source2,
            keep_on_failure: store.fallback_location.as_deref().is_some_and(|l| !l.is_empty()),
        };
        import_jobs::insert_job(&mut tx, &job).await?;
        import_jobs::insert_sources(&mut tx, &job, &[JobSpec::Upload(UploadSource { source, parts })]).await?;
        import_jobs::reserve_read_set(&mut tx, &job.id, 0, &read_set.id).await?;
        if !uploads::complete(&mut tx, upload_id, &read_set.id, now).await? {
            return Err(Error::NotFound { kind: "upload in progress", id: upload_id.to_owned() });
        }
        tx.commit().await.map_err(db::Error::from)?;
        self.wake.notify_waiters();
        Ok(read_set.id)
    }

    /// Aborts an upload in progress: its rows, then its part objects.
    pub async fn abort_upload(&self, caller: &Caller, store_id: &str, upload_id: &str) -> Result<(), Error> {
        let mut tx = self.db.begin_for(&caller.account).await?;
        self.require_store(&mut tx, caller, store_id).await?;
        let upload = uploads::get(&mut tx, &caller.account, store_id, upload_id).await?;
        if !upload.is_some_and(|u| u.status == UploadStatus::InProgress) {
            return Err(Error::NotFound { kind: "upload in progress", id: upload_id.to_owned() });
        }
        uploads::delete(&mut tx, upload_id).await?;
        tx.commit().await.map_err(db::Error::from)?;
        self.delete_upload_objects(store_id, upload_id).await;
        Ok(())
    }

    /// One page of a store's uploads in progress, in (creationTime, id) order.
    pub async fn list_uploads(
        &self,
        caller: &Caller,
        store_id: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Upload>, Error> {
        let Listing { scope, after, limit } =
            self.listing("ListMultipartReadSetUploads", caller, store_id, &(), max_results, next_token)?;
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        self.require_store(&mut conn, caller, store_id).await?;
        let items = uploads::list(&mut conn, &caller.account, store_id, after.as_ref(), limit + 1).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |u| (u.creation_time, u.id.clone())))
    }

    /// One page of the parts of one file of an upload in progress, in part-number order.
    pub async fn list_upload_parts(
        &self,
        caller: &Caller,
        store_id: &str,
        upload_id: &str,
        filter: &PartFilter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<Part>, Error> {
        let listing_store = format!("{store_id}/{upload_id}");
        let Listing { scope, after, limit } =
            self.listing("ListReadSetUploadParts", caller, &listing_store, filter, max_results, next_token)?;
        self.upload_in_progress(caller, store_id, upload_id).await?;
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let query = uploads::PartQuery {
            source: filter.source,
            created_from: filter.created_after.map(time::ceil_millis),
            created_before: filter.created_before.map(time::ceil_millis),
            after,
            limit: limit + 1,
        };
        let items = uploads::parts(&mut conn, upload_id, &query).await?;
        Ok(Page::cut(items, limit, &self.tokens, &scope, |p| (p.number, p.source.as_str().to_owned())))
    }

    /// Aborts every upload that received nothing since `before` (the sweep); returns how many.
    pub async fn abort_idle_uploads(&self, before: Millis) -> Result<usize, Error> {
        let mut aborted = 0;
        loop {
            let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
            let idle = uploads::idle_since(&mut conn, before, 100).await?;
            drop(conn);
            if idle.is_empty() {
                return Ok(aborted);
            }
            for upload in idle {
                let mut tx = self.db.begin_for(&upload.account).await?;
                let current = uploads::get(&mut tx, &upload.account, &upload.store_id, &upload.id).await?;
                let still_idle =
                    current.is_some_and(|u| u.status == UploadStatus::InProgress && u.activity_time < before);
                if !still_idle {
                    continue;
                }
                uploads::delete(&mut tx, &upload.id).await?;
                tx.commit().await.map_err(db::Error::from)?;
                self.delete_upload_objects(&upload.store_id, &upload.id).await;
                tracing::info!(upload = %upload.id, store = %upload.store_id, "aborted an abandoned upload");
                aborted += 1;
            }
        }
    }

    /// Deletes every part object of an upload (failures are left to the sweep).
    pub async fn delete_upload_objects(&self, store_id: &str, upload_id: &str) {
        if let Err(e) = self.data.delete_dir(store_id, UPLOADS, upload_id).await {
            tracing::warn!(error = ?e, upload = upload_id, "part objects remain; the sweep will remove them");
        }
    }

    /// Store `store_id` of `caller` and its upload `upload_id`, which must still take parts.
    async fn upload_in_progress(
        &self,
        caller: &Caller,
        store_id: &str,
        upload_id: &str,
    ) -> Result<(SequenceStore, Upload), Error> {
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let store = sequence_stores::get(&mut conn, &caller.account, store_id).await?;
        let store = store.ok_or_else(|| Error::NotFound { kind: "sequence store", id: store_id.to_owned() })?;
        let upload = uploads::get(&mut conn, &caller.account, store_id, upload_id).await?;
        let upload = upload
            .filter(|u| u.status == UploadStatus::InProgress)
            .ok_or_else(|| Error::NotFound { kind: "upload in progress", id: upload_id.to_owned() })?;
        Ok((store, upload))
    }
}

/// The stored parts `listed` names, per file in part-number order, after checking that each was
/// uploaded with that checksum, none is listed twice, and each file's numbers run 1..=n.
fn chosen_parts(stored: &[Part], listed: &[CompletedPart]) -> Result<(Vec<StoredPart>, Vec<StoredPart>), Error> {
    let invalid = |problem: String| Error::Invalid { member: "parts".into(), problem };
    let mut chosen: [Vec<(i64, StoredPart)>; 2] = [Vec::new(), Vec::new()];
    for (i, part) in listed.iter().enumerate() {
        let (source, number) = (part.source.as_str(), part.number);
        let found = stored.iter().find(|p| p.source == part.source && p.number == part.number);
        let found = found.ok_or_else(|| {
            invalid(format!("parts.{i}: part {number} of {source} was never uploaded (UploadReadSetPart)"))
        })?;
        if found.checksum != part.checksum {
            return Err(invalid(format!(
                "parts.{i}: the checksum of part {number} of {source} is '{}', not '{}': upload the part again or \
                 list the checksum UploadReadSetPart returned",
                found.checksum, part.checksum
            )));
        }
        let list = &mut chosen[usize::from(part.source == PartSource::Source2)];
        if list.iter().any(|(n, _)| *n == number) {
            return Err(invalid(format!("parts.{i}: part {number} of {source} is listed twice")));
        }
        list.push((number, StoredPart { key: found.key.clone(), size: found.size as u64 }));
    }
    let [mut source1, mut source2] = chosen;
    for (list, name) in [(&mut source1, "SOURCE1"), (&mut source2, "SOURCE2")] {
        list.sort_by_key(|(n, _)| *n);
        for (expected, (number, _)) in (1..).zip(list.iter()) {
            if *number != expected {
                return Err(invalid(format!(
                    "part {expected} of {name} is missing: the parts of a file must be numbered 1, 2, 3, … \
                     without gaps (the list has part {number} next)"
                )));
            }
        }
    }
    if source1.is_empty() {
        return Err(invalid("no part of SOURCE1 is listed: a read set needs its first file".into()));
    }
    let strip = |list: Vec<(i64, StoredPart)>| list.into_iter().map(|(_, p)| p).collect();
    Ok((strip(source1), strip(source2)))
}
