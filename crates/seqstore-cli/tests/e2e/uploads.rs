//! Direct multipart read set uploads with `aws-sdk-omics`: a paired FASTQ.gz and a BAM with its
//! reference uploaded in several parts give the same read sets as imports of the same files;
//! replaced parts, wrong checksums, missing parts, aborts, oversized parts, invalid content and
//! abandoned uploads; both list operations paged.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::operation::get_read_set_metadata::GetReadSetMetadataOutput;
use aws_sdk_omics::primitives::ByteStream;
use aws_sdk_omics::types::{
    CompleteReadSetUploadPartListItem, ETagAlgorithmFamily, FileType, ReadSetFile, ReadSetImportJobStatus,
    ReadSetPartSource, ReadSetStatus,
};

use object_store::ObjectStoreExt;
use seqstore::config::Config;

use super::aligned_failures::import_references;
use super::fastq_data::{fastq, gzip};
use super::imports::{import_config, start, store, typed_source, wait, with_fallback_role, write};
use super::s3::S3Server;
use super::support::{
    Backend, KEY_A, KEY_B, Raw, TestDb, TestServer, code, config, in_ci, object_dirs, on_both_backends, router, sdk,
    send,
};

fn testdata(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// Creates an upload of `file_type` and returns its id.
pub async fn create(client: &Client, store: &str, file_type: FileType, reference: Option<&str>) -> String {
    let out = client
        .create_multipart_read_set_upload()
        .sequence_store_id(store)
        .source_file_type(file_type)
        .subject_id("subject")
        .sample_id("sample")
        .name("reads")
        .set_reference_arn(reference.map(str::to_owned))
        .tags("project", "test")
        .send()
        .await
        .expect("create upload");
    assert_eq!(out.sequence_store_id(), store);
    out.upload_id().to_owned()
}

/// Uploads `bytes` as part `number` of `source`; returns the checksum.
pub async fn put(
    client: &Client,
    store: &str,
    upload: &str,
    source: ReadSetPartSource,
    number: i32,
    bytes: &[u8],
) -> String {
    let out = client
        .upload_read_set_part()
        .sequence_store_id(store)
        .upload_id(upload)
        .part_source(source)
        .part_number(number)
        .payload(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .expect("upload part");
    out.checksum().to_owned()
}

fn item(source: ReadSetPartSource, number: i32, checksum: &str) -> CompleteReadSetUploadPartListItem {
    CompleteReadSetUploadPartListItem::builder()
        .part_source(source)
        .part_number(number)
        .checksum(checksum)
        .build()
        .expect("part item")
}

/// Uploads each file in `pieces` parts and completes; returns the read set id.
pub async fn upload_files(
    client: &Client,
    store: &str,
    file_type: FileType,
    reference: Option<&str>,
    files: &[&[u8]],
    pieces: usize,
) -> String {
    let upload = create(client, store, file_type, reference).await;
    let mut parts = Vec::new();
    for (file, source) in files.iter().zip([ReadSetPartSource::Source1, ReadSetPartSource::Source2]) {
        let size = file.len().div_ceil(pieces);
        for (i, piece) in file.chunks(size).enumerate() {
            let number = i as i32 + 1;
            let checksum = put(client, store, &upload, source.clone(), number, piece).await;
            parts.push(item(source.clone(), number, &checksum));
        }
    }
    let out = client
        .complete_multipart_read_set_upload()
        .sequence_store_id(store)
        .upload_id(&upload)
        .set_parts(Some(parts))
        .send()
        .await
        .expect("complete upload");
    out.read_set_id().to_owned()
}

/// Polls the read set until it leaves PROCESSING_UPLOAD (at most 120 s).
pub async fn settled(client: &Client, store: &str, id: &str) -> GetReadSetMetadataOutput {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let meta = client.get_read_set_metadata().sequence_store_id(store).id(id).send().await.expect("metadata");
        if meta.status() != &ReadSetStatus::ProcessingUpload {
            return meta;
        }
        assert!(Instant::now() < deadline, "read set {id} is still processing: {meta:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn download(client: &Client, store: &str, id: &str, file: ReadSetFile) -> Vec<u8> {
    let out = client.get_read_set().sequence_store_id(store).id(id).file(file).part_number(1).send().await;
    out.expect("GetReadSet").payload.collect().await.expect("payload").into_bytes().to_vec()
}

/// The members an upload and an import of the same files must agree on.
fn essentials(meta: &GetReadSetMetadataOutput) -> String {
    let info = meta.sequence_information().expect("sequence information");
    let files = meta.files().expect("files");
    let file = |f: Option<&aws_sdk_omics::types::FileInformation>| {
        f.map(|f| (f.content_length(), f.total_parts(), f.part_size()))
    };
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        info.total_read_count(),
        info.total_base_count(),
        info.alignment(),
        meta.etag(),
        meta.file_type(),
        file(files.source1()),
        file(files.source2()),
        file(files.index()),
    )
}

/// `samtools sort` of a conformance SAM on `ce.fa`: a small coordinate-sorted BAM with `@SQ M5`.
fn sorted_bam(dir: &Path) -> Option<Vec<u8>> {
    let found = std::process::Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || !in_ci(), "CI=true but samtools is not installed");
    if !found {
        return None;
    }
    let out = dir.join("sorted.bam");
    let sam = testdata("hts-specs/cram3.0/passed/1406_index_long.sam");
    let status = std::process::Command::new("samtools")
        .args(["sort", "-o", out.to_str()?, sam.to_str()?])
        .status()
        .expect("samtools sort");
    assert!(status.success());
    Some(std::fs::read(out).expect("sorted.bam"))
}

async fn uploads_equal_imports_of_the_same_files(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Sha256Up).await;

    let r1 = gzip(&fastq(71, 20_000, 150, Some(1)));
    let r2 = gzip(&fastq(72, 20_000, 150, Some(2)));
    let mut cases: Vec<(FileType, Option<String>, Vec<Vec<u8>>)> = vec![(FileType::Fastq, None, vec![r1, r2])];
    if let Some(bam) = sorted_bam(root.path()) {
        let ce = write(root.path(), "ce.fa", &std::fs::read(testdata("hts-specs/ref/ce.fa")).expect("ce.fa"));
        let arn = import_references(&client, &[("ce-reference", &ce)]).await.remove(0);
        cases.push((FileType::Bam, Some(arn), vec![bam]));
    }
    for (n, (file_type, reference, files)) in cases.iter().enumerate() {
        let slices: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        let uploaded = upload_files(&client, &store, file_type.clone(), reference.as_deref(), &slices, 3).await;
        let processing = client.get_read_set_metadata().sequence_store_id(&store).id(&uploaded).send().await;
        let processing = processing.expect("metadata right after completion");
        assert!(
            matches!(processing.status(), ReadSetStatus::ProcessingUpload | ReadSetStatus::Active),
            "{processing:?}"
        );
        let upload_meta = settled(&client, &store, &uploaded).await;
        assert_eq!(upload_meta.status(), &ReadSetStatus::Active, "{upload_meta:?}");
        assert_eq!(upload_meta.creation_type().map(|t| t.as_str()), Some("UPLOAD"));

        let uris: Vec<String> =
            files.iter().enumerate().map(|(i, bytes)| write(root.path(), &format!("case{n}-{i}"), bytes)).collect();
        let mut source = typed_source(&uris[0], uris.get(1).map(String::as_str), file_type.clone());
        source.reference_arn = reference.clone();
        let job = wait(&client, &store, &start(&client, &store, vec![source]).await).await;
        assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
        let imported = job.sources()[0].read_set_id().expect("imported read set").to_owned();
        let import_meta = client.get_read_set_metadata().sequence_store_id(&store).id(&imported).send().await;
        let import_meta = import_meta.expect("metadata");
        assert_eq!(essentials(&upload_meta), essentials(&import_meta), "{file_type:?}: upload = import");
        let note = job.sources()[0].status_message().unwrap_or_default();
        assert!(note.contains(&format!("same content as read set {uploaded}")), "{note}");
        for (i, file) in [ReadSetFile::Source1, ReadSetFile::Source2].into_iter().take(files.len()).enumerate() {
            let bytes = download(&client, &store, &uploaded, file).await;
            assert!(bytes == files[i], "{file_type:?}: file {i} downloads as uploaded");
        }
        if *file_type == FileType::Bam {
            let ours = download(&client, &store, &uploaded, ReadSetFile::Index).await;
            assert_eq!(ours, download(&client, &store, &imported, ReadSetFile::Index).await, "same BAI");
        }
        let tags = client.list_tags_for_resource().resource_arn(upload_meta.arn()).send().await.expect("tags");
        assert_eq!(tags.tags().get("project").map(String::as_str), Some("test"));
        assert_eq!(tags.tags().get("aws:omics:sampleId").map(String::as_str), Some("sample"));
    }
    // Nothing of the uploads remains once they are processed.
    assert!(!upload_dirs_exist(&config(&db)).await, "part objects are deleted after processing");
    let uploads = client.list_multipart_read_set_uploads().sequence_store_id(&store).send().await.expect("list");
    assert!(uploads.uploads().is_empty(), "{uploads:?}");
    server.stop().await;
}

/// True when any part object or upload directory is left in `config`'s storage.
async fn upload_dirs_exist(config: &Config) -> bool {
    object_dirs(config).await.iter().any(|(_, kind, _)| kind == "upload")
}

async fn refused_parts_and_completions_give_the_modelled_errors(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.uploads.max_part_bytes = 64 * 1024;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let text = fastq(5, 400, 100, None);
    let (first, second) = text.split_at(text.len() / 2);

    // Replacing a part: the second upload of part 1 is what counts.
    let upload = create(&client, &store, FileType::Fastq, None).await;
    let garbage = put(&client, &store, &upload, ReadSetPartSource::Source1, 1, b"not what was meant").await;
    let good1 = put(&client, &store, &upload, ReadSetPartSource::Source1, 1, first).await;
    assert_ne!(garbage, good1);
    let good2 = put(&client, &store, &upload, ReadSetPartSource::Source1, 2, second).await;
    let parts = client
        .list_read_set_upload_parts()
        .sequence_store_id(&store)
        .upload_id(&upload)
        .part_source(ReadSetPartSource::Source1)
        .send()
        .await
        .expect("parts");
    let listed: Vec<_> = parts.parts().iter().map(|p| (p.part_number(), p.part_size(), p.checksum())).collect();
    assert_eq!(listed, vec![(1, first.len() as i64, good1.as_str()), (2, second.len() as i64, good2.as_str())]);

    // The checksum is the base64 SHA-256 of the part.
    use base64::Engine as _;
    use sha2::Digest as _;
    assert_eq!(good1, base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(first)));

    // Completing with the replaced part's checksum, or with a part missing, is refused.
    let complete = |parts: Vec<CompleteReadSetUploadPartListItem>| {
        client.complete_multipart_read_set_upload().sequence_store_id(&store).upload_id(&upload).set_parts(Some(parts))
    };
    let stale =
        complete(vec![item(ReadSetPartSource::Source1, 1, &garbage), item(ReadSetPartSource::Source1, 2, &good2)]);
    let err = stale.send().await.expect_err("stale checksum");
    assert_eq!(code(&err), "ValidationException");
    assert!(format!("{err:?}").contains("the checksum of part 1 of SOURCE1"), "{err:?}");
    let err = complete(vec![item(ReadSetPartSource::Source1, 2, &good2)]).send().await.expect_err("gap");
    assert_eq!(code(&err), "ValidationException");
    assert!(format!("{err:?}").contains("part 1 of SOURCE1 is missing"), "{err:?}");
    let err = complete(vec![item(ReadSetPartSource::Source1, 1, &good1), item(ReadSetPartSource::Source1, 3, &good2)])
        .send()
        .await
        .expect_err("never uploaded");
    assert!(format!("{err:?}").contains("part 3 of SOURCE1 was never uploaded"), "{err:?}");

    // A part over the size limit, and SOURCE2 of a BAM upload.
    let big = vec![b'A'; 64 * 1024 + 1];
    let err = client
        .upload_read_set_part()
        .sequence_store_id(&store)
        .upload_id(&upload)
        .part_source(ReadSetPartSource::Source1)
        .part_number(3)
        .payload(ByteStream::from(big))
        .send()
        .await
        .expect_err("too large");
    assert_eq!(code(&err), "ValidationException");
    assert!(format!("{err:?}").contains("uploads.max_part_bytes"), "{err:?}");
    let bam_upload = create(&client, &store, FileType::Ubam, None).await;
    let err = client
        .upload_read_set_part()
        .sequence_store_id(&store)
        .upload_id(&bam_upload)
        .part_source(ReadSetPartSource::Source2)
        .part_number(1)
        .payload(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("SOURCE2 of UBAM");
    assert_eq!(code(&err), "ValidationException");

    // Another account sees none of it.
    let other = sdk(&server.endpoint, KEY_B);
    let err = other.list_multipart_read_set_uploads().sequence_store_id(&store).send().await.expect_err("foreign");
    assert_eq!(code(&err), "ResourceNotFoundException");

    // The right list completes; the read set is the two halves.
    let id = complete(vec![item(ReadSetPartSource::Source1, 1, &good1), item(ReadSetPartSource::Source1, 2, &good2)])
        .send()
        .await
        .expect("complete")
        .read_set_id()
        .to_owned();
    let meta = settled(&client, &store, &id).await;
    assert_eq!(meta.status(), &ReadSetStatus::Active, "{meta:?}");
    assert_eq!(meta.sequence_information().and_then(|i| i.total_read_count()), Some(400));
    assert_eq!(download(&client, &store, &id, ReadSetFile::Source1).await, text);
    // A completed upload takes no more parts and cannot complete again.
    let err = client
        .upload_read_set_part()
        .sequence_store_id(&store)
        .upload_id(&upload)
        .part_source(ReadSetPartSource::Source1)
        .part_number(1)
        .payload(ByteStream::from_static(b"@r\nA\n+\nI\n"))
        .send()
        .await
        .expect_err("completed");
    assert_eq!(code(&err), "ResourceNotFoundException");
    let err = complete(vec![item(ReadSetPartSource::Source1, 1, &good1)]).send().await.expect_err("twice");
    assert_eq!(code(&err), "ResourceNotFoundException");

    // Aborting removes the upload and its parts.
    put(&client, &store, &bam_upload, ReadSetPartSource::Source1, 1, b"partial").await;
    client
        .abort_multipart_read_set_upload()
        .sequence_store_id(&store)
        .upload_id(&bam_upload)
        .send()
        .await
        .expect("abort");
    let err = client
        .list_read_set_upload_parts()
        .sequence_store_id(&store)
        .upload_id(&bam_upload)
        .part_source(ReadSetPartSource::Source1)
        .send()
        .await
        .expect_err("aborted");
    assert_eq!(code(&err), "ResourceNotFoundException");
    let err = client
        .abort_multipart_read_set_upload()
        .sequence_store_id(&store)
        .upload_id(&bam_upload)
        .send()
        .await
        .expect_err("aborted twice");
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert!(!upload_dirs_exist(&config).await, "no part object remains");
    server.stop().await;
}

async fn invalid_content_ends_upload_failed_and_fallback_keeps_the_bytes(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket("fallback-bucket");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    with_fallback_role(&mut config, &s3.endpoint);
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let plain = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let with_fallback = client
        .create_sequence_store()
        .name("with fallback")
        .fallback_location("s3://fallback-bucket/failed/")
        .send()
        .await
        .expect("store")
        .id()
        .to_owned();
    let mut bad = fastq(9, 50, 80, None);
    bad.extend_from_slice(b"@broken\nACGT\n+\nII\n");
    for store in [&plain, &with_fallback] {
        let id = upload_files(&client, store, FileType::Fastq, None, &[&bad], 2).await;
        let meta = settled(&client, store, &id).await;
        assert_eq!(meta.status(), &ReadSetStatus::UploadFailed, "{meta:?}");
        let message = meta.status_message().unwrap_or_default();
        assert!(message.contains("record 51") && message.contains("quality length 2"), "specific: {message}");
        let files = meta.files().and_then(|f| f.source1());
        if *store == with_fallback {
            assert_eq!(files.and_then(|f| f.content_length()), Some(bad.len() as i64), "{meta:?}");
            // Copied to the fallback location as sent, under the layout's name, which the
            // message names.
            let copied = format!("s3://fallback-bucket/failed/{id}/");
            assert!(message.contains(&format!("the uploaded files were copied to {copied}")), "{message}");
            let key = object_store::path::Path::from(format!("failed/{id}/{id}_1.fastq"));
            let object = s3.client("fallback-bucket").get(&key).await.expect("the copy").bytes().await.expect("bytes");
            assert!(object.as_ref() == bad.as_slice(), "the copy holds the bytes as sent");
            // Kept, but not a processed read set: GetReadSet refuses it (the dashboard serves it,
            // see not_active.rs).
            let out = client.get_read_set().sequence_store_id(store).id(&id).part_number(1).send().await;
            assert_eq!(code(&out.expect_err("not ACTIVE")), "ConflictException");
        } else {
            assert!(files.is_none(), "nothing kept without a fallbackLocation: {meta:?}");
        }
        let listed = client
            .list_read_sets()
            .sequence_store_id(store)
            .filter(aws_sdk_omics::types::ReadSetFilter::builder().status(ReadSetStatus::UploadFailed).build())
            .send()
            .await
            .expect("list");
        assert_eq!(listed.read_sets().len(), 1);
        client.batch_delete_read_set().sequence_store_id(store).ids(&id).send().await.expect("delete failed set");
    }
    assert!(!upload_dirs_exist(&config).await, "no part object remains");
    server.stop().await;
}

async fn uploads_and_parts_page_and_abandoned_uploads_are_aborted(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.uploads.abandon_after_seconds = 3;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(create(&client, &store, FileType::Fastq, None).await);
    }
    for n in 1..=11 {
        put(&client, &store, &created[0], ReadSetPartSource::Source2, n, format!("part {n}").as_bytes()).await;
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_multipart_read_set_uploads()
            .sequence_store_id(&store)
            .max_results(3)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        assert!(page.uploads().len() <= 3);
        seen.extend(page.uploads().iter().map(|u| u.upload_id().to_owned()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, created, "every upload once, in creation order");
    let mut numbers = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_read_set_upload_parts()
            .sequence_store_id(&store)
            .upload_id(&created[0])
            .part_source(ReadSetPartSource::Source2)
            .max_results(4)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        numbers.extend(page.parts().iter().map(|p| p.part_number()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(numbers, (1..=11).collect::<Vec<_>>());
    let source1 = client
        .list_read_set_upload_parts()
        .sequence_store_id(&store)
        .upload_id(&created[0])
        .part_source(ReadSetPartSource::Source1)
        .send()
        .await
        .expect("SOURCE1 parts");
    assert!(source1.parts().is_empty());
    let err = client
        .list_multipart_read_set_uploads()
        .sequence_store_id(&store)
        .next_token("forged")
        .send()
        .await
        .expect_err("forged token");
    assert_eq!(code(&err), "ValidationException");

    // A store with uploads in progress cannot be deleted.
    let err = client.delete_sequence_store().id(&store).send().await.expect_err("uploads in progress");
    assert_eq!(code(&err), "ConflictException");

    // The sweep aborts uploads idle for longer than abandon_after_seconds, parts included. It
    // deletes an upload's row, then its part objects: the listing can be empty a moment before the
    // objects are gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = client.list_multipart_read_set_uploads().sequence_store_id(&store).send().await.expect("list");
        if page.uploads().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "abandoned uploads were not aborted: {page:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    while upload_dirs_exist(&config).await {
        assert!(Instant::now() < deadline, "their parts are deleted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.delete_sequence_store().id(&store).send().await.expect("store deletable now");
    server.stop().await;
}

on_both_backends!(
    uploads_equal_imports_of_the_same_files,
    refused_parts_and_completions_give_the_modelled_errors,
    invalid_content_ends_upload_failed_and_fallback_keeps_the_bytes,
    uploads_and_parts_page_and_abandoned_uploads_are_aborted,
);

/// UploadReadSetPart signed over raw HTTP: UNSIGNED-PAYLOAD and a signed body hash are accepted;
/// a body that does not match its signed hash, or no `x-amz-content-sha256` at all, is refused
/// (403) and records no part.
#[tokio::test]
async fn streamed_parts_check_a_signed_body_hash() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let router = router(&config(&db)).await;
    let created = send(&router, Raw::new("POST", "/sequencestore", r#"{"name":"raw"}"#).build()).await;
    let store = created.json["id"].as_str().expect("store id").to_owned();
    let body = r#"{"sourceFileType":"FASTQ","subjectId":"s","sampleId":"s","name":"raw"}"#;
    let upload = send(&router, Raw::new("POST", format!("/sequencestore/{store}/upload"), body).build()).await;
    assert_eq!(upload.status, 200, "{:?}", upload.json);
    let upload = upload.json["uploadId"].as_str().expect("upload id").to_owned();
    let path = |n: u32| format!("/sequencestore/{store}/upload/{upload}/part?partSource=SOURCE1&partNumber={n}");
    let part = |n: u32, bytes: &[u8]| {
        let mut raw = Raw::new("PUT", path(n), bytes.to_vec());
        raw.host = "storage-127.0.0.1:4870".into();
        raw
    };

    let mut unsigned = part(1, b"@r1\nACGT\n+\nIIII\n");
    unsigned.unsigned_payload = true;
    let reply = send(&router, unsigned.build()).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let mut signed = part(2, b"@r2\nACGT\n+\nIIII\n");
    signed.sha256_header = true;
    let reply = send(&router, signed.build()).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert!(reply.json["checksum"].as_str().is_some_and(|c| c.len() == 44), "{:?}", reply.json);

    // Signed for one body, sent with another.
    let mut swapped = part(3, b"@r3\nACGT\n+\nIIII\n");
    swapped.sha256_header = true;
    let (parts, _) = swapped.build().into_parts();
    let request = http::Request::from_parts(parts, axum::body::Body::from("@r3\nTTTT\n+\nIIII\n"));
    let reply = send(&router, request).await;
    assert_eq!((reply.status, reply.error_type()), (403, "InvalidSignatureException"), "{:?}", reply.json);
    assert!(reply.message().contains("X-Amz-Content-SHA256"), "{}", reply.message());
    // No payload hash header at all.
    let reply = send(&router, part(4, b"@r4\nACGT\n+\nIIII\n").build()).await;
    assert_eq!((reply.status, reply.error_type()), (403, "InvalidSignatureException"), "{:?}", reply.json);

    let listed =
        Raw::new("POST", format!("/sequencestore/{store}/upload/{upload}/parts"), r#"{"partSource":"SOURCE1"}"#);
    let listed = send(&router, listed.build()).await;
    let numbers: Vec<_> =
        listed.json["parts"].as_array().expect("parts").iter().map(|p| p["partNumber"].clone()).collect();
    assert_eq!(numbers, vec![serde_json::json!(1), serde_json::json!(2)], "only the accepted parts are recorded");
}

/// Peak resident memory (`VmHWM`) of a process, in bytes.
pub fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).expect("kB") * 1024
}

/// A 256 MiB part streamed from disk to a `seqstore serve` process: its peak memory grows by far
/// less than the part's size (parts are streamed to storage, not buffered), and the stored object
/// is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_part_is_streamed_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("dir");
    let key = |(id, secret, account): (&str, &str, &str)| {
        format!(
            "[[auth.keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n"
        )
    };
    let config = dir.path().join("seqstore.toml");
    std::fs::write(&config, key(KEY_A) + "[uploads]\nmax_part_bytes = 314572800\n").expect("config");
    let data = dir.path().join("data");
    let server = super::support::Serve::start(&[
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
    ]);
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let upload = create(&client, &store, FileType::Fastq, None).await;
    let size = 256 * 1024 * 1024;
    let part = dir.path().join("part.bin");
    let block: Vec<u8> = (0..1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&part).expect("part"));
        for _ in 0..size / block.len() {
            file.write_all(&block).expect("write");
        }
    }
    let before = peak_rss(server.pid());
    let out = client
        .upload_read_set_part()
        .sequence_store_id(&store)
        .upload_id(&upload)
        .part_source(ReadSetPartSource::Source1)
        .part_number(1)
        .payload(ByteStream::from_path(&part).await.expect("stream"))
        .send()
        .await
        .expect("upload 256 MiB");
    let peak = peak_rss(server.pid());
    eprintln!("server peak RSS: {} MiB before, {} MiB after a 256 MiB part", before >> 20, peak >> 20);
    // What the part itself costs: the growth over the process's own size before it, which moves
    // with everything else the process holds (66-68 MiB on S3 storage, where the archive tier has
    // a client of its own since #25): the former fixed bound of 96 MiB on the whole process failed
    // there once at 97 MiB.
    let growth = peak.saturating_sub(before);
    assert!(growth < 48 * 1024 * 1024, "peak RSS grew {} MiB for a 256 MiB part", growth >> 20);
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for _ in 0..size / block.len() {
        hasher.update(&block);
    }
    assert_eq!(out.checksum(), base64::engine::general_purpose::STANDARD.encode(hasher.finalize()));
    let parts = client
        .list_read_set_upload_parts()
        .sequence_store_id(&store)
        .upload_id(&upload)
        .part_source(ReadSetPartSource::Source1)
        .send()
        .await
        .expect("parts");
    assert_eq!(parts.parts()[0].part_size(), size as i64);
}
