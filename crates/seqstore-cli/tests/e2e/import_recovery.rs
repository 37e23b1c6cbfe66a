//! Crash recovery: the server is killed with SIGKILL while a throttled import is in progress and
//! restarted on the same data directory; the job completes with exactly one read set per source,
//! correct ETags, and no orphan object. A job left unsettled after its last source (a stop between
//! the two commits) is settled by the restarted server.

use std::time::{Duration, Instant};

use aws_sdk_omics::operation::get_read_set_import_job::GetReadSetImportJobOutput;
use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetImportJobItemStatus, ReadSetImportJobStatus};

use seqstore::config::Config;
use seqstore::db::Db;

use super::fastq_data::{fastq, gzip, md5};
use super::imports::{ROLE_A, import_config, raw_job, source, store, wait, write};
use super::support::{
    Backend, KEY_A, Raw, Serve, TestDb, TestServer, TestStorage, on_both_backends, read_set_dirs, router, sdk, send,
};

const DEV_ROLE: &str = "arn:aws:iam::123456789012:role/Import";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_import_then_restart_completes_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("sources");
    std::fs::create_dir(&root).expect("root");
    let data = dir.path().join("data");
    let storage = TestStorage::new();
    let config = dir.path().join("seqstore.toml");
    std::fs::write(&config, "[worker]\ncount = 2\nlease_seconds = 30\nthrottle_bytes_per_sec = 400000\n")
        .expect("config");
    let args = |config: &std::path::Path| {
        vec![
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            data.clone().into_os_string(),
            "--file-root".into(),
            root.clone().into_os_string(),
            "--config".into(),
            config.as_os_str().to_owned(),
        ]
    };
    let texts: Vec<Vec<u8>> = (0..3).map(|i| fastq(40 + i, 3000, 150, None)).collect();
    let uris: Vec<String> =
        texts.iter().enumerate().map(|(i, t)| write(&root, &format!("r{i}.fq.gz"), &gzip(t))).collect();

    let first = Serve::start_on(&args(&config), &storage);
    let client = sdk(&first.endpoint, ("AKIDDEV", "dev", ""));
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(DEV_ROLE)
        .set_sources(Some(uris.iter().map(|u| source(u, None)).collect()))
        .send()
        .await
        .expect("start");
    let job_id = job.id().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = raw_job(&first.endpoint, &store, &job_id).await;
        let busy = job["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .any(|s| s["status"] == "IN_PROGRESS" && s["bytesProcessed"].as_i64().unwrap_or(0) > 0);
        if busy {
            break;
        }
        assert!(Instant::now() < deadline, "import never seen in progress: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    first.kill();

    // Restart without the throttle: the node resumes its own leases at once.
    let fast = dir.path().join("fast.toml");
    std::fs::write(&fast, "[worker]\ncount = 2\nlease_seconds = 600\n").expect("config");
    let second = Serve::start_on(&args(&fast), &storage);
    let client = sdk(&second.endpoint, ("AKIDDEV", "dev", ""));
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let mut ids = Vec::new();
    for (item, text) in job.sources().iter().zip(&texts) {
        assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished);
        let id = item.read_set_id().expect("read set").to_owned();
        let meta = client.get_read_set_metadata().sequence_store_id(&store).id(&id).send().await.expect("meta");
        assert_eq!(meta.etag().and_then(|e| e.source1()), Some(md5(text).as_str()));
        ids.push(id);
    }
    let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 3, "exactly one read set per source");
    let seen =
        seqstore::config::Config { data_dir: data.clone(), storage: storage.config.clone(), ..Default::default() };
    let dirs = read_set_dirs(&seen).await;
    ids.sort();
    assert_eq!(dirs, ids, "no orphan objects after the restart");
}

/// A server on `db` (`import_config`) that has imported one good and one bad FASTQ.
struct Finished {
    config: Config,
    server: TestServer,
    store: String,
    job: String,
    /// The job as it ended: COMPLETED_WITH_FAILURES.
    settled: GetReadSetImportJobOutput,
}

/// Starts a server on `db`, imports one good and one bad FASTQ and waits for the job's end.
async fn finished_job(db: &TestDb) -> Finished {
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("root");
    let config = import_config(db, &root);
    let server = TestServer::start(&config).await;
    let good = write(&root, "good.fq", &fastq(7, 20, 100, None));
    let bad = write(&root, "bad.fq", b"this is not a FASTQ file\n");
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let started = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(ROLE_A)
        .set_sources(Some(vec![source(&good, None), source(&bad, None)]))
        .send()
        .await
        .expect("start");
    let job = started.id().to_owned();
    let settled = wait(&client, &store, &job).await;
    assert_eq!(settled.status(), &ReadSetImportJobStatus::CompletedWithFailures, "{settled:?}");
    Finished { config, server, store, job, settled }
}

/// Sets job `id` back to what a stop between its last source's commit and its own settlement
/// leaves: IN_PROGRESS, every source settled.
async fn unsettle(db: &TestDb, id: &str) {
    let meta = Db::connect(&db.url).await.expect("connect");
    sqlx::query(
        "UPDATE import_jobs SET status = 'IN_PROGRESS', status_message = NULL, completion_ms = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(meta.pool())
    .await
    .expect("unsettle the job");
    meta.close().await;
}

/// `job` is settled again as it first was: COMPLETED_WITH_FAILURES, the same message, a
/// completion time.
fn assert_settled_again(job: &GetReadSetImportJobOutput, first: &GetReadSetImportJobOutput) {
    assert_eq!(job.status(), &ReadSetImportJobStatus::CompletedWithFailures, "{job:?}");
    assert_eq!(job.status_message(), first.status_message());
    assert!(job.completion_time().is_some());
}

/// Issue #28: a source's settlement commits without its job; the job is settled just after. A
/// server stopped in between leaves a job whose sources are all settled but which has not ended
/// (made here by setting a finished job back). The restarted server's start-up pass settles it,
/// with its sources' outcomes (one failed of two), on both backends.
async fn a_job_left_unsettled_is_settled_at_start_up(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let Finished { config, server, store, job, settled } = finished_job(&db).await;
    server.stop().await;
    unsettle(&db, &job).await;

    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let again = wait(&client, &store, &job).await;
    assert_settled_again(&again, &settled);
    let statuses: Vec<_> = again.sources().iter().map(|s| s.status().clone()).collect();
    assert_eq!(statuses, [ReadSetImportJobItemStatus::Finished, ReadSetImportJobItemStatus::Failed]);
    server.stop().await;
}

/// A cancellation that arrives between a job's last source's commit and the job's own settlement
/// finds every source settled: it settles the job (COMPLETED_WITH_FAILURES here) and is refused as
/// for any ended job, instead of turning a job whose sources all ended CANCELLED.
async fn a_cancel_after_the_last_source_settles_the_job(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let Finished { config, server, store, job, settled } = finished_job(&db).await;
    // The server runs on; its pass for such jobs runs at start-up and then once a minute.
    unsettle(&db, &job).await;
    // The cancellation extension (`POST …/importjob/{id}/cancel`, see `cancel.rs`), signed.
    let mut raw = Raw::new("POST", format!("/sequencestore/{store}/importjob/{job}/cancel"), "{}");
    raw.key = Some(KEY_A);
    let refused = send(&router(&config).await, raw.build()).await;
    assert_eq!((refused.status, refused.error_type()), (409, "ConflictException"), "{:?}", refused.json);
    let client = sdk(&server.endpoint, KEY_A);
    let after = client.get_read_set_import_job().sequence_store_id(&store).id(&job).send().await.expect("get");
    assert_settled_again(&after, &settled);
    server.stop().await;
}

on_both_backends!(a_job_left_unsettled_is_settled_at_start_up, a_cancel_after_the_last_source_settles_the_job);
