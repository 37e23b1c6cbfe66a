//! Conformance with samtools: record counts and ETags of the CRAM 3.0 conformance suite, the
//! `level-*` CRAMs and generated coordinate-sorted CRAM 3.0/3.1 compared with `samtools view`,
//! CRAI accepted by `samtools idxstats` and region queries, and the bad inputs. Tests that need
//! samtools are skipped when it is missing, unless `CI=true`, where they fail.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use md5::{Digest as _, Md5};
use noodles_fasta as fasta;

use super::{Options, ReferenceSequence, ReferenceSource, Summary, scan};
use crate::digest::Algorithm;
use crate::limits::Limits;
use crate::testing::TempDir;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// A whole FASTA held in memory.
struct FastaSource(HashMap<String, Vec<u8>>);

impl FastaSource {
    fn read(path: &Path) -> io::Result<Self> {
        let mut reader = fasta::io::reader::Builder.build_from_path(path)?;
        let mut sequences = HashMap::new();
        for record in reader.records() {
            let record = record?;
            sequences.insert(String::from_utf8_lossy(record.name()).into_owned(), record.sequence().as_ref().to_vec());
        }
        Ok(Self(sequences))
    }

    /// Options to scan a CRAM named `name` on this reference.
    fn options(&self, algorithm: Algorithm, name: &str) -> Options {
        let reference = self
            .0
            .iter()
            .map(|(name, bases)| ReferenceSequence {
                name: name.clone(),
                length: bases.len() as u64,
                md5: md5_hex(bases),
            })
            .collect();
        Options { algorithm, reference, name_prefix: name.to_owned(), limits: Limits::default(), qc: false }
    }
}

impl ReferenceSource for FastaSource {
    fn sequence(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.0.get(name).cloned())
    }
}

fn md5_hex(bases: &[u8]) -> String {
    let normalised: Vec<u8> = bases.iter().filter(|b| b.is_ascii_graphic()).map(u8::to_ascii_uppercase).collect();
    hex::encode(Md5::digest(&normalised))
}

fn samtools_available() -> bool {
    let found = Command::new("samtools").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "samtools is required under CI");
    found
}

/// `samtools view -T reference file [args]` output.
fn samtools_view(reference: &Path, file: &Path, args: &[&str]) -> io::Result<Vec<u8>> {
    let output = Command::new("samtools")
        .arg("view")
        .arg("-T")
        .arg(reference)
        .arg(file)
        .args(args)
        .env("REF_PATH", "/nonexistent")
        .env("REF_CACHE", "/nonexistent")
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    Ok(output.stdout)
}

/// The name samtools gives records stored without one starts with: the file name.
fn file_name(path: &Path) -> String {
    path.file_name().unwrap_or_default().to_string_lossy().into_owned()
}

fn scan_file(path: &Path, source: &FastaSource, algorithm: Algorithm) -> Result<Summary, super::Error> {
    let file = fs::File::open(path).map_err(|e| super::Error::new(super::ErrorKind::Io(e)))?;
    scan(file, source, &source.options(algorithm, &file_name(path)))
}

#[test]
fn test_conformance_suite_matches_samtools() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let dir = testdata().join("hts-specs/cram3.0/passed");
    let reference = testdata().join("hts-specs/ref/ce.fa");
    let source = FastaSource::read(&reference)?;
    let mut names: Vec<_> = fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cram"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("level-")))
        .collect();
    names.sort();
    let mut mismatches = Vec::new();
    for path in &names {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let expected = samtools_view(&reference, path, &[])?;
        let expected_md5 = hex::encode(Md5::digest(&expected));
        let expected_count = expected.iter().filter(|&&b| b == b'\n').count() as u64;
        let options = if header_uses_reference(path, &source)? {
            source.options(Algorithm::Md5, &name)
        } else {
            header_options(path)?
        };
        let result = fs::File::open(path).map_err(|e| super::Error::new(super::ErrorKind::Io(e)));
        match result.and_then(|file| scan(file, &source, &options)) {
            Ok(summary) if summary.records == expected_count && summary.etag == expected_md5 => {}
            Ok(summary) => mismatches.push(format!(
                "{name}: records {} vs {expected_count}, etag {}",
                summary.records,
                if summary.etag == expected_md5 { "same" } else { "differs" }
            )),
            Err(e) => mismatches.push(format!("{name}: {e}")),
        }
    }
    eprintln!("{} of {} conformance CRAMs match samtools", names.len() - mismatches.len(), names.len());
    for m in &mismatches {
        eprintln!("  {m}");
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(names.len(), 62, "the CRAM 3.0 conformance suite");
    Ok(())
}

fn sq_lines(path: &Path) -> io::Result<Vec<ReferenceSequence>> {
    let output = Command::new("samtools").arg("view").arg("-H").arg(path).env("REF_PATH", "/nonexistent").output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    Ok(text
        .lines()
        .filter(|l| l.starts_with("@SQ"))
        .map(|line| {
            let field = |tag: &str| line.split('\t').find_map(|f| f.strip_prefix(tag)).unwrap_or_default().to_owned();
            ReferenceSequence { name: field("SN:"), length: field("LN:").parse().unwrap_or(0), md5: field("M5:") }
        })
        .collect())
}

// The header-only and unmapped files of the suite name `chr1`, not a ce.fa sequence.
fn header_uses_reference(path: &Path, source: &FastaSource) -> io::Result<bool> {
    Ok(sq_lines(path)?.iter().all(|sq| source.0.contains_key(&sq.name)))
}

/// Options whose reference is what the file's own `@SQ` lines say.
fn header_options(path: &Path) -> io::Result<Options> {
    Ok(Options {
        algorithm: Algorithm::Md5,
        reference: sq_lines(path)?,
        name_prefix: file_name(path),
        limits: Limits::default(),
        qc: false,
    })
}

/// A reference source without sequences.
struct NoSequences;

impl ReferenceSource for NoSequences {
    fn sequence(&self, _: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(None)
    }
}

// Their hg19 reference is not shipped and they need it (RR=1): `scan` fails naming the first
// sequence it cannot fetch; the container headers alone give the counts.
#[test]
fn test_level_crams_without_reference() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let data = testdata().join("hts-specs");
    for path in [
        data.join("cram3.0/passed/level-1.cram"),
        data.join("cram3.0/passed/level-2.cram"),
        data.join("cram3.0/passed/level-4.cram"),
        data.join("cram3.1/level-1.cram"),
        data.join("cram3.1/level-2.cram"),
        data.join("cram3.1/level-3.cram"),
        data.join("cram3.1/level-4.cram"),
    ] {
        let e = scan(fs::File::open(&path)?, &NoSequences, &header_options(&path)?).err().ok_or("decoded")?;
        assert_eq!(e.to_string(), "source1: reference sequence chrM is not available", "{}", path.display());
        let mut input = io::BufReader::new(fs::File::open(&path)?);
        super::header::read_file_definition(&mut input)?;
        let offset = super::framing::FILE_DEFINITION_LEN as u64;
        noodles_cram::io::Reader::new(&mut input).read_file_header()?;
        let (mut records, mut bases) = (0, 0);
        loop {
            let frame = super::framing::read_frame(&mut input, offset, u64::MAX).map_err(|_| "bad frame")?;
            if frame.is_eof() {
                break;
            }
            records += frame.record_count;
            bases += frame.bases;
        }
        assert_eq!((records, bases), (20_000, 2_020_000), "{}", path.display());
    }
    Ok(())
}

#[test]
fn test_bad_inputs() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let data = testdata().join("hts-specs");
    let reference = data.join("ref/ce.fa");
    let source = FastaSource::read(&reference)?;
    let good_name = "0500_mapped.cram";
    let options = source.options(Algorithm::Md5, good_name);
    let good = fs::read(data.join("cram3.0/passed").join(good_name))?;

    let truncated = fs::read(data.join("cram3.0/failed/0000_empty_noeof.cram"))?;
    let e = scan(&truncated[..], &source, &header_options(&data.join("cram3.0/failed/0000_empty_noeof.cram"))?)
        .err()
        .ok_or("truncated file accepted")?;
    assert_eq!(e.to_string(), "source1 is truncated: the EOF container is missing");

    let mut v21 = good.clone();
    (v21[4], v21[5]) = (2, 1);
    let e = scan(&v21[..], &source, &options).err().ok_or("CRAM 2.1 accepted")?;
    assert_eq!(
        e.to_string(),
        "source1 is CRAM 2.1, which this server cannot read: rewrite it as CRAM 3 with samtools view -C -T REF"
    );

    let bam = fs::read(data.join("bam/level-1.bam"))?;
    let e = scan(&bam[..], &source, &options).err().ok_or("BAM accepted")?;
    assert_eq!(e.to_string(), "source1 is BAM, not CRAM: declare sourceFileType BAM");

    // ce.fa with one base changed: the @SQ M5 no longer matches.
    let mut mutated = FastaSource::read(&reference)?;
    let sequence = mutated.0.get_mut("CHROMOSOME_I").ok_or("no CHROMOSOME_I")?;
    sequence[1000] = if sequence[1000] == b'A' { b'C' } else { b'A' };
    let e = scan(&good[..], &mutated, &mutated.options(Algorithm::Md5, good_name))
        .err()
        .ok_or("wrong reference accepted")?;
    assert!(
        e.to_string()
            .starts_with("source1 @SQ CHROMOSOME_I M5 8ede36131e0dbf3417807e48f77f3ebd differs from the reference's "),
        "{e}"
    );

    // The same, with the reference's M5 claimed correct: the slice MD5 check catches it.
    let mut claimed = mutated.options(Algorithm::Md5, good_name);
    for sq in &mut claimed.reference {
        sq.md5 = source
            .options(Algorithm::Md5, good_name)
            .reference
            .iter()
            .find(|r| r.name == sq.name)
            .map(|r| r.md5.clone())
            .unwrap_or_default();
    }
    let e = scan(&good[..], &mutated, &claimed).err().ok_or("wrong reference accepted")?;
    assert!(e.to_string().starts_with("source1 record 1: does not match the reference at CHROMOSOME_I:"), "{e}");
    Ok(())
}

fn run(command: &mut Command) -> io::Result<Vec<u8>> {
    let output = command.env("REF_PATH", "/nonexistent").env("REF_CACHE", "/nonexistent").output()?;
    if !output.status.success() {
        return Err(io::Error::other(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    Ok(output.stdout)
}

/// A reference of two random sequences and 3,000 simulated reads with substitutions, indels,
/// soft clips, pairs and unmapped mates, as unsorted SAM text.
fn simulate(dir: &TempDir) -> io::Result<(PathBuf, PathBuf)> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let sequences = [("chrA", 60_000usize), ("chrB", 25_000)];
    let mut fasta_text = String::new();
    let mut bases = Vec::new();
    for (name, len) in sequences {
        let seq: Vec<u8> = (0..len).map(|_| b"ACGT"[next(4) as usize]).collect();
        fasta_text.push_str(&format!(">{name}\n"));
        for line in seq.chunks(60) {
            fasta_text.push_str(&String::from_utf8_lossy(line));
            fasta_text.push('\n');
        }
        bases.push(seq);
    }
    let reference = dir.file("ref.fa");
    fs::write(&reference, fasta_text)?;
    let mut sam = String::from("@HD\tVN:1.6\tSO:unsorted\n");
    for (name, len) in sequences {
        sam.push_str(&format!("@SQ\tSN:{name}\tLN:{len}\n"));
    }
    for i in 0..1500 {
        let r = next(2) as usize;
        let (name, len) = sequences[r];
        let pos = 1 + next((len - 400) as u64) as usize;
        let mate_pos = pos + 100 + next(200) as usize;
        for (mate, p, flag) in [(0, pos, 0x1 | 0x2 | 0x20 | 0x40), (1, mate_pos, 0x1 | 0x2 | 0x10 | 0x80)] {
            let kind = next(5);
            let (cigar, mut read) = match kind {
                0 => ("10S90M".to_owned(), bases[r][p - 1..p - 1 + 90].to_vec()),
                1 => ("50M2D50M".to_owned(), [&bases[r][p - 1..p + 49], &bases[r][p + 51..p + 101]].concat()),
                2 => ("40M3I57M".to_owned(), [&bases[r][p - 1..p + 39], b"TTT", &bases[r][p + 39..p + 96]].concat()),
                _ => ("100M".to_owned(), bases[r][p - 1..p + 99].to_vec()),
            };
            if kind == 0 {
                let clip: Vec<u8> = (0..10).map(|_| b"ACGT"[next(4) as usize]).collect();
                read = [clip, read].concat();
            }
            for _ in 0..next(4) {
                let k = next(read.len() as u64) as usize;
                read[k] = if read[k] == b'A' { b'G' } else { b'A' };
            }
            let qual: String = (0..read.len()).map(|_| char::from(b'#' + next(40) as u8)).collect();
            let unmapped = i % 97 == 0 && mate == 1;
            let flag = if unmapped { (flag | 0x4) & !0x2 & !0x10 } else { flag }
                | if i % 97 == 0 { 0x8 * (1 - mate) } else { 0 };
            let flag = if i % 97 == 0 && mate == 0 { flag & !0x2 } else { flag };
            let (other, tlen) = if mate == 0 {
                (mate_pos, (mate_pos + 99 - pos) as i64)
            } else {
                (pos, -((mate_pos + 99 - pos) as i64))
            };
            let (cigar, mapq, pnext, tlen, pos_out) = if unmapped {
                ("*".to_owned(), 0, pos, 0, pos)
            } else if i % 97 == 0 {
                (cigar, 60, p, 0, p)
            } else {
                (cigar, 60, other, tlen, p)
            };
            let dup = if i % 13 == 0 { 0x400 } else { 0 };
            sam.push_str(&format!(
                "r{i}\t{}\t{name}\t{pos_out}\t{mapq}\t{cigar}\t=\t{pnext}\t{tlen}\t{}\t{qual}\tXF:f:{}\tXI:i:{}\n",
                flag | dup,
                String::from_utf8_lossy(&read),
                next(100_000) as f64 / 7.0,
                next(1000)
            ));
        }
    }
    let sam_path = dir.file("reads.sam");
    fs::write(&sam_path, sam)?;
    Ok((reference, sam_path))
}

#[test]
fn test_generated_sorted_crams_match_samtools() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let dir = TempDir::new("cram-generated")?;
    let (reference, sam) = simulate(&dir)?;
    let bam = dir.file("sorted.bam");
    run(Command::new("samtools").args(["sort", "-o"]).arg(&bam).arg(&sam))?;
    let source = FastaSource::read(&reference)?;
    for version in ["3.0", "3.1"] {
        let cram = dir.file(&format!("v{version}.cram"));
        run(Command::new("samtools")
            .args(["view", "-C", "-T"])
            .arg(&reference)
            .args(["--output-fmt-option", &format!("version={version}"), "-o"])
            .arg(&cram)
            .arg(&bam))?;
        for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
            let summary = scan_file(&cram, &source, algorithm)?;
            let expected = samtools_view(&reference, &cram, &[])?;
            let expected_etag = match algorithm {
                Algorithm::Md5 => hex::encode(Md5::digest(&expected)),
                _ => hex::encode(sha2::Sha256::digest(&expected)),
            };
            assert_eq!(summary.etag, expected_etag, "CRAM {version}");
            assert_eq!(summary.records, expected.iter().filter(|&&b| b == b'\n').count() as u64);
            assert_eq!(summary.version, Some((3, if version == "3.0" { 0 } else { 1 })));
            assert!(summary.sorted && summary.aligned);
            assert_eq!(summary.stored_sha256, hex::encode(sha2::Sha256::digest(fs::read(&cram)?)));
            assert_eq!(summary.stored_md5, hex::encode(Md5::digest(fs::read(&cram)?)));

            // Our CRAI beside a copy of the CRAM, samtools' own beside another.
            let ours = TempDir::new(&format!("cram-crai-{version}"))?;
            let copy = ours.file("reads.cram");
            fs::copy(&cram, &copy)?;
            let (_, crai) = summary.index.ok_or("no CRAI")?;
            fs::write(ours.file("reads.cram.crai"), &crai)?;
            let theirs = TempDir::new(&format!("cram-samtools-crai-{version}"))?;
            let their_copy = theirs.file("reads.cram");
            fs::copy(&cram, &their_copy)?;
            run(Command::new("samtools").arg("index").arg(&their_copy))?;
            let idxstats = |path: &Path| run(Command::new("samtools").arg("idxstats").arg(path));
            assert_eq!(idxstats(&copy)?, idxstats(&their_copy)?);
            for region in ["chrA:1000-2000", "chrA:59000-60000", "chrB:1-500", "chrB:24000-25000", "*"] {
                assert_eq!(
                    samtools_view(&reference, &copy, &[region])?,
                    samtools_view(&reference, &their_copy, &[region])?,
                    "{region}"
                );
            }
        }
    }
    Ok(())
}

// Unsorted records that htslib decodes in its own way: names dropped (`lossy_names`) and so
// generated from the file name and record numbers across several slices and containers; pairs
// linked in the slice whose TLEN htslib recomputes (0 with a mate unmapped, positive for the
// leftmost even when it comes second); a name stored as `*`; an unpaired record with a mate on the
// reverse strand (htslib makes it paired); a read past the end of a reference sequence (stored as
// read bases; `MD` ends at the end of the reference).
#[test]
fn test_generated_unsorted_lossy_crams_match_samtools() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let dir = TempDir::new("cram-lossy")?;
    let (reference, sam) = simulate(&dir)?;
    let source = FastaSource::read(&reference)?;
    let bases = |name: &str, start: usize, len: usize| {
        String::from_utf8_lossy(&source.0[name][start - 1..][..len]).into_owned()
    };
    let qual = "I".repeat(40);
    let mut text = fs::read_to_string(&sam)?;
    for line in [
        format!("*\t0\tchrA\t500\t60\t40M\t*\t0\t0\t{}\t{qual}", bases("chrA", 500, 40)),
        format!("lonely\t32\tchrA\t600\t60\t40M\tchrB\t700\t0\t{}\t{qual}", bases("chrA", 600, 40)),
        format!("rev\t83\tchrA\t1150\t60\t40M\t=\t1000\t-190\t{}\t{qual}", bases("chrA", 1150, 40)),
        format!("rev\t163\tchrA\t1000\t60\t40M\t=\t1150\t190\t{}\t{qual}", bases("chrA", 1000, 40)),
        format!("overhang\t0\tchrB\t24981\t60\t40M\t*\t0\t0\t{}NNACGTRYACGTACGTACGT\t{qual}", bases("chrB", 24981, 20)),
    ] {
        text.push_str(&line);
        text.push('\n');
    }
    fs::write(&sam, text)?;
    for version in ["3.0", "3.1"] {
        let name = format!("lossy reads v{version}.cram");
        let cram = dir.file(&name);
        run(Command::new("samtools")
            .args(["view", "-C", "-T"])
            .arg(&reference)
            .args(["--output-fmt-option", &format!("version={version}")])
            .args(["--output-fmt-option", "lossy_names=1"])
            .args(["--output-fmt-option", "seqs_per_slice=500"])
            .args(["--output-fmt-option", "slices_per_container=2", "-o"])
            .arg(&cram)
            .arg(&sam))?;
        let summary = scan_file(&cram, &source, Algorithm::Md5)?;
        let expected = samtools_view(&reference, &cram, &[])?;
        let text = String::from_utf8_lossy(&expected);
        let generated =
            text.lines().filter_map(|l| l.strip_prefix(&format!("{name}:"))?.split('\t').next()?.parse().ok());
        assert!(generated.max() > Some(2000_u64), "names numbered across slices and containers");
        assert!(text.contains("\n*\t0\tchrA\t500\t") && text.contains("\nlonely\t33\tchrA\t600\t60\t40M\tchrB\t"));
        assert!(text.contains("\t83\tchrA\t1150\t60\t40M\t=\t1000\t-190\t"), "the rightmost mate first");
        assert!(text.contains("\t40M\t*\t0\t0\t") && text.contains("\tMD:Z:20\tNM:i:0\n"), "read past the end");
        assert_eq!(summary.etag, hex::encode(Md5::digest(&expected)), "CRAM {version}");
        assert_eq!(summary.records, expected.iter().filter(|&&b| b == b'\n').count() as u64);
    }
    Ok(())
}

/// Bytes of SAM text in the header container of `path`, up to its padding.
fn header_text_len(path: &Path) -> io::Result<u64> {
    let mut input = io::BufReader::new(fs::File::open(path)?);
    super::header::read_file_definition(&mut input).map_err(|e| io::Error::other(e.to_string()))?;
    let mut reader = noodles_cram::io::Reader::new(&mut input);
    let mut header = reader.header_reader();
    let mut container = header.container_reader()?;
    io::copy(&mut container.raw_sam_header_reader()?, &mut io::sink())
}

#[test]
fn test_limits() -> TestResult {
    let path = testdata().join("hts-specs/cram3.0/passed/0500_mapped.cram");
    let source = FastaSource::read(&testdata().join("hts-specs/ref/ce.fa"))?;
    let text = header_text_len(&path)?;
    let sequences = sq_lines(&path)?.len() as u64;
    let scan_with = |limits: Limits| {
        let file = fs::File::open(&path).map_err(|e| super::Error::new(super::ErrorKind::Io(e)))?;
        scan(file, &source, &Options { limits, ..source.options(Algorithm::Md5, &file_name(&path)) })
    };
    // Exactly at the header limits: imports (the containers of this file are a few kB).
    let exact = Limits { header_bytes: text, reference_sequences: sequences, cram_block_bytes: 1 << 20 };
    assert_eq!(scan_with(exact)?.records, scan_with(Limits::default())?.records);
    let error = scan_with(Limits { header_bytes: text - 1, ..exact }).err().ok_or("scanned")?;
    assert_eq!(error.limit(), Some(crate::limits::Limit::HeaderBytes));
    assert_eq!(
        error.to_string(),
        format!("source1: the header holds more SAM header text than the {} bytes limit", text - 1)
    );
    let error = scan_with(Limits { reference_sequences: sequences - 1, ..exact }).err().ok_or("scanned")?;
    assert_eq!(error.limit(), Some(crate::limits::Limit::ReferenceSequences));
    // A container beyond the limit: refused before it is decoded, naming its offset.
    let error = scan_with(Limits { cram_block_bytes: 100, ..exact }).err().ok_or("scanned")?;
    assert_eq!(error.limit(), Some(crate::limits::Limit::CramBlockBytes));
    assert!(
        error.to_string().starts_with("source1: the container at byte ")
            && error.to_string().ends_with(" over the 100 bytes limit"),
        "{error}"
    );
    Ok(())
}
