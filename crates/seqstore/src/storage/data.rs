//! The store's data: read set files under `{store}/readSet/{readSetId}/…` in an object store.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

/// Directory of read set objects within a store.
pub const READ_SETS: &str = "readSet";
/// Directory of reference objects within a store.
pub const REFERENCES: &str = "reference";
/// Directory of the parts of direct uploads within a store.
pub const UPLOADS: &str = "upload";

/// Chunk size of multipart writes: large enough for S3's 5 MiB minimum part.
const CHUNK: usize = 8 * 1024 * 1024;

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
    /// An object operation failed.
    #[error("object storage operation failed on `{key}`")]
    Object {
        /// Object key.
        key: String,
        /// Cause.
        #[source]
        source: object_store::Error,
    },
}

/// Where read set files live.
#[derive(Debug, Clone)]
pub struct DataStore {
    store: Arc<dyn ObjectStore>,
    local_root: Option<PathBuf>,
}

impl DataStore {
    /// Objects under `{data_dir}/objects` on the local file system.
    pub fn local(data_dir: &FsPath) -> Result<Self, Error> {
        let root = data_dir.join("objects");
        let dir_err = |source| Error::Dir { path: root.clone(), source };
        std::fs::create_dir_all(&root).map_err(dir_err)?;
        let root = root.canonicalize().map_err(dir_err)?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|source| Error::Object { key: root.display().to_string(), source })?
            .with_automatic_cleanup(true);
        Ok(Self { store: Arc::new(store), local_root: Some(root) })
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

    /// Writes a small object in one request.
    pub async fn put(&self, key: &Path, bytes: Vec<u8>) -> Result<(), Error> {
        self.store.put(key, bytes.into()).await.map(|_| ()).map_err(|source| object_err(key, source))
    }

    /// Bytes `range` of an object, as a stream.
    pub async fn get_range(
        &self,
        key: &Path,
        range: std::ops::Range<u64>,
    ) -> Result<futures_util::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>, Error> {
        if let Some(root) = &self.local_root {
            return local_range(root, key, range).await;
        }
        let options = object_store::GetOptions { range: Some(range.into()), ..Default::default() };
        let result = self.store.get_opts(key, options).await.map_err(|source| object_err(key, source))?;
        Ok(result.into_stream())
    }

    /// Starts a streaming write of `key`; nothing is visible under `key` before
    /// [`WriteMultipart::finish`].
    pub async fn writer(&self, key: &Path) -> Result<WriteMultipart, Error> {
        let upload = self.store.put_multipart(key).await.map_err(|source| object_err(key, source))?;
        Ok(WriteMultipart::new_with_chunk_size(upload, CHUNK))
    }

    /// Deletes every object of one read set (missing objects are not an error).
    pub async fn delete_read_set(&self, store_id: &str, read_set_id: &str) -> Result<(), Error> {
        self.delete_dir(store_id, READ_SETS, read_set_id).await
    }

    /// Deletes every object of one reference (missing objects are not an error).
    pub async fn delete_reference(&self, store_id: &str, reference_id: &str) -> Result<(), Error> {
        self.delete_dir(store_id, REFERENCES, reference_id).await
    }

    /// Deletes `{store}/{kind}/{id}/…` (`kind` is [`READ_SETS`], [`REFERENCES`] or [`UPLOADS`]).
    pub async fn delete_dir(&self, store_id: &str, kind: &str, id: &str) -> Result<(), Error> {
        let prefix = Path::from(format!("{store_id}/{kind}/{id}"));
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await.map_err(|s| object_err(&prefix, s))?;
        for meta in metas {
            match self.store.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(source) => return Err(object_err(&meta.location, source)),
            }
        }
        self.remove_local_leftovers(store_id, kind, id);
        Ok(())
    }

    /// Every `(store id, kind, id)` that has objects, including, on the local file system,
    /// staging files of unfinished writes that object_store's listing hides.
    pub async fn object_dirs(&self) -> Result<Vec<(String, String, String)>, Error> {
        let mut found: Vec<(String, String, String)> = Vec::new();
        let metas: Vec<_> = self.store.list(None).try_collect().await.map_err(|s| object_err(&Path::from(""), s))?;
        for meta in metas {
            let parts: Vec<_> = meta.location.parts().map(|p| p.as_ref().to_owned()).collect();
            if let [store, kind, id, ..] = parts.as_slice()
                && (kind == READ_SETS || kind == REFERENCES || kind == UPLOADS)
            {
                found.push((store.clone(), kind.clone(), id.clone()));
            }
        }
        if let Some(root) = &self.local_root {
            found.extend(local_dirs(root));
        }
        found.sort();
        found.dedup();
        Ok(found)
    }

    /// The object store itself (reads by tests and later by GetReadSet).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    fn remove_local_leftovers(&self, store_id: &str, kind: &str, id: &str) {
        if let Some(root) = &self.local_root {
            let _ = std::fs::remove_dir_all(root.join(store_id).join(kind).join(id));
        }
    }
}

/// Read buffer of local downloads: object_store's local stream reads 8 KiB per blocking task, which
/// held GetReadSet to a third of a static file server's speed (bench/results-read-sets.md).
const LOCAL_READ_BUFFER: usize = 1024 * 1024;

/// `range` of a local object as a stream of 1 MiB chunks.
async fn local_range(
    root: &FsPath,
    key: &Path,
    range: std::ops::Range<u64>,
) -> Result<futures_util::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>, Error> {
    use futures_util::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let path = key.parts().fold(root.to_path_buf(), |path, part| path.join(part.as_ref()));
    let io_err = |source: std::io::Error| {
        let source = match source.kind() {
            std::io::ErrorKind::NotFound => {
                object_store::Error::NotFound { path: key.to_string(), source: Box::new(source) }
            }
            _ => object_store::Error::Generic { store: "local", source: Box::new(source) },
        };
        object_err(key, source)
    };
    let mut file = tokio::fs::File::open(&path).await.map_err(io_err)?;
    file.seek(std::io::SeekFrom::Start(range.start)).await.map_err(io_err)?;
    let reader = file.take(range.end.saturating_sub(range.start));
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, LOCAL_READ_BUFFER)
        .map(|chunk| chunk.map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) }));
    Ok(stream.boxed())
}

fn object_err(key: &Path, source: object_store::Error) -> Error {
    Error::Object { key: key.to_string(), source }
}

/// `{root}/{store}/{kind}/{id}` directories present on disk.
fn local_dirs(root: &FsPath) -> Vec<(String, String, String)> {
    let names = |dir: &FsPath| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default()
    };
    let mut found = Vec::new();
    for store in names(root) {
        for kind in [READ_SETS, REFERENCES, UPLOADS] {
            for id in names(&root.join(&store).join(kind)) {
                found.push((store.clone(), kind.to_owned(), id));
            }
        }
    }
    found
}
