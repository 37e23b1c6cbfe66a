//! Backup and restore with `scripts/backup` / `scripts/restore`, as the README describes them: the
//! embedded deployment (SQLite + local data directory) and the cluster deployment (PostgreSQL + S3)
//! are each backed up, restored into a fresh place, and served again with the same read sets.

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{ETagAlgorithmFamily, ReadSetFile, ReadSetImportJobStatus};

use super::fastq_data::{fastq, gzip};
use super::imports::{source, store, wait, write};
use super::support::{Serve, TestStorage, sdk};

const DEV_ROLE: &str = "arn:aws:iam::123456789012:role/Import";

pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts").join(name)
}

pub fn run(command: &mut Command) {
    let out = command.output().expect("run script");
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Imports a paired and a single FASTQ.gz into a new store; returns the store and read set ids.
pub async fn populate(client: &Client, root: &Path, role: &str) -> (String, Vec<String>) {
    let store = store(client, ETagAlgorithmFamily::Sha256Up).await;
    let r1 = write(root, "b1.fq.gz", &gzip(&fastq(61, 2000, 100, Some(1))));
    let r2 = write(root, "b2.fq.gz", &gzip(&fastq(62, 2000, 100, Some(2))));
    let single = write(root, "b3.fq.gz", &gzip(&fastq(63, 1500, 120, None)));
    let job = client
        .start_read_set_import_job()
        .sequence_store_id(&store)
        .role_arn(role)
        .sources(source(&r1, Some(&r2)))
        .sources(source(&single, None))
        .send()
        .await
        .expect("start");
    let job = wait(client, &store, job.id()).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let ids = job.sources().iter().map(|s| s.read_set_id().expect("read set").to_owned()).collect();
    (store, ids)
}

/// Everything a client can read about the read sets: metadata (without request ids) and bytes.
pub async fn snapshot(client: &Client, store: &str, ids: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for id in ids {
        let meta = client.get_read_set_metadata().sequence_store_id(store).id(id).send().await.expect("metadata");
        seen.push(format!(
            "{:?} {:?} {:?} {:?} {:?}",
            meta.id(),
            meta.status(),
            meta.sequence_information(),
            meta.etag(),
            meta.files()
        ));
        for file in [ReadSetFile::Source1, ReadSetFile::Source2] {
            let Ok(out) = client.get_read_set().sequence_store_id(store).id(id).file(file).part_number(1).send().await
            else {
                continue;
            };
            let bytes = out.payload.collect().await.expect("payload").into_bytes();
            seen.push(format!("{id} {} bytes, sha256 {}", bytes.len(), super::fastq_data::sha256(&bytes)));
        }
    }
    let listed = client.list_read_sets().sequence_store_id(store).send().await.expect("list");
    seen.push(format!("{} read sets listed", listed.read_sets().len()));
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_backup_restores_the_same_read_sets() {
    let dir = tempfile::tempdir().expect("dir");
    let (root, data, backup, restored) =
        (dir.path().join("sources"), dir.path().join("data"), dir.path().join("backup"), dir.path().join("restored"));
    std::fs::create_dir(&root).expect("root");
    // The embedded deployment keeps its objects in the data directory, whatever the test switches say.
    let local = TestStorage::local();
    let serve = |data: &Path| {
        Serve::start_on(
            &[
                "--listen".as_ref(),
                "127.0.0.1:0".as_ref(),
                "--data-dir".as_ref(),
                data.as_os_str(),
                "--file-root".as_ref(),
                root.as_os_str(),
            ],
            &local,
        )
    };
    let original = serve(&data);
    let client = sdk(&original.endpoint, ("AKIDDEV", "dev-secret", "123456789012"));
    let (store, ids) = populate(&client, &root, DEV_ROLE).await;
    let before = snapshot(&client, &store, &ids).await;
    assert!(original.terminate().success());

    run(Command::new(script("backup")).arg("embedded").arg(&data).arg(&backup));
    run(Command::new(script("restore")).arg("embedded").arg(&backup).arg(&restored));
    let again = serve(&restored);
    let client = sdk(&again.endpoint, ("AKIDDEV", "dev-secret", "123456789012"));
    assert_eq!(snapshot(&client, &store, &ids).await, before, "the restored deployment serves the same read sets");
    // The restore refuses to overwrite a directory that holds a database.
    let out = Command::new(script("restore")).arg("embedded").arg(&backup).arg(&restored).output().expect("run");
    assert!(!out.status.success());
}
