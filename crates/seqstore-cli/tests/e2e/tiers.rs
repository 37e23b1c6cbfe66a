//! Storage tiers end to end with `aws-sdk-omics` (boto3 and the AWS CLI: `tests/python/
//! test_tiers.py`), on both backends and, under `SEQSTORE_TEST_STORAGE=s3`, with the hot tier and
//! the archive in two buckets: read sets archived at once by the extension BatchArchiveReadSet and
//! by idle time (`archive.after`); every answer an ARCHIVED read set gives (metadata, listing and
//! its `status` filter, GetReadSet's ConflictException, the S3 endpoint's InvalidObjectState,
//! htsget's NotFound, an export's failed source, BatchDeleteReadSet deleting it from the archive);
//! twenty read sets activated by one job and downloaded byte for byte; the copies each move
//! leaves deleted once the grace period has passed; cancelling an activation.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, FileType, ReadSetActivationJobItemStatus, ReadSetActivationJobStatus, ReadSetFile,
    ReadSetFilter, ReadSetStatus, StartReadSetActivationJobSourceItem,
};
use seqstore::config::Config;
use seqstore::storage::objects::DataStore;
use serde_json::{Value, json};

use super::fastq_data::fastq;
use super::imports::{import_all, import_config, source, store, typed_source, write};
use super::s3_api::presigned_url;
use super::support::{Backend, KEY_A, Raw, TestDb, TestServer, code, exchange, on_both_backends, sdk};
use super::uploads::download;

on_both_backends!(
    archived_read_sets_answer_as_archived_and_twenty_come_back_byte_for_byte,
    idle_read_sets_are_archived_after_archive_after,
    a_cancelled_activation_leaves_its_read_sets_archived
);

/// `POST path` with JSON `body`, signed by `key`, to the real listener at `endpoint`: status and
/// JSON answer.
pub(super) async fn post(
    endpoint: &str,
    path: &str,
    body: &Value,
    key: (&'static str, &'static str, &'static str),
) -> (u16, Value) {
    let body = serde_json::to_vec(body).expect("JSON");
    let mut raw = Raw::new("POST", path.to_owned(), body.clone());
    raw.host = endpoint.trim_start_matches("http://").to_owned();
    raw.key = Some(key);
    let (parts, _) = raw.build().into_parts();
    let mut builder = http::Request::builder().method("POST").uri(format!("{endpoint}{path}"));
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let answer = exchange(builder.body(body).expect("request")).await;
    let json = if answer.body.is_empty() { Value::Null } else { serde_json::from_slice(&answer.body).expect("JSON") };
    (answer.status, json)
}

/// BatchArchiveReadSet of `ids`: its `errors`.
pub(super) async fn archive(endpoint: &str, store: &str, ids: &[&str]) -> Vec<Value> {
    let path = format!("/sequencestore/{store}/readset/batch/archive");
    let (status, answer) = post(endpoint, &path, &json!({ "ids": ids }), KEY_A).await;
    assert_eq!(status, 200, "{answer}");
    answer["errors"].as_array().expect("errors").clone()
}

/// Polls until every read set of `ids` has `status` (at most 60 s).
pub(super) async fn until_status(client: &Client, store: &str, ids: &[String], status: ReadSetStatus) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in ids {
        loop {
            let meta = client.get_read_set_metadata().sequence_store_id(store).id(id).send().await.expect("metadata");
            if meta.status() == &status {
                break;
            }
            assert!(Instant::now() < deadline, "read set {id} is {:?}, not {status:?}", meta.status());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The read set ids that have objects in `data`.
async fn holding(data: &DataStore) -> BTreeSet<String> {
    let dirs = data.object_dirs().await.expect("list");
    dirs.into_iter().filter(|(_, kind, _)| kind == "readSet").map(|(_, _, id)| id).collect()
}

/// Polls until `data` holds objects of exactly `ids` (at most 30 s).
async fn until_holding(data: &DataStore, ids: &BTreeSet<String>, tier: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let held = holding(data).await;
        if &held == ids {
            return;
        }
        assert!(Instant::now() < deadline, "the {tier} tier holds {held:?}, expected {ids:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The two tiers of `config`'s server.
fn tiers(config: &Config) -> (DataStore, DataStore) {
    let hot = DataStore::new(&config.storage, &config.data_dir).expect("hot");
    let archive = DataStore::archive(&config.archive.storage, &config.data_dir).expect("archive");
    (hot, archive)
}

/// Nineteen FASTQ files (one a pair) and one BAM under `root`, as import sources.
fn sources(root: &Path) -> Vec<aws_sdk_omics::types::StartReadSetImportJobSourceItem> {
    let mut sources = Vec::new();
    for i in 0..19u64 {
        let one = write(root, &format!("r{i}_1.fq"), &fastq(500 + i, 20 + i as usize, 50, Some(1)));
        let two = (i == 0).then(|| write(root, &format!("r{i}_2.fq"), &fastq(900 + i, 20, 50, Some(2))));
        sources.push(source(&one, two.as_deref()));
    }
    let bam = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hts-specs/bam/level-1.bam"))
        .expect("BAM");
    sources.push(typed_source(&write(root, "aligned.bam", &bam), None, FileType::Bam));
    sources
}

/// Every file of read set `id` as GetReadSet serves it (source1, source2, index; those it has).
async fn files(client: &Client, store: &str, id: &str) -> Vec<Vec<u8>> {
    let meta = client.get_read_set_metadata().sequence_store_id(store).id(id).send().await.expect("metadata");
    let info = meta.files().expect("files");
    let mut found = vec![download(client, store, id, ReadSetFile::Source1).await];
    if info.source2().is_some() {
        found.push(download(client, store, id, ReadSetFile::Source2).await);
    }
    if info.index().is_some() {
        found.push(download(client, store, id, ReadSetFile::Index).await);
    }
    found
}

async fn archived_read_sets_answer_as_archived_and_twenty_come_back_byte_for_byte(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let mut config = import_config(&db, &root);
    config.archive.grace = "1s".into();
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let ids = import_all(&client, &store, sources(&root)).await;
    let mut before = Vec::new();
    for id in &ids {
        before.push(files(&client, &store, id).await);
    }
    let bam = ids.last().expect("the BAM").clone();
    let bam_meta = client.get_read_set_metadata().sequence_store_id(&store).id(&bam).send().await.expect("meta");
    let s3_uri = bam_meta.files().and_then(|f| f.source1()).and_then(|f| f.s3_access()).and_then(|a| a.s3_uri());
    let s3_uri = s3_uri.expect("s3Uri of an ACTIVE read set").to_owned();
    let (hot, cold) = tiers(&config);

    // BatchArchiveReadSet: an unknown id is an error of its own; the others are archived.
    let mut asked: Vec<&str> = ids.iter().map(String::as_str).collect();
    asked.push("9999999999");
    let errors = archive(&server.endpoint, &store, &asked).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["id"], "9999999999");
    assert_eq!(errors[0]["code"], "ResourceNotFoundException");
    until_status(&client, &store, &ids, ReadSetStatus::Archived).await;
    let all: BTreeSet<String> = ids.iter().cloned().collect();
    until_holding(&cold, &all, "archive").await;
    // On S3 the archived objects carry the configured storage class.
    if let Some(class) = &config.archive.storage.storage_class {
        let storage = &config.archive.storage;
        let endpoint = storage.endpoint.as_deref().expect("endpoint");
        let bucket = storage.bucket.as_deref().expect("bucket");
        let url = format!("{endpoint}/{bucket}?list-type=2&prefix={}/", storage.prefix);
        let (status, _, body) = super::htsget::fetch("GET", &url, &[], b"").await;
        let listing = String::from_utf8_lossy(&body);
        assert_eq!(status, 200, "{listing}");
        let keys = listing.matches("<Key>").count();
        let classes = listing.matches(&format!("<StorageClass>{class}<")).count();
        assert!(keys >= 20 && classes == keys, "{keys} archived objects, {classes} of class {class}: {listing}");
    }
    // The hot copies go once the grace period (1 s) has passed.
    until_holding(&hot, &BTreeSet::new(), "hot").await;
    // Archiving again is no error and changes nothing.
    assert!(archive(&server.endpoint, &store, &[bam.as_str()]).await.is_empty());

    // What an ARCHIVED read set answers.
    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&bam).send().await.expect("meta");
    assert_eq!(meta.status(), &ReadSetStatus::Archived);
    let counts = meta.sequence_information().map(|i| (i.total_read_count(), i.alignment()));
    assert_eq!(counts, Some((Some(20000), Some("ALIGNED"))), "an archived read set keeps its counts: {meta:?}");
    assert!(meta.etag().and_then(|e| e.source1()).is_some_and(|d| !d.is_empty()), "and its ETag: {meta:?}");
    let length = meta.files().and_then(|f| f.source1()).and_then(|f| f.content_length());
    assert_eq!(length, Some(before[19][0].len() as i64));
    let filter = ReadSetFilter::builder().status(ReadSetStatus::Archived).build();
    let listed = client.list_read_sets().sequence_store_id(&store).filter(filter).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 20);
    assert!(listed.read_sets().iter().all(|r| r.status() == &ReadSetStatus::Archived));
    let filter = ReadSetFilter::builder().status(ReadSetStatus::Active).build();
    let listed = client.list_read_sets().sequence_store_id(&store).filter(filter).send().await.expect("list");
    assert!(listed.read_sets().is_empty());
    let refused = client
        .get_read_set()
        .sequence_store_id(&store)
        .id(&bam)
        .part_number(1)
        .send()
        .await
        .expect_err("an archived read set is not downloaded");
    assert_eq!(code(&refused), "ConflictException");
    let message = format!("{:?}", refused.into_service_error());
    assert!(message.contains("ARCHIVED") && message.contains("start-read-set-activation-job"), "{message}");
    let s3 = server.s3_endpoint.clone().expect("the S3 endpoint is on");
    let (bucket, key) = s3_uri.trim_start_matches("s3://").split_once('/').expect("bucket/key");
    let (status, _, body) =
        super::htsget::fetch("GET", &presigned_url(&s3, &format!("/{bucket}/{key}"), KEY_A), &[], b"").await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>InvalidObjectState</Code>") && body.contains("ARCHIVED"), "{body}");
    let (status, token) = post(&server.endpoint, "/token", &json!({}), KEY_A).await;
    assert_eq!(status, 200, "{token}");
    let bearer = format!("Bearer {}", token["token"].as_str().expect("token"));
    let ticket = format!("{}/ga4gh/htsget/v1/reads/{store}/{bam}", server.endpoint);
    let (status, _, body) = super::htsget::fetch("GET", &ticket, &[("authorization", &bearer)], b"").await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("NotFound") && body.contains("ARCHIVED"), "{body}");

    // One activation job brings all twenty back; downloads are byte-identical.
    let sources: Vec<_> = ids
        .iter()
        .map(|id| StartReadSetActivationJobSourceItem::builder().read_set_id(id).build().expect("source"))
        .collect();
    let started = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .set_sources(Some(sources))
        .client_token("activate-all")
        .send()
        .await
        .expect("activation");
    assert_eq!(started.sequence_store_id(), store);
    let job = settled(&client, &store, started.id()).await;
    assert_eq!(job.status(), &ReadSetActivationJobStatus::Completed, "{job:?}");
    assert_eq!(job.sources().len(), 20);
    assert!(job.sources().iter().all(|s| s.status() == &ReadSetActivationJobItemStatus::Finished), "{job:?}");
    assert!(job.completion_time().is_some());
    until_status(&client, &store, &ids, ReadSetStatus::Active).await;
    for (id, bytes) in ids.iter().zip(&before) {
        assert!(files(&client, &store, id).await == *bytes, "read set {id} comes back byte for byte");
    }
    until_holding(&hot, &all, "hot").await;
    until_holding(&cold, &BTreeSet::new(), "archive").await;
    // The same clientToken answers the same job; the job is listed, and filtered by status.
    let again = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .sources(StartReadSetActivationJobSourceItem::builder().read_set_id(&ids[0]).build().expect("source"))
        .client_token("activate-all")
        .send()
        .await;
    assert_eq!(code(&again.expect_err("another body under the same token")), "ValidationException");
    let listed = client.list_read_set_activation_jobs().sequence_store_id(&store).send().await.expect("list jobs");
    assert_eq!(listed.activation_jobs().len(), 1);
    assert_eq!(listed.activation_jobs()[0].id(), started.id());
    // Activating what is ACTIVE is refused with the reason.
    let refused = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .sources(StartReadSetActivationJobSourceItem::builder().read_set_id(&bam).build().expect("source"))
        .send()
        .await
        .expect_err("an ACTIVE read set is not activated");
    assert_eq!(code(&refused), "ValidationException");

    // BatchDeleteReadSet of an ARCHIVED read set deletes it from the archive.
    assert!(archive(&server.endpoint, &store, &[bam.as_str()]).await.is_empty());
    until_status(&client, &store, std::slice::from_ref(&bam), ReadSetStatus::Archived).await;
    until_holding(&cold, &[bam.clone()].into(), "archive").await;
    let deleted = client.batch_delete_read_set().sequence_store_id(&store).ids(&bam).send().await.expect("delete");
    assert!(deleted.errors().is_empty(), "{deleted:?}");
    until_holding(&cold, &BTreeSet::new(), "archive").await;
    let gone = client.get_read_set_metadata().sequence_store_id(&store).id(&bam).send().await;
    assert_eq!(code(&gone.expect_err("deleted")), "ResourceNotFoundException");
    server.stop().await;
}

/// Polls an activation job until it settles (at most 120 s).
pub(super) async fn settled(
    client: &Client,
    store: &str,
    job: &str,
) -> aws_sdk_omics::operation::get_read_set_activation_job::GetReadSetActivationJobOutput {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = client.get_read_set_activation_job().sequence_store_id(store).id(job).send().await.expect("get job");
        if !matches!(
            out.status(),
            ReadSetActivationJobStatus::Submitted
                | ReadSetActivationJobStatus::InProgress
                | ReadSetActivationJobStatus::Cancelling
        ) {
            return out;
        }
        assert!(Instant::now() < deadline, "activation {job} did not settle: {out:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn idle_read_sets_are_archived_after_archive_after(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let mut config = import_config(&db, &root);
    config.archive.after = "2s".into();
    config.archive.grace = "1s".into();
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let uri = write(&root, "idle.fq", &fastq(7, 30, 50, None));
    let ids = import_all(&client, &store, vec![source(&uri, None)]).await;
    let bytes = download(&client, &store, &ids[0], ReadSetFile::Source1).await;
    let read_at = Instant::now();
    until_status(&client, &store, &ids, ReadSetStatus::Archived).await;
    assert!(read_at.elapsed() >= Duration::from_secs(2), "archived before it was idle for archive.after");
    // Activated, it counts as read now: it stays ACTIVE for a while, then is archived again.
    let job = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .sources(StartReadSetActivationJobSourceItem::builder().read_set_id(&ids[0]).build().expect("source"))
        .send()
        .await
        .expect("activation");
    assert_eq!(settled(&client, &store, job.id()).await.status(), &ReadSetActivationJobStatus::Completed);
    assert_eq!(download(&client, &store, &ids[0], ReadSetFile::Source1).await, bytes);
    until_status(&client, &store, &ids, ReadSetStatus::Archived).await;
    server.stop().await;
}

async fn a_cancelled_activation_leaves_its_read_sets_archived(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let mut config = import_config(&db, &root);
    config.archive.grace = "1s".into();
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources: Vec<_> =
        (0..4u64).map(|i| source(&write(&root, &format!("c{i}.fq"), &fastq(40 + i, 2000, 100, None)), None)).collect();
    let ids = import_all(&client, &store, sources).await;
    let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert!(archive(&server.endpoint, &store, &asked).await.is_empty());
    until_status(&client, &store, &ids, ReadSetStatus::Archived).await;
    server.stop().await;

    // Restarted with one slow worker and one activation job at a time: the first source is
    // copying when the job is cancelled.
    config.worker.count = 1;
    config.worker.throttle_bytes_per_sec = 50_000;
    config.quotas.concurrent_activation_jobs = 1;
    let (spare, ids) = ids.split_last().expect("four read sets");
    let ids = ids.to_vec();
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let sources: Vec<_> = ids
        .iter()
        .map(|id| StartReadSetActivationJobSourceItem::builder().read_set_id(id).build().expect("source"))
        .collect();
    let job = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .set_sources(Some(sources))
        .send()
        .await
        .expect("activation");
    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&ids[2]).send().await.expect("meta");
    assert_eq!(meta.status(), &ReadSetStatus::Activating);
    let second = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .sources(StartReadSetActivationJobSourceItem::builder().read_set_id(spare).build().expect("source"))
        .send()
        .await
        .expect_err("one unfinished activation job per account");
    assert_eq!(code(&second), "ServiceQuotaExceededException");
    let message = format!("{:?}", second.into_service_error());
    assert!(message.contains("concurrent_activation_jobs"), "{message}");
    let path = format!("/sequencestore/{store}/activationjob/{}/cancel", job.id());
    let (status, answer) = post(&server.endpoint, &path, &json!({}), KEY_A).await;
    assert_eq!(status, 200, "{answer}");
    assert!(matches!(answer["status"].as_str(), Some("CANCELLING" | "CANCELLED")), "{answer}");
    let job = settled(&client, &store, job.id()).await;
    assert_eq!(job.status(), &ReadSetActivationJobStatus::Cancelled, "{job:?}");
    until_status(&client, &store, &ids, ReadSetStatus::Archived).await;
    let (hot, _) = tiers(&config);
    until_holding(&hot, &BTreeSet::new(), "hot").await;
    server.stop().await;
}
