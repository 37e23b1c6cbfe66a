//! Bad BAM, uBAM and CRAM inputs end to end, one test each. Every bad source runs in a job beside a
//! good BAM (a copy of `hts-specs/bam/level-1.bam`): the bad one ends FAILED with its specific
//! message, the good one FINISHES, the job is COMPLETED_WITH_FAILURES, and nothing of the failed
//! source is left in storage or in ListReadSets.
//!
//! Also holds the helpers `aligned_generated` shares (test data, samtools, reference imports).

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, FileType, ReadSetImportJobItemStatus, ReadSetImportJobStatus, ReferenceImportJobItemStatus,
    ReferenceImportJobStatus, StartReadSetImportJobSourceItem, StartReferenceImportJobSourceItem,
};

use super::fastq_data::{bgzf, fastq};
use super::imports::{ROLE_A, import_config, raw_job, start, store, typed_source, wait, write};
use super::references::sequence_md5s;
use super::support::{Backend, KEY_A, TestDb, TestServer, in_ci, read_set_dirs, sdk};

/// A file of the test data (`testdata/` at the project root).
pub fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// True when samtools runs; under `CI=true` its absence fails the test instead of skipping it.
pub fn samtools_available() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || !in_ci(), "CI=true but samtools is not installed");
    if !found {
        eprintln!("skipping: samtools is not installed");
    }
    found
}

/// `samtools ARGS` stdout; REF_PATH and REF_CACHE point nowhere so htslib never goes to the
/// network (CRAM callers pass `-T REF`).
pub fn samtools(args: &[&str]) -> Vec<u8> {
    let out = Command::new("samtools")
        .args(args)
        .env("REF_PATH", "/nonexistent")
        .env("REF_CACHE", "/nonexistent")
        .output()
        .expect("run samtools");
    assert!(out.status.success(), "samtools {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `samtools ARGS` stdout parsed as one integer (`view -c`).
pub fn samtools_count(args: &[&str]) -> i64 {
    let text = String::from_utf8(samtools(args)).expect("utf-8");
    text.trim().parse().unwrap_or_else(|e| panic!("samtools {args:?} printed {text:?}: {e}"))
}

/// Copies a test file under `root` as `name` (sources must lie inside the file root) and returns
/// its path and URI.
pub fn copy_in(root: &Path, source: &str, name: &str) -> (PathBuf, String) {
    let from = testdata(source);
    let to = root.join(name);
    std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    let uri = format!("file://{}", to.display());
    (to, uri)
}

/// A source item of `file_type` with `referenceArn` set when given.
pub fn aligned_source(uri: &str, file_type: FileType, reference: Option<&str>) -> StartReadSetImportJobSourceItem {
    let mut item = typed_source(uri, None, file_type);
    item.reference_arn = reference.map(str::to_owned);
    item
}

/// Creates a reference store, imports each `(name, uri)` FASTA in one job, waits until it is
/// COMPLETED and returns the references' ARNs in order.
pub async fn import_references(client: &Client, fastas: &[(&str, &str)]) -> Vec<String> {
    let ref_store = client.create_reference_store().name("genomes").send().await.expect("reference store");
    let ref_store = ref_store.id().to_owned();
    let sources = fastas
        .iter()
        .map(|(name, uri)| {
            StartReferenceImportJobSourceItem::builder().source_file(*uri).name(*name).build().expect("source")
        })
        .collect();
    let job = client
        .start_reference_import_job()
        .reference_store_id(&ref_store)
        .role_arn(ROLE_A)
        .set_sources(Some(sources))
        .send()
        .await
        .expect("start reference import");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let job = loop {
        let out =
            client.get_reference_import_job().reference_store_id(&ref_store).id(job.id()).send().await.expect("get");
        if !matches!(out.status(), ReferenceImportJobStatus::Submitted | ReferenceImportJobStatus::InProgress) {
            break out;
        }
        assert!(std::time::Instant::now() < deadline, "reference import did not settle: {out:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(job.status(), &ReferenceImportJobStatus::Completed, "{job:?}");
    let mut arns = Vec::new();
    for item in job.sources() {
        assert_eq!(item.status(), &ReferenceImportJobItemStatus::Finished, "{item:?}");
        let id = item.reference_id().expect("referenceId once FINISHED");
        let meta = client.get_reference_metadata().reference_store_id(&ref_store).id(id).send().await.expect("meta");
        arns.push(meta.arn().to_owned());
    }
    arns
}

/// Which stored reference the bad source names.
#[derive(Clone, Copy)]
enum Reference {
    /// No `referenceArn`.
    None,
    /// `ce.fa` as shipped.
    Ce,
    /// `ce.fa` with one base of CHROMOSOME_I changed (imported beside the real one).
    MutatedCe,
}

/// What a bad case submits and the message expected in its `statusMessage` and `statusDetail`.
struct Bad {
    name: &'static str,
    bytes: Vec<u8>,
    file_type: FileType,
    reference: Reference,
    expected: String,
}

/// `ce.fa` with the first base of CHROMOSOME_I changed (G to T): same names and lengths, another
/// M5 for CHROMOSOME_I.
fn mutated_ce() -> Vec<u8> {
    let mut fasta = std::fs::read(testdata("hts-specs/ref/ce.fa")).expect("ce.fa");
    let first_base = fasta.iter().position(|&b| b == b'\n').expect("header line") + 1;
    assert_eq!(fasta[first_base], b'G', "ce.fa's CHROMOSOME_I starts with G");
    fasta[first_base] = b'T';
    fasta
}

/// Runs `case` beside the good BAM and checks the failure and that nothing of it remains.
async fn bad_aligned(case: Bad) {
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let config = import_config(&db, root.path());
    let server = TestServer::start(&config).await;
    let client = sdk(&server.endpoint, KEY_A);
    let reference = match case.reference {
        Reference::None => None,
        Reference::Ce => {
            let (_, ce) = copy_in(root.path(), "hts-specs/ref/ce.fa", "ce.fa");
            Some(import_references(&client, &[("ce-reference", &ce)]).await.remove(0))
        }
        Reference::MutatedCe => {
            let (_, ce) = copy_in(root.path(), "hts-specs/ref/ce.fa", "ce.fa");
            let mutated = write(root.path(), "ce-mutated.fa", &mutated_ce());
            Some(import_references(&client, &[("ce-reference", &ce), ("ce-mutated", &mutated)]).await.remove(1))
        }
    };
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let (_, good) = copy_in(root.path(), "hts-specs/bam/level-1.bam", "good.bam");
    let bad = write(root.path(), case.name, &case.bytes);
    let sources = vec![
        aligned_source(&bad, case.file_type.clone(), reference.as_deref()),
        aligned_source(&good, FileType::Bam, None),
    ];
    let job_id = start(&client, &store, sources).await;
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::CompletedWithFailures, "{job:?}");
    let (bad, good) = (&job.sources()[0], &job.sources()[1]);
    assert_eq!(bad.status(), &ReadSetImportJobItemStatus::Failed, "{bad:?}");
    let message = bad.status_message().unwrap_or_default();
    eprintln!("{}: statusMessage {message:?}", case.name);
    assert!(message.contains(&case.expected), "expected {:?} in {message:?}", case.expected);
    assert!(message.chars().count() <= 127 && !message.chars().any(char::is_control), "{message:?}");
    assert!(bad.read_set_id().is_none(), "{bad:?}");
    assert_eq!(good.status(), &ReadSetImportJobItemStatus::Finished, "{good:?}");
    let detail = raw_job(&server.endpoint, &store, &job_id).await;
    let detail = detail["sources"][0]["statusDetail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains(&case.expected), "expected {:?} in statusDetail {detail:?}", case.expected);
    let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 1, "only the good source's read set: {listed:?}");
    assert_eq!(listed.read_sets()[0].id(), good.read_set_id().expect("good read set"));
    let dirs = read_set_dirs(&config).await;
    assert_eq!(dirs.len(), 1, "nothing of the failed source is stored: {dirs:?}");
    assert!(dirs[0].ends_with(good.read_set_id().expect("good read set")), "{dirs:?}");
    server.stop().await;
}

macro_rules! bad_aligned_inputs {
    ($($name:ident => $case:expr;)*) => {
        $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let case: Option<Bad> = $case;
            let Some(case) = case else { return };
            bad_aligned(case).await;
        })*
    };
}

fn level_1() -> Vec<u8> {
    std::fs::read(testdata("hts-specs/bam/level-1.bam")).expect("level-1.bam")
}

/// Size of the first BGZF block: its BSIZE field (bytes 16-17, little-endian) plus one.
fn first_block_size(bgzf: &[u8]) -> usize {
    assert_eq!(&bgzf[..4], b"\x1f\x8b\x08\x04", "a BGZF block header");
    assert_eq!(&bgzf[12..14], b"BC", "the BC extra subfield comes first");
    usize::from(u16::from_le_bytes([bgzf[16], bgzf[17]])) + 1
}

/// A CRAM 3.0 conformance file whose header says version 2.1 (bytes 4 and 5 after `CRAM`).
fn cram_version_2_1() -> Vec<u8> {
    let mut cram = std::fs::read(testdata("hts-specs/cram3.0/passed/0500_mapped.cram")).expect("cram");
    assert_eq!(&cram[..6], b"CRAM\x03\x00");
    cram[4..6].copy_from_slice(&[2, 1]);
    cram
}

/// `sam` converted to BAM with `samtools view -b` (which keeps the record order); `None` when
/// samtools is missing outside CI.
fn bam_from_sam(sam: &str) -> Option<Vec<u8>> {
    if !samtools_available() {
        return None;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (sam_path, bam_path) = (dir.path().join("in.sam"), dir.path().join("out.bam"));
    std::fs::write(&sam_path, sam).expect("write SAM");
    samtools(&["view", "-b", "-o", bam_path.to_str().expect("utf-8"), sam_path.to_str().expect("utf-8")]);
    Some(std::fs::read(&bam_path).expect("read BAM"))
}

/// A SAM record on CHROMOSOME_I at 1-based `pos`: 20 bases of ce.fa's start (any bases do).
fn sam_record(name: &str, pos: u32) -> String {
    format!("{name}\t0\tCHROMOSOME_I\t{pos}\t60\t20M\t*\t0\t0\tGCCTAAGCCTAAGCCTAAGC\tFFFFFFFFFFFFFFFFFFFF\n")
}

/// A case as the macro takes it.
fn bad(name: &'static str, bytes: Vec<u8>, file_type: FileType, reference: Reference, expected: &str) -> Option<Bad> {
    Some(Bad { name, bytes, file_type, reference, expected: expected.to_owned() })
}

bad_aligned_inputs! {
    truncated_bgzf => {
        let bam = level_1();
        let cut = bam[..bam.len() / 2].to_vec();
        let expected = "source1: truncated BGZF: the file ends inside the block at compressed offset";
        bad("truncated.bam", cut, FileType::Bam, Reference::None, expected)
    };
    missing_eof_marker => {
        let bam = level_1();
        let cut = bam[..bam.len() - 28].to_vec();
        let expected = "source1: truncated BGZF: the EOF marker block is missing";
        bad("no-eof.bam", cut, FileType::Bam, Reference::None, expected)
    };
    corrupt_block_crc => {
        let mut bam = level_1();
        let end = first_block_size(&bam);
        bam[end - 8] ^= 0xff; // the first byte of the first block's CRC32
        let expected = "source1: BGZF block at compressed offset 0 has a bad CRC";
        bad("bad-crc.bam", bam, FileType::Bam, Reference::None, expected)
    };
    bad_magic => {
        let not_bam = bgzf(b"XAM\x01\x00\x00\x00\x00\x00\x00\x00\x00");
        let expected = "source1 is not BAM: magic is 0x58 0x41 0x4d 0x01";
        bad("bad-magic.bam", not_bam, FileType::Bam, Reference::None, expected)
    };
    cram_2_1 => {
        let expected = "source1 is CRAM 2.1, which this server cannot read: rewrite it as CRAM 3 with samtools view -C";
        bad("v21.cram", cram_version_2_1(), FileType::Cram, Reference::Ce, expected)
    };
    cram_against_the_wrong_reference => {
        let cram = std::fs::read(testdata("hts-specs/cram3.0/passed/0500_mapped.cram")).expect("cram");
        // Both M5 values: the header's (ce.fa's) and the mutated reference's, computed here.
        let expected = format!(
            "source1 @SQ CHROMOSOME_I M5 8ede36131e0dbf3417807e48f77f3ebd differs from the reference's {}",
            sequence_md5s(&mutated_ce())[0].2
        );
        bad("0500_mapped.cram", cram, FileType::Cram, Reference::MutatedCe, &expected)
    };
    bam_sq_not_in_the_reference => {
        let expected = "source1 @SQ chrM is not in the reference";
        bad("level-1.bam", level_1(), FileType::Bam, Reference::Ce, expected)
    };
    bam_sq_length_mismatch => {
        let sam = format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:CHROMOSOME_I\tLN:1009801\n{}", sam_record("r1", 100));
        let expected = "source1 @SQ CHROMOSOME_I has length 1009801 but the reference has 1009800";
        bam_from_sam(&sam).and_then(|bam| bad("length.bam", bam, FileType::Bam, Reference::Ce, expected))
    };
    unsorted_records_under_so_coordinate => {
        let records = [sam_record("first", 100), sam_record("second", 500), sam_record("out_of_order", 300)];
        let sam = format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:CHROMOSOME_I\tLN:1009800\n{}", records.concat());
        let expected = "source1 record 3 (read 'out_of_order') at CHROMOSOME_I:300 comes after CHROMOSOME_I:500";
        bam_from_sam(&sam).and_then(|bam| bad("unsorted.bam", bam, FileType::Bam, Reference::Ce, expected))
    };
    mapped_reads_declared_ubam => {
        let expected = "mapped read in a UBAM source; declare sourceFileType BAM";
        bad("mapped.bam", level_1(), FileType::Ubam, Reference::None, expected)
    };
    fastq_declared_bam => {
        let expected = "source1 is FASTQ, not BAM: declare sourceFileType FASTQ";
        bad("reads.fq", fastq(1, 100, 50, None), FileType::Bam, Reference::None, expected)
    };
}
