//! Scale-out: two `seqstore serve` processes on different ports sharing one PostgreSQL database and
//! one S3 bucket (moto). Jobs submitted to both complete with one read set per source, each source
//! processed by one process; the shared quota holds under concurrent submissions; a process killed
//! with SIGKILL or frozen with SIGSTOP past its leases is taken over without a duplicate, partial or
//! orphaned read set or object; what one process writes the other reads at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetImportJobItemStatus, ReadSetImportJobStatus};
use futures_util::TryStreamExt;
use object_store::ObjectStore;
use sqlx::Row;

use super::fastq_data::{fastq, gzip, md5};
use super::imports::{ROLE_A, source, store, wait, write};
use super::s3::S3Server;
use super::support::{Backend, KEY_A, Serve, TestDb, TestStorage, code, sdk};

/// One deployment: a PostgreSQL database, a bucket on moto, a directory of sources both processes
/// may read, and the processes' own data directories (each holds only its node id).
struct Cluster {
    db: TestDb,
    s3: S3Server,
    bucket: String,
    root: PathBuf,
    dir: tempfile::TempDir,
}

impl Cluster {
    async fn new() -> Option<Self> {
        let db = TestDb::new(Backend::Postgres).await?;
        let s3 = S3Server::start().await?;
        let bucket = format!("cluster-{}", uuid::Uuid::new_v4().simple());
        s3.create_bucket(&bucket);
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path().join("sources");
        std::fs::create_dir(&root).expect("sources");
        Some(Self { db, s3, bucket, root, dir })
    }

    /// Starts process `name` with `extra` TOML appended to the shared configuration.
    fn serve(&self, name: &str, worker: &str, quotas: &str) -> Node {
        let data = self.dir.path().join(name);
        let config = self.dir.path().join(format!("{name}.toml"));
        let (id, secret, account) = KEY_A;
        let text = format!(
            "[database]\nurl = \"{db}\"\n\n[[auth.keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\n\
             account_id = \"{account}\"\n\n[sources]\nfile_roots = [\"{root}\"]\n\n[storage]\nkind = \"s3\"\n\
             bucket = \"{bucket}\"\nprefix = \"data\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\n\
             path_style = true\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\n\n[worker]\n{worker}\n\n\
             [quotas]\n{quotas}\n",
            db = self.db.url,
            root = self.root.display(),
            bucket = self.bucket,
            endpoint = self.s3.endpoint,
        );
        std::fs::write(&config, text).expect("config");
        // The configuration file names the cluster's bucket: no storage from the test switches.
        let no_override = TestStorage::local();
        let serve = Serve::start_on(
            &[
                "--listen".as_ref(),
                "127.0.0.1:0".as_ref(),
                "--config".as_ref(),
                config.as_os_str(),
                "--data-dir".as_ref(),
                data.as_os_str(),
            ],
            &no_override,
        );
        let node_id = std::fs::read_to_string(data.join("node-id")).expect("node id").trim().to_owned();
        let client = sdk(&serve.endpoint, KEY_A);
        Node { serve, node_id, client }
    }

    /// Every object key in the bucket.
    async fn objects(&self) -> BTreeSet<String> {
        let store = self.s3.client(&self.bucket);
        let metas: Vec<_> = store.list(None).try_collect().await.expect("list bucket");
        metas.into_iter().map(|m| m.location.to_string()).collect()
    }

    /// `(job, source index) -> (status, generation, settled_by, read set)` from the job records.
    async fn sources(&self) -> BTreeMap<(String, i64), (String, i64, Option<String>, Option<String>)> {
        let pool = sqlx::PgPool::connect(&self.db.url).await.expect("connect");
        let rows = sqlx::query("SELECT job_id, idx, status, generation, settled_by, read_set_id FROM import_sources")
            .fetch_all(&pool)
            .await
            .expect("sources");
        pool.close().await;
        rows.iter()
            .map(|r| {
                let key = (r.get("job_id"), r.get("idx"));
                (key, (r.get("status"), r.get("generation"), r.get("settled_by"), r.get("read_set_id")))
            })
            .collect()
    }

    /// Waits until some source is IN_PROGRESS under `owner` with bytes read.
    async fn wait_for_lease(&self, owner: &str) {
        let pool = sqlx::PgPool::connect(&self.db.url).await.expect("connect");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM import_sources WHERE status = 'IN_PROGRESS' AND lease_owner = $1 \
                 AND bytes_processed > 0",
            )
            .bind(owner)
            .fetch_one(&pool)
            .await
            .expect("poll");
            if row.get::<i64, _>("n") > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "{owner} never held a lease with progress");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        pool.close().await;
    }

    fn source_file(&self, name: &str, seed: u64, reads: usize) -> (String, Vec<u8>) {
        let text = fastq(seed, reads, 150, None);
        (write(&self.root, name, &gzip(&text)), text)
    }
}

/// A running process of the cluster.
struct Node {
    serve: Serve,
    node_id: String,
    client: Client,
}

/// The read set object keys the store's committed read sets own, and every object in the bucket:
/// equal when nothing partial or orphaned remains.
async fn check_objects(cluster: &Cluster, client: &Client, store: &str, read_sets: &BTreeSet<String>) {
    let objects = cluster.objects().await;
    let owners: BTreeSet<String> = objects.iter().filter_map(|key| key.split('/').nth(3).map(str::to_owned)).collect();
    assert_eq!(&owners, read_sets, "objects belong to committed read sets only: {objects:#?}");
    for id in read_sets {
        let meta = client.get_read_set_metadata().sequence_store_id(store).id(id).send().await.expect("metadata");
        let file = meta.files().and_then(|f| f.source1()).expect("source1");
        let key = format!("data/{store}/readSet/{id}/source1");
        assert!(objects.contains(&key), "{key} is stored ({:?} bytes)", file.content_length());
    }
}

async fn wait_all(client: &Client, store: &str, jobs: &[String]) -> Vec<String> {
    let mut read_sets = Vec::new();
    for job in jobs {
        let out = wait(client, store, job).await;
        assert_eq!(out.status(), &ReadSetImportJobStatus::Completed, "{out:?}");
        for item in out.sources() {
            assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{item:?}");
            read_sets.push(item.read_set_id().expect("read set").to_owned());
        }
    }
    read_sets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_jobs_on_two_processes_complete_once_each_and_reads_follow_writes() {
    let Some(cluster) = Cluster::new().await else { return };
    let worker = "count = 2\nlease_seconds = 10\nthrottle_bytes_per_sec = 2000000";
    let quotas = "concurrent_import_jobs = 30";
    let (a, b) = (cluster.serve("a", worker, quotas), cluster.serve("b", worker, quotas));

    // Read-after-write: a store created through A is at once visible through B, and back.
    let store = store(&a.client, ETagAlgorithmFamily::Md5Up).await;
    b.client.get_sequence_store().id(&store).send().await.expect("B reads A's store at once");
    let tagged = b.client.get_sequence_store().id(&store).send().await.expect("store").arn().to_owned();
    b.client.tag_resource().resource_arn(&tagged).tags("by", "b").send().await.expect("tag via B");
    let tags = a.client.list_tags_for_resource().resource_arn(&tagged).send().await.expect("tags via A");
    assert_eq!(tags.tags().get("by").map(String::as_str), Some("b"));

    let mut jobs = Vec::new();
    let mut expected = BTreeMap::new();
    for i in 0..30 {
        let (uri, text) = cluster.source_file(&format!("r{i}.fq.gz"), 100 + i, 800);
        let client = if i % 2 == 0 { &a.client } else { &b.client };
        let job = client
            .start_read_set_import_job()
            .sequence_store_id(&store)
            .role_arn(ROLE_A)
            .sources(source(&uri, None))
            .send()
            .await
            .unwrap_or_else(|e| panic!("job {i}: {e:?}"));
        expected.insert(job.id().to_owned(), md5(&text));
        jobs.push(job.id().to_owned());
    }
    let read_sets = wait_all(&a.client, &store, &jobs).await;
    assert_eq!(read_sets.iter().collect::<BTreeSet<_>>().len(), 30, "one read set per source");
    for (job, id) in jobs.iter().zip(&read_sets) {
        // Written by whichever process, read through B at once.
        let meta = b.client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("meta");
        assert_eq!(meta.etag().and_then(|e| e.source1()), Some(expected[job].as_str()));
    }
    let sources = cluster.sources().await;
    let nodes: BTreeSet<&str> = [a.node_id.as_str(), b.node_id.as_str()].into();
    let mut by_node = BTreeMap::new();
    for ((job, _), (status, generation, settled_by, _)) in &sources {
        assert_eq!((status.as_str(), *generation), ("FINISHED", 1), "{job}: claimed once, by one process");
        let node = settled_by.as_deref().expect("settled by a node");
        assert!(nodes.contains(node), "{node}");
        *by_node.entry(node.to_owned()).or_insert(0) += 1;
    }
    eprintln!("sources settled per process: {by_node:?}");
    assert_eq!(by_node.len(), 2, "both processes imported: {by_node:?}");
    let listed = b.client.list_read_sets().sequence_store_id(&store).max_results(100).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 30);
    check_objects(&cluster, &a.client, &store, &read_sets.into_iter().collect()).await;
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_submissions_over_two_processes_accept_exactly_twenty() {
    let Some(cluster) = Cluster::new().await else { return };
    // Imports crawl, so no job finishes during the burst; the default quota of 20 applies.
    let worker = "count = 1\nlease_seconds = 10\nthrottle_bytes_per_sec = 1000";
    let (a, b) = (cluster.serve("a", worker, ""), cluster.serve("b", worker, ""));
    let store = store(&a.client, ETagAlgorithmFamily::Md5Up).await;
    let (uri, _) = cluster.source_file("r.fq.gz", 1, 200);
    let submissions = (0..40).map(|i| {
        let client = if i % 2 == 0 { a.client.clone() } else { b.client.clone() };
        let (store, uri) = (store.clone(), uri.clone());
        tokio::spawn(async move {
            client
                .start_read_set_import_job()
                .sequence_store_id(store)
                .role_arn(ROLE_A)
                .sources(source(&uri, None))
                .send()
                .await
                .map_err(|e| code(&e))
        })
    });
    let results = futures_util::future::join_all(submissions).await;
    let accepted = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().expect("task").as_ref().err()).collect();
    assert_eq!(accepted, 20, "{refused:?}");
    assert!(refused.iter().all(|c| c.as_str() == "ServiceQuotaExceededException"), "{refused:?}");
    drop((a, b));
}

/// Jobs of `n` single-source throttled imports submitted through `client`.
async fn throttled_jobs(cluster: &Cluster, client: &Client, store: &str, n: u64) -> (Vec<String>, Vec<Vec<u8>>) {
    let (mut jobs, mut texts) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (uri, text) = cluster.source_file(&format!("slow{i}.fq.gz"), 500 + i, 6000);
        let job = client
            .start_read_set_import_job()
            .sequence_store_id(store)
            .role_arn(ROLE_A)
            .sources(source(&uri, None))
            .send()
            .await
            .expect("start");
        jobs.push(job.id().to_owned());
        texts.push(text);
    }
    (jobs, texts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_is_taken_over_after_lease_expiry() {
    let Some(cluster) = Cluster::new().await else { return };
    // About 1.3 MB of gzip per source at 300 kB/s: several seconds per import.
    let slow = "count = 2\nlease_seconds = 3\nthrottle_bytes_per_sec = 300000";
    let a = cluster.serve("a", slow, "");
    let store = store(&a.client, ETagAlgorithmFamily::Md5Up).await;
    let (jobs, texts) = throttled_jobs(&cluster, &a.client, &store, 2).await;
    cluster.wait_for_lease(&a.node_id).await;
    let b = cluster.serve("b", "count = 2\nlease_seconds = 3", "");
    a.serve.kill();

    let read_sets = wait_all(&b.client, &store, &jobs).await;
    for (id, text) in read_sets.iter().zip(&texts) {
        let meta = b.client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("meta");
        assert_eq!(meta.etag().and_then(|e| e.source1()), Some(md5(text).as_str()), "complete content");
    }
    let sources = cluster.sources().await;
    let taken = sources.values().filter(|(_, generation, by, _)| *generation > 1 && by.as_deref() == Some(&b.node_id));
    assert!(taken.count() >= 1, "B took over A's interrupted sources: {sources:?}");
    for (status, _, by, _) in sources.values() {
        assert_eq!((status.as_str(), by.as_deref()), ("FINISHED", Some(b.node_id.as_str())), "{sources:?}");
    }
    // The killed attempts' writes never completed, so no object of theirs is visible; a restarted
    // A (whose start-up sweep runs) finds nothing to remove either.
    check_objects(&cluster, &b.client, &store, &read_sets.iter().cloned().collect()).await;
    let a = cluster.serve("a", slow, "");
    check_objects(&cluster, &b.client, &store, &read_sets.iter().cloned().collect()).await;
    let listed = a.client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 2, "no duplicate read set");
    drop((a, b));
}

/// Sends `signal` to `pid`.
fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill");
    assert!(status.success(), "kill {signal} {pid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_process_cannot_commit_after_the_takeover() {
    let Some(cluster) = Cluster::new().await else { return };
    let slow = "count = 1\nlease_seconds = 3\nthrottle_bytes_per_sec = 300000";
    let a = cluster.serve("a", slow, "");
    let store = store(&a.client, ETagAlgorithmFamily::Md5Up).await;
    let (jobs, texts) = throttled_jobs(&cluster, &a.client, &store, 1).await;
    cluster.wait_for_lease(&a.node_id).await;
    signal(a.serve.pid(), "-STOP");
    let b = cluster.serve("b", "count = 1\nlease_seconds = 3", "");
    let read_sets = wait_all(&b.client, &store, &jobs).await;
    // A resumes after B committed: its lease generation is gone, so its attempt commits nothing.
    signal(a.serve.pid(), "-CONT");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let sources = cluster.sources().await;
    let (status, generation, by, read_set) = sources.values().next().expect("the source").clone();
    assert_eq!((status.as_str(), by.as_deref()), ("FINISHED", Some(b.node_id.as_str())));
    assert!(generation >= 2, "B's claim has a later generation");
    assert_eq!(read_set.as_deref(), Some(read_sets[0].as_str()));
    let listed = a.client.list_read_sets().sequence_store_id(&store).send().await.expect("list via A");
    assert_eq!(listed.read_sets().len(), 1, "exactly one read set");
    let meta = a.client.get_read_set_metadata().sequence_store_id(&store).id(&read_sets[0]).send().await;
    assert_eq!(meta.expect("meta").etag().and_then(|e| e.source1()), Some(md5(&texts[0]).as_str()));
    check_objects(&cluster, &a.client, &store, &read_sets.iter().cloned().collect()).await;
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_backup_restores_into_a_new_database_and_bucket() {
    let Some(cluster) = Cluster::new().await else { return };
    let a = cluster.serve("a", "count = 2\nlease_seconds = 10", "");
    let (store, ids) = super::backup::populate(&a.client, &cluster.root, ROLE_A).await;
    let before = super::backup::snapshot(&a.client, &store, &ids).await;
    drop(a);

    let Some(restored) = Cluster::new().await else { return };
    let backup = cluster.dir.path().join("backup");
    let venv = std::env::var_os("TEST_VENV")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"), PathBuf::from);
    let script = |action: &str, from: &Cluster| {
        let mut command = std::process::Command::new(super::backup::script(action));
        command
            .arg("cluster")
            .arg(&backup)
            .env("DATABASE_URL", &from.db.url)
            .env("S3_URI", format!("s3://{}/data", from.bucket))
            .env("S3_ENDPOINT_URL", &from.s3.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CLI", venv.join("bin/aws"));
        command
    };
    super::backup::run(&mut script("backup", &cluster));
    super::backup::run(&mut script("restore", &restored));
    let r = restored.serve("r", "count = 2\nlease_seconds = 10", "");
    assert_eq!(super::backup::snapshot(&r.client, &store, &ids).await, before, "same read sets after restore");
    drop(r);
}
