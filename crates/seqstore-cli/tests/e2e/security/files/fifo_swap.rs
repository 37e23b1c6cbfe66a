//! A symlink inside the file root that a background thread keeps flipping between a regular file
//! and a FIFO, imported again and again by a real `seqstore serve` (issue 19, item 2). Opening the
//! FIFO after the regular file was checked used to block a worker in `open()` for good: with all
//! workers blocked, new jobs of every account stayed SUBMITTED and SIGTERM did not stop the
//! process. Now every such import settles (FINISHED, or FAILED with the message of any unreadable
//! source), another account's import completes, and SIGTERM stops the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetImportJobItemStatus, ReadSetImportJobStatus};

use super::super::super::fastq_data::fastq;
use super::super::super::imports::{source, store, wait, write};
use super::super::super::support::{Backend, KEY_A, KEY_B, Serve, TestDb, sdk};

/// Imports of the flipping link.
const JOBS: usize = 40;
/// How long all of them may take to settle: far more than they need, far less than forever.
const SETTLE: Duration = Duration::from_secs(90);

/// Flips `link` between `file` and `fifo` (an atomic rename of a fresh link each time) until
/// stopped; returns the number of flips.
struct Flipper {
    stop: Arc<AtomicBool>,
    flips: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Flipper {
    fn start(link: PathBuf, file: PathBuf, fifo: PathBuf) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flips = Arc::new(AtomicU64::new(0));
        let (stopped, counted) = (Arc::clone(&stop), Arc::clone(&flips));
        let thread = std::thread::spawn(move || {
            let next = link.with_extension("next");
            let mut n = 0u64;
            while !stopped.load(Ordering::Relaxed) {
                let target = if n.is_multiple_of(2) { &fifo } else { &file };
                let _ = std::fs::remove_file(&next);
                let flipped = std::os::unix::fs::symlink(target, &next).and_then(|()| std::fs::rename(&next, &link));
                if flipped.is_err() {
                    // The test ended and its directory is gone.
                    break;
                }
                n += 1;
                counted.store(n, Ordering::Relaxed);
                std::thread::yield_now();
            }
        });
        Self { stop, flips, thread: Some(thread) }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().expect("running").join().expect("flipper");
        self.flips.load(Ordering::Relaxed)
    }
}

impl Drop for Flipper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// `seqstore serve` arguments: two accounts, two workers, `root` as the file root.
fn serve_args(db: &TestDb, root: &Path) -> Vec<std::ffi::OsString> {
    let config = db.dir().join("seqstore.toml");
    // Room for every job at once: the per-account quota must not be what stops them.
    let mut toml =
        format!("[database]\nurl = \"{}\"\n\n[worker]\ncount = 2\n\n[quotas]\nconcurrent_import_jobs = 100\n", db.url);
    for (id, secret, account) in [KEY_A, KEY_B] {
        toml.push_str(&format!(
            "\n[[auth.keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n"
        ));
    }
    std::fs::write(&config, toml).expect("config");
    let mut args: Vec<std::ffi::OsString> = vec!["--listen".into(), "127.0.0.1:0".into()];
    for (flag, value) in
        [("--data-dir", &db.dir().join("data")), ("--file-root", &root.to_owned()), ("--config", &config)]
    {
        args.push(flag.into());
        args.push(value.as_os_str().to_owned());
    }
    args
}

/// Starts an import of `uri` into `store` with the role of `account`.
async fn submit(client: &Client, store: &str, account: &str, uri: &str) -> String {
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(store)
        .role_arn(format!("arn:aws:iam::{account}:role/Import"))
        .sources(source(uri, None))
        .send()
        .await
        .expect("start");
    job.id().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_flipped_to_a_fifo_blocks_no_worker_and_sigterm_still_stops_the_server() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let data = fastq(11, 20, 50, None);
    write(&root, "real.fq", &data);
    let fifo = root.join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let link = root.join("flip.fq");
    std::os::unix::fs::symlink(root.join("real.fq"), &link).expect("link");
    let serve = Serve::start_on(&serve_args(&db, &root), &db.storage);
    let client_a = sdk(&serve.endpoint, KEY_A);
    let store_a = store(&client_a, ETagAlgorithmFamily::Md5Up).await;

    let flipper = Flipper::start(link.clone(), root.join("real.fq"), fifo);
    let uri = format!("file://{}", link.display());
    let mut jobs = Vec::new();
    for _ in 0..JOBS {
        jobs.push(submit(&client_a, &store_a, KEY_A.2, &uri).await);
    }
    let deadline = Instant::now() + SETTLE;
    let (mut finished, mut failed) = (0, 0);
    for job in &jobs {
        let settled = loop {
            let out = client_a.get_read_set_import_job().sequence_store_id(&store_a).id(job).send().await.expect("job");
            if !matches!(out.status(), ReadSetImportJobStatus::Submitted | ReadSetImportJobStatus::InProgress) {
                break out;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} is still {:?} after {SETTLE:?}: a worker is stuck ({finished} finished, {failed} failed before)",
                out.status()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let item = &settled.sources()[0];
        match item.status() {
            ReadSetImportJobItemStatus::Finished => finished += 1,
            ReadSetImportJobItemStatus::Failed => {
                let message = item.status_message().unwrap_or_default();
                assert!(message.starts_with(&format!("source1: {uri} ")), "{message}");
                failed += 1;
            }
            other => panic!("job {job}: source {other:?}"),
        }
    }
    let flips = flipper.stop();
    eprintln!("fifo swap: {JOBS} imports of a link flipped {flips} times: {finished} finished, {failed} failed");

    // The workers are free: an import of another account completes.
    let client_b = sdk(&serve.endpoint, KEY_B);
    let store_b = store(&client_b, ETagAlgorithmFamily::Md5Up).await;
    let good = write(&root, "good.fq", &data);
    let job = submit(&client_b, &store_b, KEY_B.2, &good).await;
    let done = wait(&client_b, &store_b, &job).await;
    assert_eq!(done.status(), &ReadSetImportJobStatus::Completed, "{done:?}");

    // And SIGTERM stops the process (Serve::terminate fails the test if it does not).
    let status = serve.terminate();
    assert!(status.success(), "seqstore exited with {status:?}");
}
