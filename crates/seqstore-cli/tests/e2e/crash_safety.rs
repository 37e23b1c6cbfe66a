//! Crash safety: `seqstore serve` runs 20 concurrent throttled imports and is killed with SIGKILL
//! at a random moment, ten times, each time restarted on the same data directory, database and
//! storage; in some rounds (chosen by the seed) with a new node id, as if another machine took
//! over, so the interrupted sources wait for their leases to expire. After the last restart every
//! job completes, every read set has the right ETag and bytes, and no orphan object or row
//! remains. The seed is `CRASH_SEED` (default fixed); the timings of each round are logged.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetImportJobItemStatus, ReadSetImportJobStatus};
use seqstore::config::Config;
use seqstore::db::Db;
use sqlx::Row;

use super::fastq_data::{Rng, fastq, gzip, md5};
use super::imports::{source, store, wait, write};
use super::support::{Backend, Serve, TestDb, object_dirs, sdk, stored_object};

const DEV_ROLE: &str = "arn:aws:iam::123456789012:role/Import";
const DEV_KEY: (&str, &str, &str) = ("AKIDDEV", "dev", "");
const JOBS: u64 = 20;
const ROUNDS: usize = 10;
/// Sources are read at 100 kB/s: from 0.3 s to 6 s per import.
const WORKER: &str = "[worker]\ncount = 20\nlease_seconds = 3\nthrottle_bytes_per_sec = 100000\n";

/// `seqstore serve` arguments for this test's data directory, sources and configuration.
fn args(data: &Path, root: &Path, config: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec!["--listen".into(), "127.0.0.1:0".into()];
    for (flag, value) in [("--data-dir", data), ("--file-root", root), ("--config", config)] {
        args.push(flag.into());
        args.push(value.as_os_str().to_owned());
    }
    args
}

/// `(status, count)` of every import source, for the log.
async fn source_states(db: &Db) -> Vec<(String, i64)> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM import_sources GROUP BY status ORDER BY status")
        .fetch_all(db.pool())
        .await
        .expect("source states");
    rows.iter().map(|r| (r.get("status"), r.get("n"))).collect()
}

/// One column of every row of a query, as text.
async fn column(db: &Db, sql: &str) -> BTreeSet<String> {
    let rows = sqlx::query(sql).fetch_all(db.pool()).await.expect(sql);
    rows.iter().map(|r| r.get::<String, _>(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_during_twenty_imports_loses_nothing() {
    let seed = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_129);
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let data = db.dir().join("data");
    let config_file = db.dir().join("seqstore.toml");
    std::fs::write(&config_file, format!("[database]\nurl = \"{}\"\n\n{WORKER}", db.url)).expect("config");
    let args = args(&data, &root, &config_file);

    let mut expected = Vec::new();
    for i in 0..JOBS {
        // From about 30 kB (done in a round) to 600 kB (killed several times) of gzip.
        let text = fastq(1000 + i, 300 + 300 * i as usize, 150, None);
        let gz = gzip(&text);
        let uri = write(&root, &format!("r{i}.fq.gz"), &gz);
        expected.push((uri, md5(&text), gz));
    }

    let mut serve = Serve::start_on(&args, &db.storage);
    let client = sdk(&serve.endpoint, DEV_KEY);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let mut jobs = Vec::new();
    for (uri, _, _) in &expected {
        let job = client
            .start_read_set_import_job()
            .sequence_store_id(&store)
            .role_arn(DEV_ROLE)
            .sources(source(uri, None))
            .send()
            .await
            .expect("start");
        jobs.push(job.id().to_owned());
    }
    let meta = Db::connect(&db.url).await.expect("database");
    eprintln!("crash safety: seed {seed}, {JOBS} jobs submitted at {:?}", started.elapsed());
    for round in 1..=ROUNDS {
        let delay = Duration::from_millis(200 + rng.next_u64() % 3300);
        tokio::time::sleep(delay).await;
        serve.kill();
        // Sometimes another machine takes over: a new node id, so the leases must expire first.
        let new_node = rng.next_u64() % 10 < 3;
        if new_node {
            std::fs::remove_file(data.join("node-id")).expect("node id");
        }
        let states = source_states(&meta).await;
        eprintln!(
            "crash safety: round {round}: SIGKILL after {} ms{}; sources {states:?}",
            delay.as_millis(),
            if new_node { ", restarting as a new node" } else { "" }
        );
        serve = Serve::start_on(&args, &db.storage);
    }

    let client = sdk(&serve.endpoint, DEV_KEY);
    let mut read_sets = BTreeSet::new();
    for (job_id, (_, etag, gz)) in jobs.iter().zip(&expected) {
        let job = wait(&client, &store, job_id).await;
        assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
        let item = &job.sources()[0];
        assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{item:?}");
        let id = item.read_set_id().expect("read set").to_owned();
        let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&id).send().await.expect("metadata");
        assert_eq!(meta.etag().and_then(|e| e.source1()), Some(etag.as_str()), "ETag of {job_id}");
        let config = Config { data_dir: data.clone(), storage: db.storage.config.clone(), ..Config::default() };
        let bytes = stored_object(&config, &format!("{store}/readSet/{id}/source1")).await;
        assert!(bytes == *gz, "stored bytes of {job_id} are the source's");
        read_sets.insert(id);
    }
    eprintln!("crash safety: all jobs completed at {:?}", started.elapsed());

    let listed = client.list_read_sets().sequence_store_id(&store).max_results(100).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), JOBS as usize, "one read set per source");
    // No orphan object: every stored directory (on local disk, staging files included) is a
    // committed read set's.
    let config = Config { data_dir: data.clone(), storage: db.storage.config.clone(), ..Config::default() };
    let dirs = object_dirs(&config).await;
    let owners: BTreeSet<String> = dirs.iter().map(|(_, _, id)| id.clone()).collect();
    assert!(dirs.iter().all(|(s, kind, _)| s == &store && kind == "readSet"), "{dirs:?}");
    assert_eq!(owners, read_sets, "objects belong to committed read sets only");
    // No orphan row: read sets, sources, jobs and tags all agree.
    assert_eq!(column(&meta, "SELECT id FROM read_sets").await, read_sets);
    assert_eq!(column(&meta, "SELECT read_set_id FROM import_sources WHERE status = 'FINISHED'").await, read_sets);
    assert_eq!(column(&meta, "SELECT DISTINCT status FROM import_sources").await, ["FINISHED".to_owned()].into());
    assert_eq!(column(&meta, "SELECT DISTINCT status FROM import_jobs").await, ["COMPLETED".to_owned()].into());
    let tagged = column(&meta, "SELECT DISTINCT resource_arn FROM tags WHERE resource_arn LIKE '%/readSet/%'").await;
    let tagged: BTreeSet<String> = tagged.iter().filter_map(|arn| arn.rsplit('/').next().map(str::to_owned)).collect();
    assert_eq!(tagged, read_sets, "tags of committed read sets only");
    assert_eq!(column(&meta, "SELECT id FROM uploads").await, BTreeSet::new());
    meta.close().await;
    serve.terminate();
    eprintln!("crash safety: done in {:?}", started.elapsed());
}
