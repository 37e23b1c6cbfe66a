//! Read sets that are not ACTIVE, through `aws-sdk-omics`, the `seqstore` CLI and the dashboard: a
//! direct upload held in PROCESSING_UPLOAD by the worker throttle, and uploads that ended
//! UPLOAD_FAILED (with and without a kept copy of the bytes sent), answer GetReadSet with 409
//! ConflictException naming their status (the model's error for it), and their
//! GetReadSetMetadata and ListReadSets items carry no counts, alignment or ETag, and `files`
//! only what is really stored.

use aws_sdk_omics::Client;
use aws_sdk_omics::error::ProvideErrorMetadata;
use aws_sdk_omics::operation::get_read_set_metadata::GetReadSetMetadataOutput;
use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetFile, ReadSetFilter, ReadSetStatus};

use super::cli::cli;
use super::fastq_data::fastq;
use super::imports::{import_config, store, with_fallback_role};
use super::s3::S3Server;
use super::support::{Backend, KEY_A, TestDb, TestServer, code, on_both_backends, sdk};
use super::ui::{http, session};
use super::uploads::{settled, upload_files};

/// GetReadSet of part 1 of `file`: the error code and message of its refusal.
async fn refused_download(client: &Client, store: &str, id: &str, file: ReadSetFile) -> (String, String) {
    let out = client.get_read_set().sequence_store_id(store).id(id).file(file).part_number(1).send().await;
    let err = out.expect_err("GetReadSet of a read set that is not ACTIVE");
    (code(&err), err.message().unwrap_or_default().to_owned())
}

/// Nothing of a processed read set: no counts, alignment or ETag (`generatedFrom` may stay).
fn assert_no_processed_members(meta: &GetReadSetMetadataOutput) {
    assert!(meta.etag().is_none(), "no ETag before processing: {meta:?}");
    if let Some(info) = meta.sequence_information() {
        assert_eq!(
            (info.total_read_count(), info.total_base_count(), info.alignment()),
            (None, None, None),
            "no counts or alignment: {meta:?}"
        );
    }
}

/// The ListReadSets item of read set `id`, as raw JSON (so absent members show as absent).
async fn listed_item(endpoint: &str, store: &str, id: &str) -> serde_json::Value {
    let run = cli(endpoint, &["readsets", "ls", "--store", store, "--json"]);
    assert!(run.ok, "{}", run.stderr);
    let items: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("JSON list");
    items.into_iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("{id} listed: {}", run.stdout))
}

async fn processing_upload_answers_conflict(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    // 200 KB at 1 KiB/s: the upload stays PROCESSING_UPLOAD for minutes, far longer than the test.
    config.worker.throttle_bytes_per_sec = 1024;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let reads = fastq(31, 1_000, 100, None);
    let id = upload_files(&client, &store, FileType::Fastq, None, &[&reads], 2).await;

    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&id).send().await.expect("metadata");
    assert_eq!(meta.status(), &ReadSetStatus::ProcessingUpload, "{meta:?}");
    assert_no_processed_members(&meta);
    assert!(meta.files().is_none(), "no files before processing: {meta:?}");
    let item = listed_item(&server.endpoint, &store, &id).await;
    assert!(item.get("etag").is_none() && item.pointer("/sequenceInformation/totalReadCount").is_none(), "{item}");

    for file in [ReadSetFile::Source1, ReadSetFile::Source2, ReadSetFile::Index] {
        let (code, message) = refused_download(&client, &store, &id, file.clone()).await;
        assert_eq!(code, "ConflictException", "{file:?}: {message}");
        assert!(message.contains(&format!("read set {id} is PROCESSING_UPLOAD")), "{message}");
        assert!(message.contains("once GetReadSetMetadata shows status ACTIVE"), "says what to do: {message}");
    }

    let out = root.path().join("reads.fq");
    let run = cli(&server.endpoint, &["download", "--store", &store, &id, "-o", out.to_str().expect("utf-8")]);
    assert!(!run.ok && !out.exists(), "the CLI refuses: {}", run.stderr);
    assert!(
        run.stderr.contains(&format!("read set {id} is PROCESSING_UPLOAD, not ACTIVE"))
            && run.stderr.contains("still being processed"),
        "{}",
        run.stderr
    );

    let cookie = session(&server.endpoint, KEY_A).await;
    let page = format!("/ui/stores/{store}/readsets/{id}");
    let part = http(&server.endpoint, "GET", &format!("{page}/source1/1"), Some(&cookie), &[], "").await;
    assert_eq!(part.status, 409, "{}", part.text());
    assert!(part.text().contains("PROCESSING_UPLOAD") && part.text().contains("once it is ACTIVE"), "{}", part.text());
    let detail = http(&server.endpoint, "GET", &page, Some(&cookie), &[], "").await.text();
    assert!(detail.contains("still being processed") && !detail.contains("total-read-count"), "{detail}");
    server.stop().await;
}

async fn failed_upload_answers_conflict_and_keeps_only_the_bytes_sent(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket("fallback-bucket");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    with_fallback_role(&mut config, &s3.endpoint);
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let plain = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let created = client.create_sequence_store().name("kept").fallback_location("s3://fallback-bucket/failed/");
    let keeping = created.send().await.expect("store").id().to_owned();
    let mut bad = fastq(32, 60, 80, None);
    bad.extend_from_slice(b"@broken\nACGT\n+\nII\n");
    let cookie = session(&server.endpoint, KEY_A).await;

    for store in [&plain, &keeping] {
        let id = upload_files(&client, store, FileType::Fastq, None, &[&bad], 2).await;
        let meta = settled(&client, store, &id).await;
        assert_eq!(meta.status(), &ReadSetStatus::UploadFailed, "{meta:?}");
        assert_no_processed_members(&meta);
        let kept = meta.files().and_then(|f| f.source1()).and_then(|f| f.content_length());
        let expected = (store == &keeping).then_some(bad.len() as i64);
        assert_eq!(kept, expected, "files lists only the bytes as sent, when kept: {meta:?}");
        assert!(meta.files().and_then(|f| f.index()).is_none(), "{meta:?}");
        let s3_uri = meta.files().and_then(|f| f.source1()).and_then(|f| f.s3_access());
        assert!(s3_uri.is_none(), "not readable through the S3 access point, so no s3Access: {meta:?}");
        let listed = client
            .list_read_sets()
            .sequence_store_id(store)
            .filter(ReadSetFilter::builder().status(ReadSetStatus::UploadFailed).build())
            .send()
            .await
            .expect("list");
        let item = &listed.read_sets()[0];
        assert!(item.etag().is_none() && item.sequence_information().is_none(), "{item:?}");

        let (code, message) = refused_download(&client, store, &id, ReadSetFile::Source1).await;
        assert_eq!(code, "ConflictException", "{message}");
        assert!(message.contains(&format!("read set {id} is UPLOAD_FAILED")), "{message}");
        assert!(message.contains("record 61") && message.contains("upload it again"), "why and what to do: {message}");

        let run = cli(&server.endpoint, &["download", "--store", store, &id, "-o", "/nonexistent/out.fq"]);
        assert!(!run.ok, "{}", run.stdout);
        assert!(run.stderr.contains("UPLOAD_FAILED, not ACTIVE: processing its upload failed: "), "{}", run.stderr);
        assert!(run.stderr.contains("record 61"), "the status message: {}", run.stderr);

        // The dashboard serves the kept bytes as sent; without them it says why there are none.
        let part = format!("/ui/stores/{store}/readsets/{id}/source1/1");
        let page = http(&server.endpoint, "GET", &part, Some(&cookie), &[], "").await;
        if store == &keeping {
            assert_eq!((page.status, page.body.as_slice()), (200, bad.as_slice()), "kept as sent");
        } else {
            assert_eq!(page.status, 409, "{}", page.text());
            assert!(page.text().contains("UPLOAD_FAILED"), "{}", page.text());
        }
    }
    server.stop().await;
}

on_both_backends!(processing_upload_answers_conflict, failed_upload_answers_conflict_and_keeps_only_the_bytes_sent);
