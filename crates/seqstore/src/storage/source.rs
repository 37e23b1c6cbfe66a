//! Opening an import source as a byte stream, within what its role may read.
//!
//! `s3://` sources are read through a client made for long streams and flaky endpoints:
//! - each request is retried by object_store ([`SOURCE_RETRY`]: 3 retries, backoff from 100 ms up
//!   to 2 s, on 5xx answers, refused or dropped connections and timeouts);
//! - no request has an overall time limit (a large source may stream for hours through a throttled
//!   or back-pressured import), but a read that stalls for [`super::s3::STALL_TIMEOUT`] fails;
//! - a body cut mid-way is resumed by [`resume::resumable`]: a ranged GET from the offset reached,
//!   conditional on the ETag first seen, with exponential backoff, up to
//!   [`resume::Policy::SOURCES`]`.attempts` consecutive failures without progress. A source
//!   replaced while it is read fails instead of mixing two versions.

pub mod resume;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{BackoffConfig, GetOptions, GetRange, ObjectStore, RetryConfig};
use tokio_util::io::ReaderStream;

use super::locations::SourceUri;
use super::s3::Endpoint;
use crate::config::import::Location;

/// Read buffer of `file://` sources.
const READ_BUFFER: usize = 256 * 1024;

/// object_store's retries of each request to a source's endpoint: few and quick, because a body
/// cut mid-way is also resumed by [`resume::resumable`], which waits longer.
pub const SOURCE_RETRY: RetryConfig = RetryConfig {
    backoff: BackoffConfig { init_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(2), base: 2.0 },
    max_retries: 3,
    retry_timeout: Duration::from_secs(30),
};

/// An opened source.
pub struct Opened {
    /// Size in bytes.
    pub size: u64,
    /// The bytes, in order.
    pub stream: BoxStream<'static, std::io::Result<Bytes>>,
}

/// Why a source could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No such file or object.
    #[error("{uri} does not exist")]
    NotFound {
        /// The source URI.
        uri: String,
    },
    /// The canonical path leaves every allowed root (e.g. through a symlink). Where it leads is
    /// logged, not returned: it describes the server's file system, not the caller's data.
    #[error(
        "{uri} resolves outside the directories this role may read (through a symbolic link): copy or move the \
         file itself under an allowed directory"
    )]
    Outside {
        /// The source URI.
        uri: String,
    },
    /// Not a regular file: a directory, FIFO, socket or device (which could block the reader).
    #[error("{uri} is not a regular file; name a file, not a directory, pipe or device")]
    NotRegular {
        /// The source URI.
        uri: String,
    },
    /// A file could not be opened.
    #[error("cannot open {uri}")]
    File {
        /// The source URI.
        uri: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The S3 request failed.
    #[error("cannot read {uri}")]
    S3 {
        /// The source URI.
        uri: String,
        /// Cause.
        #[source]
        source: object_store::Error,
    },
}

/// Opens `uri` (text as submitted) through `location`, the grant that covers it.
pub async fn open(text: &str, uri: &SourceUri, location: &Location) -> Result<Opened, OpenError> {
    match uri {
        SourceUri::File(path) => open_file(text, path, location).await,
        SourceUri::S3 { bucket, key } => open_s3(text, bucket, key, location).await,
    }
}

async fn open_file(text: &str, path: &std::path::Path, location: &Location) -> Result<Opened, OpenError> {
    let file_err = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => OpenError::NotFound { uri: text.to_owned() },
        _ => OpenError::File { uri: text.to_owned(), source },
    };
    let root = PathBuf::from(location.uri.trim_start_matches("file://"));
    let root = tokio::fs::canonicalize(&root).await.map_err(file_err)?;
    let outside = |resolved: &std::path::Path| {
        tracing::warn!(uri = text, resolved = %resolved.display(), root = %root.display(), "source outside its root");
        OpenError::Outside { uri: text.to_owned() }
    };
    // Where the path leads, and what is there, before opening: opening a FIFO would block until a
    // writer appears.
    let target = tokio::fs::canonicalize(path).await.map_err(file_err)?;
    if !target.starts_with(&root) {
        return Err(outside(&target));
    }
    if !tokio::fs::metadata(&target).await.map_err(file_err)?.is_file() {
        return Err(OpenError::NotRegular { uri: text.to_owned() });
    }
    // Then open, and check again where the opened file really is: a symlink swapped in between
    // must not escape the root.
    let file = tokio::fs::File::open(path).await.map_err(file_err)?;
    let resolved = opened_path(&file, path).await.map_err(file_err)?;
    if !resolved.starts_with(&root) {
        return Err(outside(&resolved));
    }
    let meta = file.metadata().await.map_err(file_err)?;
    if !meta.is_file() {
        return Err(OpenError::NotRegular { uri: text.to_owned() });
    }
    Ok(Opened { size: meta.len(), stream: ReaderStream::with_capacity(file, READ_BUFFER).boxed() })
}

/// The real path of an opened file (Linux: its `/proc/self/fd` link; elsewhere: canonicalised).
async fn opened_path(file: &tokio::fs::File, path: &std::path::Path) -> std::io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = path;
        tokio::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).await
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        tokio::fs::canonicalize(path).await
    }
}

async fn open_s3(text: &str, bucket: &str, key: &str, location: &Location) -> Result<Opened, OpenError> {
    let s3_err = |source: object_store::Error| match source {
        object_store::Error::NotFound { .. } => OpenError::NotFound { uri: text.to_owned() },
        source => OpenError::S3 { uri: text.to_owned(), source },
    };
    let keys = location.access_key_id.as_deref().zip(location.secret_access_key.as_deref());
    let endpoint = Endpoint {
        url: location.endpoint.as_deref(),
        region: location.region.as_deref(),
        path_style: location.path_style,
        keys,
    };
    let builder = super::s3::for_streaming(super::s3::builder(bucket, endpoint)).with_retry(SOURCE_RETRY);
    let store: Arc<dyn ObjectStore> = Arc::new(builder.build().map_err(s3_err)?);
    let key = Path::parse(key).map_err(|e| s3_err(e.into()))?;
    let result = store.get_opts(&key, GetOptions::default()).await.map_err(s3_err)?;
    let size = result.meta.size;
    let etag = result.meta.e_tag.clone();
    let reopen: resume::Reopen = Box::new(move |offset| {
        let (store, key) = (Arc::clone(&store), key.clone());
        let options = GetOptions {
            range: Some(GetRange::Bounded(offset..size)),
            if_match: etag.clone(),
            ..GetOptions::default()
        };
        Box::pin(async move { Ok(store.get_opts(&key, options).await?.into_stream()) })
    });
    let stream = resume::resumable(result.into_stream(), size, resume::Policy::SOURCES, reopen);
    Ok(Opened { size, stream })
}
