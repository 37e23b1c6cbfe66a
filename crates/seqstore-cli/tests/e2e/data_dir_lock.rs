//! One `seqstore serve` per data directory: a second `serve` on the directory of a running one
//! exits non-zero at once, naming the directory and the holder's PID, and leaves the first one's
//! import alone; `seqstore verify` and `scripts/backup` still run beside the holder; once the
//! holder is killed, a new `serve` starts on the directory (the stale lock file does not block).

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetImportJobItemStatus, ReadSetImportJobStatus};

use super::backup::script;
use super::fastq_data::{fastq, gzip};
use super::imports::{raw_job, source, store, wait, write};
use super::support::{Serve, TestStorage, sdk, seqstore_command};

const DEV_ROLE: &str = "arn:aws:iam::123456789012:role/Import";
const DEV_KEY: (&str, &str, &str) = ("AKIDDEV", "dev", "");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_a_locked_data_dir_exits_and_leaves_the_first_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, data) = (dir.path().join("sources"), dir.path().join("data"));
    std::fs::create_dir(&root).expect("root");
    let config = dir.path().join("seqstore.toml");
    // Throttled, so that the import is still running when the second process starts.
    std::fs::write(&config, "[worker]\ncount = 2\nlease_seconds = 30\nthrottle_bytes_per_sec = 300000\n")
        .expect("config");
    let storage = TestStorage::new();
    let first = Serve::start_on(&args(&data, &root, &config), &storage);
    let client = sdk(&first.endpoint, DEV_KEY);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let reads = write(&root, "r.fq.gz", &gzip(&fastq(71, 6000, 150, None)));
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(DEV_ROLE)
        .sources(source(&reads, None))
        .send()
        .await
        .expect("start");
    let job_id = job.id().to_owned();
    wait_in_progress(&first.endpoint, &store, &job_id).await;

    let node_id = std::fs::read_to_string(data.join("node-id")).expect("node id");
    let second = run_to_exit(seqstore_command().arg("serve").args(args(&data, &root, &config)).envs(storage.env()));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second serve fails: {stderr}");
    assert!(second.stdout.is_empty(), "the second serve never listened: {}", String::from_utf8_lossy(&second.stdout));
    assert!(stderr.contains(&format!("data directory `{}`", data.display())), "names the directory: {stderr}");
    assert!(stderr.contains(&format!("PID {}", first.pid())), "names the holder's PID: {stderr}");
    assert!(stderr.contains("--data-dir"), "says what to do: {stderr}");
    let lock = std::fs::read_to_string(data.join("seqstore.lock")).expect("lock file");
    assert_eq!(lock.trim(), first.pid().to_string(), "the lock file still names the first process");
    assert_eq!(std::fs::read_to_string(data.join("node-id")).expect("node id"), node_id);

    // The first process' import was not disturbed.
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    assert_eq!(job.sources()[0].status(), &ReadSetImportJobItemStatus::Finished, "{job:?}");
    let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 1, "one read set");

    // Readers of the directory run beside the holder of the lock.
    let verify = seqstore_command()
        .arg("verify")
        .arg("--data-dir")
        .arg(&data)
        .envs(storage.env())
        .output()
        .expect("run seqstore verify");
    assert!(verify.status.success(), "verify beside serve: {}", String::from_utf8_lossy(&verify.stderr));
    if storage.env().is_empty() {
        let backup = dir.path().join("backup");
        let out = Command::new(script("backup")).arg("embedded").arg(&data).arg(&backup).output().expect("backup");
        assert!(out.status.success(), "backup beside serve: {}", String::from_utf8_lossy(&out.stderr));
        assert!(backup.join("seqstore.db").is_file(), "the database is backed up");
    }

    // A crash releases the lock: the next serve starts on the directory despite the stale file.
    first.kill();
    let third = Serve::start_on(&args(&data, &root, &config), &storage);
    let lock = std::fs::read_to_string(data.join("seqstore.lock")).expect("lock file");
    assert_eq!(lock.trim(), third.pid().to_string(), "the lock file names the new holder");
    let client = sdk(&third.endpoint, DEV_KEY);
    client.list_sequence_stores().send().await.expect("the new process serves");
}

fn args(data: &Path, root: &Path, config: &Path) -> Vec<OsString> {
    vec![
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        data.into(),
        "--file-root".into(),
        root.into(),
        "--config".into(),
        config.into(),
    ]
}

/// Waits until the job's source is IN_PROGRESS with bytes read.
async fn wait_in_progress(endpoint: &str, store: &str, job: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = raw_job(endpoint, store, job).await;
        let source = &status["sources"][0];
        if source["status"] == "IN_PROGRESS" && source["bytesProcessed"].as_i64().unwrap_or(0) > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "import never seen in progress: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `command` and waits for it to exit; a process still running after 30 s (a second server
/// that started) is killed and fails the test.
fn run_to_exit(command: &mut Command) -> Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("reap");
            panic!(
                "the second serve is still running on a locked data directory: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}
