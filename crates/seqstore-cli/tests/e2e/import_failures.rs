//! Bad inputs and refused submissions. Each bad input runs in a job beside a good source: the bad
//! one ends FAILED with its specific message, the good one FINISHES, the job is
//! COMPLETED_WITH_FAILURES, and nothing of the failed source is left in storage or in ListReadSets.

use std::path::Path;

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetImportJobItemStatus, ReadSetImportJobStatus};
use seqstore::config::{Location, Role};

use super::fastq_data::{Rng, bgzf, fastq, gzip};
use super::imports::{ROLE_A, import_config, raw_job, source, start, store, typed_source, wait, write};
use super::support::{Backend, KEY_A, TestDb, TestServer, code, read_set_dirs, sdk};

/// What a bad case submits: the first file, an optional second, and the message expected.
struct Bad {
    source1: Vec<u8>,
    source2: Option<Vec<u8>>,
    expected: &'static str,
}

async fn bad_input(case: Bad) {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let good = write(root.path(), "good.fq.gz", &gzip(&fastq(5, 500, 100, None)));
    let bad1 = write(root.path(), "bad_1.fq", &case.source1);
    let bad2 = case.source2.as_ref().map(|b| write(root.path(), "bad_2.fq", b));
    let job_id = start(&client, &store, vec![source(&bad1, bad2.as_deref()), source(&good, None)]).await;
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::CompletedWithFailures, "{job:?}");
    let (bad, good) = (&job.sources()[0], &job.sources()[1]);
    assert_eq!(bad.status(), &ReadSetImportJobItemStatus::Failed);
    let message = bad.status_message().unwrap_or_default();
    assert!(message.contains(case.expected), "expected {:?} in {message:?}", case.expected);
    assert!(message.chars().count() <= 127 && !message.chars().any(char::is_control), "{message:?}");
    assert!(bad.read_set_id().is_none());
    assert_eq!(good.status(), &ReadSetImportJobItemStatus::Finished);
    let detail = raw_job(&server.endpoint, &store, &job_id).await;
    assert!(detail["sources"][0]["statusDetail"].as_str().unwrap_or_default().contains(case.expected));
    let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 1, "only the good source's read set");
    assert_eq!(read_set_dirs(&config).await.len(), 1, "nothing of the failed source is stored");
    server.stop().await;
}

macro_rules! bad_inputs {
    ($($name:ident => $case:expr;)*) => {
        $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            bad_input($case).await;
        })*
    };
}

fn text() -> Vec<u8> {
    fastq(9, 200, 60, None)
}

fn replace_line(text: &[u8], line: usize, with: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    lines[line] = with;
    lines.join(&b'\n')
}

bad_inputs! {
    truncated_gzip => {
        let gz = gzip(&text());
        Bad { source1: gz[..gz.len() / 2].to_vec(), source2: None, expected: "truncated" }
    };
    corrupt_gzip_crc => {
        let mut gz = gzip(&text());
        let at = gz.len() - 8;
        gz[at] ^= 0xff;
        Bad { source1: gz, source2: None, expected: "corrupt" }
    };
    missing_plus_line => Bad { source1: replace_line(&text(), 6, b"-"), source2: None, expected: "missing '+' line" };
    quality_length_mismatch => {
        let t = text();
        let short_quality = vec![b'F'; 59];
        Bad { source1: replace_line(&t, 3, &short_quality), source2: None, expected: "sequence length 60 but quality length 59" }
    };
    empty_file => Bad { source1: Vec::new(), source2: None, expected: "is empty" };
    binary_garbage => {
        let mut rng = Rng::new(3);
        let bytes: Vec<u8> = (0..4096).map(|i| ((i as u64).wrapping_mul(2654435761) ^ { let _ = &mut rng; 0x5a }) as u8).collect();
        Bad { source1: bytes, source2: None, expected: "is not FASTQ" }
    };
    bam_declared_as_fastq => Bad { source1: bgzf(b"BAM\x01\x00\x00\x00\x00\x00\x00\x00\x00"), source2: None, expected: "is BAM" };
    wrapped_fastq => {
        let wrapped = b"@r1\nACGTACGT\nACGT\n+\nFFFFFFFF\nFFFF\n".to_vec();
        Bad { source1: wrapped, source2: None, expected: "multi-line FASTQ" }
    };
    crlf_line_endings => {
        let crlf: Vec<u8> = text().split(|&b| b == b'\n').collect::<Vec<_>>().join(&b"\r\n"[..]);
        Bad { source1: crlf, source2: None, expected: "CRLF" }
    };
    mate_count_mismatch => Bad {
        source1: fastq(21, 100, 50, Some(1)),
        source2: Some(fastq(22, 99, 50, Some(2))),
        expected: "has 100 records, source2 has 99",
    };
    mate_name_mismatch => {
        let mut r2 = fastq(22, 100, 50, Some(2));
        let at = r2.windows(7).position(|w| w == b"@read7/").expect("read7");
        r2[at + 5] = b'8';
        Bad { source1: fastq(21, 100, 50, Some(1)), source2: Some(r2), expected: "does not match" }
    };
    bad_sequence_letter => Bad { source1: replace_line(&text(), 1, &[b'A'; 59].iter().copied().chain([b'J']).collect::<Vec<_>>()), source2: None, expected: "sequence contains" };
}

/// A source whose file does not exist fails with a message naming it (the same as for any source
/// that cannot be read: `security::files`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_object() {
    let root = tempfile::tempdir().expect("root");
    let missing = format!("file://{}/missing.fq", root.path().display());
    let messages = run_with_good_source(root.path(), &missing).await;
    assert!(messages[0].contains("missing.fq could not be read: it does not exist, is not a regular"), "{messages:?}");
}

/// A symlink inside the root that points outside it fails when opened, saying what a missing
/// file says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlink_escaping_the_root() {
    let root = tempfile::tempdir().expect("root");
    let outside = tempfile::tempdir().expect("outside");
    let secret = outside.path().join("secret.fq");
    std::fs::write(&secret, fastq(1, 10, 10, None)).expect("write");
    std::os::unix::fs::symlink(&secret, root.path().join("link.fq")).expect("symlink");
    let link = format!("file://{}/link.fq", root.path().display());
    let messages = run_with_good_source(root.path(), &link).await;
    assert!(messages[0].contains("link.fq could not be read: it does not exist, is not a regular"), "{messages:?}");
}

/// Imports `uri` beside a good source; returns the status messages after checking the good one.
async fn run_with_good_source(root: &Path, uri: &str) -> Vec<String> {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let config = import_config(&db, root);
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let good = write(root, "good.fq", &fastq(2, 10, 10, None));
    let job_id = start(&client, &store, vec![source(uri, None), source(&good, None)]).await;
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::CompletedWithFailures);
    assert_eq!(job.sources()[1].status(), &ReadSetImportJobItemStatus::Finished);
    assert_eq!(read_set_dirs(&config).await.len(), 1);
    server.stop().await;
    job.sources().iter().map(|s| s.status_message().unwrap_or_default().to_owned()).collect()
}

async fn refused(
    client: &Client,
    store: &str,
    role: &str,
    sources: Vec<aws_sdk_omics::types::StartReadSetImportJobSourceItem>,
) -> (String, String) {
    let err = client
        .start_read_set_import_job()
        .sequence_store_id(store)
        .role_arn(role)
        .set_sources(Some(sources))
        .send()
        .await
        .expect_err("refused");
    (code(&err), format!("{err:?}"))
}

async fn refusal_server(root: &Path, roles: Vec<Role>) -> (TestDb, TestServer, Client, String) {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let mut config = import_config(&db, root);
    config.roles = roles;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    (db, server, client, store)
}

#[tokio::test]
async fn refuses_a_file_outside_every_root() {
    let root = tempfile::tempdir().expect("root");
    let (_db, _server, client, store) = refusal_server(root.path(), vec![]).await;
    let (code, text) = refused(&client, &store, ROLE_A, vec![source("file:///etc/passwd", None)]).await;
    assert_eq!(code, "AccessDeniedException");
    assert!(text.contains("sources.0.sourceFiles.source1"), "{text}");
    let (code, text) = refused(&client, &store, ROLE_A, vec![source("file:///data/../etc/passwd", None)]).await;
    assert_eq!(code, "ValidationException", "{text}");
}

#[tokio::test]
async fn refuses_files_when_no_root_is_configured() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let server = TestServer::start(&super::support::config(&db)).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let (code, text) = refused(&client, &store, ROLE_A, vec![source("file:///data/r.fq", None)]).await;
    assert_eq!(code, "AccessDeniedException");
    assert!(text.contains("--file-root"), "{text}");
}

/// A bare path as a source names the `file://` URI to write instead (#26), not the model's
/// `s3://` pattern.
#[tokio::test]
async fn refuses_a_bare_path_naming_its_file_uri() {
    let root = tempfile::tempdir().expect("root");
    let (_db, _server, client, store) = refusal_server(root.path(), vec![]).await;
    let (code, text) = refused(&client, &store, ROLE_A, vec![source("/data/r1.fq.gz", None)]).await;
    assert_eq!(code, "ValidationException", "{text}");
    assert!(text.contains("sources.0.sourceFiles.source1"), "{text}");
    assert!(text.contains("write file:///data/r1.fq.gz for a file on the server"), "{text}");
    let (code, text) =
        refused(&client, &store, ROLE_A, vec![source("file:///data/r1.fq.gz", Some("/data/r2.fq.gz"))]).await;
    assert_eq!(code, "ValidationException", "{text}");
    assert!(text.contains("sources.0.sourceFiles.source2") && text.contains("file:///data/r2.fq.gz"), "{text}");
}

/// `s3://` on a server with neither `[[roles]]` nor `sources.s3_endpoint` names the flag and the
/// key that enable it (#26), not "outside the role's locations".
#[tokio::test]
async fn refuses_s3_without_an_s3_endpoint_naming_the_setting() {
    let root = tempfile::tempdir().expect("root");
    let (_db, _server, client, store) = refusal_server(root.path(), vec![]).await;
    let (code, text) = refused(&client, &store, ROLE_A, vec![source("s3://reads/r1.fq.gz", None)]).await;
    assert_eq!(code, "AccessDeniedException", "{text}");
    assert!(text.contains("sources.0.sourceFiles.source1: s3:// sources are disabled on this server"), "{text}");
    assert!(text.contains("--source-s3-endpoint") && text.contains("sources.s3_endpoint"), "{text}");
}

fn file_role(arn: &str, dir: &Path) -> Role {
    Role {
        arn: arn.into(),
        locations: vec![Location {
            uri: format!("file://{}/", dir.display()),
            access: Default::default(),
            endpoint: None,
            region: None,
            path_style: false,
            access_key_id: None,
            secret_access_key: None,
        }],
    }
}

#[tokio::test]
async fn refuses_a_location_outside_the_roles() {
    let root = tempfile::tempdir().expect("root");
    std::fs::create_dir(root.path().join("allowed")).expect("dir");
    let roles = vec![file_role(ROLE_A, &root.path().join("allowed"))];
    let (_db, _server, client, store) = refusal_server(root.path(), roles).await;
    let other = format!("file://{}/other/r.fq", root.path().display());
    let (code, text) = refused(&client, &store, ROLE_A, vec![source(&other, None)]).await;
    assert_eq!(code, "AccessDeniedException");
    assert!(text.contains("sources.0.sourceFiles.source1"), "{text}");
}

#[tokio::test]
async fn refuses_an_unknown_role() {
    let root = tempfile::tempdir().expect("root");
    let roles = vec![file_role(ROLE_A, root.path())];
    let (_db, _server, client, store) = refusal_server(root.path(), roles).await;
    let uri = write(root.path(), "r.fq", &fastq(1, 5, 5, None));
    let (code, text) = refused(&client, &store, "arn:aws:iam::111111111111:role/Other", vec![source(&uri, None)]).await;
    assert_eq!(code, "AccessDeniedException");
    assert!(text.contains("role/Other"), "{text}");
}

#[tokio::test]
async fn refuses_a_role_of_another_account() {
    let root = tempfile::tempdir().expect("root");
    let (_db, _server, client, store) = refusal_server(root.path(), vec![]).await;
    let uri = write(root.path(), "r.fq", &fastq(1, 5, 5, None));
    let (code, _) = refused(&client, &store, "arn:aws:iam::222222222222:role/Import", vec![source(&uri, None)]).await;
    assert_eq!(code, "AccessDeniedException");
    let (code, _) =
        refused(&client, &store, "arn:aws:s3:::a-bucket-that-is-not-a-role", vec![source(&uri, None)]).await;
    assert_eq!(code, "AccessDeniedException");
}

#[tokio::test]
async fn refuses_101_sources() {
    let root = tempfile::tempdir().expect("root");
    let (_db, _server, client, store) = refusal_server(root.path(), vec![]).await;
    let uri = write(root.path(), "r.fq", &fastq(1, 5, 5, None));
    let (code, text) = refused(&client, &store, ROLE_A, (0..101).map(|_| source(&uri, None)).collect()).await;
    assert_eq!(code, "ValidationException");
    assert!(text.contains("'sources'"), "{text}");
}

#[tokio::test]
async fn refuses_source2_on_bam() {
    let root = tempfile::tempdir().expect("root");
    let (_db, _server, client, store) = refusal_server(root.path(), vec![]).await;
    let uri = write(root.path(), "r.bam", b"x");
    let (code, text) = refused(&client, &store, ROLE_A, vec![typed_source(&uri, Some(&uri), FileType::Bam)]).await;
    assert_eq!(code, "ValidationException");
    assert!(text.contains("sources.0.sourceFiles.source2"), "{text}");
}

/// The quota of unfinished jobs, with imports held IN_PROGRESS by the throttle; a clientToken
/// retry of an accepted job still returns it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_beyond_the_concurrent_job_quota() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.quotas.concurrent_import_jobs = 1;
    config.worker.throttle_bytes_per_sec = 50_000;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let uri = write(root.path(), "r.fq", &fastq(1, 2000, 100, None));
    let first = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(ROLE_A)
        .client_token("job-1")
        .sources(source(&uri, None))
        .send()
        .await
        .expect("first job");
    let retry = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(ROLE_A)
        .client_token("job-1")
        .sources(source(&uri, None))
        .send()
        .await
        .expect("a retry never hits the quota");
    assert_eq!(retry.id(), first.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let job = client.get_read_set_import_job().sequence_store_id(&store).id(first.id()).send().await.expect("job");
        if job.status() == &ReadSetImportJobStatus::InProgress {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the throttled job never showed IN_PROGRESS");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (code, _) = refused(&client, &store, ROLE_A, vec![source(&uri, None)]).await;
    assert_eq!(code, "ServiceQuotaExceededException");
    let other_body = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(ROLE_A)
        .client_token("job-1")
        .sources(source(&uri, None))
        .sources(source(&uri, None))
        .send()
        .await
        .expect_err("same token, other body");
    assert_eq!(code_of(&other_body), "ValidationException");
    assert!(format!("{other_body:?}").contains("clientToken"));
    let missing = client
        .start_read_set_import_job()
        .sequence_store_id("1000000000")
        .role_arn(ROLE_A)
        .sources(source(&uri, None))
        .send()
        .await
        .expect_err("no store");
    assert_eq!(code_of(&missing), "ResourceNotFoundException");
    server.stop().await;
}

fn code_of<E: aws_sdk_omics::error::ProvideErrorMetadata, R>(e: &aws_sdk_omics::error::SdkError<E, R>) -> String {
    code(e)
}

#[tokio::test]
async fn refuses_cram_without_a_reference() {
    let root = tempfile::tempdir().expect("root");
    let (_db, _server, client, store) = refusal_server(root.path(), vec![]).await;
    let uri = write(root.path(), "r.cram", b"CRAM");
    let (code, text) = refused(&client, &store, ROLE_A, vec![typed_source(&uri, None, FileType::Cram)]).await;
    assert_eq!(code, "ValidationException");
    assert!(text.contains("sources.0.referenceArn"), "{text}");
}
