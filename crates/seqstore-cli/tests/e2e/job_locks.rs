//! Lock order of the job engine on PostgreSQL: with several jobs of many small sources in flight
//! and two processes' workers claiming, renewing and settling their sources at once, no transaction
//! waits for another in a cycle (`pg_stat_database.deadlocks` of the test database does not grow),
//! and every job ends COMPLETED.

use std::time::Duration;

use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetImportJobItemStatus, ReadSetImportJobStatus};
use sqlx::Row;

use super::fastq_data::fastq;
use super::imports::{import_config, source, start, store, wait, write};
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};

/// Jobs in flight at once.
const JOBS: usize = 4;
/// Sources of each job (the default `quotas.sources_per_job`).
const SOURCES: usize = 100;

/// Deadlocks PostgreSQL counted in the database of `url` so far.
async fn deadlocks(url: &str) -> i64 {
    let pool = sqlx::PgPool::connect(url).await.expect("connect");
    let row = sqlx::query("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(&pool)
        .await
        .expect("pg_stat_database");
    pool.close().await;
    row.get("deadlocks")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_sources_of_concurrent_jobs_settle_without_deadlocks() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let mut config = import_config(&db, &root);
    config.worker.count = 8;
    let before = deadlocks(&db.url).await;
    let server = TestServer::start(&config).await;
    // A second process on the same database (its own data directory, so its own node id).
    let mut second = config.clone();
    second.data_dir = db.dir().join("second");
    let other = TestServer::start(&second).await;
    let client = sdk(&server.endpoint, KEY_A);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let mut jobs = Vec::new();
    for j in 0..JOBS {
        let sources = (0..SOURCES)
            .map(|i| {
                let uri = write(&root, &format!("j{j}-s{i}.fq"), &fastq((j * SOURCES + i) as u64, 4, 50, None));
                source(&uri, None)
            })
            .collect();
        jobs.push(start(&client, &store, sources).await);
    }
    for job in &jobs {
        let out = wait(&client, &store, job).await;
        assert_eq!(out.status(), &ReadSetImportJobStatus::Completed, "{out:?}");
        assert_eq!(out.sources().len(), SOURCES);
        assert!(out.sources().iter().all(|s| s.status() == &ReadSetImportJobItemStatus::Finished), "{out:?}");
    }
    // Statistics reach pg_stat_database when a backend ends (or idles): stop the server, whose
    // connections close, and give the collector a moment.
    server.stop().await;
    other.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = deadlocks(&db.url).await;
    assert_eq!(after, before, "PostgreSQL detected {} deadlocks in the job engine", after - before);
}
