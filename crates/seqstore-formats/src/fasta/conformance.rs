//! Conformance with samtools: the `.fai`, `.gzi` and per-sequence MD5 of [`scan`] compared with
//! what `samtools faidx`, `bgzip -r` and `samtools dict` write for the same generated files, and
//! [`read_bases`] compared with `samtools faidx` regions. The tests are skipped when samtools or
//! bgzip is missing, unless `CI=true`, where they fail. Also the (ignored) throughput measurement.

use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::{Gzi, Sequence, read_bases, scan};
use crate::sniff::Compression;
use crate::testing::{TempDir, gzip};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Whether samtools and bgzip run; without them the caller skips, except under `CI=true`.
fn tools_present() -> bool {
    let runs = |tool: &str| Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    let present = runs("samtools") && runs("bgzip");
    if !present {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "samtools and bgzip are required when CI=true");
        eprintln!("skipped: samtools or bgzip not found (apt-get install samtools tabix)");
    }
    present
}

fn run(program: &str, args: &[&Path]) -> io::Result<Vec<u8>> {
    let output = Command::new(program).args(args).output()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(io::Error::other(format!("{program} {args:?} failed: {stderr}")));
    }
    Ok(output.stdout)
}

/// Pseudo-random bases, soft-masked in runs, with IUPAC codes, deterministic.
fn bases(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut masked = false;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if state >> 54 == 0 {
                masked = !masked;
            }
            let base = b"ACGTACGTACGTACGTACGTACGTACGTNRYK"[(state >> 59) as usize];
            if masked { base.to_ascii_lowercase() } else { base }
        })
        .collect()
}

/// A FASTA text of `(name, description, length, line width)` sequences, without a final newline
/// when `final_newline` is false.
fn fasta(sequences: &[(&str, &str, usize, usize)], final_newline: bool) -> Vec<u8> {
    let mut text = Vec::new();
    for (i, &(name, description, length, width)) in sequences.iter().enumerate() {
        text.extend_from_slice(format!(">{name}{description}\n").as_bytes());
        for line in bases(length, i as u64 + 1).chunks(width) {
            text.extend_from_slice(line);
            text.push(b'\n');
        }
    }
    if !final_newline {
        text.pop();
    }
    text
}

/// Files exercising the `.fai` rules: soft-masking, a line width per sequence, a short last line,
/// lengths that are exact multiples of the width, one-line and one-base sequences, descriptions
/// with tabs, and (in the first) enough text for several BGZF blocks.
fn files() -> Vec<Vec<u8>> {
    vec![
        fasta(
            &[
                ("chr1", " human chromosome 1", 250_001, 60),
                ("chr2", "\tAC:CM000664.2\tgi:568336022", 120_000, 60),
                ("chrM", "", 16_569, 70),
                ("chrUn_KI270302v1", " unplaced", 2_274, 80),
                ("HLA-A*01:01:01:01", "", 3_503, 50),
                ("one_line", "", 500, 1000),
                ("exact", "", 300, 100),
                ("single", "", 1, 60),
            ],
            true,
        ),
        fasta(&[("a", "", 1000, 61), ("b", " x", 999, 61), ("c", "", 10, 3)], false),
        fasta(&[("only", "", 7, 7)], false),
    ]
}

/// `SN` → `M5` of the `@SQ` lines of `samtools dict`.
fn dict_md5s(dict: &[u8]) -> Vec<(String, String)> {
    let dict = String::from_utf8_lossy(dict);
    let field = |line: &str, tag: &str| line.split('\t').find_map(|f| f.strip_prefix(tag)).map(str::to_owned);
    dict.lines()
        .filter(|line| line.starts_with("@SQ\t"))
        .filter_map(|line| field(line, "SN:").zip(field(line, "M5:")))
        .collect()
}

fn md5s(sequences: &[Sequence]) -> Vec<(String, String)> {
    sequences.iter().map(|s| (s.name.clone(), s.md5.clone())).collect()
}

/// Bases of `samtools faidx file region`, without its header and line breaks.
fn samtools_region(file: &Path, region: &str) -> io::Result<Vec<u8>> {
    let output = run("samtools", &[Path::new("faidx"), file, Path::new(region)])?;
    let body = output.splitn(2, |&b| b == b'\n').nth(1).unwrap_or_default();
    Ok(body.iter().copied().filter(|&b| b != b'\n').collect())
}

/// Regions at the start, across line breaks, in the middle and at the end of each sequence.
fn regions(sequence: &Sequence) -> Vec<(u64, u64)> {
    let length = sequence.length;
    let mut regions =
        vec![(0, 1.min(length)), (0, length.min(150)), (length - 1, 1), (length / 2, (length / 2).min(1234))];
    if length > 70_000 {
        regions.push((65_000, 3000));
    }
    regions.retain(|&(_, len)| len > 0);
    regions
}

fn compare_regions(
    path: &Path,
    raw: &[u8],
    compression: Compression,
    gzi: Option<&Gzi>,
    sequences: &[Sequence],
) -> TestResult {
    let raw = raw.to_vec();
    for sequence in sequences {
        for (start, len) in regions(sequence) {
            let region = format!("{}:{}-{}", sequence.name, start + 1, start + len);
            let expected = samtools_region(path, &region)?;
            let found = read_bases(&raw, compression, gzi, sequence, start, len)?;
            assert_eq!(found, expected, "{compression:?} {region}");
        }
    }
    Ok(())
}

#[test]
fn test_scan_matches_samtools_plain() -> TestResult {
    if !tools_present() {
        return Ok(());
    }
    let dir = TempDir::new("fasta-plain")?;
    for (i, text) in files().into_iter().enumerate() {
        let path = dir.file(&format!("ref{i}.fa"));
        fs::write(&path, &text)?;
        run("samtools", &[Path::new("faidx"), &path])?;
        let summary = scan(&text[..], None)?;
        assert_eq!(String::from_utf8(summary.fai.clone())?, fs::read_to_string(dir.file(&format!("ref{i}.fa.fai")))?);
        assert_eq!(md5s(&summary.sequences), dict_md5s(&run("samtools", &[Path::new("dict"), &path])?));
        compare_regions(&path, &text, Compression::Plain, None, &summary.sequences)?;
    }
    Ok(())
}

#[test]
fn test_scan_matches_samtools_bgzf() -> TestResult {
    if !tools_present() {
        return Ok(());
    }
    let dir = TempDir::new("fasta-bgzf")?;
    for (i, text) in files().into_iter().enumerate() {
        let plain = dir.file(&format!("ref{i}.fa"));
        fs::write(&plain, &text)?;
        run("bgzip", &[Path::new("-f"), &plain])?;
        let path = dir.file(&format!("ref{i}.fa.gz"));
        run("samtools", &[Path::new("faidx"), &path])?;
        let raw = fs::read(&path)?;
        let summary = scan(&raw[..], None)?;
        assert_eq!(summary.compression, Compression::Bgzf);
        assert_eq!(
            String::from_utf8(summary.fai.clone())?,
            fs::read_to_string(dir.file(&format!("ref{i}.fa.gz.fai")))?
        );
        let gzi = fs::read(dir.file(&format!("ref{i}.fa.gz.gzi")))?;
        assert_eq!(summary.gzi.as_ref(), Some(&gzi), "ref{i}: .gzi differs from samtools faidx");
        assert_eq!(md5s(&summary.sequences), dict_md5s(&run("samtools", &[Path::new("dict"), &path])?));
        let gzi = Gzi::parse(&gzi)?;
        compare_regions(&path, &raw, Compression::Bgzf, Some(&gzi), &summary.sequences)?;
    }
    Ok(())
}

#[test]
fn test_bgzf_copy_matches_bgzip_and_samtools() -> TestResult {
    if !tools_present() {
        return Ok(());
    }
    let dir = TempDir::new("fasta-copy")?;
    for (i, text) in files().into_iter().enumerate() {
        let raw = gzip(&text)?;
        let mut copy = Vec::new();
        let summary = scan(&raw[..], Some(&mut copy))?;
        assert_eq!(summary.compression, Compression::Gzip);
        let path = dir.file(&format!("copy{i}.fa.gz"));
        fs::write(&path, &copy)?;
        run("bgzip", &[Path::new("-r"), &path])?;
        let gzi = fs::read(dir.file(&format!("copy{i}.fa.gz.gzi")))?;
        assert_eq!(summary.gzi.as_ref(), Some(&gzi), "copy{i}: .gzi differs from bgzip -r");
        fs::remove_file(dir.file(&format!("copy{i}.fa.gz.gzi")))?;
        run("samtools", &[Path::new("faidx"), &path])?;
        assert_eq!(
            String::from_utf8(summary.fai.clone())?,
            fs::read_to_string(dir.file(&format!("copy{i}.fa.gz.fai")))?
        );
        assert_eq!(fs::read(dir.file(&format!("copy{i}.fa.gz.gzi")))?, gzi);
        compare_regions(&path, &copy, Compression::Bgzf, Some(&Gzi::parse(&gzi)?), &summary.sequences)?;
    }
    Ok(())
}

#[test]
fn test_gzi_matches_bgzip_with_empty_blocks() -> TestResult {
    if !tools_present() {
        return Ok(());
    }
    let dir = TempDir::new("fasta-empty-blocks")?;
    let plain = dir.file("ref.fa");
    fs::write(&plain, &files()[0])?;
    run("bgzip", &[Path::new("-f"), &plain])?;
    let bgzf = fs::read(dir.file("ref.fa.gz"))?;
    let (half, eof) = (bgzf.len() / 2, &bgzf[bgzf.len() - 28..]);
    // Cut at a block boundary: the block start nearest the middle, from the .gzi bgzip writes.
    run("bgzip", &[Path::new("-r"), &dir.file("ref.fa.gz")])?;
    let blocks = Gzi::parse(&fs::read(dir.file("ref.fa.gz.gzi"))?)?;
    let cut = blocks.entries().iter().map(|&(c, _)| c as usize).find(|&c| c >= half).ok_or("one block")?;
    // An empty block first, one in the middle, and two at the end.
    let raw = [eof, &bgzf[..cut], eof, &bgzf[cut..], eof].concat();
    let path = dir.file("blocks.fa.gz");
    fs::write(&path, &raw)?;
    run("bgzip", &[Path::new("-r"), &path])?;
    let summary = scan(&raw[..], None)?;
    assert_eq!(summary.gzi, Some(fs::read(dir.file("blocks.fa.gz.gzi"))?));
    Ok(())
}

/// About `len` bytes of plain FASTA: 25 chromosomes of 60-base soft-masked lines.
fn large_fasta(len: usize) -> Vec<u8> {
    // A 1 MiB pool of lines, reused, keeps generation fast.
    let pool: Vec<u8> = bases(1 << 20, 7);
    let per_sequence = len / 25 / 61 * 60;
    let mut text = Vec::with_capacity(len + 4096);
    for i in 0..25 {
        text.extend_from_slice(format!(">chr{} generated\n", i + 1).as_bytes());
        let mut left = per_sequence;
        let mut at = i * 4099;
        while left > 0 {
            let n = left.min(60);
            let start = at % (pool.len() - 60);
            text.extend_from_slice(&pool[start..start + n]);
            text.push(b'\n');
            left -= n;
            at += 60;
        }
    }
    text
}

/// Throughput of [`scan`] on 500 MB of plain FASTA (and of gzip with a BGZF copy on 100 MB).
/// Run with `cargo test --release -p seqstore-formats -- --ignored --nocapture throughput`.
#[test]
#[ignore = "takes a minute; measures throughput"]
fn test_throughput() -> TestResult {
    let text = large_fasta(500_000_000);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let summary = scan(&text[..], None)?;
        best = best.min(started.elapsed().as_secs_f64());
        assert_eq!(summary.sequences.len(), 25);
    }
    println!("plain: {} MB in {best:.2} s: {:.0} MB/s", text.len() / 1_000_000, text.len() as f64 / best / 1e6);

    let text = large_fasta(100_000_000);
    let raw = gzip(&text)?;
    let started = Instant::now();
    scan(&raw[..], None)?;
    let gzip_secs = started.elapsed().as_secs_f64();
    let mut copy = Vec::new();
    let started = Instant::now();
    let summary = scan(&raw[..], Some(&mut copy))?;
    let copy_secs = started.elapsed().as_secs_f64();
    assert!(summary.gzi.is_some());
    println!(
        "gzip: {:.0} MB/s of FASTA; with BGZF copy: {:.0} MB/s ({} MB gzip -> {} MB BGZF)",
        text.len() as f64 / gzip_secs / 1e6,
        text.len() as f64 / copy_secs / 1e6,
        raw.len() / 1_000_000,
        copy.len() / 1_000_000
    );
    Ok(())
}
