//! Scans of real files checked against samtools 1.16 (skipped when samtools is absent, unless
//! `CI=true`), and one test per kind of bad input.

use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use noodles_bam as bam;

use super::*;
use crate::digest::Digest;
use crate::limits::Limits;
use crate::testing::TempDir;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

fn options(algorithm: Algorithm) -> Options {
    Options { algorithm, unaligned_only: false, reference: None, limits: Limits::default(), qc: false }
}

/// `samtools ARGS` stdout, fed `stdin`; `None` when samtools is not installed (a failure when
/// `CI=true`).
fn samtools(args: &[&str], stdin: &[u8]) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error>> {
    let child =
        Command::new("samtools").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("samtools not found: skipped");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let mut input = child.stdin.take().ok_or("no stdin")?;
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let output = child.wait_with_output()?;
    writer.join().map_err(|_| "stdin writer panicked")??;
    if !output.status.success() {
        return Err(format!("samtools {args:?}: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(Some(output.stdout))
}

fn hex_digest(algorithm: Algorithm, bytes: &[u8]) -> String {
    let mut digest = Digest::new(algorithm);
    digest.update(bytes);
    digest.finalize_hex()
}

/// Every record of `raw` rendered with [`crate::sam_text::write_record`].
fn sam_text(raw: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut reader = bam::io::Reader::new(raw);
    let header = reader.read_header()?;
    let mut text = Vec::new();
    for record in reader.records() {
        crate::sam_text::write_record(&mut text, &header, &record?)?;
    }
    Ok(text)
}

/// flagstat's lines as (label, QC-passed + QC-failed).
fn flagstat(path: &str) -> Result<Option<AlignmentStatistics>, Box<dyn std::error::Error>> {
    let Some(out) = samtools(&["flagstat", path], b"")? else { return Ok(None) };
    let mut statistics = AlignmentStatistics::default();
    for line in String::from_utf8(out)?.lines() {
        let mut words = line.split(' ');
        let (Some(passed), Some("+"), Some(failed)) = (words.next(), words.next(), words.next()) else { continue };
        let count = passed.parse::<u64>()? + failed.parse::<u64>()?;
        let label: Vec<&str> = words.take_while(|w| !w.starts_with('(')).collect();
        let field = match label.join(" ").as_str() {
            "primary" => &mut statistics.primary,
            "secondary" => &mut statistics.secondary,
            "supplementary" => &mut statistics.supplementary,
            "mapped" => &mut statistics.mapped,
            "paired in sequencing" => &mut statistics.paired,
            "properly paired" => &mut statistics.properly_paired,
            "duplicates" => &mut statistics.duplicates,
            _ => continue,
        };
        *field = count;
    }
    Ok(Some(statistics))
}

#[test]
fn test_scan_matches_samtools() -> TestResult {
    let cases = [
        ("hts-specs/bam/level-1.bam", 20_000, 2_020_000, true),
        ("hts-specs/bam/level-9.bam", 20_000, 2_020_000, true),
        ("derived/r1r2.ubam.bam", 10, 1_000, false),
    ];
    for (file, records, bases, aligned) in cases {
        let path = testdata(file);
        let path = path.to_string_lossy();
        let raw = std::fs::read(&*path)?;
        let Some(expected_text) = samtools(&["view", &path], b"")? else { return Ok(()) };
        // The renderer line for line first, for a readable failure.
        let text = sam_text(&raw)?;
        for (line, (ours, theirs)) in text.split(|&b| b == b'\n').zip(expected_text.split(|&b| b == b'\n')).enumerate()
        {
            assert_eq!(String::from_utf8_lossy(ours), String::from_utf8_lossy(theirs), "{file} line {}", line + 1);
        }
        assert_eq!(text.len(), expected_text.len(), "{file}");

        let count = samtools(&["view", "-c", &path], b"")?.ok_or("no samtools")?;
        assert_eq!(String::from_utf8(count)?.trim(), records.to_string(), "{file}");
        for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
            let summary = scan(&raw[..], &options(algorithm))?;
            assert_eq!(summary.etag, hex_digest(algorithm, &expected_text), "{file} {algorithm:?}");
            assert_eq!((summary.records, summary.bases, summary.aligned), (records, bases, aligned), "{file}");
            assert_eq!(summary.stored_sha256, hex_digest(Algorithm::Sha256, &raw));
            assert_eq!(summary.stored_md5, hex_digest(Algorithm::Md5, &raw));
            assert_eq!(summary.stored_bytes, raw.len() as u64);
            assert_eq!(Some(summary.statistics), flagstat(&path)?, "{file}");
        }
    }
    Ok(())
}

#[test]
fn test_scan_ubam() -> TestResult {
    let raw = std::fs::read(testdata("derived/r1r2.ubam.bam"))?;
    let summary = scan(&raw[..], &Options { unaligned_only: true, ..options(Algorithm::Md5) })?;
    assert!(!summary.aligned && !summary.sorted && summary.index.is_none());
    assert_eq!(summary.statistics.mapped, 0);
    Ok(())
}

/// Writes `raw` and `index` as FILE.bam and FILE.bam.bai in `dir`.
fn write_indexed(dir: &TempDir, name: &str, raw: &[u8], index: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
    let bam = dir.file_text(&format!("{name}.bam"));
    std::fs::write(&bam, raw)?;
    std::fs::write(format!("{bam}.bai"), index)?;
    Ok(bam)
}

#[test]
fn test_index_accepted_by_samtools() -> TestResult {
    let raw = std::fs::read(testdata("hts-specs/bam/level-9.bam"))?;
    let summary = scan(&raw[..], &options(Algorithm::Md5))?;
    assert!(summary.sorted);
    let Some((IndexKind::Bai, index)) = summary.index else { return Err("no BAI".into()) };
    let dir = TempDir::new("bam-index")?;
    let ours = write_indexed(&dir, "ours", &raw, &index)?;
    let theirs = dir.file_text("theirs.bam");
    std::fs::write(&theirs, &raw)?;
    if samtools(&["index", &theirs], b"")?.is_none() {
        return Ok(());
    }
    let idxstats = |path: &str| samtools(&["idxstats", path], b"");
    assert_eq!(idxstats(&ours)?, idxstats(&theirs)?);
    for region in ["chrM:1-100", "chrM:50-60", "chrM:81-200", "chrM", "chr1:1-100000", "*"] {
        let ours = samtools(&["view", &ours, region], b"")?;
        assert_eq!(ours, samtools(&["view", &theirs, region], b"")?, "{region}");
        assert!(!region.starts_with("chrM") || ours.is_some_and(|text| !text.is_empty()), "{region}");
    }
    Ok(())
}

/// SAM text of reads every 37 bases on three references, the last longer than BAI allows
/// (`long` false: shorter), with mapped, placed-unmapped and unplaced reads, unsorted.
fn generated_sam(long: bool) -> String {
    let chr3 = if long { 600_000_000 } else { 400_000 };
    let mut sam = format!("@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:300000\n@SQ\tSN:chr2\tLN:200000\n@SQ\tSN:chr3\tLN:{chr3}\n");
    for i in 0..24_000u64 {
        let (name, length) = [("chr1", 300_000), ("chr2", 200_000), ("chr3", chr3.min(590_000_000))][(i % 3) as usize];
        let position = (i * 7919 * 37) % (length - 200) + 1;
        let position = if name == "chr3" && long && i % 2 == 0 { position + 580_000_000 } else { position };
        let (flag, cigar) = if i % 50 == 0 { (4, "*") } else { (0, "50M20N30M") };
        sam.push_str(&format!(
            "r{i}\t{flag}\t{name}\t{position}\t60\t{cigar}\t*\t0\t0\t{}\t{}\n",
            "ACGT".repeat(20),
            "I".repeat(80)
        ));
    }
    for i in 0..10 {
        sam.push_str(&format!("u{i}\t4\t*\t0\t0\t*\t*\t0\t0\tACGT\tIIII\n"));
    }
    sam
}

#[test]
fn test_generated_index_accepted_by_samtools() -> TestResult {
    for (long, kind) in [(false, IndexKind::Bai), (true, IndexKind::Csi)] {
        // The name seqstore gives the index: htslib must find it beside the file.
        let extension = kind.extension();
        let dir = TempDir::new(&format!("bam-{extension}"))?;
        let unsorted = dir.file_text("unsorted.sam");
        std::fs::write(&unsorted, generated_sam(long))?;
        let sorted = dir.file_text("theirs.bam");
        if samtools(&["sort", "--no-PG", "-o", &sorted, &unsorted], b"")?.is_none() {
            return Ok(());
        }
        let raw = std::fs::read(&sorted)?;
        let summary = scan(&raw[..], &options(Algorithm::Md5))?;
        assert!(summary.sorted);
        let Some((found, index)) = summary.index else { return Err("no index".into()) };
        assert_eq!(found, kind);
        let ours = dir.file_text("ours.bam");
        std::fs::write(&ours, &raw)?;
        std::fs::write(format!("{ours}.{extension}"), &index)?;
        let flag = if long { "-c" } else { "-b" };
        samtools(&["index", flag, &sorted], b"")?;
        assert_eq!(samtools(&["idxstats", &ours], b"")?, samtools(&["idxstats", &sorted], b"")?);
        let far = if long { "chr3:580000000-580300000" } else { "chr3:300000-400000" };
        for region in ["chr1:1-100000", "chr1:150000-150100", "chr2", "chr3:1-20000000", far, "*"] {
            let count = |path: &str| samtools(&["view", "-c", path, region], b"");
            let expected = count(&sorted)?;
            assert_eq!(count(&ours)?, expected, "{extension} {region}");
            assert_ne!(expected.as_deref(), Some(&b"0\n"[..]), "{extension} {region}");
        }
    }
    Ok(())
}

/// BAM made by `samtools view -b` from SAM text; `None` without samtools.
fn bam_from_sam(sam: &str) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error>> {
    samtools(&["view", "--no-PG", "-b", "-"], sam.as_bytes())
}

#[test]
fn test_float_tags_as_samtools_prints_them() -> TestResult {
    let sam = "@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:chr1\tLN:1000\n\
               r1\t0\tchr1\t10\t60\t4M\t*\t0\t0\tACGT\tIIII\tXF:f:0.1\tXB:B:f,1.5,0.000001,1e20\n\
               r2\t0\tchr1\t20\t60\t4M\t*\t0\t0\tACGT\tIIII\tXF:f:-123456.7\tXG:f:1e-5\tXB:B:f,100000,1000000,3.14159265\n";
    let Some(raw) = bam_from_sam(sam)? else { return Ok(()) };
    let expected = samtools(&["view", "-"], &raw)?.ok_or("no samtools")?;
    let text = sam_text(&raw)?;
    assert_eq!(String::from_utf8_lossy(&text), String::from_utf8_lossy(&expected));
    assert!(String::from_utf8_lossy(&text).contains("XF:f:0.1\tXB:B:f,1.5,1e-06,1e+20\n"));
    let summary = scan(&raw[..], &options(Algorithm::Sha256))?;
    assert_eq!(summary.etag, hex_digest(Algorithm::Sha256, &expected));
    Ok(())
}

fn message(raw: &[u8], options: &Options) -> String {
    scan(raw, options).map_or_else(|e| e.to_string(), |s| format!("valid {s:?}"))
}

fn level1() -> std::io::Result<Vec<u8>> {
    std::fs::read(testdata("hts-specs/bam/level-1.bam"))
}

#[test]
fn test_truncated_bgzf() -> TestResult {
    let raw = level1()?;
    let cut = &raw[..raw.len() / 2];
    let error = scan(cut, &options(Algorithm::Md5)).err().ok_or("no error")?;
    let ErrorKind::Truncated { offset } = error.kind else { return Err(format!("{error}").into()) };
    assert!(offset < cut.len() as u64 && cut.len() as u64 - offset < 65536);
    assert_eq!(
        error.to_string(),
        format!("source1: truncated BGZF: the file ends inside the block at compressed offset {offset}")
    );
    Ok(())
}

#[test]
fn test_missing_eof_marker() -> TestResult {
    let raw = level1()?;
    assert_eq!(raw[raw.len() - 28..], bgzf::EOF_MARKER);
    let expected = "source1: truncated BGZF: the EOF marker block is missing";
    assert_eq!(message(&raw[..raw.len() - 28], &options(Algorithm::Md5)), expected);
    Ok(())
}

#[test]
fn test_corrupt_block_crc() -> TestResult {
    let mut raw = level1()?;
    // The second block: the first holds the header. BSIZE is at bytes 16..18 (SAM/BAM § 4.1).
    let first = usize::from(u16::from_le_bytes([raw[16], raw[17]])) + 1;
    let second = first + usize::from(u16::from_le_bytes([raw[first + 16], raw[first + 17]])) + 1;
    raw[second - 8] ^= 0x40;
    let expected = format!("source1: BGZF block at compressed offset {first} has a bad CRC");
    assert_eq!(message(&raw, &options(Algorithm::Md5)), expected);
    Ok(())
}

#[test]
fn test_bad_magic() -> TestResult {
    let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
    writer.write_all(b"BAM\x02\0\0\0\0\0\0\0\0")?;
    let raw = writer.finish()?;
    assert_eq!(message(&raw, &options(Algorithm::Md5)), "source1 is not BAM: magic is 0x42 0x41 0x4d 0x02");
    assert_eq!(
        message(b"\x00\x01\x02\x03\x04", &options(Algorithm::Md5)),
        "source1 is not BAM: magic is 0x00 0x01 0x02 0x03"
    );
    assert_eq!(message(b"", &options(Algorithm::Md5)), "source1 is empty");
    assert_eq!(message(&bgzf::EOF_MARKER, &options(Algorithm::Md5)), "source1 is empty");
    Ok(())
}

#[test]
fn test_fastq_declared_bam() -> TestResult {
    let expected = "source1 is FASTQ, not BAM: declare sourceFileType FASTQ";
    for file in ["htslib/fastq/r1.fq", "derived/r1.fq.gz", "derived/r1.fq.bgz"] {
        let raw = std::fs::read(testdata(file))?;
        assert_eq!(message(&raw, &options(Algorithm::Md5)), expected, "{file}");
    }
    Ok(())
}

#[test]
fn test_mapped_reads_declared_ubam() -> TestResult {
    let raw = level1()?;
    let mut names = Vec::new();
    bam::io::Reader::new(&raw[..]).read_header()?;
    let mut reader = bam::io::Reader::new(&raw[..]);
    reader.read_header()?;
    for record in reader.records() {
        let record = record?;
        if !record.flags().is_unmapped() {
            let number = names.len() + 1;
            names.push((number, record.name().map(|n| String::from_utf8_lossy(n).into_owned())));
            break;
        }
        names.push((names.len() + 1, None));
    }
    let (number, name) = names.pop().ok_or("no mapped record")?;
    let expected = format!(
        "source1 record {number} (read '{}'): mapped read in a UBAM source; declare sourceFileType BAM",
        name.unwrap_or_default()
    );
    assert_eq!(message(&raw, &Options { unaligned_only: true, ..options(Algorithm::Md5) }), expected);
    Ok(())
}

#[test]
fn test_sq_length_mismatch() -> TestResult {
    let raw = level1()?;
    let header = bam::io::Reader::new(&raw[..]).read_header()?;
    let mut reference: Vec<ReferenceSequence> = header
        .reference_sequences()
        .iter()
        .map(|(name, map)| ReferenceSequence {
            name: String::from_utf8_lossy(name).into_owned(),
            length: map.length().get() as u64,
            md5: String::new(),
        })
        .collect();
    // Without M5 checks (the file has M5), the lengths match.
    for sequence in &mut reference {
        sequence.md5 = header
            .reference_sequences()
            .get(sequence.name.as_bytes())
            .and_then(|map| map.other_fields().get(b"M5"))
            .map(|md5| String::from_utf8_lossy(md5).into_owned())
            .unwrap_or_default();
    }
    let ok = Options { reference: Some(reference.clone()), ..options(Algorithm::Md5) };
    assert!(scan(&raw[..], &ok).is_ok());
    let chr1 = reference.iter_mut().find(|s| s.name == "chr1").ok_or("no chr1")?;
    chr1.length = 1200;
    let bad = Options { reference: Some(reference), ..options(Algorithm::Md5) };
    assert_eq!(message(&raw, &bad), "source1 @SQ chr1 has length 249250621 but the reference has 1200");
    Ok(())
}

#[test]
fn test_unsorted_under_so_coordinate() -> TestResult {
    let sam = "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:1000\n\
               r1\t0\tchr1\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n\
               r2\t0\tchr1\t200\t60\t4M\t*\t0\t0\tACGT\tIIII\n\
               r3\t0\tchr1\t150\t60\t4M\t*\t0\t0\tACGT\tIIII\n";
    let Some(raw) = bam_from_sam(sam)? else { return Ok(()) };
    let expected = "source1 record 3 (read 'r3') at chr1:150 comes after chr1:200 but the header says SO:coordinate";
    assert_eq!(message(&raw, &options(Algorithm::Md5)), expected);
    // Without a sort order the same records are accepted, without an index.
    let Some(raw) = bam_from_sam(&sam.replace("\tSO:coordinate", ""))? else { return Ok(()) };
    let summary = scan(&raw[..], &options(Algorithm::Md5))?;
    assert!(!summary.sorted && summary.index.is_none());
    Ok(())
}

#[test]
fn test_io_error() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("connection reset"))
        }
    }
    let error = scan(Failing, &options(Algorithm::Md5)).err();
    assert_eq!(error.map(|e| e.to_string()).as_deref(), Some("source1: read failed"));
}

/// Throughput on the BAM named by `TEST_BAM_BENCH`:
/// `cargo test --release -p seqstore-formats -- --ignored --nocapture bench_scan`.
#[test]
#[ignore = "benchmark; needs TEST_BAM_BENCH"]
fn bench_scan() -> TestResult {
    let path = std::env::var("TEST_BAM_BENCH")?;
    for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
        let started = std::time::Instant::now();
        let summary = scan(std::fs::File::open(&path)?, &options(algorithm))?;
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "{algorithm:?} {}: {} records, {} bytes in {seconds:.2} s: {:.0} records/s, {:.1} MB/s compressed; index {:?}",
            summary.etag,
            summary.records,
            summary.stored_bytes,
            summary.records as f64 / seconds,
            summary.stored_bytes as f64 / seconds / 1e6,
            summary.index.map(|(kind, bytes)| (kind, bytes.len())),
        );
    }
    Ok(())
}

/// The uBAM test file inflated, with the little-endian u32 of its first record (`block_size` at
/// +0) replaced by `value`, as BGZF again.
fn ubam_with_first_u32(value: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut raw = Vec::new();
    flate2::read::MultiGzDecoder::new(&std::fs::read(testdata("derived/r1r2.ubam.bam"))?[..]).read_to_end(&mut raw)?;
    let l_text = u32::from_le_bytes(raw[4..8].try_into()?) as usize;
    assert_eq!(raw[8 + l_text..12 + l_text], [0; 4], "no reference sequences");
    let first = 12 + l_text;
    raw[first..first + 4].copy_from_slice(&value.to_le_bytes());
    Ok(crate::testing::bgzf(&raw)?)
}

#[test]
fn test_zero_block_size_before_the_end() -> TestResult {
    // htslib refuses a block_size under 32, 0 included, even at the end of the data.
    let raw = ubam_with_first_u32(0)?;
    assert_eq!(
        message(&raw, &options(Algorithm::Md5)),
        "source1 record 1: invalid record: block_size 0 is outside 32..2^31"
    );
    Ok(())
}

#[test]
fn test_huge_block_size_is_not_allocated() -> TestResult {
    // 2 GB declared: the record is read as far as the data goes, then found truncated.
    let raw = ubam_with_first_u32(0x7fff_fff0)?;
    assert_eq!(message(&raw, &options(Algorithm::Md5)), "source1 record 1: BAM data ends inside a record");
    // 2^31 or more is a negative block_len to htslib: invalid without reading on.
    let raw = ubam_with_first_u32(0xffff_fff0)?;
    assert_eq!(
        message(&raw, &options(Algorithm::Md5)),
        "source1 record 1: invalid record: block_size 4294967280 is outside 32..2^31"
    );
    Ok(())
}

#[test]
fn test_record_over_one_mib() -> TestResult {
    let bases = "ACGT".repeat(400_000);
    let sam =
        format!("@HD\tVN:1.6\nlong\t4\t*\t0\t0\t*\t*\t0\t0\t{bases}\t*\nshort\t4\t*\t0\t0\t*\t*\t0\t0\tACGT\t*\n");
    let Some(raw) = bam_from_sam(&sam)? else { return Ok(()) };
    let summary = scan(&raw[..], &options(Algorithm::Md5))?;
    assert_eq!((summary.records, summary.bases), (2, 1_600_004));
    Ok(())
}

/// The uBAM test file inflated (no `@SQ`, `n_ref` 0), with the little-endian u32 at `at` (an
/// offset into the inflated bytes, or `None` for `n_ref`) replaced by `value`, as BGZF again.
fn ubam_with_header_u32(at: Option<usize>, value: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut raw = Vec::new();
    flate2::read::MultiGzDecoder::new(&std::fs::read(testdata("derived/r1r2.ubam.bam"))?[..]).read_to_end(&mut raw)?;
    let l_text = u32::from_le_bytes(raw[4..8].try_into()?) as usize;
    let at = at.unwrap_or(8 + l_text);
    raw[at..at + 4].copy_from_slice(&value.to_le_bytes());
    Ok(crate::testing::bgzf(&raw)?)
}

fn limited(limits: Limits) -> Options {
    Options { limits, ..options(Algorithm::Md5) }
}

#[test]
fn test_header_limits_refuse_declared_sizes() -> TestResult {
    // 1.5 GiB of text declared (`l_text`) by a file of a few kB: refused before reading it.
    let raw = ubam_with_header_u32(Some(4), 1536 << 20)?;
    let error = scan(&raw[..], &options(Algorithm::Md5)).err().ok_or("scanned")?;
    assert_eq!(error.limit(), Some(crate::limits::Limit::HeaderBytes));
    assert_eq!(error.to_string(), "source1: the BAM header declares 1.5 GiB of SAM header text, over the 64 MiB limit");
    // 4,000,000 reference sequences declared (`n_ref`).
    let raw = ubam_with_header_u32(None, 4_000_000)?;
    assert_eq!(
        message(&raw, &options(Algorithm::Md5)),
        "source1: the BAM header declares 4000000 reference sequences, over the 1000000 limit"
    );
    // The same file passes that limit when it allows 4 (and then finds the record bytes it reads
    // as reference sequences declare a name longer than the rest of the header limit).
    let raw = ubam_with_header_u32(None, 4)?;
    let allowed = limited(Limits { reference_sequences: 4, ..Limits::default() });
    let error = scan(&raw[..], &allowed).err().ok_or("scanned")?;
    assert_eq!(error.limit(), Some(crate::limits::Limit::HeaderBytes), "{error}");
    Ok(())
}

#[test]
fn test_header_limits_on_a_real_header() -> TestResult {
    // level-1.bam: @HD, 86 @SQ (hg19), @RG and @PG lines, and 86 binary reference sequences.
    let raw = level1()?;
    let mut inflated = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut inflated)?;
    let l_text = u64::from(u32::from_le_bytes(inflated[4..8].try_into()?));
    let n_ref = u64::from(u32::from_le_bytes(inflated[8 + l_text as usize..12 + l_text as usize].try_into()?));
    let names: u64 = (0..n_ref)
        .try_fold((12 + l_text as usize, 0), |(at, sum), _| {
            let len = u32::from_le_bytes(inflated[at..at + 4].try_into()?) as usize;
            Ok::<_, std::array::TryFromSliceError>((at + 8 + len, sum + len as u64))
        })?
        .1;
    // Exactly at every limit: imports.
    let exact = Limits { header_bytes: l_text + names, reference_sequences: n_ref, ..Limits::default() };
    assert_eq!(scan(&raw[..], &limited(exact))?.records, 20_000);
    // One below each: refused, naming the limit.
    let text = Limits { header_bytes: l_text - 1, ..exact };
    let error = scan(&raw[..], &limited(text)).err().ok_or("scanned")?;
    let declared = crate::limits::Exceeded {
        limit: crate::limits::Limit::HeaderBytes,
        declared: Some(l_text),
        allowed: l_text - 1,
    };
    assert!(matches!(error.kind, ErrorKind::Limit(e) if e == declared));
    let names = Limits { header_bytes: l_text + names - 1, ..exact };
    let error = scan(&raw[..], &limited(names)).err().ok_or("scanned")?;
    assert!(matches!(error.kind, ErrorKind::Limit(e) if e.declared.is_none()), "{error}");
    let references = Limits { reference_sequences: n_ref - 1, ..exact };
    assert_eq!(
        message(&raw, &limited(references)),
        format!("source1: the BAM header holds more reference sequences than the {} limit", n_ref - 1)
    );
    Ok(())
}

/// The header of the hand-made BAMs: two reference sequences.
const HAND_MADE_HEADER: &str = "@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:chr1\tLN:1000\n@SQ\tSN:chr2\tLN:500\n";
const HAND_MADE_REFERENCES: [(&str, u32); 2] = [("chr1", 1000), ("chr2", 500)];

/// A `CG:B:<subtype>` tag of these operations (length, code).
fn cg_tag(subtype: u8, ops: &[(u32, u32)]) -> Vec<u8> {
    let mut tag = vec![b'C', b'G', b'B', subtype];
    tag.extend_from_slice(&(ops.len() as u32).to_le_bytes());
    for (len, op) in ops {
        tag.extend_from_slice(&(len << 4 | op).to_le_bytes());
    }
    tag
}

// Records no SAM text converted by samtools holds but `samtools view` prints: the scan renders
// them byte for byte as it does (what noodles' decoder refused or printed otherwise).
#[test]
fn test_hand_made_records_match_samtools() -> TestResult {
    use crate::testing::{RawRecord, raw_bam};
    let mut double = b"XDd".to_vec();
    double.extend_from_slice(&(-1.25e-7f64).to_le_bytes());
    let records = [
        // Positions before 1, every flag bit, CIGAR codes 9 and 15 (they consume nothing).
        RawRecord {
            position: -6,
            flags: 0xffff,
            mate_reference_id: 1,
            mate_position: -10,
            cigar: vec![(2, 0), (1, 9), (3, 15)],
            sequence_len: 2,
            ..RawRecord::default()
        },
        // A name without its NUL, and with bytes beyond QNAME's: a tab, a control character, a
        // high byte.
        RawRecord { name: b"no nul".to_vec(), ..RawRecord::default() },
        RawRecord { name: b"t\tb\x01\xe9\0".to_vec(), ..RawRecord::default() },
        // The non-standard `d` type, an `A` holding NUL, and 3 bytes after the last field
        // (htslib reads fields while 4 bytes remain).
        RawRecord { data: [double.as_slice(), b"XAA\0", b"XYZ"].concat(), ..RawRecord::default() },
        // A CIGAR in `CG:B:i` behind a placeholder whose second operation is D, not N: htslib
        // moves it and drops the tag (noodles only for `kSmN` exactly).
        RawRecord {
            cigar: vec![(5, 4), (4, 2)],
            sequence_len: 5,
            data: [b"XAAa".as_slice(), &cg_tag(b'i', &[(2, 0), (1, 1), (2, 0)]), b"NMC\x02"].concat(),
            ..RawRecord::default()
        },
        // The same tag on an unplaced record stays a tag, and the placeholder the CIGAR.
        RawRecord {
            reference_id: -1,
            position: -1,
            flags: 4,
            cigar: vec![(5, 4), (4, 3)],
            sequence_len: 5,
            data: cg_tag(b'I', &[(2, 0), (1, 1), (2, 0)]),
            ..RawRecord::default()
        },
        // Placed without a position; an odd number of bases.
        RawRecord { position: -1, cigar: vec![(3, 0)], sequence_len: 3, ..RawRecord::default() },
    ];
    let raw = raw_bam(HAND_MADE_HEADER, &HAND_MADE_REFERENCES, &records)?;
    let Some(expected) = samtools(&["view", "-"], &raw)? else { return Ok(()) };
    let summary = scan(&raw[..], &options(Algorithm::Md5))?;
    assert_eq!(summary.records, records.len() as u64);
    assert_eq!(summary.etag, hex_digest(Algorithm::Md5, &expected), "{}", String::from_utf8_lossy(&expected));
    let text = String::from_utf8_lossy(&expected);
    assert!(text.starts_with("r1\t65535\tchr1\t-5\t60\t2M1B3?\tchr2\t-9\t"), "{text}");
    assert!(text.contains("\n\tno nul\t") || text.contains("\nno nul\t0\t"), "{text}");
    assert!(text.contains("\tXD:d:-1.25e-07\tXA:A:\0\n"), "{text}");
    assert!(text.contains("\t2M1I2M\t*\t0\t0\tAAAAA\tIIIII\tXA:A:a\tNM:i:2\n"), "{text}");
    assert!(text.contains("\t5S4N\t*\t0\t0\tAAAAA\tIIIII\tCG:B:I,32,17,32\n"), "{text}");
    Ok(())
}

// Records `samtools view` stops at: the scan refuses them too.
#[test]
fn test_hand_made_records_samtools_refuses() -> TestResult {
    use crate::testing::{RawRecord, raw_bam};
    let cases = [
        (RawRecord { cigar: vec![(3, 0)], ..RawRecord::default() }, "CIGAR covers 3 query bases, SEQ has 4"),
        (RawRecord { reference_id: 2, ..RawRecord::default() }, "reference id 2 is not one of the header's 2"),
        (RawRecord { mate_reference_id: -2, ..RawRecord::default() }, "reference id -2 is not one of the header's 2"),
        (RawRecord { name: Vec::new(), ..RawRecord::default() }, "l_read_name is 0"),
        (RawRecord { data: b"XBBA\x01\0\0\0a".to_vec(), ..RawRecord::default() }, "corrupt optional fields"),
        (RawRecord { data: b"XQq\0".to_vec(), ..RawRecord::default() }, "corrupt optional fields"),
        (RawRecord { data: b"XZZabc".to_vec(), ..RawRecord::default() }, "corrupt optional fields"),
        // Corrupt data where htslib looks for a CG tag.
        (
            RawRecord { cigar: vec![(4, 4), (4, 3)], data: b"XQq\0".to_vec(), ..RawRecord::default() },
            "corrupt optional fields",
        ),
    ];
    for (record, expected) in cases {
        let ok = RawRecord { name: b"ok\0".to_vec(), ..RawRecord::default() };
        let raw = raw_bam(HAND_MADE_HEADER, &HAND_MADE_REFERENCES, &[ok, record.clone()])?;
        match samtools(&["view", "-"], &raw) {
            Ok(None) => return Ok(()),
            Ok(Some(_)) => return Err(format!("samtools printed {record:?}").into()),
            Err(_) => {}
        }
        let e = scan(&raw[..], &options(Algorithm::Md5)).err().ok_or("accepted")?;
        assert!(e.to_string().starts_with("source1 record 2"), "{e}");
        assert!(e.to_string().contains(expected), "{e}");
    }
    Ok(())
}

// Headers as htslib reads them (noodles' SAM header parser refused most of those samtools reads):
// the scan agrees with `samtools view` on each, the ETag when samtools prints the records, a
// refusal when it fails.
#[test]
fn test_headers_as_samtools_reads_them() -> TestResult {
    use crate::testing::{RawRecord, raw_bam};
    let refs = vec![("chr1", 1000u32), ("chr2", 500)];
    let sq = "@SQ\tSN:chr1\tLN:1000\n@SQ\tSN:chr2\tLN:500\n";
    type Case<'a> = (&'a str, String, Vec<(&'a str, u32)>);
    let cases: Vec<Case> = vec![
        ("unknown SO", format!("@HD\tVN:1.6\tSO:foo\n{sq}"), refs.clone()),
        ("HD without VN", format!("@HD\tSO:unsorted\n{sq}"), refs.clone()),
        ("HD not first", format!("{sq}@HD\tVN:1.6\n"), refs.clone()),
        ("unknown type", format!("@HD\tVN:1.6\n{sq}@XY\tab:cd\n"), refs.clone()),
        ("CO with tabs", format!("@HD\tVN:1.6\n{sq}@CO\ta\tb\n"), refs.clone()),
        ("repeated RG", format!("@HD\tVN:1.6\n{sq}@RG\tID:a\n@RG\tID:a\n"), refs.clone()),
        ("repeated PG", format!("@HD\tVN:1.6\n{sq}@PG\tID:a\n@PG\tID:a\n"), refs.clone()),
        ("VN not a version", format!("@HD\tVN:abc\n{sq}"), refs.clone()),
        ("LN not a number", "@SQ\tSN:chr1\tLN:abc\n@SQ\tSN:chr2\tLN:500\n".into(), refs.clone()),
        ("no text", String::new(), refs.clone()),
        ("text names differ", "@SQ\tSN:chrX\tLN:1000\n@SQ\tSN:chr2\tLN:500\n".into(), refs.clone()),
        ("text has fewer", "@SQ\tSN:chr1\tLN:1000\n".into(), refs.clone()),
        ("text only", sq.into(), vec![]),
        ("length 0", String::new(), vec![("chr1", 0), ("chr2", 500)]),
        ("NUL in a name", String::new(), vec![("ch\0r1", 1000), ("chr2", 500)]),
        ("CRLF", format!("@HD\tVN:1.6\r\n{sq}"), refs.clone()),
        ("NUL padding", format!("@HD\tVN:1.6\n{sq}\0\0\0"), refs.clone()),
        // Refused by both.
        ("RG without ID", format!("@HD\tVN:1.6\n{sq}@RG\tSM:x\n"), refs.clone()),
        ("field without colon", "@SQ\tSN:chr1\tLN:1000\tfoo\n@SQ\tSN:chr2\tLN:500\n".into(), refs.clone()),
        ("blank line", format!("@HD\tVN:1.6\n\n{sq}"), refs.clone()),
        ("repeated SQ", "@SQ\tSN:chr1\tLN:1000\n@SQ\tSN:chr1\tLN:1000\n".into(), refs.clone()),
        ("SQ without LN", "@SQ\tSN:chr1\n@SQ\tSN:chr2\tLN:500\n".into(), refs.clone()),
        ("repeated binary name", String::new(), vec![("chr1", 1000), ("chr1", 500)]),
    ];
    for (name, text, refs) in cases {
        let raw = raw_bam(&text, &refs, &[RawRecord::default()])?;
        let theirs = match samtools(&["view", "-"], &raw) {
            Ok(None) => return Ok(()),
            Ok(Some(text)) => Some(hex_digest(Algorithm::Md5, &text)),
            Err(_) => None,
        };
        let ours = scan(&raw[..], &options(Algorithm::Md5));
        let ours_etag = ours.as_ref().ok().map(|s| s.etag.clone());
        assert_eq!(ours_etag, theirs, "{name}: {:?}", ours.err().map(|e| e.to_string()));
    }
    Ok(())
}
