//! A malformed-input corpus generated from valid inputs (nothing large is committed): truncations
//! at many offsets, flipped bytes in headers, records and BGZF blocks, wrong magic, huge declared
//! lengths, zero-length records, non-ASCII names, unequal mates and reference mismatches, over
//! FASTQ, FASTA (reference import), BAM, uBAM and CRAM.
//!
//! Everything runs through one `seqstore serve` process: every case ends FAILED with its own
//! message, nothing of it is stored or listed, the process's peak RSS stays bounded after the
//! declared 4 GB lengths, and a valid import still succeeds afterwards.

use std::io::Read;
use std::path::Path;

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, FileType, ReadSetImportJobItemStatus, ReadSetImportJobStatus, ReferenceImportJobItemStatus,
    ReferenceImportJobStatus, StartReadSetImportJobSourceItem,
};
use seqstore::config::Config;

use super::aligned_failures::{aligned_source, samtools, samtools_available, testdata};
use super::fastq_data::{bgzf, fastq, gzip};
use super::imports::{start, typed_source, wait, write};
use super::references::{fasta, import, ref_source, reference_store};
use super::support::{Backend, KEY_A, Serve, TestDb, read_set_dirs, sdk};
use super::uploads::peak_rss;

/// Peak RSS allowed to the server after the whole corpus (the 4 GB declared lengths included).
const PEAK_RSS_LIMIT: u64 = 300 * 1024 * 1024;

/// Which stored reference a read set case names.
#[derive(Clone, Copy)]
enum Reference {
    None,
    Ce,
    MutatedCe,
}

/// One bad read set source: its files, declared type, reference and expected message substring.
struct Case {
    name: String,
    source1: Vec<u8>,
    source2: Option<Vec<u8>>,
    file_type: FileType,
    reference: Reference,
    expected: String,
}

/// A case of one file.
fn case(name: &str, bytes: Vec<u8>, file_type: FileType, reference: Reference, expected: &str) -> Case {
    Case { name: name.to_owned(), source1: bytes, source2: None, file_type, reference, expected: expected.to_owned() }
}

/// The decompressed content of gzip or BGZF bytes.
fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).expect("inflate");
    out
}

/// `bytes` cut at `k/9` of its length for k in 1..=n (n ≤ 8), each named `{name}-cut{offset}`.
fn truncations(name: &str, bytes: &[u8], n: usize) -> Vec<(String, Vec<u8>)> {
    (1..=n).map(|k| bytes.len() * k / (n + 1)).map(|at| (format!("{name}-cut{at}"), bytes[..at].to_vec())).collect()
}

/// `bytes` with the little-endian u32 at `at` replaced.
fn put_u32(mut bytes: Vec<u8>, at: usize, value: u32) -> Vec<u8> {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    bytes
}

/// The little-endian u32 at `at`.
fn u32_at(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize
}

/// Offsets within decompressed BAM (SAMv1 § 4.2): `n_ref`, the first `l_name` and the first
/// record's `block_size`.
struct BamLayout {
    n_ref: usize,
    first_l_name: usize,
    first_record: usize,
}

/// The layout of decompressed BAM `raw`.
fn bam_layout(raw: &[u8]) -> BamLayout {
    assert_eq!(&raw[..4], b"BAM\x01");
    let n_ref = 8 + u32_at(raw, 4);
    let mut at = n_ref + 4;
    for _ in 0..u32_at(raw, n_ref) {
        at += 4 + u32_at(raw, at) + 4;
    }
    BamLayout { n_ref, first_l_name: n_ref + 4, first_record: at }
}

/// The cases made by editing decompressed BAM (`raw`) and recompressing it as BGZF.
fn bam_record_cases(prefix: &str, raw: &[u8], file_type: &FileType, reference: Reference) -> Vec<Case> {
    let layout = bam_layout(raw);
    let rec = layout.first_record;
    let mut bad_magic = raw.to_vec();
    bad_magic[3] = 2;
    let edits: Vec<(&str, Vec<u8>, &'static str)> = vec![
        ("bad-magic", bad_magic, "is not BAM: magic is 0x42 0x41 0x4d 0x02"),
        (
            "huge-l_text",
            put_u32(raw.to_vec(), 4, 0xffff_fff0),
            "source1: the BAM header declares 4.0 GiB of SAM header text, over the 64 MiB limit \
             (limits.max_alignment_header_bytes)",
        ),
        (
            "huge-n_ref",
            put_u32(raw.to_vec(), layout.n_ref, 0x7fff_fff0),
            "source1: the BAM header declares 2147483632 reference sequences, over the 1000000 limit",
        ),
        ("huge-block_size", put_u32(raw.to_vec(), rec, 0x7fff_fff0), "record 1: BAM data ends inside a record"),
        (
            "negative-block_size",
            put_u32(raw.to_vec(), rec, 0xffff_fff0),
            "record 1: invalid record: block_size 4294967280 is outside 32..2^31",
        ),
        ("zero-block_size", put_u32(raw.to_vec(), rec, 0), "record 1: invalid record: block_size 0 is outside"),
        (
            "huge-l_seq",
            put_u32(raw.to_vec(), rec + 20, 0x7fff_fff0),
            "invalid record: name, CIGAR, bases and qualities need ",
        ),
    ];
    let mut cases: Vec<Case> = edits
        .into_iter()
        .map(|(what, edited, expected)| {
            case(&format!("{prefix}-{what}"), bgzf(&edited), file_type.clone(), reference, expected)
        })
        .collect();
    if u32_at(raw, layout.n_ref) > 0 {
        let huge = put_u32(raw.to_vec(), layout.first_l_name, 0xffff_fff0);
        cases.push(case(
            &format!("{prefix}-huge-l_name"),
            bgzf(&huge),
            file_type.clone(),
            reference,
            "source1: the BAM header holds more SAM header text than the 64 MiB limit",
        ));
        let bad_ref = put_u32(raw.to_vec(), rec + 4, 99);
        let expected = "record 1 (read 's1-10'): invalid record: reference id 99 is not one of the header's";
        cases.push(case(&format!("{prefix}-refid-99"), bgzf(&bad_ref), file_type.clone(), reference, expected));
    }
    cases
}

/// The cases made by editing BGZF block headers of `bgzf` (a file of several blocks).
fn bgzf_block_cases(prefix: &str, file: &[u8], file_type: &FileType, reference: Reference) -> Vec<Case> {
    assert_eq!(&file[..4], b"\x1f\x8b\x08\x04", "a BGZF block header");
    let first = usize::from(u16::from_le_bytes([file[16], file[17]])) + 1;
    let mut flipped_data = file.to_vec();
    flipped_data[18 + (first - 26) / 2] ^= 0x55; // inside the first block's deflate data
    let huge_isize = put_u32(file.to_vec(), first - 4, 0xffff_ffff);
    let mut second_magic = file.to_vec();
    second_magic[first] = 0x1e;
    let second = format!("data after the last gzip member, at compressed byte {first}, is not gzip");
    let mut edits: Vec<(&str, Vec<u8>, String)> = vec![
        ("bgzf-isize-4g", huge_isize, "gzip data is corrupt (CRC or length check failed)".into()),
        ("bgzf-second-magic", second_magic, second),
    ];
    if file_type != &FileType::Fastq {
        // BSIZE matters to BGZF readers only; FASTQ's reader decodes a block that fails as BGZF
        // again as plain gzip, for which a wrong BSIZE is harmless (the source imports), so FASTQ
        // has no such case.
        let mut huge_bsize = file.to_vec();
        huge_bsize[16..18].copy_from_slice(&[0xff, 0xff]);
        edits[0].2 = "BGZF block at compressed offset 0 is corrupt: uncompressed size over 64 KiB".into();
        edits[1].2 = format!("BGZF block at compressed offset {first} is corrupt: not a gzip header with extra fields");
        let bsize = "truncated BGZF: the file ends inside the block at compressed offset 0".into();
        edits.push(("bgzf-bsize-ffff", huge_bsize, bsize));
        // A bad CRC or invalid deflate data, as the flipped bit falls (samtools' @PG varies).
        edits.push(("bgzf-flipped-data", flipped_data, "source1: BGZF block at compressed offset 0 ".into()));
    } else {
        // The block fails as BGZF and is decoded again as plain gzip, whose inflated text is
        // checked before the member's CRC, so the damage shows as bad bases.
        edits.push(("bgzf-flipped-data", flipped_data, "record 148 (line 590): sequence contains ','".into()));
    }
    edits
        .into_iter()
        .map(|(what, bytes, expected)| {
            case(&format!("{prefix}-{what}"), bytes, file_type.clone(), reference, &expected)
        })
        .collect()
}

/// FASTQ cases: gzip truncations and corruptions, BGZF blocks, record-level errors, mates.
fn fastq_cases() -> Vec<Case> {
    let text = fastq(101, 2000, 100, None);
    let gz = gzip(&text);
    let mut cases: Vec<Case> = truncations("fastq-gz", &gz, 8)
        .into_iter()
        .map(|(name, bytes)| {
            let expected = format!("source1: gzip stream is truncated after {} compressed bytes", bytes.len());
            case(&name, bytes, FileType::Fastq, Reference::None, &expected)
        })
        .collect();
    let mut bad_magic = gz.clone();
    bad_magic[1] = 0x8c;
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    let huge_isize = put_u32(gz.clone(), n - 4, 0xffff_ffff);
    let one = |name: &str, bytes: Vec<u8>, expected| case(name, bytes, FileType::Fastq, Reference::None, expected);
    cases.push(one("fastq-gz-bad-magic", bad_magic, "is not FASTQ: first bytes are 0x1f 0x8c 0x08 0x00"));
    cases.push(one("fastq-gz-bad-crc", bad_crc, "gzip data is corrupt (CRC or length check failed)"));
    cases.push(one("fastq-gz-isize-4g", huge_isize, "gzip data is corrupt (CRC or length check failed)"));
    cases.extend(bgzf_block_cases("fastq", &bgzf(&text), &FileType::Fastq, Reference::None));
    cases.push(one("fastq-no-header", b"r0\nACGT\n+\nFFFF\n".to_vec(), "is not FASTQ: first bytes are 0x72 0x30"));
    cases.push(one("fastq-empty", Vec::new(), "source1 is empty"));
    // A 256 MiB sequence line in 1 KiB of gzip (one member per MiB): a line is not a length the
    // scanner may buffer without bound.
    let a_mib = gzip(&vec![b'A'; 1 << 20]);
    let huge_line: Vec<u8> =
        gzip(b"@r0\n").into_iter().chain(a_mib.iter().copied().cycle().take(a_mib.len() * 256)).collect();
    cases.push(one("fastq-gz-huge-line", huge_line, "source1 line 2: line longer than 64 MiB"));
    let cut = text[..text.len() - 30].to_vec();
    cases.push(one(
        "fastq-truncated-record",
        cut,
        "record 2000 (line 8000): sequence length 100 but quality length 71",
    ));
    // Mates of different record counts (mates of different read lengths are valid and import).
    let r1 = fastq(102, 200, 100, Some(1));
    let pair = |name: &str, r2: Vec<u8>, expected: &str| Case {
        source1: r1.clone(),
        source2: Some(r2),
        ..case(name, Vec::new(), FileType::Fastq, Reference::None, expected)
    };
    cases.push(pair("fastq-mates-fewer", fastq(103, 199, 100, Some(2)), "source1 has 200 records, source2 has 199"));
    cases.push(pair("fastq-mates-more", fastq(103, 201, 100, Some(2)), "source2 has 201 records, source1 has 200"));
    cases
}

/// FASTQ read names outside printable ASCII: SAM's QNAME (and the SAM text the ETag digests)
/// cannot carry them.
fn name_cases() -> Vec<Case> {
    let one = |name: &str, bytes: &[u8], expected: &str| {
        case(name, bytes.to_vec(), FileType::Fastq, Reference::None, expected)
    };
    vec![
        one(
            "fastq-non-ascii-name",
            b"@r\xc3\xa9ad0\nACGT\n+\nFFFF\n",
            "read name contains '\\xc3' (0xc3) at position 2",
        ),
        one("fastq-non-utf8-name", b"@r\xffad0\nACGT\n+\nFFFF\n", "read name contains '\\xff' (0xff) at position 2"),
        one("fastq-empty-name", b"@ comment\nACGT\n+\nFFFF\n", "header line has no read name"),
    ]
}

/// Valid sources that look malformed: they import.
/// - A FASTQ record with an empty sequence and quality is valid FASTQ (adapter trimming writes
///   them).
/// - A uBAM read name with a byte outside printable ASCII: `samtools view` reads and prints it, so
///   it imports, with the ETag of what samtools prints.
fn accepted_cases() -> Vec<Case> {
    let text = b"@r0\nACGT\n+\nFFFF\n@r1\n\n+\n\n@r2\nACGT\n+\nFFFF\n";
    let mut raw = inflate(&std::fs::read(testdata("derived/r1r2.ubam.bam")).expect("uBAM"));
    let rec = bam_layout(&raw).first_record;
    raw[rec + 36] = 0xe9; // first byte of the first read name
    vec![
        case("fastq-zero-length-record", text.to_vec(), FileType::Fastq, Reference::None, ""),
        case("ubam-non-ascii-name", bgzf(&raw), FileType::Ubam, Reference::None, ""),
    ]
}

/// The start of the BGZF block of `file` holding byte `at`.
fn block_start(file: &[u8], at: usize) -> usize {
    let mut start = 0;
    loop {
        let end = start + usize::from(u16::from_le_bytes([file[start + 16], file[start + 17]])) + 1;
        if at < end {
            return start;
        }
        start = end;
    }
}

/// `samtools sort` of the CRAM conformance SAM (`text`, possibly edited) as BAM.
fn sorted_bam(dir: &Path, name: &str, text: &str) -> Vec<u8> {
    let (sam, bam) = (dir.join(format!("{name}.sam")), dir.join(format!("{name}.bam")));
    std::fs::write(&sam, text).expect("write SAM");
    samtools(&["sort", "-o", bam.to_str().expect("utf-8"), sam.to_str().expect("utf-8")]);
    std::fs::read(&bam).expect("sorted BAM")
}

/// Truncations of a BGZF file: each ends inside the block the cut falls in.
fn bgzf_truncations(name: &str, file: &[u8], n: usize, file_type: FileType) -> Vec<Case> {
    truncations(name, file, n)
        .into_iter()
        .map(|(name, bytes)| {
            let start = block_start(file, bytes.len());
            let expected = if start == bytes.len() {
                "truncated BGZF".to_owned()
            } else {
                format!("truncated BGZF: the file ends inside the block at compressed offset {start}")
            };
            case(&name, bytes, file_type.clone(), Reference::None, &expected)
        })
        .collect()
}

/// BAM cases on `level-1.bam` (many blocks) and `sorted.bam` (coordinate sorted on ce.fa).
fn bam_cases(dir: &Path) -> Vec<Case> {
    let level_1 = std::fs::read(testdata("hts-specs/bam/level-1.bam")).expect("level-1.bam");
    let mut cases = bgzf_truncations("bam", &level_1, 8, FileType::Bam);
    let mut flipped = level_1.clone();
    flipped[level_1.len() / 2] ^= 0x20;
    let expected =
        format!("BGZF block at compressed offset {} has a bad CRC", block_start(&level_1, level_1.len() / 2));
    cases.push(case("bam-flipped-middle-block", flipped, FileType::Bam, Reference::None, &expected));
    let sam = std::fs::read_to_string(testdata("hts-specs/cram3.0/passed/1406_index_long.sam")).expect("SAM");
    let bam = sorted_bam(dir, "sorted", &sam);
    let raw = inflate(&bam);
    cases.extend(bam_record_cases("bam", &raw, &FileType::Bam, Reference::Ce));
    let mut header_flip = raw.clone();
    let sn = raw.windows(3).position(|w| w == b"SN:").expect("SN:");
    header_flip[sn] = b'X';
    cases.push(case(
        "bam-header-no-sn",
        bgzf(&header_flip),
        FileType::Bam,
        Reference::Ce,
        "source1: invalid BAM header",
    ));
    cases.extend(bgzf_block_cases("bam", &bam, &FileType::Bam, Reference::Ce));
    let longer = sorted_bam(dir, "longer", &sam.replace("LN:1009800", "LN:1009801"));
    let expected = "@SQ CHROMOSOME_I has length 1009801 but the reference has 1009800";
    cases.push(case("bam-sq-length", longer, FileType::Bam, Reference::Ce, expected));
    cases
}

/// uBAM cases on `samtools import` of 5000 generated reads (several BGZF blocks).
fn ubam_cases(dir: &Path) -> Vec<Case> {
    let (fq, out) = (dir.join("reads.fq"), dir.join("reads.ubam.bam"));
    std::fs::write(&fq, fastq(104, 5000, 100, None)).expect("write FASTQ");
    samtools(&["import", "-0", fq.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]);
    let ubam = std::fs::read(&out).expect("uBAM");
    let mut cases = bgzf_truncations("ubam", &ubam, 4, FileType::Ubam);
    cases.extend(bam_record_cases("ubam", &inflate(&ubam), &FileType::Ubam, Reference::None));
    cases
}

/// CRAM cases on `samtools view -C` of the sorted BAM, 100 reads per container.
fn cram_cases(dir: &Path) -> Vec<Case> {
    let ce = testdata("hts-specs/ref/ce.fa");
    let bam = dir.join("sorted.bam");
    let out = dir.join("sorted.cram");
    let (ce, bam, out) = (ce.to_str().expect("utf-8"), bam.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    let options = ["--output-fmt-option", "seqs_per_slice=100", "--output-fmt-option", "slices_per_container=1"];
    samtools(&[&["view", "-C", "-T", ce, "-o", out][..], &options, &[bam]].concat());
    let cram = std::fs::read(out).expect("CRAM");
    let mut cases: Vec<Case> = truncations("cram", &cram, 8)
        .into_iter()
        .map(|(name, bytes)| {
            let start = container_start(&cram, bytes.len());
            let expected = format!("source1 is truncated: the file ends inside a container at byte {start}");
            case(&name, bytes, FileType::Cram, Reference::Ce, &expected)
        })
        .collect();
    let mut bad_magic = cram.clone();
    bad_magic[3] = b'X';
    let mut version = cram.clone();
    version[4] = 9;
    // The header container's length (int32 after the 26-byte file definition).
    let huge_container = put_u32(cram.clone(), 26, 0x7fff_fff0);
    // The first data container's length: the container after the header container.
    let second = container_start(&cram, container_start(&cram, 26) + 1 + u32_at(&cram, 26) + 64);
    let huge_data_container = put_u32(cram.clone(), second, 0x7fff_fff0);
    let mut flipped_container = cram.clone();
    flipped_container[26 + 4] ^= 0x40; // the header container's reference id (ITF8)
    let mut flipped_data = cram.clone();
    flipped_data[cram.len() / 2] ^= 0x20;
    let one = |name: &str, bytes, reference, expected| case(name, bytes, FileType::Cram, reference, expected);
    let ce = Reference::Ce;
    cases.push(one("cram-bad-magic", bad_magic, ce, "source1 is unknown, not CRAM: expected the CRAM magic number"));
    cases.push(one("cram-version-9", version, ce, "source1 is CRAM 9.0, which this server cannot read"));
    cases.push(one("cram-huge-container", huge_container, ce, "source1 has an invalid SAM header"));
    let expected =
        format!("source1: the container at byte {second} declares 2.0 GiB of block data, over the 256 MiB limit");
    cases.push(one("cram-huge-data-container", huge_data_container, ce, &expected));
    cases.push(one("cram-flipped-container-header", flipped_container, ce, "source1 has an invalid SAM header"));
    cases.push(one("cram-flipped-data", flipped_data, ce, "source1: invalid container at byte"));
    let expected = "@SQ CHROMOSOME_I M5 8ede36131e0dbf3417807e48f77f3ebd differs from the reference's";
    cases.push(one("cram-mutated-reference", cram, Reference::MutatedCe, expected));
    cases
}

/// The start of the CRAM 3.0 container of `cram` holding byte `at` (past the file definition).
fn container_start(cram: &[u8], at: usize) -> usize {
    // Bytes of the ITF8 (up to 5) or LTF8 (up to 9) integer at `i`: one per leading 1 bit, plus one.
    let varint = |i: usize, max: u32| (cram[i].leading_ones().min(max - 1) + 1) as usize;
    let mut start = 26; // § 8: the file definition
    loop {
        let length = u32_at(cram, start);
        // § 9.1: ref id, start, span, records (ITF8); counter, bases (LTF8); blocks (ITF8);
        // landmarks (an ITF8 count, one byte here, then ITF8 each); CRC32.
        let mut i = start + 4;
        for max in [5, 5, 5, 5, 9, 9, 5] {
            i += varint(i, max);
        }
        let landmarks = usize::from(cram[i]);
        assert!(landmarks < 0x80, "a one-byte landmark count");
        i += 1;
        for _ in 0..landmarks {
            i += varint(i, 5);
        }
        let end = i + 4 + length;
        if at < end {
            return start;
        }
        start = end;
    }
}

/// `ce.fa` with the first base of CHROMOSOME_I changed (G to T).
fn mutated_ce() -> Vec<u8> {
    let mut fasta = std::fs::read(testdata("hts-specs/ref/ce.fa")).expect("ce.fa");
    let first_base = fasta.iter().position(|&b| b == b'\n').expect("header line") + 1;
    fasta[first_base] = b'T';
    fasta
}

/// FASTA cases for a reference import: `(name, bytes, expected)`.
fn fasta_cases() -> Vec<(String, Vec<u8>, String)> {
    let good = fasta(5, &[("c1", 3000, 60), ("c2", 2000, 60)]);
    let gz = gzip(&good);
    let mut cases: Vec<(String, Vec<u8>, String)> = truncations("fasta-gz", &gz, 4)
        .into_iter()
        .map(|(name, bytes)| {
            let expected = format!("reference: gzip stream is truncated after {} compressed bytes", bytes.len());
            (name, bytes, expected)
        })
        .collect();
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    let mut flipped_block = bgzf(&good);
    flipped_block[30] ^= 0x55;
    let fixed: Vec<(&str, Vec<u8>, &str)> = vec![
        ("fasta-no-header", b"ACGT\nACGT\n".to_vec(), "reference line 1: missing '>' header"),
        ("fasta-empty", Vec::new(), "reference is empty"),
        ("fasta-empty-sequence", b">a\n>b\nACGT\n".to_vec(), "sequence 'a' (line 1) has no bases"),
        ("fasta-empty-name", b">\nACGT\n".to_vec(), "line 1: header has no sequence name"),
        ("fasta-non-ascii-name", b">chr\xc3\xa9\nACGT\n".to_vec(), "sequence name contains '\\xc3' (0xc3)"),
        ("fasta-duplicate", b">a\nACGT\n>a\nACGT\n".to_vec(), "line 3: duplicate sequence name 'a'"),
        ("fasta-bad-base", b">a\nACGT\x01ACGT\n".to_vec(), "sequence 'a' contains '\\x01' (0x01) at column 5"),
        ("fasta-gz-bad-crc", bad_crc, "reference: gzip data is corrupt (CRC or length check failed)"),
        ("fasta-bgzf-flipped", flipped_block, "gzip data is corrupt (invalid header or deflate data)"),
    ];
    cases.extend(fixed.into_iter().map(|(name, bytes, expected)| (name.to_owned(), bytes, expected.to_owned())));
    cases
}

/// A source item for `case` with its files written under `root`.
fn source_item(root: &Path, case: &Case, ce: &str, mutated: &str) -> StartReadSetImportJobSourceItem {
    let uri1 = write(root, &case.name, &case.source1);
    let uri2 = case.source2.as_ref().map(|bytes| write(root, &format!("{}-2", case.name), bytes));
    let reference = match case.reference {
        Reference::None => None,
        Reference::Ce => Some(ce),
        Reference::MutatedCe => Some(mutated),
    };
    match case.file_type {
        FileType::Fastq => typed_source(&uri1, uri2.as_deref(), FileType::Fastq),
        _ => aligned_source(&uri1, case.file_type.clone(), reference),
    }
}

/// The ARNs of the references a reference import job made, in order.
pub async fn reference_arns(client: &Client, store: &str, fastas: &[(&str, &str)]) -> Vec<String> {
    let sources = fastas.iter().map(|(name, uri)| ref_source(uri, name)).collect();
    let job = import(client, store, sources).await;
    assert_eq!(job.status(), &ReferenceImportJobStatus::Completed, "{job:?}");
    let mut arns = Vec::new();
    for item in job.sources() {
        let id = item.reference_id().expect("reference id");
        let meta = client.get_reference_metadata().reference_store_id(store).id(id).send().await.expect("meta");
        arns.push(meta.arn().to_owned());
    }
    arns
}

/// Checks one FAILED item's message; returns a line describing a mismatch, if any.
fn check(name: &str, message: &str, expected: &str) -> Option<String> {
    eprintln!("{name}: {message:?}");
    let well_formed = !message.is_empty() && message.chars().count() <= 127 && !message.chars().any(char::is_control);
    (!message.contains(expected) || !well_formed).then(|| format!("{name}: expected {expected:?} in {message:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_corpus_fails_case_by_case_in_bounded_memory() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = db.dir().join("sources");
    let gen_dir = db.dir().join("gen");
    std::fs::create_dir(&root).expect("sources");
    std::fs::create_dir(&gen_dir).expect("gen");
    let data = db.dir().join("data");
    let serve = Serve::with_key_a(&db, &data, &root, "[worker]\ncount = 2");
    let client = sdk(&serve.endpoint, KEY_A);
    let started = std::time::Instant::now();

    // References: ce.fa and a mutated copy, then the bad FASTA in one job.
    let ref_store = reference_store(&client).await;
    let ce = write(&root, "ce.fa", &std::fs::read(testdata("hts-specs/ref/ce.fa")).expect("ce.fa"));
    let mutated = write(&root, "ce-mutated.fa", &mutated_ce());
    let arns = reference_arns(&client, &ref_store, &[("ce-reference", &ce), ("ce-mutated", &mutated)]).await;
    let fasta = fasta_cases();
    let sources = fasta.iter().map(|(name, bytes, _)| ref_source(&write(&root, name, bytes), name)).collect();
    let job = import(&client, &ref_store, sources).await;
    assert_eq!(job.status(), &ReferenceImportJobStatus::Failed, "{job:?}");
    let mut mismatches = Vec::new();
    for (item, (name, _, expected)) in job.sources().iter().zip(&fasta) {
        assert_eq!(item.status(), &ReferenceImportJobItemStatus::Failed, "{name}: {item:?}");
        mismatches.extend(check(name, item.status_message().unwrap_or_default(), expected));
    }
    let listed = client.list_references().reference_store_id(&ref_store).send().await.expect("list references");
    assert_eq!(listed.references().len(), 2, "only ce and ce-mutated: {listed:?}");

    // Read sets: every bad source in one job.
    let mut cases = fastq_cases();
    cases.extend(bam_cases(&gen_dir));
    cases.extend(ubam_cases(&gen_dir));
    cases.extend(cram_cases(&gen_dir));
    cases.extend(name_cases());
    assert!(cases.len() <= 100, "{} cases exceed one job's sources", cases.len());
    let store = super::imports::store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources = cases.iter().map(|case| source_item(&root, case, &arns[0], &arns[1])).collect();
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    for (item, case) in job.sources().iter().zip(&cases) {
        if item.status() != &ReadSetImportJobItemStatus::Failed || item.read_set_id().is_some() {
            let (status, id) = (item.status(), item.read_set_id());
            mismatches.push(format!("{}: {status:?} as read set {id:?}, not FAILED", case.name));
            eprintln!("{}: {status:?} {:?}", case.name, item.status_message());
            continue;
        }
        mismatches.extend(check(&case.name, item.status_message().unwrap_or_default(), &case.expected));
    }
    eprintln!("malformed corpus: {} FASTA and {} read set cases in {:?}", fasta.len(), cases.len(), started.elapsed());
    let peak = peak_rss(serve.pid());
    eprintln!("malformed corpus: server peak RSS {} MiB", peak >> 20);
    assert!(mismatches.is_empty(), "{} mismatched messages:\n{}", mismatches.len(), mismatches.join("\n"));
    assert_eq!(job.status(), &ReadSetImportJobStatus::Failed, "{job:?}");
    assert!(peak < PEAK_RSS_LIMIT, "peak RSS {} MiB after the corpus", peak >> 20);
    let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    assert!(listed.read_sets().is_empty(), "{listed:?}");
    let config = Config { data_dir: data.clone(), storage: db.storage.config.clone(), ..Config::default() };
    assert_eq!(read_set_dirs(&config).await, Vec::<String>::new(), "nothing of a failed source is stored");

    // Valid sources that look malformed import, in a store of their own; the uBAM with the ETag
    // of what samtools prints.
    let accepted = accepted_cases();
    let accepted_store = super::imports::store(&client, ETagAlgorithmFamily::Md5Up).await;
    let sources = accepted.iter().map(|case| source_item(&root, case, &arns[0], &arns[1])).collect();
    let job = wait(&client, &accepted_store, &start(&client, &accepted_store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let ubam = job.sources()[1].read_set_id().expect("the uBAM's read set");
    let meta = client.get_read_set_metadata().sequence_store_id(&accepted_store).id(ubam).send().await.expect("meta");
    let text = samtools(&["view", root.join(&accepted[1].name).to_str().expect("utf-8")]);
    assert!(text.starts_with(b"\xe9S25_09827:2:"), "samtools prints the name: {}", String::from_utf8_lossy(&text));
    assert_eq!(meta.etag().and_then(|e| e.source1()), Some(super::fastq_data::md5(&text).as_str()));
    let accepted_read_sets = accepted.len();

    // The server still serves: a valid BAM and FASTQ import.
    let good_bam = write(&root, "good.bam", &std::fs::read(gen_dir.join("sorted.bam")).expect("sorted.bam"));
    let good_fq = write(&root, "good.fq.gz", &gzip(&fastq(7, 100, 100, None)));
    let sources =
        vec![aligned_source(&good_bam, FileType::Bam, Some(&arns[0])), typed_source(&good_fq, None, FileType::Fastq)];
    let job = wait(&client, &store, &start(&client, &store, sources).await).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let listed = client.list_read_sets().sequence_store_id(&store).send().await.expect("list");
    assert_eq!(listed.read_sets().len(), 2, "{listed:?}");
    assert_eq!(
        read_set_dirs(&config).await.len(),
        2 + accepted_read_sets,
        "the two valid read sets and the accepted one"
    );
    serve.terminate();
}
