//! Header and decompression bombs (issue #19 point 1): BAM and CRAM files of a few megabytes that
//! declare or inflate to gigabytes of header text, reference sequences or block data. Each ends
//! FAILED with a message naming the limit and its key, `worker.count` of them at once, while the
//! real server process' peak RSS stays under 512 MiB; files whose headers come near the default
//! limits still import.

use aws_sdk_omics::types::{
    ETagAlgorithmFamily, FileType, ReadSetImportJobItemStatus, ReadSetImportJobStatus, StartReadSetImportJobSourceItem,
};

use crate::e2e::aligned_failures::{aligned_source, testdata};
use crate::e2e::bomb_data;
use crate::e2e::imports::{start, store, wait, write};
use crate::e2e::malformed::reference_arns;
use crate::e2e::references::reference_store;
use crate::e2e::support::{Backend, KEY_A, Serve, TestDb, sdk};
use crate::e2e::uploads::peak_rss;

/// The bound the issue sets on the server's peak RSS.
const PEAK_RSS_LIMIT: u64 = 512 * 1024 * 1024;
/// Imports run at once: every bomb is submitted this many times in one job.
const WORKERS: usize = 2;

/// One hostile file and what its FAILED message must contain (`None`: any terminal outcome).
struct Bomb {
    name: &'static str,
    bytes: Vec<u8>,
    file_type: FileType,
    expected: Option<&'static str>,
}

fn bombs() -> Vec<Bomb> {
    let bomb = |name, bytes, file_type, expected| Bomb { name, bytes, file_type, expected };
    vec![
        bomb(
            "text.bam",
            bomb_data::bam_text_bomb(),
            FileType::Bam,
            Some(
                "source1: the BAM header declares 1.5 GiB of SAM header text, over the 64 MiB limit \
                 (limits.max_alignment_header_bytes)",
            ),
        ),
        bomb(
            "references.bam",
            bomb_data::bam_reference_bomb(),
            FileType::Bam,
            Some(
                "source1: the BAM header declares 4000000 reference sequences, over the 1000000 limit \
                 (limits.max_reference_sequences)",
            ),
        ),
        bomb(
            "header.cram",
            bomb_data::cram_header_bomb(),
            FileType::Cram,
            Some(
                "source1: the header holds more SAM header text than the 64 MiB limit \
                 (limits.max_alignment_header_bytes)",
            ),
        ),
        bomb(
            "compression-header.cram",
            bomb_data::cram_compression_header_bomb(3, 1 << 30),
            FileType::Cram,
            Some("declares 1 GiB of block data, over the 256 MiB limit (limits.max_cram_block_bytes)"),
        ),
        // The same blocks declaring 1 MiB: inflated no further than that, whatever they hold.
        bomb(
            "lying-compression-header.cram",
            bomb_data::cram_compression_header_bomb(3, 1 << 20),
            FileType::Cram,
            None,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_and_decompression_bombs_fail_in_bounded_memory() {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = db.dir().join("sources");
    std::fs::create_dir(&root).expect("sources");
    let serve = Serve::with_key_a(&db, &db.dir().join("data"), &root, &format!("[worker]\ncount = {WORKERS}"));
    let client = sdk(&serve.endpoint, KEY_A);
    let ref_store = reference_store(&client).await;
    let ce = write(&root, "ce.fa", &std::fs::read(testdata("hts-specs/ref/ce.fa")).expect("ce.fa"));
    let ce = reference_arns(&client, &ref_store, &[("ce-reference", &ce)]).await.remove(0);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;

    let bombs = bombs();
    let mut jobs = Vec::new();
    for bomb in &bombs {
        eprintln!("bombs: {} is {} kB", bomb.name, bomb.bytes.len() / 1000);
        let uri = write(&root, bomb.name, &bomb.bytes);
        let reference = (bomb.file_type == FileType::Cram).then_some(ce.as_str());
        let sources: Vec<StartReadSetImportJobSourceItem> =
            (0..WORKERS).map(|_| aligned_source(&uri, bomb.file_type.clone(), reference)).collect();
        jobs.push(start(&client, &store, sources).await);
    }
    for (bomb, job) in bombs.iter().zip(&jobs) {
        let job = wait(&client, &store, job).await;
        for item in job.sources() {
            let message = item.status_message().unwrap_or_default();
            eprintln!("bombs: {}: {:?} {message:?}", bomb.name, item.status());
            if let Some(expected) = bomb.expected {
                assert_eq!(item.status(), &ReadSetImportJobItemStatus::Failed, "{}: {item:?}", bomb.name);
                assert!(message.contains(expected), "{}: {message:?} lacks {expected:?}", bomb.name);
            }
        }
    }
    let peak = peak_rss(serve.pid());
    eprintln!("bombs: server peak RSS {} MiB", peak >> 20);
    assert!(peak < PEAK_RSS_LIMIT, "peak RSS {} MiB", peak >> 20);

    // Legitimate files with 60 MiB of header text (under the 64 MiB default) still import.
    let ubam = std::fs::read(testdata("derived/r1r2.ubam.bam")).expect("uBAM");
    let large_ubam = write(&root, "large-header.ubam", &bomb_data::bam_with_large_header(&ubam, 60 << 20));
    let cram = std::fs::read(testdata("hts-specs/cram3.0/passed/0500_mapped.cram")).expect("CRAM");
    let sam = std::fs::read_to_string(testdata("hts-specs/cram3.0/passed/0500_mapped.sam")).expect("SAM");
    let text: String = sam.lines().filter(|l| l.starts_with('@')).map(|l| format!("{l}\n")).collect();
    let records = sam.lines().filter(|l| !l.starts_with('@')).count() as i64;
    let large_cram = bomb_data::cram_with_large_header(&cram, text.as_bytes(), 60 << 20);
    let large_cram = write(&root, "large-header.cram", &large_cram);
    let sources =
        vec![aligned_source(&large_ubam, FileType::Ubam, None), aligned_source(&large_cram, FileType::Cram, Some(&ce))];
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let mut counts = Vec::new();
    for item in job.sources() {
        let id = item.read_set_id().expect("read set");
        let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("metadata");
        counts.push(meta.sequence_information().and_then(|s| s.total_read_count()).unwrap_or_default());
    }
    assert_eq!(counts, vec![10, records], "uBAM and CRAM read counts");
    serve.terminate();
}
