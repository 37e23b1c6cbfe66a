//! A server whose data lives in S3 (moto), whatever `SEQSTORE_TEST_STORAGE` says: the objects of a
//! sequence store with `sseConfig` (a key of moto's KMS) — an imported FASTQ pair, the parts of a
//! direct upload and the read set they become — are written with SSE-KMS under that key and carry
//! the read set's tags that `propagatedSetLevelTags` names (and S3 can hold); a reference store's
//! `sseConfig` encrypts its references; a store without `sseConfig` writes plainly and untagged.

use std::collections::BTreeMap;

use aws_sdk_omics::types::{
    ETagAlgorithmFamily, EncryptionType, FileType, ReadSetFile, ReadSetImportJobStatus, ReadSetPartSource,
    ReferenceImportJobStatus, SourceFiles, SseConfig, StartReadSetImportJobSourceItem,
};
use futures_util::TryStreamExt;
use object_store::ObjectStore;
use seqstore::config::{StorageConfig, StorageKind};

use super::fastq_data::{fastq, gzip};
use super::imports::{import_config, start, store, wait, write};
use super::references::{fasta, import, ref_source};
use super::s3::S3Server;
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};
use super::uploads::{create, download, put, settled, upload_files};

const BUCKET: &str = "store-data";
const PREFIX: &str = "prod/seqstore";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_carry_the_store_key_and_propagated_tags() {
    let Some(s3) = S3Server::start().await else { return };
    s3.create_bucket(BUCKET);
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.storage = StorageConfig {
        kind: StorageKind::S3,
        bucket: Some(BUCKET.into()),
        prefix: PREFIX.into(),
        endpoint: Some(s3.endpoint.clone()),
        region: Some("us-east-1".into()),
        path_style: true,
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        ..StorageConfig::default()
    };
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let key = s3.create_kms_key().await;
    let sse = SseConfig::builder().r#type(EncryptionType::Kms).key_arn(&key).build().expect("sse");
    let kms_store = client
        .create_sequence_store()
        .name("kms")
        .sse_config(sse.clone())
        .set_propagated_set_level_tags(Some(vec!["project".into(), "owner".into(), "note".into()]))
        .send()
        .await
        .expect("store")
        .id()
        .to_owned();
    let plain_store = store(&client, ETagAlgorithmFamily::Md5Up).await;

    // An import: source1 and source2 encrypted with the key, tagged with the propagated tags that S3
    // accepts (`note` has a character S3 refuses, `secret` is not propagated).
    let r1 = gzip(&fastq(81, 2000, 100, Some(1)));
    let r2 = gzip(&fastq(82, 2000, 100, Some(2)));
    let (uri1, uri2) = (write(root.path(), "r1.fq.gz", &r1), write(root.path(), "r2.fq.gz", &r2));
    let item = |uri1: &str, uri2: &str| {
        let files = SourceFiles::builder().source1(uri1).source2(uri2).build().expect("files");
        let tags = [("project", "p 7"), ("owner", "lab:a@b.org"), ("note", "a&b"), ("secret", "s")];
        let mut item = StartReadSetImportJobSourceItem::builder()
            .source_files(files)
            .source_file_type(FileType::Fastq)
            .subject_id("subject")
            .sample_id("sample");
        for (k, v) in tags {
            item = item.tags(k, v);
        }
        item.build().expect("source")
    };
    let imported = imported_read_set(&client, &kms_store, item(&uri1, &uri2)).await;
    let propagated = tags(&[("owner", "lab:a@b.org"), ("project", "p 7")]);
    let objects = keys(&s3, &format!("{kms_store}/readSet/{imported}/")).await;
    assert_eq!(names(&objects), ["source1", "source2"]);
    for object in &objects {
        assert_eq!(s3.encryption(BUCKET, object).await, kms(&key), "{object}");
        assert_eq!(s3.tagging(BUCKET, object).await, propagated, "{object}");
    }
    assert!(download(&client, &kms_store, &imported, ReadSetFile::Source1).await == r1, "reads back decrypted");

    // A direct upload: its parts are encrypted while they wait, its read set's objects too, and
    // those carry the upload's propagated tags.
    let text = fastq(83, 1500, 100, None);
    let upload = create(&client, &kms_store, FileType::Fastq, None).await;
    put(&client, &kms_store, &upload, ReadSetPartSource::Source1, 1, &text).await;
    let parts = keys(&s3, &format!("{kms_store}/upload/{upload}/")).await;
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(s3.encryption(BUCKET, &parts[0]).await, kms(&key), "{}", parts[0]);
    client
        .abort_multipart_read_set_upload()
        .sequence_store_id(&kms_store)
        .upload_id(&upload)
        .send()
        .await
        .expect("abort");
    let uploaded = upload_files(&client, &kms_store, FileType::Fastq, None, &[&text], 2).await;
    assert_eq!(settled(&client, &kms_store, &uploaded).await.status().as_str(), "ACTIVE");
    for object in keys(&s3, &format!("{kms_store}/readSet/{uploaded}/")).await {
        assert_eq!(s3.encryption(BUCKET, &object).await, kms(&key), "{object}");
        assert_eq!(s3.tagging(BUCKET, &object).await, tags(&[("project", "test")]), "{object}");
    }
    assert!(keys(&s3, &format!("{kms_store}/upload/")).await.is_empty(), "parts deleted");

    // A store without sseConfig: the bucket's default, no tags.
    let plain = imported_read_set(&client, &plain_store, item(&uri1, &uri2)).await;
    for object in keys(&s3, &format!("{plain_store}/readSet/{plain}/")).await {
        assert_eq!(s3.encryption(BUCKET, &object).await, (None, None), "{object}");
        assert!(s3.tagging(BUCKET, &object).await.is_empty(), "{object}");
    }

    // A reference store with sseConfig: source, BGZF copy, .fai and .gzi under its key, untagged.
    let reference_store = client
        .create_reference_store()
        .name("genomes")
        .sse_config(sse)
        .send()
        .await
        .expect("reference store")
        .id()
        .to_owned();
    let genome = write(root.path(), "genome.fa.gz", &gzip(&fasta(5, &[("chr1", 5000, 60)])));
    let job = import(&client, &reference_store, vec![ref_source(&genome, "genome")]).await;
    assert_eq!(job.status(), &ReferenceImportJobStatus::Completed, "{job:?}");
    let reference = job.sources()[0].reference_id().expect("reference id");
    let objects = keys(&s3, &format!("{reference_store}/reference/{reference}/")).await;
    assert_eq!(names(&objects), ["source", "source.bgz", "source.fai", "source.gzi"]);
    for object in &objects {
        assert_eq!(s3.encryption(BUCKET, object).await, kms(&key), "{object}");
        assert!(s3.tagging(BUCKET, object).await.is_empty(), "{object}");
    }
    server.stop().await;
}

/// Imports `item` into `store` and returns the read set id.
async fn imported_read_set(
    client: &aws_sdk_omics::Client,
    store: &str,
    item: StartReadSetImportJobSourceItem,
) -> String {
    let job = start(client, store, vec![item]).await;
    let job = wait(client, store, &job).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    job.sources()[0].read_set_id().expect("read set").to_owned()
}

/// The bucket keys under `{PREFIX}/{under}`, sorted.
async fn keys(s3: &S3Server, under: &str) -> Vec<String> {
    let client = s3.client(BUCKET);
    let prefix = object_store::path::Path::from(format!("{PREFIX}/{under}"));
    let listed = client.list(Some(&prefix)).map_ok(|m| m.location.to_string()).try_collect::<Vec<_>>().await;
    let mut keys = listed.expect("list");
    keys.sort();
    keys
}

/// The last segment of each key.
fn names(keys: &[String]) -> Vec<&str> {
    keys.iter().map(|k| k.rsplit('/').next().unwrap_or_default()).collect()
}

fn kms(key: &str) -> (Option<String>, Option<String>) {
    (Some("aws:kms".into()), Some(key.into()))
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}
