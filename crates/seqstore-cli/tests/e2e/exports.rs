//! Read set export jobs end to end with `aws-sdk-omics` against a real S3 server (moto): every
//! file of FASTQ pairs, BAM and CRAM read sets (with their indexes) lands under
//! `{destination}{readSetId}/{file}` with the bytes imported; destinations outside a writable
//! location of the role are refused at submission; a missing bucket fails the source clearly;
//! 500s from the destination are retried; a SIGKILL mid-export ends COMPLETED after the restart
//! with no multipart upload left open; a cancelled export leaves nothing behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::operation::get_read_set_export_job::GetReadSetExportJobOutput;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, ExportReadSet, FileType, ReadSetExportJobItemStatus, ReadSetExportJobStatus,
    StartReferenceImportJobSourceItem,
};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use seqstore::config::{Access, Config, Location, Role};

use super::cli::cli;
use super::fastq_data::fastq;
use super::fault_proxy::{FaultProxy, Plan};
use super::imports::{ROLE_A, import_all, import_config, source, store, typed_source, write};
use super::references::import as import_reference;
use super::s3::S3Server;
use super::support::{Backend, KEY_A, Serve, TestDb, TestServer, code, sdk, signed_http};
use super::ui::{http, session};

/// The bucket exports are written to.
const BUCKET: &str = "exports";

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// Copies a test file under `root` and returns its URI and bytes.
fn copy_in(root: &Path, name: &str) -> (String, Vec<u8>) {
    let bytes = std::fs::read(testdata(name)).expect("test file");
    let file = Path::new(name).file_name().expect("name").to_str().expect("utf-8");
    (write(root, file, &bytes), bytes)
}

/// A location of `uri` with `access`, on `endpoint` with moto's keys.
fn location(uri: &str, access: Access, endpoint: Option<&str>) -> Location {
    Location {
        uri: uri.into(),
        access,
        endpoint: endpoint.map(str::to_owned),
        region: Some("us-east-1".into()),
        path_style: true,
        access_key_id: endpoint.map(|_| "test".into()),
        secret_access_key: endpoint.map(|_| "test".into()),
    }
}

/// [`import_config`] with parts of 1 MiB and role A reading the file root and writing
/// `s3://{BUCKET}/out/` (and `s3://missing-bucket/`) at `endpoint`.
fn export_config(db: &TestDb, root: &Path, endpoint: &str) -> Config {
    let mut config = import_config(db, root);
    config.storage.part_size = 1 << 20;
    config.roles = vec![Role {
        arn: ROLE_A.into(),
        locations: vec![
            location(&format!("file://{}/", root.display()), Access::Read, None),
            location(&format!("s3://{BUCKET}/in/"), Access::Read, Some(endpoint)),
            location(&format!("s3://{BUCKET}/out/"), Access::Write, Some(endpoint)),
            location("s3://missing-bucket/", Access::ReadWrite, Some(endpoint)),
        ],
    }];
    config
}

/// Starts an export of `ids` to `destination`.
async fn export(client: &Client, store: &str, destination: &str, ids: &[String]) -> String {
    let sources = ids.iter().map(|id| ExportReadSet::builder().read_set_id(id).build().expect("source")).collect();
    let job = client
        .start_read_set_export_job()
        .sequence_store_id(store)
        .destination(destination)
        .role_arn(ROLE_A)
        .set_sources(Some(sources))
        .send()
        .await
        .expect("start export");
    assert_eq!(job.destination(), destination);
    job.id().to_owned()
}

/// Polls the export until it settles (at most 180 s).
async fn settled(client: &Client, store: &str, job: &str) -> GetReadSetExportJobOutput {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let out = client.get_read_set_export_job().sequence_store_id(store).id(job).send().await.expect("get job");
        if !matches!(
            out.status(),
            ReadSetExportJobStatus::Submitted | ReadSetExportJobStatus::InProgress | ReadSetExportJobStatus::Cancelling
        ) {
            return out;
        }
        assert!(Instant::now() < deadline, "export {job} did not settle: {out:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every key under `prefix` of the export bucket, with its bytes.
async fn objects(s3: &S3Server, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let client = s3.client(BUCKET);
    let listed: Vec<_> =
        futures_util::TryStreamExt::try_collect(client.list(Some(&Key::from(prefix)))).await.expect("list");
    let mut found = Vec::new();
    for meta in listed {
        let bytes = client.get(&meta.location).await.expect("get").bytes().await.expect("bytes").to_vec();
        found.push((meta.location.to_string(), bytes));
    }
    found.sort();
    found
}

/// `found` is exactly `key` holding `bytes`.
fn assert_only(found: &[(String, Vec<u8>)], key: &str, bytes: &[u8]) {
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, [key]);
    assert!(found[0].1 == bytes, "{key}: {} bytes differ from the {} imported", found[0].1.len(), bytes.len());
}

/// Multipart uploads open in `bucket` (moto answers unsigned requests).
fn open_uploads(s3: &S3Server, bucket: &str) -> usize {
    use std::io::{Read, Write};
    let port = s3.endpoint.rsplit(':').next().expect("port");
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    let request = format!("GET /{bucket}?uploads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "list uploads: {response}");
    response.matches("<UploadId>").count()
}

/// A reference store holding ce.fa; returns the reference's ARN.
async fn ce_reference(client: &Client, root: &Path) -> String {
    let (uri, _) = copy_in(root, "hts-specs/ref/ce.fa");
    let ref_store = client.create_reference_store().name("ce").send().await.expect("ref store").id().to_owned();
    let item = StartReferenceImportJobSourceItem::builder().source_file(uri).name("ce-genome").build().expect("source");
    let job = import_reference(client, &ref_store, vec![item]).await;
    let id = job.sources()[0].reference_id().expect("reference").to_owned();
    client.get_reference_metadata().reference_store_id(&ref_store).id(id).send().await.expect("meta").arn().to_owned()
}

/// Five read sets (a gzip FASTQ pair, a BAM and a CRAM with their indexes, a FASTQ of 20 MB that
/// goes as a multipart upload, a small FASTQ) in one job: every object holds the imported bytes
/// under the layout's name, and the job lists as an export job only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_every_file_under_its_name() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&export_config(&db, root.path(), &s3.endpoint)).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;

    let gz = |bytes: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, bytes).expect("gzip");
        encoder.finish().expect("gzip")
    };
    let (r1, r2) = (gz(&fastq(1, 3000, 100, Some(1))), gz(&fastq(1, 3000, 100, Some(2))));
    let big = fastq(2, 80_000, 120, None);
    let small = fastq(3, 10, 50, None);
    let files = [
        write(root.path(), "sample_R1.fq.gz", &r1),
        write(root.path(), "sample_R2.fq.gz", &r2),
        write(root.path(), "big.fastq", &big),
        write(root.path(), "small.fq", &small),
    ];
    let (bam_uri, bam) = copy_in(root.path(), "hts-specs/bam/level-1.bam");
    // A coordinate-sorted CRAM (samtools sort of a conformance file), so its import builds a CRAI.
    let sorted = root.path().join("simple.sorted.cram");
    let ce = testdata("hts-specs/ref/ce.fa");
    let status = std::process::Command::new("samtools")
        .args(["sort", "-O", "cram", "--reference"])
        .arg(&ce)
        .arg("-o")
        .arg(&sorted)
        .arg(testdata("hts-specs/cram3.0/passed/1400_index_simple.cram"))
        .env("REF_PATH", "/nonexistent")
        .status();
    if !status.is_ok_and(|s| s.success()) {
        assert!(!super::support::in_ci(), "CI=true but samtools could not sort the CRAM");
        eprintln!("skipping: samtools is needed to sort the CRAM");
        return;
    }
    let cram = std::fs::read(&sorted).expect("sorted CRAM");
    let cram_uri = format!("file://{}", sorted.display());
    let arn = ce_reference(&client, root.path()).await;
    let mut cram_source = typed_source(&cram_uri, None, FileType::Cram);
    cram_source.reference_arn = Some(arn);
    let sources = vec![
        source(&files[0], Some(&files[1])),
        typed_source(&bam_uri, None, FileType::Bam),
        cram_source,
        source(&files[2], None),
        source(&files[3], None),
    ];
    let ids = import_all(&client, &store, sources).await;

    let destination = format!("s3://{BUCKET}/out/run1/");
    let job_id = export(&client, &store, &destination, &ids).await;
    let job = settled(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetExportJobStatus::Completed, "{job:?}");
    assert_eq!(job.destination(), destination);
    assert!(job.completion_time().is_some());
    for (item, id) in job.read_sets().iter().zip(&ids) {
        assert_eq!((item.id(), item.status()), (id.as_str(), &ReadSetExportJobItemStatus::Finished), "{item:?}");
    }

    let found = objects(&s3, "out/run1").await;
    let names: Vec<(&str, &str)> = found.iter().map(|(k, _)| k.split_at(k.rfind('/').expect("slash") + 1)).collect();
    let bytes_of = |id: &str, name: &str| {
        let key = format!("out/run1/{id}/{name}");
        found
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("{key} not in {names:?}"))
    };
    assert!(bytes_of(&ids[0], "sample_R1.fq.gz") == r1, "{} differs", stringify!(r1));
    assert!(bytes_of(&ids[0], "sample_R2.fq.gz") == r2, "{} differs", stringify!(r2));
    assert!(bytes_of(&ids[1], "level-1.bam") == bam, "{} differs", stringify!(bam));
    assert!(bytes_of(&ids[1], "level-1.bam.bai").starts_with(b"BAI\x01"));
    assert!(bytes_of(&ids[2], "simple.sorted.cram") == cram, "{} differs", stringify!(cram));
    assert!(!bytes_of(&ids[2], "simple.sorted.cram.crai").is_empty());
    assert!(bytes_of(&ids[3], "big.fastq") == big, "{} differs", stringify!(big));
    assert!(bytes_of(&ids[4], "small.fq") == small, "{} differs", stringify!(small));
    assert_eq!(found.len(), 8, "{names:?}");
    assert_eq!(open_uploads(&s3, BUCKET), 0);
    // An export reads the read sets' data: each records its last access.
    let database = seqstore::db::Db::connect(&db.url).await.expect("database");
    for id in &ids {
        super::read_set_access::written(&database, id).await;
    }
    database.close().await;

    let listed = client.list_read_set_export_jobs().sequence_store_id(&store).send().await.expect("list exports");
    assert_eq!(listed.export_jobs().len(), 1);
    assert_eq!(
        (listed.export_jobs()[0].id(), listed.export_jobs()[0].destination()),
        (job_id.as_str(), destination.as_str())
    );
    let imports = client.list_read_set_import_jobs().sequence_store_id(&store).send().await.expect("list imports");
    assert!(imports.import_jobs().iter().all(|j| j.id() != job_id), "an export is not an import job");
    let filtered = client
        .list_read_set_export_jobs()
        .sequence_store_id(&store)
        .filter(aws_sdk_omics::types::ExportReadSetFilter::builder().status(ReadSetExportJobStatus::Failed).build())
        .send()
        .await
        .expect("filtered");
    assert!(filtered.export_jobs().is_empty());
    let imported_job = client.get_read_set_import_job().sequence_store_id(&store).id(&job_id).send().await;
    assert_eq!(code(&imported_job.expect_err("not an import job")), "ResourceNotFoundException");

    // The dashboard lists it beside the import jobs, with what it wrote.
    let cookie = session(&server.endpoint, KEY_A).await;
    let page = http(&server.endpoint, "GET", &format!("/ui/stores/{store}/jobs"), Some(&cookie), &[], "").await;
    let text = page.text();
    assert!(text.contains(&format!("data-export-job=\"{job_id}\"")), "{text}");
    assert!(text.contains(&destination) && text.contains("5 of 5 finished"), "{text}");
}

/// Refusals at submission: a destination outside the role's writable locations, a read-only
/// location, no roles at all (403 AccessDeniedException each), an unknown read set (404).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_refused_where_the_role_may_not_write() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = export_config(&db, root.path(), "http://127.0.0.1:9");
    config.quotas.concurrent_export_jobs = 1;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let ids =
        import_all(&client, &store, vec![source(&write(root.path(), "a.fq", &fastq(1, 5, 50, None)), None)]).await;
    let start = |destination: &str, ids: Vec<String>| {
        let sources = ids.into_iter().map(|id| ExportReadSet::builder().read_set_id(id).build().expect("source"));
        client
            .start_read_set_export_job()
            .sequence_store_id(&store)
            .destination(destination)
            .role_arn(ROLE_A)
            .set_sources(Some(sources.collect()))
            .send()
    };
    for (destination, says) in [
        ("s3://exports/elsewhere/", "may not write s3://exports/elsewhere/"),
        ("s3://exports/in/", "may not write s3://exports/in/"),
        ("s3://exports", "may not write s3://exports"),
    ] {
        let error = start(destination, ids.clone()).await.expect_err("outside the writable locations");
        assert_eq!(code(&error), "AccessDeniedException", "{destination}");
        let text = format!("{:?}", error.into_service_error());
        assert!(text.contains(says) && text.contains("access = \\\"write\\\""), "{text}");
    }
    let unknown = start("s3://exports/out/", vec!["9999999999".into()]).await.expect_err("unknown read set");
    assert_eq!(code(&unknown), "ResourceNotFoundException");
    // The server's own storage, when it is S3 (the PostgreSQL + S3 shape): always refused.
    if let Some(own) = config.storage.s3_prefix() {
        let mut covered = config.clone();
        covered.data_dir = root.path().join("second-data");
        covered.roles[0].locations.push(location(
            &format!("s3://{}/", own.bucket),
            Access::Write,
            Some("http://127.0.0.1:9"),
        ));
        let server = TestServer::start(&covered).await;
        let client = sdk(&server.endpoint, KEY_A);
        let source = ExportReadSet::builder().read_set_id(&ids[0]).build().expect("source");
        let into_own = client
            .start_read_set_export_job()
            .sequence_store_id(&store)
            .destination(own.to_string())
            .role_arn(ROLE_A)
            .sources(source)
            .send()
            .await
            .expect_err("the server's own storage");
        assert_eq!(code(&into_own), "ValidationException");
        assert!(format!("{:?}", into_own.into_service_error()).contains("overlaps the server's own storage"));
        server.stop().await;
    }
    // One export job in progress (it retries a closed port) is the quota.
    let first = start("s3://exports/out/", ids.clone()).await.expect("the first export");
    let second = start("s3://exports/out/again/", ids.clone()).await.expect_err("over the quota");
    assert_eq!(code(&second), "ServiceQuotaExceededException");
    let text = format!("{:?}", second.into_service_error());
    assert!(text.contains("concurrent_export_jobs") && text.contains("at most 1 export jobs in progress"), "{text}");
    drop(first);
    server.stop().await;

    let mut no_roles = config.clone();
    no_roles.roles.clear();
    let server = TestServer::start(&no_roles).await;
    let client = sdk(&server.endpoint, KEY_A);
    let sources = ExportReadSet::builder().read_set_id(&ids[0]).build().expect("source");
    let error = client
        .start_read_set_export_job()
        .sequence_store_id(&store)
        .destination("s3://exports/out/")
        .role_arn(ROLE_A)
        .sources(sources)
        .send()
        .await
        .expect_err("no roles");
    assert_eq!(code(&error), "AccessDeniedException");
    assert!(format!("{:?}", error.into_service_error()).contains("no writable locations"));
}

/// A bucket that does not exist fails the source with one sentence naming it; a destination
/// answering 500 three times is retried and the export completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_fails_and_server_errors_are_retried() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let proxy = FaultProxy::start(&s3.endpoint).await;
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&export_config(&db, root.path(), &proxy.endpoint)).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let bytes = fastq(4, 200, 100, None);
    let ids = import_all(&client, &store, vec![source(&write(root.path(), "reads.fq", &bytes), None)]).await;

    let job = settled(&client, &store, &export(&client, &store, "s3://missing-bucket/x/", &ids).await).await;
    assert_eq!(job.status(), &ReadSetExportJobStatus::Failed, "{job:?}");
    let message = job.read_sets()[0].status_message().unwrap_or_default();
    assert!(message.contains("bucket missing-bucket does not exist"), "{message}");

    proxy.set(Some(Plan::status_after(500, 0).times(3)));
    let job = settled(&client, &store, &export(&client, &store, "s3://exports/out/retried/", &ids).await).await;
    assert_eq!(job.status(), &ReadSetExportJobStatus::Completed, "{job:?}");
    assert!(proxy.fired() >= 3, "the faults were injected");
    assert_only(&objects(&s3, "out/retried").await, &format!("out/retried/{}/reads.fq", ids[0]), &bytes);
}

/// The TOML of [`export_config`]'s role, for a `seqstore serve` process.
fn roles_toml(root: &Path, endpoint: &str) -> String {
    format!(
        "[[roles]]\narn = \"{ROLE_A}\"\n\n[[roles.locations]]\nuri = \"file://{}/\"\n\n[[roles.locations]]\n\
         uri = \"s3://{BUCKET}/out/\"\naccess = \"write\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\n\
         path_style = true\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\n",
        root.display()
    )
}

/// A SIGKILL while a 24 MB read set is written as a multipart upload: after the restart and the
/// lease's expiry the export completes with the whole file, and no upload is left open. Then a
/// cancelled export of the same read set leaves no object and no upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_export_completes_after_restart_and_a_cancelled_one_leaves_nothing() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let (root, data) = (tempfile::tempdir().expect("root"), tempfile::tempdir().expect("data"));
    let extra = format!(
        "[worker]\ncount = 1\nlease_seconds = 3\nthrottle_bytes_per_sec = 4000000\n\n{}",
        roles_toml(root.path(), &s3.endpoint)
    );
    let server = Serve::with_key_a(&db, data.path(), root.path(), &extra);
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let bytes = fastq(5, 90_000, 120, None);
    let ids = import_all(&client, &store, vec![source(&write(root.path(), "big.fq", &bytes), None)]).await;

    let job = export(&client, &store, "s3://exports/out/killed/", &ids).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while open_uploads(&s3, BUCKET) == 0 {
        assert!(Instant::now() < deadline, "the multipart upload never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    assert_eq!(open_uploads(&s3, BUCKET), 1, "the killed attempt's upload is open");
    let server = Serve::with_key_a(&db, data.path(), root.path(), &extra);
    let client = sdk(&server.endpoint, KEY_A);
    let out = settled(&client, &store, &job).await;
    assert_eq!(out.status(), &ReadSetExportJobStatus::Completed, "{out:?}");
    assert_only(&objects(&s3, "out/killed").await, &format!("out/killed/{}/big.fq", ids[0]), &bytes);
    assert_eq!(open_uploads(&s3, BUCKET), 0, "the interrupted upload was aborted");

    // A pair whose first file is written whole before the cancel reaches the second: the whole
    // read set goes.
    let r1 = write(root.path(), "pair_R1.fq", &fastq(9, 90_000, 10, Some(1)));
    let r2 = write(root.path(), "pair_R2.fq", &fastq(9, 90_000, 120, Some(2)));
    let pair = import_all(&client, &store, vec![source(&r1, Some(&r2))]).await;
    let job = export(&client, &store, "s3://exports/out/cancelled/", &pair).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while open_uploads(&s3, BUCKET) == 0 {
        assert!(Instant::now() < deadline, "the multipart upload never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = format!("out/cancelled/{}/pair_R1.fq", pair[0]);
    let written: Vec<String> = objects(&s3, "out/cancelled").await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(written, [first], "the first file is written whole before the second's upload opens");
    let path = format!("/sequencestore/{store}/exportjob/{job}/cancel");
    let reply = signed_http(&server.endpoint, "POST", path, KEY_A).await;
    assert!(matches!(reply["status"].as_str(), Some("CANCELLING" | "CANCELLED")), "{reply}");
    assert_eq!(reply["readSets"][0]["id"], pair[0].as_str(), "{reply}");
    let out = settled(&client, &store, &job).await;
    assert_eq!(out.status(), &ReadSetExportJobStatus::Cancelled, "{out:?}");
    assert_eq!(out.read_sets()[0].status_message(), Some("cancelled"));
    assert!(objects(&s3, "out/cancelled").await.is_empty(), "nothing is left of a cancelled export");
    assert_eq!(open_uploads(&s3, BUCKET), 0);
}

/// boto3 (with the waiter `read_set_export_job_completed`, a clientToken and the paginator) and
/// the AWS CLI (`aws omics wait read-set-export-job-completed`) export to moto through a
/// `seqstore serve` whose role may write there: `tests/python/test_exports.py`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_and_the_aws_cli_export() {
    let root_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("TEST_VENV").map_or_else(|| root_dir.join(".venv"), PathBuf::from);
    let python = venv.join("bin/python");
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let (root, data) = (tempfile::tempdir().expect("root"), tempfile::tempdir().expect("data"));
    let server = Serve::with_key_a(&db, data.path(), root.path(), &roles_toml(root.path(), &s3.endpoint));
    let output = tokio::process::Command::new(&python)
        .arg(root_dir.join("crates/seqstore-cli/tests/python/test_exports.py"))
        .env("TEST_ENDPOINT_URL", &server.endpoint)
        .env("TEST_KEY_A_ID", KEY_A.0)
        .env("TEST_KEY_A_SECRET", KEY_A.1)
        .env("TEST_ROLE_ARN", ROLE_A)
        .env("TEST_FILE_ROOT", root.path())
        .env("TEST_S3_ENDPOINT", &s3.endpoint)
        .env("TEST_BUCKET", BUCKET)
        .env("TEST_AWS_CLI", venv.join("bin/aws"))
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "boto3/CLI export tests failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("python-exports: 3 passed, 0 failed"), "{stdout}");
}

/// `seqstore export --wait` with its progress bar (throttled: intermediate values are seen),
/// `jobs ls|show --kind export`, and `jobs cancel --kind export` of a finished job (409).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_exports_with_progress_and_lists_export_jobs() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = export_config(&db, root.path(), &s3.endpoint);
    config.worker.throttle_bytes_per_sec = 4_000_000;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let bytes = fastq(6, 60_000, 120, None);
    let ids = import_all(&client, &store, vec![source(&write(root.path(), "cli.fq", &bytes), None)]).await;

    let endpoint = server.endpoint.clone();
    let (store_id, read_set) = (store.clone(), ids[0].clone());
    let run = tokio::task::spawn_blocking(move || {
        let args = [
            "export",
            "--store",
            &store_id,
            "--role-arn",
            ROLE_A,
            "--destination",
            "s3://exports/out/cli/",
            "--wait",
            "--progress",
            "always",
            &read_set,
        ];
        cli(&endpoint, &args)
    })
    .await
    .expect("cli");
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("COMPLETED") && run.stdout.contains("FINISHED"), "{}", run.stdout);
    let export_lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("export ")).collect();
    assert!(export_lines.len() >= 3, "a progress bar of the bytes written: {}", run.stderr);
    assert_only(&objects(&s3, "out/cli").await, &format!("out/cli/{}/cli.fq", ids[0]), &bytes);

    let endpoint = server.endpoint.clone();
    let store_id = store.clone();
    let (listed, shown, cancelled) = tokio::task::spawn_blocking(move || {
        let listed = cli(&endpoint, &["jobs", "ls", "--store", &store_id, "--kind", "export"]);
        let job = listed.stdout.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap_or_default().to_owned();
        let shown = cli(&endpoint, &["jobs", "show", "--store", &store_id, "--kind", "export", &job]);
        let cancelled = cli(&endpoint, &["jobs", "cancel", "--store", &store_id, "--kind", "export", &job]);
        (listed, shown, cancelled)
    })
    .await
    .expect("cli");
    assert!(listed.ok && listed.stdout.contains("s3://exports/out/cli/"), "{}{}", listed.stdout, listed.stderr);
    assert!(shown.ok && shown.stdout.contains(&ids[0]) && shown.stdout.contains("FINISHED"), "{}", shown.stdout);
    assert!(!cancelled.ok && cancelled.stderr.contains("ConflictException"), "{}", cancelled.stderr);
}

/// A read set deleted while its export waits fails that source (the others finish): one worker,
/// throttled, exports a large read set first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_set_deleted_while_queued_fails_its_source() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = export_config(&db, root.path(), &s3.endpoint);
    config.worker.count = 1;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let large = write(root.path(), "large.fq", &fastq(7, 60_000, 120, None));
    let small = write(root.path(), "small.fq", &fastq(8, 10, 50, None));
    let ids = import_all(&client, &store, vec![source(&large, None), source(&small, None)]).await;
    server.stop().await;

    config.worker.throttle_bytes_per_sec = 2_000_000;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let job = export(&client, &store, "s3://exports/out/deleted/", &ids).await;
    client.batch_delete_read_set().sequence_store_id(&store).ids(&ids[1]).send().await.expect("delete");
    let out = settled(&client, &store, &job).await;
    assert_eq!(out.status(), &ReadSetExportJobStatus::CompletedWithFailures, "{out:?}");
    let (first, second) = (&out.read_sets()[0], &out.read_sets()[1]);
    assert_eq!(first.status(), &ReadSetExportJobItemStatus::Finished, "{out:?}");
    assert_eq!(second.status(), &ReadSetExportJobItemStatus::Failed, "{out:?}");
    assert!(second.status_message().unwrap_or_default().contains("no longer exists"), "{out:?}");
    let keys: Vec<String> = objects(&s3, "out/deleted").await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [format!("out/deleted/{}/large.fq", ids[0])]);
}

/// An ARCHIVED read set fails its source with what to do (the other read set is exported); once
/// activated it exports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_read_set_fails_its_source_until_activated() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&export_config(&db, root.path(), &s3.endpoint)).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let cold = write(root.path(), "cold.fq", &fastq(9, 20, 50, None));
    let hot = write(root.path(), "hot.fq", &fastq(10, 20, 50, None));
    let ids = import_all(&client, &store, vec![source(&cold, None), source(&hot, None)]).await;
    assert!(super::tiers::archive(&server.endpoint, &store, &[ids[0].as_str()]).await.is_empty());
    super::tiers::until_status(&client, &store, &ids[..1], aws_sdk_omics::types::ReadSetStatus::Archived).await;

    let job = export(&client, &store, "s3://exports/out/archived/", &ids).await;
    let out = settled(&client, &store, &job).await;
    assert_eq!(out.status(), &ReadSetExportJobStatus::CompletedWithFailures, "{out:?}");
    let (first, second) = (&out.read_sets()[0], &out.read_sets()[1]);
    assert_eq!(first.status(), &ReadSetExportJobItemStatus::Failed, "{out:?}");
    let message = first.status_message().unwrap_or_default();
    assert!(message.contains("ARCHIVED") && message.contains("activate"), "{message}");
    assert_eq!(second.status(), &ReadSetExportJobItemStatus::Finished, "{out:?}");
    let keys: Vec<String> = objects(&s3, "out/archived").await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [format!("out/archived/{}/hot.fq", ids[1])]);

    let item = aws_sdk_omics::types::StartReadSetActivationJobSourceItem::builder().read_set_id(&ids[0]).build();
    let activation = client
        .start_read_set_activation_job()
        .sequence_store_id(&store)
        .sources(item.expect("source"))
        .send()
        .await
        .expect("activation");
    super::tiers::settled(&client, &store, activation.id()).await;
    let job = export(&client, &store, "s3://exports/out/activated/", &ids[..1]).await;
    assert_eq!(settled(&client, &store, &job).await.status(), &ReadSetExportJobStatus::Completed);
}
