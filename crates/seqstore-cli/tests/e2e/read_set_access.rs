//! Last-access times of read sets: GetReadSet, a GetObject through the S3 endpoint and an htsget
//! data URL each record when a read set's data was read, written in the background at most once a
//! minute per read set (a second read within the minute writes nothing); listings, metadata and
//! tickets are not reads of the data. (Exports: `exports::exports_every_file_under_its_name`.)

use std::time::{Duration, Instant};

use aws_sdk_omics::types::{FileType, ReadSetFile};
use seqstore::db::Db;
use serde_json::Value;
use sqlx::Row;

use super::aligned_failures::{aligned_source, samtools_available};
use super::htsget::{fetch, fixture};
use super::imports::{start, wait};
use super::s3_api::presigned_url;
use super::support::{Backend, KEY_A, TestDb, on_both_backends, sdk};

on_both_backends!(reads_of_a_read_sets_data_record_its_last_access);

/// The recorded last access of read set `id`.
async fn last_access(db: &Db, id: &str) -> Option<i64> {
    let row = sqlx::query("SELECT last_access_ms FROM read_sets WHERE id = $1").bind(id).fetch_one(db.pool()).await;
    row.expect("read set row").try_get("last_access_ms").expect("column")
}

/// The last access of `id` once it is written (the write runs in the background).
pub(super) async fn written(db: &Db, id: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(at) = last_access(db, id).await {
            return at;
        }
        assert!(Instant::now() < deadline, "read set {id}: no last access written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn reads_of_a_read_sets_data_record_its_last_access(backend: Backend) {
    if !samtools_available() {
        return;
    }
    let Some(db) = TestDb::new(backend).await else { return };
    let fixture = fixture(&db).await;
    let database = Db::connect(&db.url).await.expect("database");
    let client = sdk(&fixture.server.endpoint, KEY_A);
    let (bam, cram) = (&fixture.bam.0, &fixture.cram.0);
    let meta = client.get_read_set_metadata().sequence_store_id(&fixture.store).id(cram).send().await.expect("meta");
    let listed = client.list_read_sets().sequence_store_id(&fixture.store).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 2);
    assert_eq!(last_access(&database, cram).await, None, "metadata and listings are not reads of the data");

    // GetObject through the S3 endpoint (HEAD reads nothing).
    let s3 = fixture.server.s3_endpoint.clone().expect("the S3 endpoint is on");
    let uri = meta.files().and_then(|f| f.source1()).and_then(|f| f.s3_access()).and_then(|a| a.s3_uri());
    let (bucket, key) = uri.expect("s3Uri").trim_start_matches("s3://").split_once('/').expect("bucket/key");
    let url = presigned_url(&s3, &format!("/{bucket}/{key}"), KEY_A);
    let (status, _, body) = fetch("GET", &url, &[], b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    written(&database, cram).await;

    // GetReadSet: written once; a second read within the minute writes nothing.
    let read =
        || client.get_read_set().sequence_store_id(&fixture.store).id(bam).file(ReadSetFile::Source1).part_number(1);
    read().send().await.expect("GetReadSet");
    let first = written(&database, bam).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    read().send().await.expect("GetReadSet again");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(last_access(&database, bam).await, Some(first), "at most one write a minute");

    // An htsget data URL (the ticket alone reads no data), of a copy of the BAM never read.
    let source = aligned_source(&format!("file://{}", fixture.bam.1), FileType::Bam, None);
    let job = wait(&client, &fixture.store, &start(&client, &fixture.store, vec![source]).await).await;
    let copy = job.sources()[0].read_set_id().expect("read set").to_owned();
    let bearer = fixture.bearer();
    let ticket_url = fixture.url(&copy, "?referenceName=chrA&start=0&end=1000");
    let (status, _, ticket) = fetch("GET", &ticket_url, &[("authorization", &bearer)], b"").await;
    assert_eq!(status, 200);
    let ticket: Value = serde_json::from_slice(&ticket).expect("ticket");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(last_access(&database, &copy).await, None, "a ticket is not a read of the data");
    let data = ticket["htsget"]["urls"][1]["url"].as_str().expect("data URL").to_owned();
    assert_eq!(fetch("GET", &data, &[], b"").await.0, 200);
    written(&database, &copy).await;
    database.close().await;
}
