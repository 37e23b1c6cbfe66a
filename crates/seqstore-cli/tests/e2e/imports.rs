//! Read set import jobs end to end with `aws-sdk-omics`: FASTQ in every compression, single and
//! paired, from `file://` and from `s3://` on a real S3-compatible server; statistics, ETags and
//! stored bytes checked against values computed here; 100 sources; progress; store conflicts.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::operation::get_read_set_import_job::GetReadSetImportJobOutput;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, FileType, ReadSetFile, ReadSetImportJobItemStatus, ReadSetImportJobStatus, SourceFiles,
    StartReadSetImportJobSourceItem,
};
use seqstore::config::Config;
use seqstore::config::{Access, Location, Role};
use serde_json::Value;

use super::fastq_data::{bgzf, counts, fastq, gzip, gzip_members, md5, sha256, sha512};
use super::s3::S3Server;
use super::support::{
    Backend, KEY_A, Raw, TestDb, TestServer, code, config, on_both_backends, read_set_dirs, sdk, stored_object,
};

/// Role ARN of account A that any test may pass when no roles are configured.
pub const ROLE_A: &str = "arn:aws:iam::111111111111:role/Import";

/// A test config allowing `file://` under `root`, two workers and short leases.
pub fn import_config(db: &TestDb, root: &Path) -> Config {
    let mut config = config(db);
    config.sources.file_roots = vec![root.to_owned()];
    config.worker.count = 2;
    config.worker.lease_seconds = 5;
    config
}

/// The buckets the tests name as fallback locations.
pub const FALLBACK_BUCKETS: [&str; 2] = ["fallback-bucket", "other-bucket"];

/// Gives `config` one role, [`ROLE_A`], instead of the default grants: it reads the file roots and
/// may write the [`FALLBACK_BUCKETS`] at `endpoint` (moto's keys), as a store's
/// `fallbackLocation` needs.
pub fn with_fallback_role(config: &mut Config, endpoint: &str) {
    let location = |uri: String, access: Access, endpoint: Option<&str>| Location {
        uri,
        access,
        endpoint: endpoint.map(str::to_owned),
        region: Some("us-east-1".into()),
        path_style: true,
        access_key_id: endpoint.map(|_| "test".into()),
        secret_access_key: endpoint.map(|_| "test".into()),
    };
    let mut locations: Vec<Location> = config
        .sources
        .file_roots
        .iter()
        .map(|root| location(format!("file://{}/", root.display()), Access::Read, None))
        .collect();
    for bucket in FALLBACK_BUCKETS {
        locations.push(location(format!("s3://{bucket}/"), Access::Write, Some(endpoint)));
    }
    config.roles = vec![Role { arn: ROLE_A.into(), locations }];
}

/// Writes `bytes` to `root/name` and returns its `file://` URI.
pub fn write(root: &Path, name: &str, bytes: &[u8]) -> String {
    let path = root.join(name);
    std::fs::write(&path, bytes).expect("write source");
    format!("file://{}", path.display())
}

/// A FASTQ source item with one or two files.
pub fn source(source1: &str, source2: Option<&str>) -> StartReadSetImportJobSourceItem {
    typed_source(source1, source2, FileType::Fastq)
}

/// A source item of `file_type`.
pub fn typed_source(source1: &str, source2: Option<&str>, file_type: FileType) -> StartReadSetImportJobSourceItem {
    let files = SourceFiles::builder().source1(source1).set_source2(source2.map(str::to_owned)).build().expect("files");
    StartReadSetImportJobSourceItem::builder()
        .source_files(files)
        .source_file_type(file_type)
        .subject_id("subject")
        .sample_id("sample")
        .name("reads")
        .tags("project", "test")
        .build()
        .expect("source")
}

/// Submits a job and returns its id.
pub async fn start(client: &Client, store: &str, sources: Vec<StartReadSetImportJobSourceItem>) -> String {
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(store)
        .role_arn(ROLE_A)
        .set_sources(Some(sources))
        .send()
        .await
        .expect("start import");
    job.id().to_owned()
}

/// Imports `sources` into `store` in one job that must complete; returns the read set ids in
/// order.
pub async fn import_all(client: &Client, store: &str, sources: Vec<StartReadSetImportJobSourceItem>) -> Vec<String> {
    let job = wait(client, store, &start(client, store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    job.sources().iter().map(|s| s.read_set_id().expect("read set").to_owned()).collect()
}

/// Polls the job until it is settled (at most 120 s).
pub async fn wait(client: &Client, store: &str, job: &str) -> GetReadSetImportJobOutput {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = client.get_read_set_import_job().sequence_store_id(store).id(job).send().await.expect("get job");
        if !matches!(out.status(), ReadSetImportJobStatus::Submitted | ReadSetImportJobStatus::InProgress) {
            return out;
        }
        assert!(Instant::now() < deadline, "job {job} did not settle: {out:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates a store with `family` and returns its id.
pub async fn store(client: &Client, family: ETagAlgorithmFamily) -> String {
    let out =
        client.create_sequence_store().name("imports").e_tag_algorithm_family(family).send().await.expect("store");
    out.id().to_owned()
}

/// The stored bytes of a read set file, read from `config`'s storage.
pub async fn stored(config: &Config, store: &str, read_set: &str, file: &str) -> Vec<u8> {
    stored_object(config, &format!("{store}/readSet/{read_set}/{file}")).await
}

struct Case {
    uris: (String, Option<String>),
    texts: Vec<Vec<u8>>,
    raw: Vec<Vec<u8>>,
}

/// Every FASTQ form, one store per ETag family: paired gzip, plain, gzip, multi-member gzip,
/// BGZF; statistics, ETags and stored bytes equal what this test computes.
async fn every_form_and_family(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let r1 = fastq(1, 3000, 150, Some(1));
    let r2 = fastq(2, 3000, 150, Some(2));
    let single = fastq(3, 2500, 101, None);
    let case = |raw: Vec<Vec<u8>>, texts: Vec<Vec<u8>>, name: &str| {
        let uri1 = write(root.path(), &format!("{name}_1"), &raw[0]);
        let uri2 = raw.get(1).map(|r| write(root.path(), &format!("{name}_2"), r));
        Case { uris: (uri1, uri2), texts, raw }
    };
    let cases = [
        case(vec![gzip(&r1), gzip(&r2)], vec![r1.clone(), r2.clone()], "pair.fq.gz"),
        case(vec![single.clone()], vec![single.clone()], "plain.fq"),
        case(vec![gzip(&single)], vec![single.clone()], "single.fq.gz"),
        case(vec![gzip_members(&single, 10_000)], vec![single.clone()], "members.fq.gz"),
        case(vec![bgzf(&single)], vec![single.clone()], "bgzf.fq.gz"),
    ];
    for (family, digest) in [
        (ETagAlgorithmFamily::Md5Up, md5 as fn(&[u8]) -> String),
        (ETagAlgorithmFamily::Sha256Up, sha256),
        (ETagAlgorithmFamily::Sha512Up, sha512),
    ] {
        let store = store(&client, family.clone()).await;
        let sources = cases.iter().map(|c| source(&c.uris.0, c.uris.1.as_deref())).collect();
        let job_id = start(&client, &store, sources).await;
        let job = wait(&client, &store, &job_id).await;
        assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
        assert!(job.completion_time().is_some());
        for (item, case) in job.sources().iter().zip(&cases) {
            assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{item:?}");
            let id = item.read_set_id().expect("readSetId once FINISHED");
            let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("metadata");
            let expected = case.texts.iter().map(|t| counts(t)).fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
            let info = meta.sequence_information().expect("sequenceInformation");
            assert_eq!(
                (info.total_read_count().map(|n| n as u64), info.total_base_count().map(|n| n as u64)),
                (Some(expected.0), Some(expected.1))
            );
            assert_eq!(info.alignment(), Some("UNALIGNED"));
            let etag = meta.etag().expect("etag");
            assert_eq!(etag.algorithm().map(|a| a.as_str().to_owned()), Some(format!("FASTQ_{}", family.as_str())));
            assert_eq!(etag.source1(), Some(digest(&case.texts[0]).as_str()));
            assert_eq!(etag.source2().map(str::to_owned), case.texts.get(1).map(|t| digest(t)));
            assert_eq!(meta.creation_job_id(), Some(job_id.as_str()));
            assert_eq!(meta.creation_type().map(|c| c.as_str()), Some("IMPORT"));
            let files = meta.files().expect("files");
            let length = files.source1().and_then(|f| f.content_length());
            assert_eq!(length, Some(case.raw[0].len() as i64));
            for (i, raw) in case.raw.iter().enumerate() {
                let name = if i == 0 { "source1" } else { "source2" };
                assert!(stored(&config, &store, id, name).await == *raw, "{name} stored bit for bit");
                let file = if i == 0 { ReadSetFile::Source1 } else { ReadSetFile::Source2 };
                let part =
                    client.get_read_set().sequence_store_id(&store).id(id).file(file).part_number(1).send().await;
                let bytes = part.expect("GetReadSet").payload.collect().await.expect("payload").into_bytes();
                assert!(bytes[..] == raw[..], "{name} downloads bit for bit");
            }
            let past = client.get_read_set().sequence_store_id(&store).id(id).part_number(2).send().await;
            assert_eq!(code(&past.expect_err("one part only")), "RangeNotSatisfiableException");
            let index = client
                .get_read_set()
                .sequence_store_id(&store)
                .id(id)
                .file(ReadSetFile::Index)
                .part_number(1)
                .send()
                .await;
            assert_eq!(code(&index.expect_err("FASTQ has no index")), "ResourceNotFoundException");
        }
        let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list read sets");
        assert_eq!(listed.read_sets().len(), cases.len());
    }
    server.stop().await;
}

on_both_backends!(every_form_and_family);

/// `s3://` sources through a configured role whose location carries endpoint and credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_from_s3() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket("reads");
    s3.create_bucket("other");
    let r1 = fastq(11, 2000, 150, Some(1));
    let r2 = fastq(12, 2000, 150, Some(2));
    s3.put("reads", "run1/sample_R1.fastq.gz", gzip(&r1)).await;
    s3.put("reads", "run1/sample_R2.fastq.gz", bgzf(&r2)).await;
    s3.put("other", "x.fq", r1.clone()).await;

    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.roles = vec![Role {
        arn: ROLE_A.into(),
        locations: vec![Location {
            uri: "s3://reads/run1/".into(),
            access: Default::default(),
            endpoint: Some(s3.endpoint.clone()),
            region: Some("us-east-1".into()),
            path_style: true,
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
        }],
    }];
    let single = fastq(13, 1500, 101, None);
    s3.put("reads", "run1/single.fq", single.clone()).await;
    s3.put("reads", "run1/single.fq.gz", gzip(&single)).await;
    s3.put("reads", "run1/single.bgzf.fq.gz", bgzf(&single)).await;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    // (decompressed texts, stored bytes) of each source.
    type Expected = (Vec<Vec<u8>>, Vec<Vec<u8>>);
    let expected: [Expected; 4] = [
        (vec![r1.clone(), r2.clone()], vec![gzip(&r1), bgzf(&r2)]),
        (vec![single.clone()], vec![single.clone()]),
        (vec![single.clone()], vec![gzip(&single)]),
        (vec![single.clone()], vec![bgzf(&single)]),
    ];
    let mut store = String::new();
    for (family, digest) in [
        (ETagAlgorithmFamily::Md5Up, md5 as fn(&[u8]) -> String),
        (ETagAlgorithmFamily::Sha256Up, sha256),
        (ETagAlgorithmFamily::Sha512Up, sha512),
    ] {
        store = super::imports::store(&client, family).await;
        let sources = vec![
            source("s3://reads/run1/sample_R1.fastq.gz", Some("s3://reads/run1/sample_R2.fastq.gz")),
            source("s3://reads/run1/single.fq", None),
            source("s3://reads/run1/single.fq.gz", None),
            source("s3://reads/run1/single.bgzf.fq.gz", None),
            source("s3://reads/run1/missing.fastq.gz", None),
        ];
        let job_id = start(&client, &store, sources).await;
        let job = wait(&client, &store, &job_id).await;
        assert_eq!(job.status(), &ReadSetImportJobStatus::CompletedWithFailures, "{job:?}");
        let missing = &job.sources()[4];
        assert!(
            missing.status_message().unwrap_or_default().contains("answered 404 Not Found (NoSuchKey)"),
            "{missing:?}"
        );
        for (item, (texts, raws)) in job.sources().iter().zip(&expected) {
            assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{item:?}");
            let id = item.read_set_id().expect("read set");
            let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("metadata");
            assert_eq!(meta.etag().and_then(|e| e.source1()), Some(digest(&texts[0]).as_str()));
            assert_eq!(meta.etag().and_then(|e| e.source2()).map(str::to_owned), texts.get(1).map(|t| digest(t)));
            let reads: u64 = texts.iter().map(|t| counts(t).0).sum();
            assert_eq!(meta.sequence_information().and_then(|s| s.total_read_count()), Some(reads as i64));
            for (i, raw) in raws.iter().enumerate() {
                let name = if i == 0 { "source1" } else { "source2" };
                assert!(stored(&config, &store, id, name).await == *raw, "{name} stored bit for bit");
            }
        }
    }

    // A bucket outside the role's locations is refused at submission.
    let outside = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(ROLE_A)
        .sources(source("s3://other/x.fq", None))
        .send()
        .await
        .expect_err("outside the role");
    assert_eq!(code(&outside), "AccessDeniedException");
    assert!(format!("{outside:?}").contains("sources.0.sourceFiles.source1"));
    server.stop().await;
}

/// A job of 100 sources completes with 100 read sets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_100_sources_completes() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources = (0..100)
        .map(|i| source(&write(root.path(), &format!("s{i}.fq.gz"), &gzip(&fastq(100 + i, 50, 75, None))), None))
        .collect();
    let job_id = start(&client, &store, sources).await;
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed);
    assert_eq!(job.sources().len(), 100);
    let mut ids: Vec<&str> = job.sources().iter().filter_map(|s| s.read_set_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
    let mut listed = 0;
    let mut token = None;
    loop {
        let page = client.list_read_sets().sequence_store_id(&store).set_next_token(token).send().await.expect("list");
        listed += page.read_sets().len();
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(listed, 100);
    server.stop().await;
}

/// Raw signed GetReadSetImportJob, to read the extension members typed clients drop.
pub async fn raw_job(endpoint: &str, store: &str, job: &str) -> Value {
    raw_get(endpoint, &format!("/sequencestore/{store}/importjob/{job}")).await
}

/// A raw signed GET (account A) of `path`, parsed as JSON.
pub async fn raw_get(endpoint: &str, path: &str) -> Value {
    let mut raw = Raw::new("GET", path.to_owned(), "");
    raw.host = endpoint.trim_start_matches("http://").to_owned();
    let request = raw.build();
    let uri = format!("{endpoint}{path}");
    let (parts, _) = request.into_parts();
    let mut builder = http::Request::builder().method("GET").uri(uri);
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let response = super::support::http_send(builder.body(Vec::new()).expect("request")).await;
    serde_json::from_slice(&response).expect("job JSON")
}

/// With the throttle on: two polls show 0 < bytesProcessed < bytesTotal, increasing, and the
/// statusMessage shows the percentage; a running job blocks DeleteSequenceStore; once finished,
/// the read sets block it until they are deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_store_conflicts() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.worker.throttle_bytes_per_sec = 200_000;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let text = fastq(7, 4000, 150, None); // about 1.3 MB: several seconds at the throttle
    let uri = write(root.path(), "slow.fq", &text);
    let job_id = start(&client, &store, vec![source(&uri, None)]).await;

    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < 2 {
        assert!(Instant::now() < deadline, "no progress seen: {seen:?}");
        let job = raw_job(&server.endpoint, &store, &job_id).await;
        let source = &job["sources"][0];
        let (done, total) =
            (source["bytesProcessed"].as_i64().unwrap_or(0), source["bytesTotal"].as_i64().unwrap_or(0));
        if done > 0 && done < total && seen.last().is_none_or(|&(d, _)| done > d) {
            assert!(source["statusMessage"].as_str().unwrap_or_default().contains('%'), "{source}");
            assert_eq!(job["status"], "IN_PROGRESS");
            seen.push((done, total));
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(seen[0].1, text.len() as i64);
    assert!(seen[1].0 > seen[0].0, "{seen:?}");

    let busy = client.delete_sequence_store().id(&store).send().await.expect_err("job running");
    assert_eq!(code(&busy), "ConflictException");
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed);
    let id = job.sources()[0].read_set_id().expect("read set").to_owned();
    let holding = client.delete_sequence_store().id(&store).send().await.expect_err("holds a read set");
    assert_eq!(code(&holding), "ConflictException");
    let deleted = client.batch_delete_read_set().sequence_store_id(&store).ids(&id).send().await.expect("delete");
    assert!(deleted.errors().is_empty(), "{deleted:?}");
    assert!(read_set_dirs(&config).await.is_empty(), "objects removed with the read set");
    let again = client.batch_delete_read_set().sequence_store_id(&store).ids(&id).send().await.expect("delete");
    assert_eq!(again.errors().first().map(|e| e.code()), Some("ResourceNotFoundException"));
    client.delete_sequence_store().id(&store).send().await.expect("empty store deletes");
    server.stop().await;
}
