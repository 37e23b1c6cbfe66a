//! `seqstore verify` against the data of a `seqstore serve` process (local storage, or moto with
//! `SEQSTORE_TEST_STORAGE=s3`): a FASTQ pair, a BAM with its index and a gzip reference (with its
//! BGZF copy, `.fai` and `.gzi`) verify intact (exit 0); one flipped byte of a stored object and a
//! deleted object are reported by store, owner, file and key with a non-zero exit; `--store` limits
//! the check to one store; a data directory without a database is refused.

use std::process::Output;

use aws_sdk_omics::types::{ETagAlgorithmFamily, FileType, ReadSetImportJobStatus, ReferenceImportJobStatus};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use seqstore::config::Config;
use seqstore::config::StorageKind;

use super::aligned_failures::{aligned_source, copy_in};
use super::fastq_data::{fastq, gzip};
use super::imports::{source, store, wait, write};
use super::references::{fasta, ref_source, reference_store};
use super::support::{Serve, TestStorage, data_store, sdk, seqstore_command, storage_kind, stored_object};

const DEV_ROLE: &str = "arn:aws:iam::123456789012:role/Import";

/// Runs `seqstore verify ARGS` on `storage` and returns its output.
fn verify(args: &[&std::ffi::OsStr], storage: &TestStorage) -> Output {
    let output = seqstore_command().arg("verify").args(args).envs(storage.env()).output().expect("run seqstore verify");
    eprintln!(
        "seqstore verify {args:?}: {}\nstdout:\n{}stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_a_flipped_byte_and_a_missing_object() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, data) = (dir.path().join("sources"), dir.path().join("data"));
    std::fs::create_dir(&root).expect("root");
    let storage = TestStorage::new();
    let listen: [&std::ffi::OsStr; 2] = ["--listen".as_ref(), "127.0.0.1:0".as_ref()];
    let dirs: [&std::ffi::OsStr; 4] =
        ["--data-dir".as_ref(), data.as_os_str(), "--file-root".as_ref(), root.as_os_str()];
    let serve = Serve::start_on(&[&listen[..], &dirs[..]].concat(), &storage);
    let client = sdk(&serve.endpoint, ("AKIDDEV", "dev", ""));

    // A FASTQ pair and a coordinate-sorted BAM (with its index) in one store, FASTQ in another.
    let reads = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let other = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let r1 = write(&root, "r1.fq.gz", &gzip(&fastq(31, 2000, 100, Some(1))));
    let r2 = write(&root, "r2.fq.gz", &gzip(&fastq(32, 2000, 100, Some(2))));
    let (_, bam) = copy_in(&root, "hts-specs/bam/level-1.bam", "level-1.bam");
    let mut ids = Vec::new();
    for (store, item) in [
        (&reads, source(&r1, Some(&r2))),
        (&reads, aligned_source(&bam, FileType::Bam, None)),
        (&other, source(&r1, None)),
    ] {
        let job = client
            .start_read_set_import_job()
            .sequence_store_id(store)
            .role_arn(DEV_ROLE)
            .sources(item)
            .send()
            .await
            .expect("start");
        let job = wait(&client, store, job.id()).await;
        assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
        ids.push(job.sources()[0].read_set_id().expect("read set").to_owned());
    }
    let genomes = reference_store(&client).await;
    let genome = write(&root, "genome.fa.gz", &gzip(&fasta(33, &[("chr1", 5000, 60), ("chr2", 3000, 70)])));
    let job = client
        .start_reference_import_job()
        .reference_store_id(&genomes)
        .role_arn(DEV_ROLE)
        .sources(ref_source(&genome, "genome"))
        .send()
        .await
        .expect("start reference import");
    let job = loop {
        let out =
            client.get_reference_import_job().reference_store_id(&genomes).id(job.id()).send().await.expect("job");
        if !matches!(out.status(), ReferenceImportJobStatus::Submitted | ReferenceImportJobStatus::InProgress) {
            break out;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(job.status(), &ReferenceImportJobStatus::Completed, "{job:?}");
    let reference = job.sources()[0].reference_id().expect("reference").to_owned();

    // Intact: source1 + source2, source1 + index, source1, and the reference's four files.
    let intact = verify(&dirs[..2], &storage);
    assert!(intact.status.success());
    assert!(stdout(&intact).contains("verified 9 objects"), "{}", stdout(&intact));
    assert!(stdout(&intact).contains("of 3 read sets and 1 reference: all intact"));
    assert!(String::from_utf8_lossy(&intact.stderr).contains("verify: 9 objects"), "progress on stderr");

    // One byte of the pair's source2 flipped (in place on local disk, by rewriting the object on
    // S3), the reference's .fai gone.
    let config = Config { data_dir: data.clone(), storage: storage.config.clone(), ..Config::default() };
    let flipped = format!("{reads}/readSet/{}/source2", ids[0]);
    let objects = data_store(&config);
    if storage_kind() == StorageKind::Local {
        use std::io::{Read, Seek, SeekFrom, Write};
        let path = data.join("objects").join(&flipped);
        let mut file = std::fs::OpenOptions::new().read(true).write(true).open(&path).expect("open object");
        let mut byte = [0u8];
        file.seek(SeekFrom::Start(1000)).and_then(|_| file.read_exact(&mut byte)).expect("read byte");
        file.seek(SeekFrom::Start(1000)).and_then(|_| file.write_all(&[byte[0] ^ 0x20])).expect("flip byte");
    } else {
        let mut bytes = stored_object(&config, &flipped).await;
        bytes[1000] ^= 0x20;
        objects.object_store().put(&Path::from(flipped.as_str()), PutPayload::from(bytes)).await.expect("rewrite");
    }
    let fai = format!("{genomes}/reference/{reference}/source.fai");
    objects.object_store().delete(&Path::from(fai.as_str())).await.expect("delete");

    let damaged = verify(&dirs[..2], &storage);
    assert_eq!(damaged.status.code(), Some(1), "non-zero exit");
    let report = stdout(&damaged);
    let read_set = ids[0].as_str();
    assert!(
        report.contains(&format!("DAMAGED store {reads} read set {read_set} file source2 key {flipped}: SHA-256 ")),
        "{report}"
    );
    assert!(
        report.contains(&format!("MISSING store {genomes} reference {reference} file index key {fai}")),
        "{report}"
    );
    assert!(report.contains("verified 9 objects") && report.contains("2 damaged or missing"), "{report}");
    assert!(String::from_utf8_lossy(&damaged.stderr).contains("2 of 9 stored objects are damaged or missing"));

    // Only the other store: intact. A data directory without a database: refused.
    let only = verify(&[&dirs[..2], &["--store".as_ref(), other.as_ref()][..]].concat(), &storage);
    assert!(only.status.success());
    assert!(stdout(&only).contains("verified 1 object (") && stdout(&only).contains("of 1 read set and 0 references"));
    let empty = dir.path().join("empty");
    let refused = verify(&["--data-dir".as_ref(), empty.as_os_str()], &storage);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no database at"));
    assert!(!empty.join("seqstore.db").exists(), "nothing created");
    drop(serve);
}
