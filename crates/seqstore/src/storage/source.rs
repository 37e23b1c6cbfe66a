//! Opening an import source as a byte stream, within what its role may read.
//!
//! `file://` sources are opened once, without blocking, and checked on the opened descriptor
//! ([`file`]). What a caller is told when a source cannot be opened or read is one sentence
//! without the server's internals ([`failure`]); the details are the errors' sources, for the log.
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

pub mod failure;
pub mod file;
pub mod resume;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use futures_util::stream::{BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{BackoffConfig, GetOptions, GetRange, ObjectStore, RetryConfig};
use tokio_util::io::ReaderStream;

use super::locations::SourceUri;
use super::s3::Endpoint;
use crate::config::Location;

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
    /// The bytes, in order. An error is a [`failure::ReadFailed`] naming the source; describe it
    /// to the user with [`failure::read_failure`].
    pub stream: BoxStream<'static, std::io::Result<Bytes>>,
}

/// Why a source could not be opened. The message (`Display`) is what the caller is told; the
/// details (`problem`, `source`) are for the server's log.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A `file://` source cannot be read: it does not exist, may not be read, is not a regular
    /// file (a directory, FIFO or device), or resolves outside every allowed root. The caller is
    /// told the same for all of these, so that sources cannot be used to find out which paths
    /// exist on the server (through a symbolic link to `/`, say); `problem` says which.
    #[error(
        "{uri} could not be read: it does not exist, is not a regular file, or lies outside the directories this \
         role may read; check the path, and that the file itself (not only a link to it) is in a directory the \
         role may read"
    )]
    File {
        /// The source URI.
        uri: String,
        /// What is wrong, for the log.
        #[source]
        problem: file::Problem,
    },
    /// An S3 request failed. `cause` is what the caller is told: what the endpoint answered,
    /// whether the request was retried, what to do; `source` has the endpoint URL and the raw
    /// answer (request id, host id), for the log.
    #[error("{}", failure::open_failure(uri, cause))]
    S3 {
        /// The source URI.
        uri: String,
        /// What went wrong, in the caller's terms.
        cause: failure::S3Cause,
        /// The error as object_store reported it.
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

/// Opens a file on a blocking thread (see [`file`]: it never blocks on a FIFO or device).
async fn open_file(text: &str, path: &std::path::Path, location: &Location) -> Result<Opened, OpenError> {
    let root = PathBuf::from(location.uri.trim_start_matches("file://"));
    let path = path.to_owned();
    let opened = tokio::task::spawn_blocking(move || file::open(&path, &root))
        .await
        .unwrap_or_else(|join| Err(file::Problem::Open(std::io::Error::other(join))));
    let (file, size) = opened.map_err(|problem| OpenError::File { uri: text.to_owned(), problem })?;
    let uri = text.to_owned();
    let stream = ReaderStream::with_capacity(tokio::fs::File::from_std(file), READ_BUFFER)
        .map_err(move |e| failure::ReadFailed::wrap(&uri, e))
        .boxed();
    Ok(Opened { size, stream })
}

async fn open_s3(text: &str, bucket: &str, key: &str, location: &Location) -> Result<Opened, OpenError> {
    let s3_err = |source: object_store::Error| OpenError::S3 {
        uri: text.to_owned(),
        cause: failure::S3Cause::of(&source),
        source,
    };
    let endpoint = Endpoint::of(location);
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
    let uri = text.to_owned();
    let stream = resume::resumable(result.into_stream(), size, resume::Policy::SOURCES, reopen)
        .map_err(move |e| failure::ReadFailed::wrap(&uri, e))
        .boxed();
    Ok(Opened { size, stream })
}
