//! BAM, uBAM and CRAM imports end to end with `aws-sdk-omics`, checked against samtools: counts
//! equal `samtools view -c`, ETags equal the digest of `samtools view [-T REF] FILE`, the index is
//! accepted by `samtools idxstats` and region queries on the downloaded file, and the downloaded
//! bytes equal the source.

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, FileType, ReadSetFile, ReadSetImportJobItemStatus, ReadSetImportJobStatus,
    StartReferenceImportJobSourceItem,
};

use super::fastq_data::{md5, sha256, sha512};
use super::imports::{ROLE_A, import_config, start, store, typed_source, wait};
use super::support::{Backend, KEY_A, TestDb, TestServer, in_ci, sdk};

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

pub(super) fn samtools_available() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || !in_ci(), "CI=true but samtools is not installed");
    found
}

/// `samtools ARGS` stdout (REF_PATH set so htslib never goes to the network).
pub(super) fn samtools(args: &[&str]) -> Vec<u8> {
    let out = Command::new("samtools").args(args).env("REF_PATH", "/nonexistent").output().expect("samtools");
    assert!(out.status.success(), "samtools {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Copies a test file under `root` (sources must lie inside the file root) and returns its URI.
pub(super) fn copy_in(root: &Path, source: &str) -> (PathBuf, String) {
    let from = testdata(source);
    let to = root.join(from.file_name().expect("name"));
    std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    let uri = format!("file://{}", to.display());
    (to, uri)
}

async fn download(client: &Client, store: &str, id: &str, file: ReadSetFile) -> Vec<u8> {
    let out = client.get_read_set().sequence_store_id(store).id(id).file(file).part_number(1).send().await;
    out.expect("GetReadSet").payload.collect().await.expect("payload").into_bytes().to_vec()
}

/// level-1.bam and level-9.bam, one store per ETag family.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bam_files_match_samtools_in_every_family() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let files = [copy_in(root.path(), "hts-specs/bam/level-1.bam"), copy_in(root.path(), "hts-specs/bam/level-9.bam")];
    let text = samtools(&["view", files[0].0.to_str().expect("utf-8")]);
    for (family, digest) in [
        (ETagAlgorithmFamily::Md5Up, md5 as fn(&[u8]) -> String),
        (ETagAlgorithmFamily::Sha256Up, sha256),
        (ETagAlgorithmFamily::Sha512Up, sha512),
    ] {
        let store = store(&client, family.clone()).await;
        let sources = files.iter().map(|(_, uri)| typed_source(uri, None, FileType::Bam)).collect();
        let job = wait(&client, &store, &start(&client, &store, sources).await).await;
        assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
        for (item, (path, _)) in job.sources().iter().zip(&files) {
            assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{item:?}");
            let id = item.read_set_id().expect("read set");
            let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("meta");
            let info = meta.sequence_information().expect("info");
            assert_eq!((info.total_read_count(), info.total_base_count()), (Some(20_000), Some(2_020_000)));
            assert_eq!(info.alignment(), Some("ALIGNED"));
            let etag = meta.etag().expect("etag");
            assert_eq!(etag.algorithm().map(|a| a.as_str().to_owned()), Some(format!("BAM_{}", family.as_str())));
            assert_eq!(etag.source1(), Some(digest(&text).as_str()), "ETag = digest of samtools view");
            let bytes = download(&client, &store, id, ReadSetFile::Source1).await;
            assert!(bytes == std::fs::read(path).expect("read"), "downloaded bytes equal the source");
            if family == ETagAlgorithmFamily::Md5Up {
                check_index(root.path(), id, &bytes, &download(&client, &store, id, ReadSetFile::Index).await);
            }
        }
    }
    server.stop().await;
}

/// The downloaded BAM with its downloaded BAI: `samtools idxstats` accepts it and region queries
/// give what samtools' own index gives.
fn check_index(root: &Path, id: &str, bam: &[u8], bai: &[u8]) {
    let dir = root.join(format!("check-{id}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let ours = dir.join("ours.bam");
    let theirs = dir.join("theirs.bam");
    std::fs::write(&ours, bam).expect("write");
    std::fs::write(dir.join("ours.bam.bai"), bai).expect("write");
    std::fs::write(&theirs, bam).expect("write");
    samtools(&["index", theirs.to_str().expect("utf-8")]);
    let (ours, theirs) = (ours.to_str().expect("utf-8"), theirs.to_str().expect("utf-8"));
    assert_eq!(samtools(&["idxstats", ours]), samtools(&["idxstats", theirs]));
    let stats = String::from_utf8(samtools(&["idxstats", theirs])).expect("utf-8");
    let first = stats.lines().next().and_then(|l| l.split('\t').next()).expect("a reference");
    for region in [format!("{first}:1-1000000"), format!("{first}:5000000-9000000"), "*".to_owned()] {
        assert_eq!(samtools(&["view", "-c", ours, &region]), samtools(&["view", "-c", theirs, &region]), "{region}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ubam_imports_unaligned_and_mapped_reads_declared_ubam_fail() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let (ubam, ubam_uri) = copy_in(root.path(), "derived/r1r2.ubam.bam");
    let (_, mapped_uri) = copy_in(root.path(), "hts-specs/bam/level-1.bam");
    let fastq = super::imports::write(root.path(), "reads.fq", &super::fastq_data::fastq(1, 10, 10, None));
    let sources = vec![
        typed_source(&ubam_uri, None, FileType::Ubam),
        typed_source(&mapped_uri, None, FileType::Ubam),
        typed_source(&fastq, None, FileType::Bam),
    ];
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::CompletedWithFailures, "{job:?}");
    let id = job.sources()[0].read_set_id().expect("uBAM read set");
    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("meta");
    let count: i64 = String::from_utf8(samtools(&["view", "-c", ubam.to_str().expect("utf-8")]))
        .expect("utf-8")
        .trim()
        .parse()
        .expect("count");
    assert_eq!(meta.sequence_information().and_then(|i| i.total_read_count()), Some(count));
    assert_eq!(meta.sequence_information().and_then(|i| i.alignment()), Some("UNALIGNED"));
    assert_eq!(meta.etag().and_then(|e| e.source1()), Some(md5(&samtools(&["view", ubam.to_str().unwrap()])).as_str()));
    let mapped = job.sources()[1].status_message().unwrap_or_default();
    assert!(mapped.contains("UBAM") || mapped.contains("mapped"), "{mapped}");
    let fq = job.sources()[2].status_message().unwrap_or_default();
    assert!(fq.contains("FASTQ"), "{fq}");
    server.stop().await;
}

/// `ce.fa` (copied under `root`) imported as a reference: its local path and ARN.
pub(super) async fn import_ce_reference(client: &Client, root: &Path) -> (PathBuf, String) {
    let (reference, reference_uri) = copy_in(root, "hts-specs/ref/ce.fa");
    let ref_store = client.create_reference_store().name("ce").send().await.expect("ref store").id().to_owned();
    let source = StartReferenceImportJobSourceItem::builder()
        .source_file(&reference_uri)
        .name("ce-reference")
        .build()
        .expect("src");
    let job = client
        .start_reference_import_job()
        .reference_store_id(&ref_store)
        .role_arn(ROLE_A)
        .sources(source)
        .send()
        .await
        .expect("ref job");
    let mut reference_id = None;
    for _ in 0..300 {
        let out =
            client.get_reference_import_job().reference_store_id(&ref_store).id(job.id()).send().await.expect("get");
        if let Some(id) = out.sources().first().and_then(|s| s.reference_id()) {
            reference_id = Some(id.to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let reference_id = reference_id.expect("reference imported");
    let arn = client
        .get_reference_metadata()
        .reference_store_id(&ref_store)
        .id(&reference_id)
        .send()
        .await
        .expect("meta")
        .arn()
        .to_owned();
    (reference, arn)
}

/// CRAM 3.0 conformance files decoded against `ce.fa` imported as a reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cram_against_a_stored_reference_matches_samtools() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let (reference, arn) = import_ce_reference(&client, root.path()).await;
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let names = ["hts-specs/cram3.0/passed/1400_index_simple.cram", "hts-specs/cram3.0/passed/0500_mapped.cram"];
    let crams: Vec<(PathBuf, String)> = names.iter().map(|n| copy_in(root.path(), n)).collect();
    let sources = crams
        .iter()
        .map(|(_, uri)| {
            let mut item = typed_source(uri, None, FileType::Cram);
            item.reference_arn = Some(arn.clone());
            item
        })
        .collect();
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let reference = reference.to_str().expect("utf-8");
    for (item, (path, _)) in job.sources().iter().zip(&crams) {
        let id = item.read_set_id().expect("read set");
        let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("meta");
        let path = path.to_str().expect("utf-8");
        let count: i64 =
            String::from_utf8(samtools(&["view", "-c", "-T", reference, path])).unwrap().trim().parse().unwrap();
        assert_eq!(meta.sequence_information().and_then(|i| i.total_read_count()), Some(count), "{path}");
        let text = samtools(&["view", "-T", reference, path]);
        assert_eq!(meta.etag().and_then(|e| e.source1()), Some(md5(&text).as_str()), "{path}");
        assert_eq!(meta.etag().and_then(|e| e.algorithm()).map(|a| a.as_str()), Some("CRAM_MD5up"));
        let bytes = download(&client, &store, id, ReadSetFile::Source1).await;
        assert!(bytes == std::fs::read(path).expect("read"));
    }
    server.stop().await;
}
