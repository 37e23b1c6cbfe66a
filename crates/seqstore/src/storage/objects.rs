//! The store's own objects, as opposed to import [`sources`](super::source): read set files under
//! `{store}/readSet/{readSetId}/…`, reference files under `{store}/reference/{referenceId}/…` and
//! upload parts under `{store}/upload/{uploadId}/…`, in an object store — a local directory
//! (`{data_dir}/objects`) or an S3 bucket under a key prefix. Every operation behaves the same on
//! both; on S3, writes carry the store's SSE-KMS key and a read set's propagated tags
//! ([`WriteOptions`]), which local storage records nowhere.

mod local;
mod options;

pub use options::{Encryption, MAX_OBJECT_TAGS, WriteOptions};

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMultipartOptions, PutOptions, RetryConfig, WriteMultipart};

use super::s3::{self, Endpoint};
use crate::config::{ArchiveStorageConfig, StorageConfig, StorageKind};

/// Directory of read set objects within a store.
pub const READ_SETS: &str = "readSet";
/// Directory of reference objects within a store.
pub const REFERENCES: &str = "reference";
/// Directory of the parts of direct uploads within a store.
pub const UPLOADS: &str = "upload";
/// Every kind of directory within a store.
const KINDS: [&str; 3] = [READ_SETS, REFERENCES, UPLOADS];

/// Chunk size of multipart writes to S3: large enough for S3's 5 MiB minimum part.
const CHUNK: usize = 8 * 1024 * 1024;
/// Chunk size of multipart writes to the local filesystem, which has no minimum: small parts keep
/// the bytes a write holds in flight (a few parts) from growing when the disk falls behind.
const LOCAL_CHUNK: usize = 1024 * 1024;

/// Errors of the data store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data directory could not be prepared.
    #[error("cannot prepare data directory `{path}`")]
    Dir {
        /// Directory.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A blocking read task failed.
    #[error("a blocking storage task failed")]
    Join(#[source] tokio::task::JoinError),
    /// The S3 client could not be configured.
    #[error("cannot configure the S3 client of bucket `{bucket}`")]
    Client {
        /// Bucket.
        bucket: String,
        /// Cause.
        #[source]
        source: object_store::Error,
    },
    /// An object operation failed.
    #[error("object storage operation failed on `{key}`")]
    Object {
        /// Object key (relative to the configured prefix).
        key: String,
        /// Cause.
        #[source]
        source: object_store::Error,
    },
}

/// Where the store's data lives. Cheap to clone; clones share their clients.
#[derive(Debug, Clone)]
pub struct DataStore {
    /// Reads, lists, deletes and plain writes; keys relative to the prefix.
    store: Arc<dyn ObjectStore>,
    backend: Arc<Backend>,
}

#[derive(Debug)]
enum Backend {
    /// Files under this canonical directory.
    Local(PathBuf),
    /// A bucket, with one more client per SSE-KMS key in use.
    S3(Box<S3Clients>),
    /// An object store given by the caller ([`DataStore::from_object_store`]).
    Other,
}

/// The S3 clients of one bucket and prefix: object_store fixes server-side encryption per client,
/// so each KMS key gets its own, built on first use and kept (one per key of the stores).
struct S3Clients {
    builder: AmazonS3Builder,
    bucket: String,
    prefix: String,
    /// The storage class every write asks for (`x-amz-storage-class`); `None`: the bucket's.
    storage_class: Option<String>,
    by_key: Mutex<HashMap<Option<String>, Arc<dyn ObjectStore>>>,
}

impl std::fmt::Debug for S3Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The builder holds credentials: show where, never how.
        f.debug_struct("S3Clients").field("bucket", &self.bucket).field("prefix", &self.prefix).finish()
    }
}

impl DataStore {
    /// The data store `storage` configures: local under `{data_dir}/objects`, or S3.
    pub fn new(storage: &StorageConfig, data_dir: &FsPath) -> Result<Self, Error> {
        match storage.kind {
            StorageKind::Local => Self::local(data_dir),
            StorageKind::S3 => Self::s3_of(storage, None),
        }
    }

    /// The archive tier `archive` configures: local under its `dir` (default
    /// `{data_dir}/archive`), or S3, every write with its storage class.
    pub fn archive(archive: &ArchiveStorageConfig, data_dir: &FsPath) -> Result<Self, Error> {
        match archive.kind {
            StorageKind::Local => Self::local_at(&archive.local_dir(data_dir)),
            StorageKind::S3 => Self::s3_of(&archive.as_storage(), archive.storage_class.clone()),
        }
    }

    /// The S3 bucket and prefix `storage` names, writing with `storage_class`.
    fn s3_of(storage: &StorageConfig, storage_class: Option<String>) -> Result<Self, Error> {
        let endpoint = Endpoint {
            url: storage.endpoint.as_deref(),
            region: storage.region.as_deref(),
            path_style: storage.path_style,
            keys: storage.access_key_id.as_deref().zip(storage.secret_access_key.as_deref()),
        };
        let bucket = storage.bucket.as_deref().unwrap_or_default();
        let mut builder = s3::builder(bucket, endpoint);
        if let Some(max_retries) = storage.max_retries {
            builder = builder.with_retry(RetryConfig { max_retries, ..RetryConfig::default() });
        }
        Self::s3_with(bucket, &storage.prefix, builder, storage_class)
    }

    /// Every object in `store`, keys used as given: any object_store implementation, e.g. one
    /// that wraps a real store to inject faults in tests. Reads, writes, listings and deletions
    /// all go through it; writes carry [`WriteOptions`]' tags but not its SSE-KMS encryption
    /// (which only [`DataStore::s3`] applies, with one client per key).
    pub fn from_object_store(store: Arc<dyn ObjectStore>) -> Self {
        Self { store, backend: Arc::new(Backend::Other) }
    }

    /// Objects under `{data_dir}/objects` on the local file system.
    pub fn local(data_dir: &FsPath) -> Result<Self, Error> {
        Self::local_at(&data_dir.join("objects"))
    }

    /// Objects under directory `root` on the local file system (created if missing).
    pub fn local_at(root: &FsPath) -> Result<Self, Error> {
        let root = root.to_path_buf();
        let dir_err = |source| Error::Dir { path: root.clone(), source };
        std::fs::create_dir_all(&root).map_err(dir_err)?;
        let root = root.canonicalize().map_err(dir_err)?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|source| Error::Object { key: root.display().to_string(), source })?
            .with_automatic_cleanup(true);
        Ok(Self { store: Arc::new(store), backend: Arc::new(Backend::Local(root)) })
    }

    /// Objects in `bucket` under `prefix` (`/`-separated; leading and trailing `/` ignored; empty
    /// means the bucket's root). Nothing is requested yet: a wrong bucket or credentials show at
    /// the first operation.
    pub fn s3(bucket: &str, prefix: &str, endpoint: Endpoint<'_>) -> Result<Self, Error> {
        Self::s3_with(bucket, prefix, s3::builder(bucket, endpoint), None)
    }

    /// Objects in `bucket` under `prefix`, through clients made by `builder`.
    fn s3_with(
        bucket: &str,
        prefix: &str,
        builder: AmazonS3Builder,
        storage_class: Option<String>,
    ) -> Result<Self, Error> {
        let clients = S3Clients {
            builder,
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            storage_class,
            by_key: Mutex::new(HashMap::new()),
        };
        let store = clients.build(clients.builder.clone())?;
        Ok(Self { store, backend: Arc::new(Backend::S3(Box::new(clients))) })
    }

    /// The key of a read set file.
    pub fn read_set_key(store_id: &str, read_set_id: &str, file: &str) -> Path {
        Path::from(format!("{store_id}/{READ_SETS}/{read_set_id}/{file}"))
    }

    /// The key of a reference file.
    pub fn reference_key(store_id: &str, reference_id: &str, file: &str) -> Path {
        Path::from(format!("{store_id}/{REFERENCES}/{reference_id}/{file}"))
    }

    /// A new, unique key for one upload of part `number` of `source` (`SOURCE1`/`SOURCE2`): a
    /// replaced part keeps its object until the replacement is recorded.
    pub fn upload_part_key(store_id: &str, upload_id: &str, source: &str, number: i64) -> Path {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        Path::from(format!("{store_id}/{UPLOADS}/{upload_id}/{source}/{number:05}-{nonce}"))
    }

    /// Deletes one object (a missing object is not an error).
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        let key = Path::from(key);
        match self.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(object_err(&key, source)),
        }
    }

    /// Writes a small object in one request, atomically: readers see the old object or the new
    /// one, never part of it.
    pub async fn put(&self, key: &Path, bytes: Vec<u8>, options: &WriteOptions) -> Result<(), Error> {
        let store = self.writes(options)?;
        let put = PutOptions { tags: options.tag_set(), attributes: self.attributes(), ..PutOptions::default() };
        store.put_opts(key, bytes.into(), put).await.map(|_| ()).map_err(|source| object_err(key, source))
    }

    /// Bytes `range` of an object, as a stream; a missing object is an [`Error::Object`] whose
    /// source is object_store's `NotFound`.
    pub async fn get_range(
        &self,
        key: &Path,
        range: std::ops::Range<u64>,
    ) -> Result<BoxStream<'static, object_store::Result<bytes::Bytes>>, Error> {
        if let Backend::Local(root) = &*self.backend {
            return local::range(root, key, range).await;
        }
        let options = object_store::GetOptions { range: Some(range.into()), ..Default::default() };
        let result = self.store.get_opts(key, options).await.map_err(|source| object_err(key, source))?;
        Ok(result.into_stream())
    }

    /// Starts a streaming write of `key` in parts of 8 MiB (1 MiB on the local filesystem); nothing
    /// is visible under `key` before [`WriteMultipart::finish`], and [`WriteMultipart::abort`] (or
    /// dropping the writer) leaves nothing behind but, on S3, an incomplete upload when the process
    /// dies first.
    pub async fn writer(&self, key: &Path, options: &WriteOptions) -> Result<WriteMultipart, Error> {
        let store = self.writes(options)?;
        let put = PutMultipartOptions {
            tags: options.tag_set(),
            attributes: self.attributes(),
            ..PutMultipartOptions::default()
        };
        let upload = store.put_multipart_opts(key, put).await.map_err(|source| object_err(key, source))?;
        let chunk = if matches!(&*self.backend, Backend::Local(_)) { LOCAL_CHUNK } else { CHUNK };
        Ok(WriteMultipart::new_with_chunk_size(upload, chunk))
    }

    /// Deletes every object of one read set (missing objects are not an error).
    pub async fn delete_read_set(&self, store_id: &str, read_set_id: &str) -> Result<(), Error> {
        self.delete_dir(store_id, READ_SETS, read_set_id).await
    }

    /// Deletes every object of one reference (missing objects are not an error).
    pub async fn delete_reference(&self, store_id: &str, reference_id: &str) -> Result<(), Error> {
        self.delete_dir(store_id, REFERENCES, reference_id).await
    }

    /// Deletes `{store}/{kind}/{id}/…` (`kind` is [`READ_SETS`], [`REFERENCES`] or [`UPLOADS`]),
    /// on S3 in batches of up to 1000 keys per request, and on local storage also the staging
    /// files of unfinished writes. Missing objects are not an error.
    pub async fn delete_dir(&self, store_id: &str, kind: &str, id: &str) -> Result<(), Error> {
        let prefix = Path::from(format!("{store_id}/{kind}/{id}"));
        let locations = self.store.list(Some(&prefix)).map_ok(|meta| meta.location).boxed();
        let mut deleted = self.store.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(source) => return Err(object_err(&prefix, source)),
            }
        }
        if let Backend::Local(root) = &*self.backend {
            local::remove_dir(root, store_id, kind, id);
        }
        Ok(())
    }

    /// Every `(store id, kind, id)` that has objects (under the prefix, on S3), sorted; on local
    /// storage also those that only hold staging files of unfinished writes, which object_store's
    /// listing hides. On S3 an unfinished multipart upload is not an object and is not listed.
    pub async fn object_dirs(&self) -> Result<Vec<(String, String, String)>, Error> {
        Ok(self.inventory().await?.0)
    }

    /// [`DataStore::object_dirs`], and the key of every object listed (relative to the prefix).
    pub async fn inventory(&self) -> Result<(Vec<(String, String, String)>, Vec<String>), Error> {
        let mut found: Vec<(String, String, String)> = Vec::new();
        let metas: Vec<_> = self.store.list(None).try_collect().await.map_err(|s| object_err(&Path::from(""), s))?;
        let mut keys = Vec::with_capacity(metas.len());
        for meta in metas {
            let parts: Vec<_> = meta.location.parts().map(|p| p.as_ref().to_owned()).collect();
            if let [store, kind, id, ..] = parts.as_slice()
                && KINDS.contains(&kind.as_str())
            {
                found.push((store.clone(), kind.clone(), id.clone()));
            }
            keys.push(meta.location.to_string());
        }
        if let Backend::Local(root) = &*self.backend {
            found.extend(local::dirs(root));
        }
        found.sort();
        found.dedup();
        Ok((found, keys))
    }

    /// The object store itself, keys relative to the prefix (ranged reads of references).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The attributes of every write: the configured storage class, if any.
    fn attributes(&self) -> object_store::Attributes {
        let mut attributes = object_store::Attributes::new();
        if let Backend::S3(clients) = &*self.backend
            && let Some(class) = &clients.storage_class
        {
            attributes.insert(object_store::Attribute::StorageClass, class.clone().into());
        }
        attributes
    }

    /// The client that writes with `options`' encryption.
    fn writes(&self, options: &WriteOptions) -> Result<Arc<dyn ObjectStore>, Error> {
        match (&*self.backend, &options.encryption) {
            (Backend::S3(clients), Encryption::Kms(key)) => clients.kms(key.as_deref()),
            (Backend::S3(_) | Backend::Local(_) | Backend::Other, _) => Ok(Arc::clone(&self.store)),
        }
    }
}

impl S3Clients {
    /// The client that encrypts with SSE-KMS under `key` (S3's AWS managed key when `None`).
    fn kms(&self, key: Option<&str>) -> Result<Arc<dyn ObjectStore>, Error> {
        let mut cache = self.by_key.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(store) = cache.get(&key.map(str::to_owned)) {
            return Ok(Arc::clone(store));
        }
        let builder = match key {
            Some(key) => self.builder.clone().with_sse_kms_encryption(key),
            None => {
                let sse: AmazonS3ConfigKey = "aws_server_side_encryption".parse().expect("an object_store key");
                self.builder.clone().with_config(sse, "aws:kms")
            }
        };
        let store = self.build(builder)?;
        cache.insert(key.map(str::to_owned), Arc::clone(&store));
        Ok(store)
    }

    /// A client from `builder`, under the prefix.
    fn build(&self, builder: AmazonS3Builder) -> Result<Arc<dyn ObjectStore>, Error> {
        let client = builder.build().map_err(|source| Error::Client { bucket: self.bucket.clone(), source })?;
        Ok(if self.prefix.is_empty() {
            Arc::new(client)
        } else {
            Arc::new(PrefixStore::new(client, self.prefix.as_str()))
        })
    }
}

fn object_err(key: &Path, source: object_store::Error) -> Error {
    Error::Object { key: key.to_string(), source }
}
