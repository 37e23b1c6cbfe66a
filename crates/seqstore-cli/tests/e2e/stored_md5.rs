//! The MD5 of stored bytes (the S3 ETag of a stored object): FASTQ imports (plain, in an MD5 and a
//! SHA-256 store; gzip; a BGZF pair), a BAM with its BAI, a CRAM with its CRAI (with samtools),
//! a direct upload and references (plain; gzip with its BGZF copy and `.gzi`) record the MD5 of
//! exactly the bytes they stored; the dashboard's read set page shows it beside the SHA-256;
//! GetReadSetMetadata's files have no new member. The backfill (`Service::backfill_md5`) fills the
//! files of rows recorded without MD5s, is idempotent, leaves a row whose file is not as recorded
//! alone, never overwrites a row that changed since it was read, and runs at a server's start-up.

use std::time::{Duration, Instant};

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetStatus};
use seqstore::config::Config;
use seqstore::db::Db;
use seqstore::db::stored_files;
use seqstore::model::read_set::Files;
use seqstore::service::Service;
use seqstore::service::stored_md5::Md5Cursor;
use serde_json::Value;
use sqlx::Row;

use super::aligned_failures::{aligned_source, copy_in, samtools, samtools_available, testdata};
use super::fastq_data::{bgzf, fastq, gzip, md5};
use super::imports::{import_all, import_config, raw_get, source, store, typed_source, write};
use super::references::{self, fasta, ref_source, reference_store};
use super::support::{Backend, KEY_A, TestDb, TestServer, on_both_backends, sdk, stored_object};
use super::ui::{http, session};
use super::uploads::{settled, upload_files};

/// The two tables whose `files` record stored files.
const TABLES: [&str; 2] = ["read_sets", "genome_references"];

/// `(id, files)` of every row of `table`, in id order.
async fn rows(db: &Db, table: &str) -> Vec<(String, Value)> {
    let sql = format!("SELECT id, files FROM {table} ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await.expect("rows");
    rows.iter()
        .map(|row| (row.get("id"), serde_json::from_str(row.get::<&str, _>("files")).expect("files JSON")))
        .collect()
}

/// `(file, key, md5)` of every stored file of a `files` value; `md5` is `None` when not recorded.
fn file_md5s(files: &Value) -> Vec<(String, String, Option<String>)> {
    let files = files.as_object().expect("files object");
    let present = files.iter().filter(|(_, file)| file.is_object());
    present
        .map(|(name, file)| {
            let key = file["key"].as_str().expect("key").to_owned();
            (name.clone(), key, file.get("md5").map(|m| m.as_str().expect("md5 text").to_owned()))
        })
        .collect()
}

/// Asserts that every stored file of every row records the MD5 of its object; returns
/// `(rows, files)` checked.
async fn assert_md5s_of_stored_bytes(db: &Db, config: &Config) -> (usize, usize) {
    let (mut rows_seen, mut files_seen) = (0, 0);
    for table in TABLES {
        for (id, files) in rows(db, table).await {
            rows_seen += 1;
            for (file, key, recorded) in file_md5s(&files) {
                files_seen += 1;
                let bytes = stored_object(config, &key).await;
                assert_eq!(recorded, Some(md5(&bytes)), "{table} {id} {file}: the MD5 of the stored bytes");
            }
        }
    }
    (rows_seen, files_seen)
}

/// Rewrites every row's files (or only row `only`'s) as recorded before MD5s, and, when given,
/// sets the SHA-256 of its source1 to `sha256`.
async fn forget_md5s(db: &Db, only: Option<&str>, sha256: Option<&str>) {
    for table in TABLES {
        for (id, mut files) in rows(db, table).await {
            if only.is_some_and(|only| only != id) {
                continue;
            }
            for file in files.as_object_mut().expect("files").values_mut() {
                if let Some(file) = file.as_object_mut() {
                    file.remove("md5");
                }
            }
            if let Some(sha256) = sha256 {
                files["source1"]["sha256"] = Value::from(sha256);
            }
            let sql = format!("UPDATE {table} SET files = $1 WHERE id = $2");
            let update = sqlx::query(&sql).bind(files.to_string()).bind(&id);
            update.execute(db.pool()).await.expect("rewrite files");
        }
    }
}

/// `(filled, skipped)` of one whole backfill pass through the use case, in steps of 2 rows.
async fn backfill(service: &Service) -> (u64, u64) {
    let (mut filled, mut skipped, mut cursor) = (0, 0, Md5Cursor::default());
    loop {
        let step = service.backfill_md5(&cursor, 2).await.expect("backfill step");
        (filled, skipped) = (filled + step.filled, skipped + step.skipped);
        match step.next {
            Some(next) => cursor = next,
            None => return (filled, skipped),
        }
    }
}

/// The MD5 cell of each row of the read set page's files table: `[("source1", "0123…"), …]`.
async fn shown_md5s(endpoint: &str, cookie: &str, store: &str, id: &str) -> Vec<(String, String)> {
    let page = http(endpoint, "GET", &format!("/ui/stores/{store}/readsets/{id}"), Some(cookie), &[], "").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    let rows = text.split("<tr data-file=\"").skip(1);
    rows.map(|row| {
        let file = row.split('"').next().expect("file");
        let md5 = row.split("mono md5\">").nth(1).and_then(|n| n.split('<').next()).expect("MD5 cell");
        (file.to_owned(), md5.to_owned())
    })
    .collect()
}

on_both_backends!(imports_record_the_md5_of_stored_bytes_and_the_backfill_fills_older_files);

async fn imports_record_the_md5_of_stored_bytes_and_the_backfill_fills_older_files(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let endpoint = server.endpoint.as_str();
    let client = sdk(endpoint, KEY_A);
    let cookie = session(endpoint, KEY_A).await;
    let (md5_store, sha_store) =
        (store(&client, ETagAlgorithmFamily::Md5Up).await, store(&client, ETagAlgorithmFamily::Sha256Up).await);

    // References: plain (ce.fa, for the CRAM) and gzip (a BGZF copy and its .gzi beside it).
    let (ce_path, ce_uri) = copy_in(root.path(), "hts-specs/ref/ce.fa", "ce.fa");
    let gz_uri = write(root.path(), "genome.fa.gz", &gzip(&fasta(7, &[("chr1", 5000, 60), ("chr2", 3000, 70)])));
    let ref_store = reference_store(&client).await;
    let job = references::import(
        &client,
        &ref_store,
        vec![ref_source(&ce_uri, "ce-genome"), ref_source(&gz_uri, "gz-genome")],
    )
    .await;
    let ce_item = job.sources().iter().find(|s| s.source_file() == Some(ce_uri.as_str())).expect("ce source");
    let ce_id = ce_item.reference_id().expect("ce reference").to_owned();
    let ce = client.get_reference_metadata().reference_store_id(&ref_store).id(&ce_id).send().await.expect("ce");

    let pair = (fastq(1, 200, 100, Some(1)), fastq(2, 200, 100, Some(2)));
    let plain = (write(root.path(), "r1.fq", &pair.0), write(root.path(), "r2.fq", &pair.1));
    let gz = write(root.path(), "single.fq.gz", &gzip(&fastq(3, 300, 120, None)));
    let bgzf_pair = (write(root.path(), "b1.fq.gz", &bgzf(&pair.0)), write(root.path(), "b2.fq.gz", &bgzf(&pair.1)));
    let (_, bam) = copy_in(root.path(), "hts-specs/bam/level-1.bam", "level-1.bam");
    let mut sources = vec![
        source(&plain.0, Some(&plain.1)),
        source(&gz, None),
        source(&bgzf_pair.0, Some(&bgzf_pair.1)),
        typed_source(&bam, None, FileType::Bam),
    ];
    if samtools_available() {
        let (sam, cram) = (testdata("hts-specs/cram3.0/passed/1406_index_long.sam"), root.path().join("sorted.cram"));
        let (reference, cram_path) = (ce_path.to_str().expect("UTF-8 path"), cram.to_str().expect("UTF-8 path"));
        samtools(&["sort", "-O", "cram", "--reference", reference, "-o", cram_path, sam.to_str().expect("UTF-8")]);
        sources.push(aligned_source(&format!("file://{cram_path}"), FileType::Cram, Some(ce.arn())));
    }
    let mut read_sets: Vec<(String, String)> =
        import_all(&client, &md5_store, sources).await.into_iter().map(|id| (md5_store.clone(), id)).collect();
    let in_sha_store = import_all(&client, &sha_store, vec![source(&plain.0, None)]).await.remove(0);
    read_sets.push((sha_store.clone(), in_sha_store));
    let uploaded = upload_files(&client, &md5_store, FileType::Fastq, None, &[&gzip(&pair.0), &gzip(&pair.1)], 2).await;
    assert_eq!(settled(&client, &md5_store, &uploaded).await.status(), &ReadSetStatus::Active);
    read_sets.push((md5_store.clone(), uploaded));

    let metadata = raw_get(endpoint, &format!("/sequencestore/{md5_store}/readset/{}/metadata", read_sets[0].1)).await;
    assert_eq!(metadata["etag"]["source1"], md5(&pair.0), "plain FASTQ: its ETag is the MD5 of the stored bytes too");

    let database = Db::connect(&db.url).await.expect("database");
    let (rows_checked, files_checked) = assert_md5s_of_stored_bytes(&database, &config).await;
    assert_eq!(rows_checked, read_sets.len() + 2, "every read set and reference");
    assert!(files_checked >= 2 * read_sets.len() + 4, "sources, indexes, pairs, copies: {files_checked}");
    let recorded: Vec<_> = rows(&database, "read_sets").await;
    for (store, id) in &read_sets {
        let files = &recorded.iter().find(|(row, _)| row == id).expect("row").1;
        let mut expected: Vec<_> =
            file_md5s(files).into_iter().map(|(file, _, md5)| (file, md5.expect("recorded"))).collect();
        let mut shown = shown_md5s(endpoint, &cookie, store, id).await;
        expected.sort();
        shown.sort();
        assert_eq!(shown, expected, "the dashboard shows {id}'s MD5s");
        let metadata = raw_get(endpoint, &format!("/sequencestore/{store}/readset/{id}/metadata")).await;
        for (name, file) in metadata["files"].as_object().expect("files") {
            assert!(file.get("md5").is_none(), "GetReadSetMetadata files.{name} has no new member: {file}");
        }
    }

    // Rows recorded before MD5s: the dashboard says so, and the backfill fills every one of them.
    let before: Vec<_> = [rows(&database, TABLES[0]).await, rows(&database, TABLES[1]).await].concat();
    forget_md5s(&database, None, None).await;
    let (store, id) = &read_sets[0];
    let shown = shown_md5s(endpoint, &cookie, store, id).await;
    assert!(shown.iter().all(|(_, md5)| md5 == "—"), "no MD5 recorded yet: {shown:?}");
    let service = Service::open(&config).await.expect("service");
    assert_eq!(backfill(&service).await, (rows_checked as u64, 0), "every row filled");
    let after: Vec<_> = [rows(&database, TABLES[0]).await, rows(&database, TABLES[1]).await].concat();
    assert_eq!(after, before, "the same files with the same MD5s");
    assert_eq!(backfill(&service).await, (0, 0), "idempotent: nothing left to fill");

    // A file that is not as recorded gets no MD5, and nor do the other files of its row.
    let (_, damaged) = &read_sets[3];
    forget_md5s(&database, Some(damaged), Some(&"0".repeat(64))).await;
    assert_eq!(backfill(&service).await, (0, 1), "the damaged row is skipped");
    let row = rows(&database, "read_sets").await.into_iter().find(|(row, _)| row == damaged).expect("row").1;
    assert!(file_md5s(&row).iter().all(|(_, _, md5)| md5.is_none()), "{row}");

    // The update applies only to the files as read: a row changed meanwhile is left alone.
    let mut conn = database.pool().acquire().await.expect("connection");
    let text: String = sqlx::query("SELECT files FROM read_sets WHERE id = $1")
        .bind(damaged)
        .fetch_one(&mut *conn)
        .await
        .expect("files")
        .get(0);
    let files: Files = serde_json::from_str(&text).expect("files");
    let stale = format!("{text} ");
    assert!(!stored_files::fill_md5(&mut conn, damaged, &stale, &files).await.expect("update"), "stale text");
    assert!(stored_files::fill_md5(&mut conn, damaged, &text, &files).await.expect("update"), "current text");
    drop(conn);
    service.close().await;

    // At start-up: a restarted server fills a row recorded without MD5s (its SHA-256 restored).
    server.stop().await;
    let sha256 = before.iter().find(|(row, _)| row == damaged).expect("row").1["source1"]["sha256"].clone();
    forget_md5s(&database, Some(damaged), sha256.as_str()).await;
    let server = TestServer::start(&config).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let row = rows(&database, "read_sets").await.into_iter().find(|(row, _)| row == damaged).expect("row").1;
        if file_md5s(&row).iter().all(|(_, _, md5)| md5.is_some()) {
            break;
        }
        assert!(Instant::now() < deadline, "the start-up backfill did not fill {damaged}: {row}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows(&database, TABLES[0]).await, before[..read_sets.len()].to_vec(), "as imported");
    assert_md5s_of_stored_bytes(&database, &config).await;
    database.close().await;
    server.stop().await;
}
