//! Faults between seqstore and its storage or its sources, each injected for real: a TCP proxy
//! ([`FaultProxy`]) in front of moto resets connections or answers 500/503 after some bytes, for
//! `s3://` sources and for the store's own S3 storage; an object-store wrapper ([`DiskFull`])
//! fails writes after some bytes, like a full disk. Transient faults are retried (a cut source
//! stream is resumed with ranged GETs) and the import completes with the right ETag and bytes;
//! persistent ones end the source FAILED with a message saying what failed; no read set or
//! object with partial content is ever visible, and imports succeed again once the fault is gone.
//! What a failed `s3://` source tells its owner: `source_messages`.

mod source_messages;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_omics::Client;
use aws_sdk_omics::operation::get_read_set_import_job::GetReadSetImportJobOutput;
use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetImportJobItemStatus, ReadSetImportJobStatus};
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, UploadPart,
};
use seqstore::config::Config;
use seqstore::config::{Location, Role, StorageConfig, StorageKind};
use seqstore::storage::objects::DataStore;

use super::fastq_data::{fastq, gzip, md5};
use super::fault_proxy::{FaultProxy, Plan};
use super::imports::{ROLE_A, import_config, source, start, stored, wait, write};
use super::s3::S3Server;
use super::support::{Backend, KEY_A, TestDb, TestServer, data_store, object_dirs, sdk};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A FASTQ text and its gzip form (about 1 MiB).
fn reads(seed: u64) -> (Vec<u8>, Vec<u8>) {
    let text = fastq(seed, 7000, 150, None);
    let gz = gzip(&text);
    (text, gz)
}

/// The one source of a settled job.
fn only_source(job: &GetReadSetImportJobOutput) -> &aws_sdk_omics::types::ImportReadSetSourceItem {
    job.sources().first().expect("one source")
}

/// Asserts that `job` completed and its read set has `text`'s ETag and `stored` as bytes.
async fn assert_imported(
    client: &Client,
    config: &Config,
    store: &str,
    job: &GetReadSetImportJobOutput,
    text: &[u8],
    raw: &[u8],
) {
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let id = only_source(job).read_set_id().expect("read set");
    let meta = client.get_read_set_metadata().sequence_store_id(store).id(id).send().await.expect("metadata");
    assert_eq!(meta.etag().and_then(|e| e.source1()), Some(md5(text).as_str()), "ETag of the whole source");
    assert!(stored(config, store, id, "source1").await == raw, "stored bytes are the source's, bit for bit");
}

/// Asserts that `job` failed with a message containing `says`, and that no read set and no object
/// (on local storage, no staging file either) is left of it.
async fn assert_failed_cleanly(
    client: &Client,
    config: &Config,
    store: &str,
    job: &GetReadSetImportJobOutput,
    says: &str,
) {
    assert_eq!(job.status(), &ReadSetImportJobStatus::Failed, "{job:?}");
    let item = only_source(job);
    assert_eq!(item.status(), &ReadSetImportJobItemStatus::Failed);
    let message = item.status_message().unwrap_or_default();
    assert!(message.contains(says), "{message:?} should say {says:?}");
    let listed = client.list_read_sets().sequence_store_id(store).send().await.expect("list");
    assert!(listed.read_sets().is_empty(), "no read set: {listed:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let dirs = object_dirs(config).await;
        if dirs.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "objects of the failed attempt remain: {dirs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// moto with bucket `reads`, a proxy in front of it, and a server whose role reads `s3://reads/`
/// through the proxy.
struct SourceRig {
    s3: S3Server,
    proxy: FaultProxy,
    config: Config,
    server: TestServer,
    client: Client,
    store: String,
    _db: TestDb,
    _root: tempfile::TempDir,
}

impl SourceRig {
    async fn new() -> Option<Self> {
        let s3 = S3Server::start().await?;
        s3.create_bucket("reads");
        let proxy = FaultProxy::start(&s3.endpoint).await;
        let db = TestDb::new(Backend::chosen()).await.expect("database");
        let root = tempfile::tempdir().expect("root");
        let mut config = import_config(&db, root.path());
        config.roles = vec![Role {
            arn: ROLE_A.into(),
            locations: vec![Location {
                uri: "s3://reads/".into(),
                access: Default::default(),
                endpoint: Some(proxy.endpoint.clone()),
                region: Some("us-east-1".into()),
                path_style: true,
                access_key_id: Some("test".into()),
                secret_access_key: Some("test".into()),
            }],
        }];
        let server = TestServer::start(&config).await;
        let client = sdk(&server.endpoint, KEY_A);
        let store = super::imports::store(&client, ETagAlgorithmFamily::Md5Up).await;
        Some(Self { s3, proxy, config, server, client, store, _db: db, _root: root })
    }

    /// Uploads `bytes` as `reads/key` (directly, not through the proxy) and imports it.
    async fn import(&self, key: &str, bytes: Vec<u8>) -> GetReadSetImportJobOutput {
        self.s3.put("reads", key, bytes).await;
        let job = start(&self.client, &self.store, vec![source(&format!("s3://reads/{key}"), None)]).await;
        wait(&self.client, &self.store, &job).await
    }

    /// Requests of the source seen by the proxy, and how many of them asked for a range.
    fn ranged_gets(&self, key: &str) -> usize {
        let requests = self.proxy.requests();
        eprintln!("requests through the proxy: {requests:#?}");
        requests.iter().filter(|r| r.starts_with(&format!("GET /reads/{key} range=bytes="))).count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_stream_reset_again_and_again_is_resumed_with_ranged_gets() {
    let Some(rig) = SourceRig::new().await else { return };
    let (text, gz) = reads(1);
    assert!(gz.len() as u64 > 8 * 96 * KIB, "room for every reset: {} bytes", gz.len());
    // More resets than object_store's own retries of one request (3): seqstore's resumption
    // has to take over, and both resume from the offset reached.
    rig.proxy.set(Some(Plan::reset_after(96 * KIB).times(6)));
    let job = rig.import("flaky.fq.gz", gz.clone()).await;
    assert_imported(&rig.client, &rig.config, &rig.store, &job, &text, &gz).await;
    assert_eq!(rig.proxy.fired(), 6, "every reset happened");
    assert!(rig.ranged_gets("flaky.fq.gz") >= 6, "each reset resumed with a ranged GET");
    drop(rig.server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_answering_503_for_a_while_is_resumed() {
    let Some(rig) = SourceRig::new().await else { return };
    let (text, gz) = reads(2);
    // The stream is cut after 200 KiB, then the next five requests get 503 SlowDown.
    rig.proxy.set(Some(Plan::status_after(503, 200 * KIB).times(5)));
    let job = rig.import("slow-down.fq.gz", gz.clone()).await;
    assert_imported(&rig.client, &rig.config, &rig.store, &job, &text, &gz).await;
    assert_eq!(rig.proxy.fired(), 6, "the cut and five answers");
    assert!(rig.ranged_gets("slow-down.fq.gz") >= 1);
    drop(rig.server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_failing_for_good_ends_failed_with_nothing_kept() {
    let Some(rig) = SourceRig::new().await else { return };
    let (text, gz) = reads(3);
    rig.proxy.set(Some(Plan::status_after(500, 200 * KIB)));
    let started = Instant::now();
    let job = rig.import("broken.fq.gz", gz.clone()).await;
    eprintln!("gave up after {:?}", started.elapsed());
    assert_failed_cleanly(&rig.client, &rig.config, &rig.store, &job, "attempts to resume").await;
    let message = only_source(&job).status_message().unwrap_or_default();
    assert!(message.starts_with("source1: s3://reads/broken.fq.gz could not be read past byte "), "{message}");
    assert!(!message.contains("http://") && !message.contains("<?xml"), "no internals: {message}");

    // Once the endpoint recovers, the same source imports.
    rig.proxy.set(None);
    let job = rig.import("broken.fq.gz", gz.clone()).await;
    assert_imported(&rig.client, &rig.config, &rig.store, &job, &text, &gz).await;
    drop(rig.server);
}

/// moto with bucket `data`, a proxy in front of it, and a server whose storage is that bucket
/// through the proxy, with `max_retries` retries of each request.
struct StorageRig {
    proxy: FaultProxy,
    config: Config,
    server: TestServer,
    client: Client,
    store: String,
    root: tempfile::TempDir,
    _s3: S3Server,
    _db: TestDb,
}

impl StorageRig {
    async fn new(max_retries: Option<usize>) -> Option<Self> {
        let s3 = S3Server::start().await?;
        s3.create_bucket("data");
        let proxy = FaultProxy::start(&s3.endpoint).await;
        let db = TestDb::new(Backend::chosen()).await.expect("database");
        let root = tempfile::tempdir().expect("root");
        let mut config = import_config(&db, root.path());
        config.storage = StorageConfig {
            kind: StorageKind::S3,
            bucket: Some("data".into()),
            prefix: "seqstore".into(),
            endpoint: Some(proxy.endpoint.clone()),
            region: Some("us-east-1".into()),
            path_style: true,
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
            max_retries,
            ..StorageConfig::default()
        };
        let server = TestServer::start(&config).await;
        let client = sdk(&server.endpoint, KEY_A);
        let store = super::imports::store(&client, ETagAlgorithmFamily::Md5Up).await;
        Some(Self { proxy, config, server, client, store, root, _s3: s3, _db: db })
    }

    /// Imports `bytes` from a local file.
    async fn import(&self, name: &str, bytes: &[u8]) -> GetReadSetImportJobOutput {
        let uri = write(self.root.path(), name, bytes);
        let job = start(&self.client, &self.store, vec![source(&uri, None)]).await;
        wait(&self.client, &self.store, &job).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_writes_through_resets_and_503s_are_retried() {
    let Some(rig) = StorageRig::new(None).await else { return };
    let (text, gz) = reads(4);
    rig.proxy.set(Some(Plan::reset_after(256 * KIB).times(3)));
    let job = rig.import("a.fq.gz", &gz).await;
    assert_imported(&rig.client, &rig.config, &rig.store, &job, &text, &gz).await;
    assert_eq!(rig.proxy.fired(), 3, "every reset happened");

    let (text, gz) = reads(5);
    rig.proxy.set(Some(Plan::status_after(503, 256 * KIB).times(3)));
    let job = rig.import("b.fq.gz", &gz).await;
    assert_imported(&rig.client, &rig.config, &rig.store, &job, &text, &gz).await;
    assert_eq!(rig.proxy.fired(), 3 + 4, "the cut and three answers");
    drop(rig.server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_failing_for_good_ends_failed_and_imports_resume_once_it_recovers() {
    let Some(rig) = StorageRig::new(Some(2)).await else { return };
    let (text, gz) = reads(6);
    rig.proxy.set(Some(Plan::status_after(503, 256 * KIB)));
    let job = rig.import("a.fq.gz", &gz).await;
    rig.proxy.set(None);
    assert_failed_cleanly(&rig.client, &rig.config, &rig.store, &job, "the server's storage failed").await;
    let job = rig.import("a.fq.gz", &gz).await;
    assert_imported(&rig.client, &rig.config, &rig.store, &job, &text, &gz).await;
    drop(rig.server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_import_without_a_trace_until_space_returns() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    // 9 MiB of space: the first 8 MiB part of the source fits, the rest does not.
    let space = Arc::new(AtomicU64::new(9 * MIB));
    let full = DiskFull { inner: Arc::clone(data_store(&config).object_store()), space: Arc::clone(&space) };
    let server = TestServer::start_with_data(&config, DataStore::from_object_store(Arc::new(full))).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = super::imports::store(&client, ETagAlgorithmFamily::Md5Up).await;
    let text = fastq(7, 36_000, 150, None);
    assert!(text.len() as u64 > 10 * MIB, "two parts: {} bytes", text.len());
    let uri = write(root.path(), "big.fq", &text);

    let job = start(&client, &store, vec![source(&uri, None)]).await;
    let job = wait(&client, &store, &job).await;
    assert_failed_cleanly(&client, &config, &store, &job, "the server's storage failed").await;
    assert_eq!(space.load(Ordering::SeqCst), 0, "the disk filled up");

    space.store(u64::MAX, Ordering::SeqCst);
    let job = start(&client, &store, vec![source(&uri, None)]).await;
    let job = wait(&client, &store, &job).await;
    assert_imported(&client, &config, &store, &job, &text, &text).await;
    drop(server);
}

/// An object store whose writes fail once `space` bytes have been written, like a full disk:
/// a write that does not fit fails whole and leaves no space. Everything else passes through.
#[derive(Debug)]
struct DiskFull {
    inner: Arc<dyn ObjectStore>,
    space: Arc<AtomicU64>,
}

impl std::fmt::Display for DiskFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DiskFull({})", self.inner)
    }
}

/// Takes `n` bytes of `space`, or fails (and leaves none) when they do not fit.
fn take(space: &AtomicU64, n: u64) -> object_store::Result<()> {
    if space.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(n)).is_ok() {
        return Ok(());
    }
    space.store(0, Ordering::SeqCst);
    let source = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device (os error 28)");
    Err(object_store::Error::Generic { store: "DiskFull", source: Box::new(source) })
}

#[async_trait]
impl ObjectStore for DiskFull {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        take(&self.space, payload.content_length() as u64)?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let inner = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(FullUpload { inner, space: Arc::clone(&self.space) }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// A multipart upload of [`DiskFull`]: each part takes its size from the space left.
#[derive(Debug)]
struct FullUpload {
    inner: Box<dyn MultipartUpload>,
    space: Arc<AtomicU64>,
}

#[async_trait]
impl MultipartUpload for FullUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        match take(&self.space, data.content_length() as u64) {
            Ok(()) => self.inner.put_part(data),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        self.inner.complete().await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.inner.abort().await
    }
}
