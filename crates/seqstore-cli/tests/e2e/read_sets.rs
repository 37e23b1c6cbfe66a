//! Read sets: every ListReadSets filter, paging while imports add read sets, parallel part
//! downloads, BatchDeleteReadSet across accounts, system tags, the `etag` filter and the
//! duplicate note (only for the same content).

use std::collections::{BTreeMap, HashSet};

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetFile, ReadSetFilter, ReadSetImportJobItemStatus};

use super::fastq_data::{fastq, gzip, md5};
use super::imports::{import_config, raw_get, source, start, store, typed_source, wait, write};
use super::support::{Backend, KEY_A, KEY_B, Raw, TestDb, TestServer, code, http_send, sdk};

async fn list_all(client: &Client, store: &str, filter: Option<ReadSetFilter>, page: i32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_read_sets()
            .sequence_store_id(store)
            .set_filter(filter.clone())
            .max_results(page)
            .set_next_token(token)
            .send()
            .await
            .expect("list");
        ids.extend(out.read_sets().iter().map(|r| r.id().to_owned()));
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return ids;
        }
    }
}

/// 250 read sets, each filter with its expected count, and a walk with maxResults 7 while another
/// import adds read sets: every read set present at the start appears exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_paging_during_imports() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let reference_arn = "arn:aws:omics:us-east-1:111111111111:referenceStore/1/reference/2";
    let mut jobs = Vec::new();
    for batch in 0..3 {
        let sources = (0..100usize.min(250 - batch * 100))
            .map(|i| {
                let n = batch * 100 + i;
                let uri = write(root.path(), &format!("s{n}.fq"), &fastq(n as u64, 5, 30, None));
                let mut item = source(&uri, None);
                item.sample_id = format!("sample{}", n % 5);
                item.subject_id = format!("subject{}", n % 2);
                item.generated_from = Some(if n % 10 == 0 { "lab-a" } else { "lab-b" }.into());
                item.name = Some(format!("rs{n}"));
                item
            })
            .collect();
        jobs.push(start(&client, &store, sources).await);
    }
    for job in &jobs {
        wait(&client, &store, job).await;
    }
    let _ = reference_arn;
    let all = list_all(&client, &store, None, 100).await;
    assert_eq!(all.len(), 250);
    let count = |filter: ReadSetFilter| {
        let client = client.clone();
        let store = store.clone();
        async move { list_all(&client, &store, Some(filter), 100).await.len() }
    };
    assert_eq!(count(ReadSetFilter::builder().sample_id("sample3").build()).await, 50);
    assert_eq!(count(ReadSetFilter::builder().subject_id("subject1").build()).await, 125);
    assert_eq!(count(ReadSetFilter::builder().generated_from("lab-a").build()).await, 25);
    assert_eq!(count(ReadSetFilter::builder().name("rs42").build()).await, 1);
    assert_eq!(count(ReadSetFilter::builder().status("ACTIVE".into()).build()).await, 250);
    assert_eq!(count(ReadSetFilter::builder().status("ARCHIVED".into()).build()).await, 0);
    assert_eq!(count(ReadSetFilter::builder().creation_type("IMPORT".into()).build()).await, 250);
    assert_eq!(count(ReadSetFilter::builder().creation_type("UPLOAD".into()).build()).await, 0);
    assert_eq!(count(ReadSetFilter::builder().reference_arn("").build()).await, 250, "empty = no reference");
    assert_eq!(count(ReadSetFilter::builder().reference_arn(reference_arn).build()).await, 0);
    let future = aws_smithy_types::DateTime::from_secs(4_102_444_800);
    assert_eq!(count(ReadSetFilter::builder().created_after(future).build()).await, 0);
    assert_eq!(count(ReadSetFilter::builder().created_before(future).build()).await, 250);

    // Walk page by page while another import adds 40 read sets.
    let extra = (0..40)
        .map(|n| source(&write(root.path(), &format!("x{n}.fq"), &fastq(1000 + n, 5, 30, None)), None))
        .collect();
    let before: HashSet<String> = all.iter().cloned().collect();
    let job = start(&client, &store, extra).await;
    let walked = list_all(&client, &store, None, 7).await;
    wait(&client, &store, &job).await;
    let mut seen = BTreeMap::new();
    for id in &walked {
        *seen.entry(id.clone()).or_insert(0) += 1;
    }
    assert!(seen.values().all(|&n| n == 1), "no read set appears twice");
    assert!(before.iter().all(|id| seen.contains_key(id)), "every read set present at the start appears");
    assert_eq!(list_all(&client, &store, None, 100).await.len(), 290);
    server.stop().await;
}

/// A read set of more than 3 parts downloaded part by part in parallel reassembles to the source;
/// 416 past the end, 404 for a file the read set does not have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_part_downloads_reassemble() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.storage.part_size = 1024 * 1024;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let text = fastq(77, 12_000, 150, None); // ≈ 3.9 MB plain: 4 parts of 1 MiB
    let uri = write(root.path(), "big.fq", &text);
    let job = wait(&client, &store, &start(&client, &store, vec![source(&uri, None)]).await).await;
    let id = job.sources()[0].read_set_id().expect("read set").to_owned();
    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&id).send().await.expect("meta");
    let parts = meta.files().and_then(|f| f.source1()).and_then(|f| f.total_parts()).expect("parts");
    assert!(parts > 3, "{parts} parts");
    let downloads = (1..=parts).map(|part| {
        let (client, store, id) = (client.clone(), store.clone(), id.clone());
        tokio::spawn(async move {
            let out =
                client.get_read_set().sequence_store_id(store).id(id).part_number(part).send().await.expect("part");
            out.payload.collect().await.expect("payload").into_bytes().to_vec()
        })
    });
    let mut whole = Vec::new();
    for download in downloads.collect::<Vec<_>>() {
        whole.extend(download.await.expect("join"));
    }
    assert!(whole == text, "parts reassemble to the source bytes");
    let past = client.get_read_set().sequence_store_id(&store).id(&id).part_number(parts + 1).send().await;
    assert_eq!(code(&past.expect_err("past the end")), "RangeNotSatisfiableException");
    let second =
        client.get_read_set().sequence_store_id(&store).id(&id).file(ReadSetFile::Source2).part_number(1).send().await;
    let second = second.expect_err("single FASTQ has no source2");
    assert_eq!(code(&second), "ResourceNotFoundException");
    assert!(format!("{second:?}").contains("SOURCE2"));
    server.stop().await;
}

/// BatchDeleteReadSet with existing, missing and foreign ids; system tags; the `etag` filter by raw
/// signed request; the duplicate note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_delete_tags_etag_filter_and_duplicates() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let (a, b) = (sdk(&server.endpoint, KEY_A), sdk(&server.endpoint, KEY_B));
    let store_a = store(&a, ETagAlgorithmFamily::Md5Up).await;
    let store_b = store(&b, ETagAlgorithmFamily::Md5Up).await;
    let text = fastq(5, 100, 50, None);
    let same1 = write(root.path(), "same1.fq", &text);
    let same2 = write(root.path(), "same2.fq.gz", &gzip(&text));
    let other = write(root.path(), "other.fq", &fastq(6, 100, 50, None));
    let job = wait(&a, &store_a, &start(&a, &store_a, vec![source(&same1, None)]).await).await;
    let first = job.sources()[0].read_set_id().expect("first").to_owned();
    let job = wait(&a, &store_a, &start(&a, &store_a, vec![source(&same2, None), source(&other, None)]).await).await;
    let dup = &job.sources()[0];
    assert_eq!(dup.status_message(), Some(format!("same content as read set {first}").as_str()), "{dup:?}");
    assert!(job.sources()[1].status_message().is_none());
    let tags = dup.tags().expect("tags");
    assert_eq!(tags.get("aws:omics:sampleId").map(String::as_str), Some("sample"));
    let second = dup.read_set_id().expect("second").to_owned();
    let third = job.sources()[1].read_set_id().expect("third").to_owned();

    // The etag filter: an extension member, so raw signed HTTP.
    let body = serde_json::json!({"filter": {"etag": md5(&text)}}).to_string();
    let mut raw = Raw::new("POST", format!("/sequencestore/{store_a}/readsets"), body);
    raw.host = server.endpoint.trim_start_matches("http://").to_owned();
    let request = raw.build();
    let (parts, body) = request.into_parts();
    let body = http_body_util::BodyExt::collect(body).await.expect("body").to_bytes().to_vec();
    let mut builder = http::Request::builder().method("POST").uri(format!("{}{}", server.endpoint, parts.uri));
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let listed: serde_json::Value =
        serde_json::from_slice(&http_send(builder.body(body).expect("request")).await).expect("json");
    let mut ids: Vec<&str> =
        listed["readSets"].as_array().expect("list").iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = vec![first.as_str(), second.as_str()];
    expected.sort();
    assert_eq!(ids, expected);

    // System tags: listed, not settable or removable, not counted toward the 50.
    let arn = raw_get(&server.endpoint, &format!("/sequencestore/{store_a}/readset/{first}/metadata")).await["arn"]
        .as_str()
        .expect("arn")
        .to_owned();
    let listed = a.list_tags_for_resource().resource_arn(&arn).send().await.expect("tags");
    assert_eq!(listed.tags().get("aws:omics:subjectId").map(String::as_str), Some("subject"));
    let set = a.tag_resource().resource_arn(&arn).tags("aws:omics:sampleId", "x").send().await;
    assert_eq!(code(&set.expect_err("system tag")), "ValidationException");
    let remove = a.untag_resource().resource_arn(&arn).tag_keys("aws:omics:sampleId").send().await;
    assert_eq!(code(&remove.expect_err("system tag")), "ValidationException");
    let mut fifty = a.tag_resource().resource_arn(&arn);
    for i in 0..49 {
        fifty = fifty.tags(format!("k{i}"), "v");
    }
    fifty.send().await.expect("project tag + 49 = 50 user tags, system tags not counted");

    // BatchDeleteReadSet: existing, missing and another account's ids.
    let job_b = wait(&b, &store_b, &start_b(&b, &store_b, &other).await).await;
    let foreign = job_b.sources()[0].read_set_id().expect("b's").to_owned();
    let out = a
        .batch_delete_read_set()
        .sequence_store_id(&store_a)
        .ids(&first)
        .ids("1000000000")
        .ids(&foreign)
        .send()
        .await
        .expect("batch delete");
    let mut errors: Vec<(&str, &str)> = out.errors().iter().map(|e| (e.id(), e.code())).collect();
    errors.sort();
    let mut wanted = vec![("1000000000", "ResourceNotFoundException"), (foreign.as_str(), "ResourceNotFoundException")];
    wanted.sort();
    assert_eq!(errors, wanted);
    let left = list_all(&a, &store_a, None, 100).await;
    assert!(!left.contains(&first) && left.contains(&second) && left.contains(&third));
    assert_eq!(list_all(&b, &store_b, None, 100).await, vec![foreign]);
    server.stop().await;
}

async fn start_b(client: &Client, store: &str, uri: &str) -> String {
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(store)
        .role_arn("arn:aws:iam::222222222222:role/Import")
        .sources(source(uri, None))
        .send()
        .await
        .expect("b import");
    job.id().to_owned()
}

/// "same content as read set N" only for the same content: a pair whose two files equal a
/// single-end read set's file is other content (no note), the same pair again is noted as that
/// pair; a file imported as BAM and as uBAM (one ETag algorithm, `BAM_MD5up`) is not the same
/// read set content either, until the same type comes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_note_only_for_the_same_content() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let reads = write(root.path(), "reads.fq", &fastq(21, 50, 80, None));
    let settle = |sources| {
        let (client, store) = (&client, &store);
        async move {
            let job = wait(client, store, &start(client, store, sources).await).await;
            let item = &job.sources()[0];
            assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{item:?}");
            (item.read_set_id().expect("read set").to_owned(), item.status_message().map(str::to_owned))
        }
    };
    let (single, note) = settle(vec![source(&reads, None)]).await;
    assert_eq!(note, None);
    let (pair, note) = settle(vec![source(&reads, Some(&reads))]).await;
    assert_eq!(note, None, "a pair of the single-end read set's file twice is not the same content");
    let (again, note) = settle(vec![source(&reads, Some(&reads))]).await;
    assert_eq!(note, Some(format!("same content as read set {pair}")), "the same pair again");
    let (_, note) = settle(vec![source(&reads, None)]).await;
    assert_eq!(note, Some(format!("same content as read set {single}")));
    assert_ne!(again, pair);

    let ubam = std::fs::read(super::aligned_failures::testdata("derived/r1r2.ubam.bam")).expect("uBAM");
    let ubam = write(root.path(), "reads.ubam.bam", &ubam);
    let (as_ubam, note) = settle(vec![typed_source(&ubam, None, FileType::Ubam)]).await;
    assert_eq!(note, None);
    let (_, note) = settle(vec![typed_source(&ubam, None, FileType::Bam)]).await;
    assert_eq!(note, None, "the same bytes as BAM: another file type");
    let (_, note) = settle(vec![typed_source(&ubam, None, FileType::Ubam)]).await;
    assert_eq!(note, Some(format!("same content as read set {as_ubam}")));
    server.stop().await;
}
