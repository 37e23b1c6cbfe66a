//! What only local storage needs: fast ranged reads and the directories (including staging files
//! of unfinished writes, which object_store's listing hides) under the objects root.

use std::path::Path as FsPath;

use futures_util::stream::BoxStream;
use object_store::path::Path;

use super::{Error, KINDS, object_err};

/// Read buffer of local downloads: object_store's local stream reads 8 KiB per blocking task, which
/// held GetReadSet to a third of a static file server's speed (bench/results-read-sets.md).
const READ_BUFFER: usize = 1024 * 1024;

/// `range` of the object `key` under `root` as a stream of 1 MiB chunks; a missing file is
/// object_store's `NotFound`, as from the object store itself.
pub(super) async fn range(
    root: &FsPath,
    key: &Path,
    range: std::ops::Range<u64>,
) -> Result<BoxStream<'static, object_store::Result<bytes::Bytes>>, Error> {
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
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, READ_BUFFER)
        .map(|chunk| chunk.map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) }));
    Ok(stream.boxed())
}

/// `{root}/{store}/{kind}/{id}` directories on disk that hold a file (an object or the staging
/// file of an unfinished write) at any depth; an empty directory holds no data.
pub(super) fn dirs(root: &FsPath) -> Vec<(String, String, String)> {
    let names = |dir: &FsPath| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default()
    };
    let mut found = Vec::new();
    for store in names(root) {
        for kind in KINDS {
            for id in names(&root.join(&store).join(kind)) {
                if holds_file(&root.join(&store).join(kind).join(&id)) {
                    found.push((store.clone(), kind.to_owned(), id));
                }
            }
        }
    }
    found
}

/// True when `dir` holds a file at any depth (unreadable entries count as files: better swept).
fn holds_file(dir: &FsPath) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return true };
    entries.into_iter().any(|entry| {
        let Ok(entry) = entry else { return true };
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => holds_file(&entry.path()),
            _ => true,
        }
    })
}

/// Removes `{root}/{store}/{kind}/{id}` with whatever staging files remain in it.
pub(super) fn remove_dir(root: &FsPath, store: &str, kind: &str, id: &str) {
    let _ = std::fs::remove_dir_all(root.join(store).join(kind).join(id));
}
