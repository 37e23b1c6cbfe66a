//! Where an export writes: a bucket on an S3-compatible endpoint, reached through a role location
//! with write access (its endpoint and credentials), every request carrying the SHA-256 of its body
//! for the destination to check. Every request is retried by object_store
//! ([`DESTINATION_RETRY`]: 10 retries with exponential backoff from 200 ms up to 10 s, on 5xx and
//! 429 answers, refused or dropped connections and timeouts). Large files go as multipart uploads
//! whose id the caller keeps ([`MultipartId`]), so that an interrupted attempt's upload can be
//! aborted by the one that takes over.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::Checksum;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{BackoffConfig, MultipartId, ObjectStoreExt, PutPayload, RetryConfig};

use super::s3::{Endpoint, builder};
use super::source::failure::S3Cause;
use crate::config::Location;

/// The retries of every request to a destination.
pub const DESTINATION_RETRY: RetryConfig = RetryConfig {
    backoff: BackoffConfig {
        init_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(10),
        base: 2.0,
    },
    max_retries: 10,
    retry_timeout: Duration::from_secs(300),
};

/// A request to the destination failed (after its retries).
#[derive(Debug, thiserror::Error)]
#[error("{what} s3://{bucket}/{key} failed: {cause}")]
pub struct WriteError {
    /// What was being done, e.g. "writing".
    pub what: &'static str,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// What the endpoint answered, in words.
    pub cause: S3Cause,
    /// The full error, for the log.
    #[source]
    pub source: Box<object_store::Error>,
}

/// A bucket an export writes to.
#[derive(Clone)]
pub struct Destination {
    store: Arc<object_store::aws::AmazonS3>,
    bucket: String,
}

impl Destination {
    /// The client for `bucket` with `location`'s endpoint and credentials.
    pub fn open(location: &Location, bucket: &str) -> Result<Self, WriteError> {
        // Each part and the whole object carry a SHA-256 that the destination checks (S3 and most
        // S3-compatible servers verify `x-amz-checksum-sha256`); against moto it also spares the
        // server a whole-object checksum pass at completion (bench/results-export.md).
        let builder = builder(bucket, Endpoint::of(location)).with_checksum_algorithm(Checksum::SHA256);
        let store = builder.with_retry(DESTINATION_RETRY).build().map_err(|source| WriteError {
            what: "opening",
            bucket: bucket.to_owned(),
            key: String::new(),
            cause: S3Cause::of(&source),
            source: Box::new(source),
        })?;
        Ok(Self { store: Arc::new(store), bucket: bucket.to_owned() })
    }

    fn failed(&self, what: &'static str, key: &Path) -> impl FnOnce(object_store::Error) -> WriteError + use<> {
        let (bucket, key) = (self.bucket.clone(), key.to_string());
        move |source| WriteError { what, bucket, key, cause: S3Cause::of(&source), source: Box::new(source) }
    }

    /// Writes `bytes` as `key` in one request (atomic: nothing partial is ever visible).
    pub async fn put(&self, key: &Path, bytes: Bytes) -> Result<(), WriteError> {
        self.store.put(key, PutPayload::from(bytes)).await.map(|_| ()).map_err(self.failed("writing", key))
    }

    /// Starts a multipart upload of `key`; nothing is visible under `key` before
    /// [`Destination::complete`].
    pub async fn create_multipart(&self, key: &Path) -> Result<MultipartId, WriteError> {
        self.store.create_multipart(key).await.map_err(self.failed("starting the upload of", key))
    }

    /// Uploads part `index` (0-based) of upload `id`.
    pub async fn put_part(
        &self,
        key: &Path,
        id: &MultipartId,
        index: usize,
        bytes: Bytes,
    ) -> Result<PartId, WriteError> {
        self.store
            .put_part(key, id, index, PutPayload::from(bytes))
            .await
            .map_err(self.failed("uploading a part of", key))
    }

    /// Completes upload `id` from its `parts` in order.
    pub async fn complete(&self, key: &Path, id: &MultipartId, parts: Vec<PartId>) -> Result<(), WriteError> {
        self.store.complete_multipart(key, id, parts).await.map(|_| ()).map_err(self.failed("completing", key))
    }

    /// Aborts upload `id` (an upload already gone is not an error).
    pub async fn abort(&self, key: &Path, id: &MultipartId) -> Result<(), WriteError> {
        match self.store.abort_multipart(key, id).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed("aborting the upload of", key)(e)),
        }
    }

    /// The size of the object `key`, as the endpoint reports it.
    pub async fn size(&self, key: &Path) -> Result<u64, WriteError> {
        self.store.head(key).await.map(|meta| meta.size).map_err(self.failed("checking", key))
    }

    /// Deletes `key` (a missing object is not an error).
    pub async fn delete(&self, key: &Path) -> Result<(), WriteError> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed("deleting", key)(e)),
        }
    }
}
