//! The model's S3 access members, through `aws-sdk-omics`: `s3Access.s3Uri` and
//! `s3Access.s3AccessPointArn` of a sequence store on Create, Get and UpdateSequenceStore (with
//! `accessLogLocation` echoed as given; none in ListSequenceStores items, whose shape has no such
//! member), `files.*.s3Access.s3Uri` of an ACTIVE read set's files under their file names, and
//! `files.*.s3Access.s3Uri` of a reference's source and index.

use std::path::PathBuf;

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, S3AccessConfig, SequenceStoreS3Access};

use super::fastq_data::{fastq, gzip};
use super::imports::{import_all, import_config, source, store, typed_source, write};
use super::references::{fasta, import, ref_source, reference_store};
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk, signed_http};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = KEY_A.2;
const LOGS: &str = "s3://log-bucket/access-logs/";

/// `(s3Uri, s3AccessPointArn, accessLogLocation)` of `access`, all three owned.
fn members(access: Option<&SequenceStoreS3Access>) -> (Option<String>, Option<String>, Option<String>) {
    let access = access.expect("s3Access is always there");
    let owned = |s: Option<&str>| s.map(str::to_owned);
    (owned(access.s3_uri()), owned(access.s3_access_point_arn()), owned(access.access_log_location()))
}

/// What every answer about sequence store `id` says of its S3 access, with `logs` as its access
/// log location.
fn expected(id: &str, logs: Option<&str>) -> (Option<String>, Option<String>, Option<String>) {
    (
        Some(format!("s3://{ACCOUNT}-{id}-s3alias/{ACCOUNT}/sequenceStore/{id}/")),
        Some(format!("arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{id}")),
        logs.map(str::to_owned),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_stores_answer_their_access_point() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let server = TestServer::start(&super::support::config(&db)).await;
    let client = sdk(&server.endpoint, KEY_A);

    let config = S3AccessConfig::builder().access_log_location(LOGS).build();
    let created = client.create_sequence_store().name("s3").s3_access_config(config).send().await.expect("create");
    let id = created.id().to_owned();
    assert_eq!(members(created.s3_access()), expected(&id, Some(LOGS)), "CreateSequenceStore");
    let got = client.get_sequence_store().id(&id).send().await.expect("get");
    assert_eq!(members(got.s3_access()), expected(&id, Some(LOGS)), "GetSequenceStore");
    let updated = client.update_sequence_store().id(&id).description("changed").send().await.expect("update");
    assert_eq!(members(updated.s3_access()), expected(&id, Some(LOGS)), "UpdateSequenceStore");

    // Without an access log location: the access point all the same.
    let plain = client.create_sequence_store().name("plain").send().await.expect("create plain");
    let plain_id = plain.id().to_owned();
    assert_eq!(members(plain.s3_access()), expected(&plain_id, None), "CreateSequenceStore without s3AccessConfig");
    let got = client.get_sequence_store().id(&plain_id).send().await.expect("get plain");
    assert_eq!(members(got.s3_access()), expected(&plain_id, None), "GetSequenceStore without s3AccessConfig");

    // SequenceStoreDetail has no s3Access: the raw ListSequenceStores items carry none.
    let listed = signed_http(&server.endpoint, "POST", "/sequencestores".into(), KEY_A).await;
    let items = listed["sequenceStores"].as_array().expect("sequenceStores");
    assert_eq!(items.len(), 2, "{listed}");
    assert!(items.iter().all(|item| item.get("s3Access").is_none()), "{listed}");
    server.stop().await;
}

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_set_and_reference_files_answer_their_objects() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;

    let (r1, r2) = (gzip(&fastq(41, 50, 100, Some(1))), gzip(&fastq(42, 50, 100, Some(2))));
    let pair = (write(root.path(), "S1_R1.fastq.gz", &r1), write(root.path(), "S1_R2.fastq.gz", &r2));
    let bam = std::fs::read(testdata("hts-specs/bam/level-1.bam")).expect("BAM");
    let bam = write(root.path(), "level-1.bam", &bam);
    let sources = vec![source(&pair.0, Some(&pair.1)), typed_source(&bam, None, FileType::Bam)];
    let ids = import_all(&client, &store, sources).await;
    let prefix = format!("s3://{ACCOUNT}-{store}-s3alias/{ACCOUNT}/sequenceStore/{store}/readSet");

    let uris = |meta: &aws_sdk_omics::operation::get_read_set_metadata::GetReadSetMetadataOutput| {
        let files = meta.files().expect("files");
        let uri = |file: Option<&aws_sdk_omics::types::FileInformation>| {
            file.and_then(|f| f.s3_access()).and_then(|a| a.s3_uri()).map(str::to_owned)
        };
        (uri(files.source1()), uri(files.source2()), uri(files.index()))
    };
    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&ids[0]).send().await.expect("pair");
    let id = &ids[0];
    assert_eq!(
        uris(&meta),
        (Some(format!("{prefix}/{id}/S1_R1.fastq.gz")), Some(format!("{prefix}/{id}/S1_R2.fastq.gz")), None),
        "{meta:?}"
    );
    let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&ids[1]).send().await.expect("BAM");
    let id = &ids[1];
    assert_eq!(
        uris(&meta),
        (Some(format!("{prefix}/{id}/level-1.bam")), None, Some(format!("{prefix}/{id}/level-1.bam.bai"))),
        "the index beside its file: {meta:?}"
    );

    // References: the source and its .fai, named after the reference's id.
    let references = reference_store(&client).await;
    let plain = write(root.path(), "genome.fa", &fasta(43, &[("chr1", 500, 60)]));
    let zipped = write(root.path(), "genome.fa.gz", &gzip(&fasta(44, &[("chr2", 500, 60)])));
    let job = import(&client, &references, vec![ref_source(&plain, "plain"), ref_source(&zipped, "zipped")]).await;
    let prefix = format!("s3://{ACCOUNT}-{references}-s3alias/{ACCOUNT}/referenceStore/{references}/reference");
    for (item, extension) in job.sources().iter().zip(["fasta", "fasta.gz"]) {
        let id = item.reference_id().expect("reference id");
        let meta = client.get_reference_metadata().reference_store_id(&references).id(id).send().await.expect("meta");
        let files = meta.files().expect("files");
        let uri = |file: Option<&aws_sdk_omics::types::FileInformation>| {
            file.and_then(|f| f.s3_access()).and_then(|a| a.s3_uri()).map(str::to_owned)
        };
        let source = format!("{prefix}/{id}/{id}.{extension}");
        assert_eq!((uri(files.source()), uri(files.index())), (Some(source.clone()), Some(format!("{source}.fai"))));
    }
    server.stop().await;
}
