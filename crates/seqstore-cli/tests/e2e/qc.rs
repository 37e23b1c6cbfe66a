//! QC statistics end to end (issue #27): FASTQ (single, gzip; a pair), BAM and CRAM imported with
//! `aws-sdk-omics`, their statistics read through the extension GetReadSetQc (`GET
//! /sequencestore/{id}/readset/{readSetId}/qc`, signed) and compared with `samtools stats` of the
//! same file (FASTQ through `samtools import`): the SN totals, the read length histogram (RL)
//! and the per-cycle qualities of the first cycle (FFQ). The formats crate compares every section
//! on many more files (`seqstore-formats/tests/qc_samtools.rs`); this shows the import's pass is
//! the one counted. Also: statistics off (`[qc] enabled = false`) leave them PENDING with the
//! reason, an unknown read set is 404, and deleting a read set deletes its statistics; read sets
//! without statistics get them from `qc` jobs (with their progress told meanwhile), the same
//! report an import computes, and an archived one once it is activated; a `qc` job queued while
//! statistics were on reads nothing on a server with them off.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType};
use seqstore::config::Config;
use seqstore::db::Db;
use seqstore::service::Service;
use serde_json::Value;
use sqlx::Row;

use super::aligned::{copy_in, import_ce_reference, samtools, samtools_available};
use super::fastq_data::{fastq, gzip};
use super::imports::{import_all, import_config, raw_get, source, store, typed_source, write};
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};

/// GetReadSetQc of `id`.
async fn qc(endpoint: &str, store: &str, id: &str) -> Value {
    raw_get(endpoint, &format!("/sequencestore/{store}/readset/{id}/qc")).await
}

/// The lines of each section of `samtools stats` but SN, by tag: their fields after the tag.
type Sections = HashMap<String, Vec<Vec<String>>>;

/// `samtools stats` of `file` (`extra` options first): SN values by name, and the other sections.
fn stats(file: &Path, extra: &[&str]) -> (HashMap<String, String>, Sections) {
    let mut args = vec!["stats"];
    args.extend_from_slice(extra);
    let path = file.to_str().expect("utf-8");
    args.push(path);
    let text = String::from_utf8(samtools(&args)).expect("utf-8");
    let (mut summary, mut sections) = (HashMap::new(), Sections::new());
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
        if fields[0] == "SN" {
            summary.insert(fields[1].trim_end_matches(':').to_owned(), fields[2].clone());
        } else {
            sections.entry(fields[0].clone()).or_default().push(fields[1..].to_vec());
        }
    }
    (summary, sections)
}

/// Compares the report of GetReadSetQc with `samtools stats` of the same records.
fn assert_like_samtools(label: &str, answer: &Value, file: &Path, extra: &[&str]) {
    assert_eq!(answer["status"], "AVAILABLE", "{label}: {answer}");
    let report = &answer["report"];
    let totals = &report["totals"];
    let (summary, sections) = stats(file, extra);
    for (ours, theirs) in [
        ("sequences", "raw total sequences"),
        ("firstFragments", "1st fragments"),
        ("lastFragments", "last fragments"),
        ("readsMapped", "reads mapped"),
        ("readsUnmapped", "reads unmapped"),
        ("readsProperlyPaired", "reads properly paired"),
        ("readsDuplicated", "reads duplicated"),
        ("totalLength", "total length"),
        ("maximumLength", "maximum length"),
        ("basesMappedCigar", "bases mapped (cigar)"),
        ("mismatches", "mismatches"),
        ("secondary", "non-primary alignments"),
    ] {
        assert_eq!(totals[ours].to_string(), summary[theirs], "{label}: {ours} against SN {theirs}");
    }
    let lengths: Vec<(u64, u64)> = report["readLengths"]
        .as_array()
        .expect("readLengths")
        .iter()
        .map(|b| (b["from"].as_u64().expect("from"), b["reads"].as_u64().expect("reads")))
        .collect();
    let rl: Vec<(u64, u64)> = sections["RL"].iter().map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap())).collect();
    assert_eq!(lengths, rl, "{label}: RL");
    let first_cycle = &report["firstFragmentCycles"][0]["qualities"];
    let ffq: Vec<u64> = sections["FFQ"][0][1..].iter().map(|v| v.parse().unwrap()).collect();
    let ours: Vec<u64> = first_cycle.as_array().expect("qualities").iter().map(|v| v.as_u64().unwrap()).collect();
    let width = ours.len().max(ffq.len());
    let padded = |mut v: Vec<u64>| {
        v.resize(width, 0);
        v
    };
    assert_eq!(padded(ours), padded(ffq), "{label}: FFQ cycle 1");
}

/// One import of each format; each read set's statistics equal samtools stats of its file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_of_every_format_equal_samtools_stats() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let (reference, arn) = import_ce_reference(&client, root.path()).await;
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;

    let single = [fastq(31, 200, 90, None), fastq(32, 100, 151, None)].concat();
    let single_gz = write(root.path(), "single.fq.gz", &gzip(&single));
    let r1 = write(root.path(), "pair_1.fq", &fastq(33, 250, 100, Some(1)));
    let r2 = write(root.path(), "pair_2.fq", &fastq(34, 250, 120, Some(2)));
    let (bam, bam_uri) = copy_in(root.path(), "hts-specs/bam/level-1.bam");
    let (cram, cram_uri) = copy_in(root.path(), "hts-specs/cram3.0/passed/1400_index_simple.cram");
    let mut cram_source = typed_source(&cram_uri, None, FileType::Cram);
    cram_source.reference_arn = Some(arn);
    let sources = vec![
        source(&single_gz, None),
        source(&r1, Some(&r2)),
        typed_source(&bam_uri, None, FileType::Bam),
        cram_source,
    ];
    let ids = import_all(&client, &store, sources).await;

    // FASTQ through samtools import, as the statistics count it.
    let path = |uri: &str| Path::new(uri.trim_start_matches("file://")).to_path_buf();
    let (single_bam, pair_bam) = (root.path().join("single.bam"), root.path().join("pair.bam"));
    let text = |p: &Path| p.to_str().expect("utf-8").to_owned();
    samtools(&["import", "-0", &text(&path(&single_gz)), "-o", &text(&single_bam)]);
    samtools(&["import", "-1", &text(&path(&r1)), "-2", &text(&path(&r2)), "-o", &text(&pair_bam)]);
    let reference = format!("reference={}", text(&reference));
    let cases: [(&str, &Path, Vec<&str>); 4] = [
        ("FASTQ gzip", &single_bam, vec![]),
        ("FASTQ pair", &pair_bam, vec![]),
        ("BAM", &bam, vec![]),
        ("CRAM", &cram, vec!["--input-fmt-option", &reference]),
    ];
    for ((label, file, extra), id) in cases.iter().zip(&ids) {
        let answer = qc(&server.endpoint, &store, id).await;
        assert_like_samtools(label, &answer, file, extra);
        assert_eq!(answer["readSetId"], id.as_str());
        assert!(answer["computedTime"].is_string(), "{answer}");
    }
    let pair = qc(&server.endpoint, &store, &ids[1]).await;
    let totals = &pair["report"]["totals"];
    assert_eq!((totals["firstFragments"].as_u64(), totals["lastFragments"].as_u64()), (Some(250), Some(250)));
    let aligned = qc(&server.endpoint, &store, &ids[2]).await;
    assert_eq!(aligned["aligned"], true);
    assert!(!aligned["report"]["mappingQualities"].as_array().expect("MAPQ").is_empty());

    // Unknown read set: 404 like GetReadSetMetadata. Deleting one deletes its statistics.
    let missing = qc(&server.endpoint, &store, "9999999999").await;
    assert_eq!(missing["message"], "read set 9999999999 not found", "{missing}");
    client.batch_delete_read_set().sequence_store_id(&store).ids(&ids[0]).send().await.expect("delete");
    let gone = qc(&server.endpoint, &store, &ids[0]).await;
    assert_eq!(gone["message"], format!("read set {} not found", ids[0]), "{gone}");
    server.stop().await;
}

/// A server started with statistics off (`[qc] enabled = false`), and the one read set it
/// imported (20 FASTQ reads of 50 bases from `seed`), which therefore has none. The database and
/// the source root live as long as this: keep it whole (bind it, use its fields) until the end.
pub(super) struct WithoutStatistics {
    /// The server's configuration (statistics off).
    pub config: Config,
    pub server: TestServer,
    /// Its store.
    pub store: String,
    /// The read set.
    pub id: String,
    _root: tempfile::TempDir,
    _db: TestDb,
}

/// [`WithoutStatistics`] on the chosen backend; `None` when that backend is not configured.
pub(super) async fn imported_with_statistics_off(seed: u64) -> Option<WithoutStatistics> {
    let db = TestDb::new(Backend::chosen()).await?;
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.qc.enabled = false;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let one = write(root.path(), "one.fq", &fastq(seed, 20, 50, None));
    let ids = import_all(&client, &store, vec![source(&one, None)]).await;
    let id = ids.into_iter().next().expect("one read set");
    Some(WithoutStatistics { config, server, store, id, _root: root, _db: db })
}

/// With `[qc] enabled = false` an import collects nothing: the read set's statistics are PENDING
/// and say why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_off_leave_them_pending() {
    let off = imported_with_statistics_off(35).await.expect("database");
    let answer = qc(&off.server.endpoint, &off.store, &off.id).await;
    assert_eq!(answer["status"], "PENDING", "{answer}");
    assert_eq!(answer["statusMessage"], "statistics are off on this server ([qc] enabled = false)");
    assert!(answer.get("report").is_none());
    off.server.stop().await;
}

/// Polls GetReadSetQc of `id` until its status is not PENDING (at most 60 s).
async fn until_computed(endpoint: &str, store: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let answer = qc(endpoint, store, id).await;
        if answer["status"] != "PENDING" {
            return answer;
        }
        assert!(std::time::Instant::now() < deadline, "read set {id} still has no statistics: {answer}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Read sets imported while statistics were off get them from `qc` jobs once the server starts
/// with them on — the same report an import computes — and an archived one once it is activated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_sets_without_statistics_get_them_from_qc_jobs_and_on_activation() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let mut config = import_config(&db, root.path());
    config.qc.enabled = false;
    config.archive.grace = "1s".into();
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let r1 = write(root.path(), "b_1.fq", &fastq(41, 120, 100, Some(1)));
    let r2 = write(root.path(), "b_2.fq", &fastq(42, 120, 100, Some(2)));
    let (_, bam_uri) = copy_in(root.path(), "hts-specs/bam/level-1.bam");
    let single = write(root.path(), "archived.fq", &fastq(43, 60, 70, None));
    let sources = vec![source(&r1, Some(&r2)), typed_source(&bam_uri, None, FileType::Bam), source(&single, None)];
    let ids = import_all(&client, &store, sources.clone()).await;
    assert!(super::tiers::archive(&server.endpoint, &store, &[&ids[2]]).await.is_empty());
    super::tiers::until_status(&client, &store, &ids[2..], aws_sdk_omics::types::ReadSetStatus::Archived).await;
    for id in &ids {
        assert_eq!(qc(&server.endpoint, &store, id).await["status"], "PENDING");
    }
    server.stop().await;

    // Restarted with statistics on: the start-up pass submits qc jobs for the ACTIVE ones, whose
    // progress (reads throttled) the pending statistics tell.
    config.qc.enabled = true;
    config.worker.throttle_bytes_per_sec = 400_000;
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let mut messages = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let answer = qc(&server.endpoint, &store, &ids[1]).await;
        if answer["status"] != "PENDING" {
            break;
        }
        messages.push(answer["statusMessage"].as_str().unwrap_or_default().to_owned());
        assert!(std::time::Instant::now() < deadline, "no statistics: {messages:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        messages.iter().any(|m| m.starts_with("a qc job is computing them: ") && m.ends_with(" % read")),
        "{messages:?}"
    );
    let again = import_all(&client, &store, sources[..2].to_vec()).await;
    for (old, new) in ids[..2].iter().zip(&again) {
        let computed = until_computed(&server.endpoint, &store, old).await;
        let imported = qc(&server.endpoint, &store, new).await;
        assert_eq!(computed["status"], "AVAILABLE", "{computed}");
        assert_eq!(computed["report"], imported["report"], "read set {old}: a qc job's report and an import's");
    }
    let archived = qc(&server.endpoint, &store, &ids[2]).await;
    assert_eq!(archived["status"], "PENDING");
    assert_eq!(archived["statusMessage"], "the read set is archived: its statistics are computed once it is activated");
    let item = aws_sdk_omics::types::StartReadSetActivationJobSourceItem::builder()
        .read_set_id(&ids[2])
        .build()
        .expect("source");
    client.start_read_set_activation_job().sequence_store_id(&store).sources(item).send().await.expect("activate");
    super::tiers::until_status(&client, &store, &ids[2..], aws_sdk_omics::types::ReadSetStatus::Active).await;
    let activated = until_computed(&server.endpoint, &store, &ids[2]).await;
    assert_eq!(activated["status"], "AVAILABLE", "{activated}");
    assert_eq!(activated["report"]["totals"]["sequences"], 60);
    server.stop().await;
}

/// A `qc` job queued by a process with statistics on is not run by a server with them off: its
/// source fails at once saying why, nothing is recorded for the read set, and a server started
/// with statistics on submits and computes it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_qc_jobs_read_nothing_while_statistics_are_off() {
    let off = imported_with_statistics_off(44).await.expect("database");
    let (config, store, ids) = (off.config.clone(), off.store.clone(), [off.id.clone()]);
    off.server.stop().await;

    // Queued by a process with statistics on (the start-up pass's own call), run by none yet.
    let mut on = config.clone();
    on.qc.enabled = true;
    let service = Service::open(&on).await.expect("service");
    assert_eq!(service.submit_missing_qc("", 100).await.expect("submit"), (1, None));
    service.close().await;

    // A server with statistics off claims it and fails it without reading.
    let server = TestServer::start(&config).await;
    let database = Db::connect(&config.database_url()).await.expect("database");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (status, message) = loop {
        let row = sqlx::query("SELECT status, status_message FROM import_sources WHERE kind = 'qc'")
            .fetch_one(database.pool())
            .await
            .expect("the qc source");
        let status: String = row.get("status");
        if status != "NOT_STARTED" && status != "IN_PROGRESS" {
            break (status, row.get::<Option<String>, _>("status_message").unwrap_or_default());
        }
        assert!(std::time::Instant::now() < deadline, "the qc source was not settled: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(status, "FAILED");
    assert!(message.starts_with("QC statistics are off on the server that claimed this job"), "{message}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM read_set_qc")
        .fetch_one(database.pool())
        .await
        .expect("read_set_qc rows");
    assert_eq!(rows, 0, "nothing recorded for the read set");
    assert_eq!(qc(&server.endpoint, &store, &ids[0]).await["status"], "PENDING");
    server.stop().await;
    database.close().await;

    // Statistics on again: the start-up pass submits it anew and they are computed.
    let server = TestServer::start(&on).await;
    let computed = until_computed(&server.endpoint, &store, &ids[0]).await;
    assert_eq!(computed["status"], "AVAILABLE", "{computed}");
    assert_eq!(computed["report"]["totals"]["sequences"], 20);
    server.stop().await;
}
