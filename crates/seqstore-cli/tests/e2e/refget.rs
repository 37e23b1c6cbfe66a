//! refget's use cases through the service (the HTTP routes are tested where they are served):
//! sequences found by MD5 and by GA4GH identifier in every accepted spelling, for their own
//! account only, the oldest reference first and no longer once deleted; bases streamed upper-cased
//! in chunks from plain, gzip (its BGZF copy) and BGZF references; and the backfill of identifiers
//! and `reference_sequences` rows for references imported before them (migration 0012 run again
//! on rows recorded without identifiers, the use case step by step, a reference whose FASTA is not
//! as recorded, and the pass a restarted server runs).

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use seqstore::config::Config;
use seqstore::db::Db;
use seqstore::service::refget::backfill::RefgetCursor;
use seqstore::service::refget::{CHUNK_BASES, RefgetSequence};
use seqstore::service::{Caller, Service};
use seqstore_formats::fasta::refget_id;
use serde_json::Value;
use sqlx::Row;

use super::fastq_data::{bgzf, gzip};
use super::imports::{import_config, write};
use super::references::{fasta, import, ref_source, reference_store, sequence_md5s};
use super::support::{Backend, KEY_A, KEY_B, TestDb, TestServer, data_store, on_both_backends, sdk};

/// `(name, upper-cased bases)` of each sequence of a FASTA text.
fn upper_bases(text: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        if let Some(header) = line.strip_prefix(b">") {
            let name = String::from_utf8_lossy(header).split_whitespace().next().unwrap_or("").to_owned();
            out.push((name, Vec::new()));
        } else if let Some((_, bases)) = out.last_mut() {
            bases.extend(line.iter().map(u8::to_ascii_uppercase));
        }
    }
    out
}

fn caller(key: (&str, &str, &str)) -> Caller {
    Caller { account: key.2.to_owned() }
}

async fn service(config: &Config) -> Service {
    let database = Db::connect(&config.database_url()).await.expect("database");
    Service::new(config, database, data_store(config)).await.expect("service")
}

/// Imports each `(file name, stored bytes)` as a reference of `store`, one job each (so their
/// creation times are in order); returns their ids.
async fn import_each(
    client: &aws_sdk_omics::Client,
    root: &std::path::Path,
    store: &str,
    files: &[(&str, Vec<u8>)],
) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, bytes) in files {
        let job = import(client, store, vec![ref_source(&write(root, name, bytes), name)]).await;
        ids.push(job.sources()[0].reference_id().unwrap_or_else(|| panic!("{name}: {job:?}")).to_owned());
    }
    ids
}

async fn bases(service: &Service, sequence: &RefgetSequence, start: u64, end: u64) -> (Vec<u8>, usize) {
    let chunks: Vec<_> = service.refget_bases(sequence.clone(), start, end).try_collect().await.expect("bases");
    (chunks.concat(), chunks.len())
}

on_both_backends!(
    refget_finds_each_accounts_sequences_by_md5_and_ga4gh_id_and_streams_upper_cased_bases,
    refget_backfill_records_identifiers_of_references_imported_before_them,
);

async fn refget_finds_each_accounts_sequences_by_md5_and_ga4gh_id_and_streams_upper_cased_bases(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = reference_store(&client).await;
    // chr1 spans three chunks; soft-masked (lowercase) runs come back upper-cased.
    let long = (CHUNK_BASES * 2 + 12_345) as usize;
    let texts = [
        fasta(1, &[("chr1", long, 60), ("chr2", 1000, 70)]),
        fasta(2, &[("x", 5000, 61)]),
        fasta(3, &[("y", 3000, 50)]),
    ];
    let files = [("plain.fa", texts[0].clone()), ("gzip.fa.gz", gzip(&texts[1])), ("bgzf.fa.bgz", bgzf(&texts[2]))];
    let ids = import_each(&client, root.path(), &store, &files).await;
    let service = service(&config).await;
    let (a, b) = (caller(KEY_A), caller(KEY_B));

    for (text, id) in texts.iter().zip(&ids) {
        for ((name, upper), (_, length, md5)) in upper_bases(text).into_iter().zip(sequence_md5s(text)) {
            let sq = refget_id(&upper);
            let spellings =
                [md5.clone(), md5.to_ascii_uppercase(), format!("md5:{md5}"), sq.clone(), format!("ga4gh:{sq}")];
            for spelling in &spellings {
                let found = service.refget_sequence(&a, spelling).await.expect("lookup");
                let found = found.unwrap_or_else(|| panic!("{name} of {id} by {spelling}"));
                assert_eq!((&found.name, found.length, &found.md5), (&name, length, &md5), "{spelling}");
                assert_eq!((found.refget.as_deref(), found.reference.id.as_str()), (Some(sq.as_str()), id.as_str()));
                assert_eq!(service.refget_sequence(&b, spelling).await.expect("lookup"), None, "another account");
            }
            let found = service.refget_sequence(&a, &sq).await.expect("lookup").expect("found");
            let (all, chunks) = bases(&service, &found, 0, length).await;
            assert!(all == upper, "{name}: the whole sequence, upper-cased");
            assert_eq!(chunks as u64, length.div_ceil(CHUNK_BASES), "{name}: chunks of at most {CHUNK_BASES}");
            for (start, end) in [(0, 1), (length / 3, length / 2), (length - 7, length), (length - 7, length + 100)] {
                let (got, _) = bases(&service, &found, start, end).await;
                let expected = &upper[start as usize..end.min(length) as usize];
                assert!(got == expected, "{name} {start}..{end}: {} bases", got.len());
            }
            assert_eq!(bases(&service, &found, 5, 5).await.0, b"");
            assert_eq!(bases(&service, &found, length + 1, length + 5).await.0, b"");
        }
    }
    for unknown in ["0".repeat(32), format!("SQ.{}", "A".repeat(32)), "chr1".into(), "SQ.short".into()] {
        assert_eq!(service.refget_sequence(&a, &unknown).await.expect("lookup"), None, "{unknown}");
    }

    // The same sequences in a later reference: the oldest reference answers until it is deleted.
    let later = import_each(&client, root.path(), &store, &[("again.fa", texts[0].clone())]).await.remove(0);
    let md5 = &sequence_md5s(&texts[0])[1].2;
    let holder = |found: Option<RefgetSequence>| found.map(|found| found.reference.id);
    assert_eq!(holder(service.refget_sequence(&a, md5).await.expect("lookup")), Some(ids[0].clone()));
    client.delete_reference().reference_store_id(&store).id(&ids[0]).send().await.expect("delete");
    assert_eq!(holder(service.refget_sequence(&a, md5).await.expect("lookup")), Some(later.clone()));
    client.delete_reference().reference_store_id(&store).id(&later).send().await.expect("delete");
    assert_eq!(service.refget_sequence(&a, md5).await.expect("lookup"), None, "deleted");
    let sq = refget_id(&upper_bases(&texts[0])[0].1);
    assert_eq!(service.refget_sequence(&a, &sq).await.expect("lookup"), None, "deleted");
    service.close().await;
    server.stop().await;
}

/// Rewrites reference `id`'s sequences as recorded before refget identifiers.
async fn forget_refgets(database: &Db, id: &str) {
    let text: String = sqlx::query("SELECT sequences FROM genome_references WHERE id = $1")
        .bind(id)
        .fetch_one(database.pool())
        .await
        .expect("sequences")
        .get(0);
    let mut sequences: Value = serde_json::from_str(&text).expect("JSON");
    for sequence in sequences.as_array_mut().expect("array") {
        sequence.as_object_mut().expect("object").remove("refget");
    }
    let update = sqlx::query("UPDATE genome_references SET sequences = $1 WHERE id = $2");
    update.bind(sequences.to_string()).bind(id).execute(database.pool()).await.expect("rewrite");
}

async fn delete_rows(database: &Db, id: &str) {
    let delete = sqlx::query("DELETE FROM reference_sequences WHERE reference_id = $1").bind(id);
    delete.execute(database.pool()).await.expect("delete rows");
}

/// Reference `id`'s `sequences` (parsed) and `reference_sequences` rows.
type Recorded = (Value, Vec<(i64, String, Option<String>)>);

/// What is recorded of each of references `ids`, in that order.
async fn recorded(database: &Db, ids: &[String]) -> Vec<Recorded> {
    let mut out = Vec::new();
    for id in ids {
        let sequences: String = sqlx::query("SELECT sequences FROM genome_references WHERE id = $1")
            .bind(id)
            .fetch_one(database.pool())
            .await
            .expect("sequences")
            .get(0);
        let rows = sqlx::query(
            "SELECT seq_index, md5, refget FROM reference_sequences WHERE reference_id = $1 ORDER BY seq_index",
        )
        .bind(id)
        .fetch_all(database.pool())
        .await
        .expect("rows");
        let rows = rows.iter().map(|r| (r.get("seq_index"), r.get("md5"), r.get("refget"))).collect();
        out.push((serde_json::from_str(&sequences).expect("JSON"), rows));
    }
    out
}

/// `(computed, indexed, skipped)` of one whole backfill pass through the use case, one reference
/// per step.
async fn backfill(service: &Service) -> (u64, u64, u64) {
    let (mut done, mut cursor) = ((0, 0, 0), RefgetCursor::default());
    loop {
        let step = service.backfill_refget(&cursor, 1).await.expect("backfill step");
        done = (done.0 + step.computed, done.1 + step.indexed, done.2 + step.skipped);
        match step.next {
            Some(next) => cursor = next,
            None => return done,
        }
    }
}

async fn refget_backfill_records_identifiers_of_references_imported_before_them(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = reference_store(&client).await;
    let texts = [fasta(4, &[("chrA", 70_000, 60), ("chrB", 900, 80)]), fasta(5, &[("chrC", 4000, 60)])];
    let files = [("old.fa.gz", gzip(&texts[0])), ("new.fa", texts[1].clone())];
    let ids = import_each(&client, root.path(), &store, &files).await;
    server.stop().await;
    let database = Db::connect(&db.url).await.expect("database");
    let imported = recorded(&database, &ids).await;
    let a = caller(KEY_A);
    let old_sq = refget_id(&upper_bases(&texts[0])[0].1);
    let old_md5 = sequence_md5s(&texts[0])[0].2.clone();

    // Migration 0012 on a database of references imported before identifiers (and before the
    // table): it records the rows of every reference from its sequences, identifiers where known.
    forget_refgets(&database, &ids[0]).await;
    sqlx::query("DROP TABLE reference_sequences").execute(database.pool()).await.expect("drop");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 12").execute(database.pool()).await.expect("forget");
    database.close().await;
    let database = Db::connect(&db.url).await.expect("migrated again");
    let migrated = recorded(&database, &ids).await;
    assert_eq!(migrated[1], imported[1], "a reference with identifiers: its rows as an import writes them");
    assert_eq!(migrated[0].1.len(), 2);
    assert!(migrated[0].1.iter().zip(&imported[0].1).all(|(m, i)| (m.0, &m.1, &m.2) == (i.0, &i.1, &None)));
    let service = service(&config).await;
    let found = service.refget_sequence(&a, &old_md5).await.expect("lookup").expect("by MD5 before the backfill");
    assert_eq!((found.refget, found.reference.id.as_str()), (None, ids[0].as_str()));
    assert_eq!(service.refget_sequence(&a, &old_sq).await.expect("lookup"), None, "no identifier yet");

    // The use case: identifiers computed from the stored gzip FASTA, rows written; idempotent.
    assert_eq!(backfill(&service).await, (1, 0, 0));
    assert_eq!(recorded(&database, &ids).await, imported, "as imported");
    assert_eq!(backfill(&service).await, (0, 0, 0), "nothing left");
    let found = service.refget_sequence(&a, &old_sq).await.expect("lookup").expect("by SQ. after the backfill");
    assert_eq!((found.name.as_str(), found.reference.id.as_str()), ("chrA", ids[0].as_str()));
    // Rows missing, identifiers recorded: only the rows are written.
    delete_rows(&database, &ids[1]).await;
    assert_eq!(backfill(&service).await, (0, 1, 0));
    assert_eq!(recorded(&database, &ids).await, imported, "as imported");

    // A stored FASTA that is not as recorded gets no identifiers.
    forget_refgets(&database, &ids[0]).await;
    delete_rows(&database, &ids[0]).await;
    let files: String = sqlx::query("SELECT files FROM genome_references WHERE id = $1")
        .bind(&ids[0])
        .fetch_one(database.pool())
        .await
        .expect("files")
        .get(0);
    let mut damaged: Value = serde_json::from_str(&files).expect("files");
    damaged["source"]["sha256"] = Value::from("0".repeat(64));
    let update = sqlx::query("UPDATE genome_references SET files = $1 WHERE id = $2").bind(damaged.to_string());
    update.bind(&ids[0]).execute(database.pool()).await.expect("damage");
    assert_eq!(backfill(&service).await, (0, 0, 1));
    assert_eq!(service.refget_sequence(&a, &old_sq).await.expect("lookup"), None);
    let update = sqlx::query("UPDATE genome_references SET files = $1 WHERE id = $2").bind(files);
    update.bind(&ids[0]).execute(database.pool()).await.expect("restore");
    service.close().await;

    // At start-up: a restarted server records them.
    let server = TestServer::start(&config).await;
    let service = self::service(&config).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while service.refget_sequence(&a, &old_sq).await.expect("lookup").is_none() {
        assert!(Instant::now() < deadline, "the start-up backfill did not record {old_sq}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(recorded(&database, &ids).await, imported, "as imported");
    service.close().await;
    database.close().await;
    server.stop().await;
}
