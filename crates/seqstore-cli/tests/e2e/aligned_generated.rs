//! Aligned read sets made by the test and checked against samtools end to end with
//! `aws-sdk-omics`:
//!
//! - a seeded random reference (two sequences, 200 kb) and about 5,000 simulated reads with exact
//!   CIGARs (soft clips, insertions, deletions, hard-clipped supplementary alignments), `MD`/`NM`,
//!   a float tag, pairs, duplicates, secondary and unmapped reads, written as SAM, sorted with
//!   `samtools sort` and converted with `samtools view -C` to CRAM 3.0 and 3.1; the reference is
//!   imported, then the BAM and both CRAMs (each with `referenceArn`) in a store of every ETag
//!   family: counts, bases, ETags, flagstat counts, downloaded bytes and downloaded indexes are
//!   compared with samtools;
//! - the CRAM 3.0 conformance files whose `@SQ` lines all name `ce.fa` sequences, imported with
//!   `ce.fa` as their reference: ETags compared with `samtools view -T ce.fa FILE`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use aws_sdk_omics::Client;
use aws_sdk_omics::types::{
    ETagAlgorithmFamily, FileType, ReadSetFile, ReadSetImportJobItemStatus, ReadSetImportJobStatus,
};

use super::aligned_failures::{
    aligned_source, copy_in, import_references, samtools, samtools_available, samtools_count, testdata,
};
use super::fastq_data::{Rng, md5, sha256, sha512};
use super::imports::{import_config, raw_get, start, store, wait, write};
use super::support::{Backend, KEY_A, TestDb, TestServer, sdk};

/// Reference sequences of the generated genome: names and lengths.
const SEQUENCES: [(&str, usize); 2] = [("chrA", 120_000), ("chrB", 80_000)];

/// Read length of the simulated reads.
const READ_LENGTH: usize = 100;

/// Regions queried through the downloaded index (`*`: reads without coordinates).
const REGIONS: [&str; 4] = ["chrA:1-40000", "chrA:60001-120000", "chrB:20000-50000", "*"];

/// The generated reference: bases per sequence, uppercase ACGT.
pub(super) fn genome(seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    SEQUENCES.iter().map(|(_, length)| (0..*length).map(|_| b"ACGT"[(rng.next_u64() % 4) as usize]).collect()).collect()
}

/// `genome` as FASTA text, 60 bases a line.
pub(super) fn fasta(genome: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for ((name, _), bases) in SEQUENCES.iter().zip(genome) {
        out.extend_from_slice(format!(">{name} generated\n").as_bytes());
        for line in bases.chunks(60) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

/// One alignment of a simulated read: 0-based start, CIGAR, read bases, `MD`, `NM`, end
/// (exclusive) on the reference.
struct Alignment {
    start: usize,
    cigar: String,
    seq: Vec<u8>,
    md: String,
    nm: usize,
    end: usize,
}

fn random_base(rng: &mut Rng) -> u8 {
    b"ACGT"[(rng.next_u64() % 4) as usize]
}

fn chance(rng: &mut Rng, percent: u64) -> bool {
    rng.next_u64() % 100 < percent
}

/// Draws a CIGAR for a read of `length` bases (`hard` bases hard-clipped before it), places it on
/// `reference` near `near` (or anywhere), and derives the read bases, `MD` and `NM` from it.
fn align(rng: &mut Rng, reference: &[u8], length: usize, hard: usize, near: Option<usize>) -> Alignment {
    let lead = if chance(rng, 10) { 1 + (rng.next_u64() % 8) as usize } else { 0 };
    let trail = if chance(rng, 10) { 1 + (rng.next_u64() % 8) as usize } else { 0 };
    let indel = rng.next_u64() % 10;
    let indel_length = 1 + (rng.next_u64() % 4) as usize;
    let (ins, del) = match indel {
        0 | 1 => (indel_length, 0),
        2 | 3 => (0, indel_length),
        _ => (0, 0),
    };
    let matched = length - lead - trail - ins;
    let mut ops: Vec<(char, usize)> = Vec::new();
    if hard > 0 {
        ops.push(('H', hard));
    }
    if lead > 0 {
        ops.push(('S', lead));
    }
    if ins + del > 0 {
        let first = 10 + (rng.next_u64() % (matched as u64 - 20)) as usize;
        ops.push(('M', first));
        ops.push(if ins > 0 { ('I', ins) } else { ('D', del) });
        ops.push(('M', matched - first));
    } else {
        ops.push(('M', matched));
    }
    if trail > 0 {
        ops.push(('S', trail));
    }
    let span = matched + del;
    let start = match near {
        Some(at) => (at + (rng.next_u64() % 400) as usize).min(reference.len() - span),
        None => (rng.next_u64() % (reference.len() - span) as u64) as usize,
    };
    let (mut seq, mut md, mut nm, mut run, mut at) = (Vec::new(), String::new(), 0, 0, start);
    for &(op, n) in &ops {
        match op {
            'S' | 'I' => {
                seq.extend((0..n).map(|_| random_base(rng)));
                nm += if op == 'I' { n } else { 0 };
            }
            'M' => {
                for _ in 0..n {
                    let base = reference[at];
                    if chance(rng, 1) {
                        let other = b"ACGT".iter().copied().filter(|&b| b != base).nth((rng.next_u64() % 3) as usize);
                        seq.push(other.expect("three other bases"));
                        write!(md, "{run}{}", base as char).expect("write");
                        run = 0;
                        nm += 1;
                    } else {
                        seq.push(base);
                        run += 1;
                    }
                    at += 1;
                }
            }
            'D' => {
                write!(md, "{run}^{}", String::from_utf8_lossy(&reference[at..at + n])).expect("write");
                run = 0;
                nm += n;
                at += n;
            }
            _ => {}
        }
    }
    write!(md, "{run}").expect("write");
    let cigar = ops.iter().map(|(op, n)| format!("{n}{op}")).collect();
    Alignment { start, cigar, seq, md, nm, end: at }
}

fn quality(rng: &mut Rng, length: usize) -> String {
    (0..length).map(|_| (b'#' + (rng.next_u64() % 39) as u8) as char).collect()
}

/// RNEXT, PNEXT and TLEN of a record.
type Mate<'a> = (&'a str, usize, i64);

/// A mapped record of `alignment` with random qualities and its alignment tags (`NM`, `MD`,
/// `AS`, `RG`; one record in ten also carries a float tag).
fn mapped(rng: &mut Rng, name: &str, flag: u16, chrom: &str, alignment: &Alignment, mapq: u8, mate: Mate) -> String {
    let Alignment { start, cigar, seq, md, nm, .. } = alignment;
    let (seq, qual) = (String::from_utf8_lossy(seq), quality(rng, alignment.seq.len()));
    let (rnext, pnext, tlen) = mate;
    let mut line =
        format!("{name}\t{flag}\t{chrom}\t{}\t{mapq}\t{cigar}\t{rnext}\t{pnext}\t{tlen}\t{seq}\t{qual}", start + 1);
    write!(line, "\tNM:i:{nm}\tMD:Z:{md}\tAS:i:{}\tRG:Z:grp1", rng.next_u64() % 100).expect("write");
    if chance(rng, 10) {
        let value = (rng.next_u64() % 2_000_000) as f64 / 997.0 - 1000.0;
        write!(line, "\tXF:f:{value}").expect("write");
    }
    line + "\n"
}

/// An unmapped record of random bases, placed at `chrom:pos` (`*` and 0 for none).
fn unmapped(rng: &mut Rng, name: &str, flag: u16, chrom: &str, pos: usize, mate: Mate) -> String {
    let seq: String = (0..READ_LENGTH).map(|_| random_base(rng) as char).collect();
    let qual = quality(rng, READ_LENGTH);
    let (rnext, pnext, tlen) = mate;
    format!("{name}\t{flag}\t{chrom}\t{pos}\t0\t*\t{rnext}\t{pnext}\t{tlen}\t{seq}\t{qual}\tRG:Z:grp1\n")
}

/// About 5,000 simulated records on `genome` as SAM text (unsorted, `@SQ` with `M5`): proper
/// and discordant pairs, pairs with an unmapped mate, unmapped pairs, single-end reads, 5 %
/// duplicates, some secondary and hard-clipped supplementary alignments.
pub(super) fn simulated_sam(genome: &[Vec<u8>], seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let rng = &mut rng;
    let mut out = String::from("@HD\tVN:1.6\tSO:unsorted\n");
    for ((name, length), bases) in SEQUENCES.iter().zip(genome) {
        writeln!(out, "@SQ\tSN:{name}\tLN:{length}\tM5:{}", md5(bases)).expect("write");
    }
    out.push_str("@RG\tID:grp1\tSM:sample1\tPL:ILLUMINA\n");
    for pair in 0..2_580 {
        let name = &format!("sim{pair}");
        let dup = if chance(rng, 5) { 0x400 } else { 0 };
        let kind = rng.next_u64() % 100;
        let c1 = (rng.next_u64() % 2) as usize;
        let chrom1 = SEQUENCES[c1].0;
        if kind < 4 {
            // Both mates unmapped, at the end of the sorted file.
            out += &unmapped(rng, name, 77, "*", 0, ("*", 0, 0));
            out += &unmapped(rng, name, 141, "*", 0, ("*", 0, 0));
        } else if kind < 8 {
            // First mate mapped, second unmapped and placed at its mate.
            let a = align(rng, &genome[c1], READ_LENGTH, 0, None);
            let reverse = if chance(rng, 50) { 0x10 } else { 0 };
            let mate = ("=", a.start + 1, 0);
            out += &mapped(rng, name, 0x1 | 0x8 | 0x40 | reverse | dup, chrom1, &a, 60, mate);
            let flag2 = 0x1 | 0x4 | 0x80 | (if reverse > 0 { 0x20 } else { 0 }) | dup;
            out += &unmapped(rng, name, flag2, chrom1, a.start + 1, mate);
        } else if kind < 14 {
            // Single-end read, either strand.
            let a = align(rng, &genome[c1], READ_LENGTH, 0, None);
            let flag = (if chance(rng, 50) { 0x10 } else { 0 }) | dup;
            let mapq = (rng.next_u64() % 61) as u8;
            out += &mapped(rng, name, flag, chrom1, &a, mapq, ("*", 0, 0));
        } else {
            // A pair: proper (same sequence, facing each other) or discordant (other sequence).
            let discordant = kind < 18;
            let c2 = if discordant { 1 - c1 } else { c1 };
            let chrom2 = SEQUENCES[c2].0;
            let a1 = align(rng, &genome[c1], READ_LENGTH, 0, None);
            let near = if discordant { None } else { Some(a1.start + 100) };
            let a2 = align(rng, &genome[c2], READ_LENGTH, 0, near);
            let proper = if discordant { 0 } else { 0x2 };
            let tlen = if discordant { 0 } else { (a1.end.max(a2.end) - a1.start.min(a2.start)) as i64 };
            let (rnext1, rnext2) = if discordant { (chrom2, chrom1) } else { ("=", "=") };
            let flag1 = 0x1 | proper | 0x20 | 0x40 | dup;
            let flag2 = 0x1 | proper | 0x10 | 0x80 | dup;
            let (mapq1, mapq2) = ((rng.next_u64() % 61) as u8, (rng.next_u64() % 61) as u8);
            out += &mapped(rng, name, flag1, chrom1, &a1, mapq1, (rnext1, a2.start + 1, tlen));
            out += &mapped(rng, name, flag2, chrom2, &a2, mapq2, (rnext2, a1.start + 1, -tlen));
            if chance(rng, 3) {
                // A secondary alignment of the first mate elsewhere.
                let s = align(rng, &genome[c1], READ_LENGTH, 0, None);
                out += &mapped(rng, name, flag1 | 0x100, chrom1, &s, 0, (rnext1, a2.start + 1, 0));
            }
            if chance(rng, 2) {
                // A supplementary alignment of the second mate's last 60 bases, hard-clipped.
                let s = align(rng, &genome[c2], 60, 40, None);
                out += &mapped(rng, name, flag2 | 0x800, chrom2, &s, 30, (rnext2, a1.start + 1, 0));
            }
        }
    }
    out
}

/// Digest function of an ETag family.
fn digest_of(family: &ETagAlgorithmFamily) -> fn(&[u8]) -> String {
    match family {
        ETagAlgorithmFamily::Md5Up => md5,
        ETagAlgorithmFamily::Sha256Up => sha256,
        _ => sha512,
    }
}

/// Sum of the SEQ lengths of `samtools view` text (`*` counts nothing).
fn base_count(text: &[u8]) -> i64 {
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.split(|&b| b == b'\t').nth(9).expect("SEQ column"))
        .map(|seq| if seq == b"*" { 0 } else { seq.len() as i64 })
        .sum()
}

/// `samtools flagstat -O tsv` as (description, passed + failed QC) pairs.
fn flagstat(args: &[&str]) -> Vec<(String, u64)> {
    let text = String::from_utf8(samtools(args)).expect("utf-8");
    text.lines()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let (passed, failed, what) = (cols.next()?, cols.next()?, cols.next()?);
            Some((what.to_owned(), passed.parse::<u64>().ok()? + failed.parse::<u64>().ok()?))
        })
        .collect()
}

fn flagstat_value(stats: &[(String, u64)], what: &str) -> u64 {
    stats.iter().find(|(w, _)| w == what).unwrap_or_else(|| panic!("flagstat has no {what:?}: {stats:?}")).1
}

async fn download(client: &Client, store: &str, id: &str, file: ReadSetFile) -> Vec<u8> {
    let out = client.get_read_set().sequence_store_id(store).id(id).file(file).part_number(1).send().await;
    out.expect("GetReadSet").payload.collect().await.expect("payload").into_bytes().to_vec()
}

/// One generated file to import and check.
struct Generated {
    path: std::path::PathBuf,
    uri: String,
    file_type: FileType,
    /// `-T REF` for samtools when the file is CRAM.
    samtools_ref: Vec<String>,
}

impl Generated {
    fn args<'a>(&'a self, command: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![command];
        args.extend(self.samtools_ref.iter().map(String::as_str));
        args.extend_from_slice(rest);
        args
    }

    fn path(&self) -> &str {
        self.path.to_str().expect("utf-8")
    }

    fn file_name(&self) -> String {
        self.path.file_name().expect("name").to_string_lossy().into_owned()
    }
}

/// The downloaded file with its downloaded index beside it (`x.bam.bai`, `x.cram.crai`), and a
/// copy indexed by samtools: idxstats accepted and equal, region counts equal.
fn check_index(dir: &Path, file: &Generated, bytes: &[u8], index: &[u8]) {
    let name = file.file_name();
    let suffix = if file.file_type == FileType::Cram { "crai" } else { "bai" };
    let (ours, theirs) = (dir.join("ours"), dir.join("theirs"));
    std::fs::create_dir_all(&ours).expect("dir");
    std::fs::create_dir_all(&theirs).expect("dir");
    let (ours, theirs) = (ours.join(&name), theirs.join(&name));
    std::fs::write(&ours, bytes).expect("write");
    std::fs::write(ours.with_file_name(format!("{name}.{suffix}")), index).expect("write");
    std::fs::write(&theirs, bytes).expect("write");
    let (ours, theirs) = (ours.to_str().expect("utf-8"), theirs.to_str().expect("utf-8"));
    samtools(&["index", theirs]);
    assert!(std::path::Path::new(&format!("{theirs}.{suffix}")).exists(), "samtools wrote its own .{suffix}");
    // For BAM, idxstats reads its counts from the BAI; for CRAM, samtools 1.16 counts by reading
    // the file (a garbage .crai passes), so the region queries below are what test a CRAI, and
    // the CRAI is also compared with samtools' entry for entry.
    let stats = samtools(&["idxstats", ours]);
    assert_eq!(stats, samtools(&["idxstats", theirs]), "{name}: idxstats with our index");
    if file.file_type == FileType::Cram {
        let theirs_crai = std::fs::read(format!("{theirs}.crai")).expect("samtools' CRAI");
        assert_eq!(gunzip(index), gunzip(&theirs_crai), "{name}: CRAI entries equal samtools'");
    }
    for region in REGIONS {
        let with_ours = samtools_count(&file.args("view", &["-c", ours, region]));
        let with_theirs = samtools_count(&file.args("view", &["-c", theirs, region]));
        assert_eq!(with_ours, with_theirs, "{name}: samtools view -c {region}");
        assert!(with_ours > 0, "{name}: {region} holds reads");
        eprintln!("{name}: {region}: {with_ours} records with the downloaded index");
    }
}

/// The text of a (multi-member) gzip file.
fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_string(&mut text).expect("gzip text");
    text
}

/// The generated BAM, CRAM 3.0 and CRAM 3.1, imported with their reference into a store of each
/// ETag family.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_bam_and_crams_match_samtools() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);

    let genome = genome(42);
    let reference_uri = write(root.path(), "ref.fa", &fasta(&genome));
    let reference = root.path().join("ref.fa");
    let reference = reference.to_str().expect("utf-8").to_owned();
    let sam = simulated_sam(&genome, 43);
    std::fs::write(root.path().join("x.sam"), &sam).expect("write SAM");
    let path = |name: &str| root.path().join(name).to_str().expect("utf-8").to_owned();
    samtools(&["sort", "-o", &path("x.bam"), &path("x.sam")]);
    for (version, name) in [("3.0", "x30.cram"), ("3.1", "x31.cram")] {
        let option = format!("version={version}");
        samtools(&["view", "-C", "-T", &reference, "--output-fmt-option", &option, "-o", &path(name), &path("x.bam")]);
        let cram = std::fs::read(path(name)).expect("CRAM");
        let minor = if version == "3.0" { 0 } else { 1 };
        assert_eq!(&cram[..6], &[b'C', b'R', b'A', b'M', 3, minor], "{name} is CRAM {version}");
    }
    let header = String::from_utf8(samtools(&["view", "-H", &path("x.bam")])).expect("utf-8");
    assert!(header.starts_with("@HD\tVN:1.6\tSO:coordinate"), "{header}");
    let arn = import_references(&client, &[("generated", &reference_uri)]).await.remove(0);

    let files: Vec<Generated> = [("x.bam", FileType::Bam), ("x30.cram", FileType::Cram), ("x31.cram", FileType::Cram)]
        .into_iter()
        .map(|(name, file_type)| Generated {
            path: root.path().join(name),
            uri: format!("file://{}", path(name)),
            samtools_ref: if file_type == FileType::Cram { vec!["-T".into(), reference.clone()] } else { vec![] },
            file_type,
        })
        .collect();
    let texts: Vec<Vec<u8>> = files.iter().map(|f| samtools(&f.args("view", &[f.path()]))).collect();
    let cigars: String = texts[0]
        .split(|&b| b == b'\n')
        .filter_map(|l| l.split(|&b| b == b'\t').nth(5))
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    for op in ['M', 'I', 'D', 'S', 'H', '*'] {
        assert!(cigars.contains(op), "the simulated reads use CIGAR {op}");
    }
    assert!(texts[0].windows(5).any(|w| w == b"XF:f:"), "some records carry a float tag");
    let total = samtools_count(&files[0].args("view", &["-c", files[0].path()]));
    assert!((4_800..5_300).contains(&total), "about 5,000 simulated records: {total}");
    eprintln!("generated: {total} records, {} bytes of SAM", sam.len());

    for family in [ETagAlgorithmFamily::Md5Up, ETagAlgorithmFamily::Sha256Up, ETagAlgorithmFamily::Sha512Up] {
        let store = store(&client, family.clone()).await;
        let sources = files.iter().map(|f| aligned_source(&f.uri, f.file_type.clone(), Some(&arn))).collect();
        let job = wait(&client, &store, &start(&client, &store, sources).await).await;
        assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
        for ((item, file), text) in job.sources().iter().zip(&files).zip(&texts) {
            let name = file.file_name();
            assert_eq!(item.status(), &ReadSetImportJobItemStatus::Finished, "{name}: {item:?}");
            let id = item.read_set_id().expect("read set");
            let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("meta");
            assert_eq!(meta.file_type(), &file.file_type, "{name}");
            assert_eq!(meta.reference_arn(), Some(arn.as_str()), "{name}");
            let info = meta.sequence_information().expect("sequenceInformation");
            let count = samtools_count(&file.args("view", &["-c", file.path()]));
            assert_eq!(count, total, "{name}: samtools counts the same records in every format");
            assert_eq!(info.total_read_count(), Some(count), "{name}: totalReadCount = samtools view -c");
            assert_eq!(info.total_base_count(), Some(base_count(text)), "{name}: totalBaseCount");
            assert_eq!(info.alignment(), Some("ALIGNED"), "{name}");
            let etag = meta.etag().expect("etag");
            let kind = if file.file_type == FileType::Cram { "CRAM" } else { "BAM" };
            assert_eq!(etag.algorithm().map(|a| a.as_str().to_owned()), Some(format!("{kind}_{}", family.as_str())));
            assert_eq!(
                etag.source1(),
                Some(digest_of(&family)(text).as_str()),
                "{name}: ETag = digest of samtools view"
            );
            let bytes = download(&client, &store, id, ReadSetFile::Source1).await;
            assert!(bytes == std::fs::read(&file.path).expect("read"), "{name}: downloaded bytes equal the source");
            if family != ETagAlgorithmFamily::Md5Up {
                continue;
            }
            let index = download(&client, &store, id, ReadSetFile::Index).await;
            check_index(&root.path().join(format!("check-{id}")), file, &bytes, &index);
            let option = format!("reference={reference}");
            let stats = if file.file_type == FileType::Cram {
                flagstat(&["flagstat", "--input-fmt-option", &option, "-O", "tsv", file.path()])
            } else {
                flagstat(&["flagstat", "-O", "tsv", file.path()])
            };
            let meta = raw_get(&server.endpoint, &format!("/sequencestore/{store}/readset/{id}/metadata")).await;
            let ours = &meta["alignmentStatistics"];
            eprintln!("{name}: alignmentStatistics {ours}");
            for (member, what) in [
                ("primary", "primary"),
                ("secondary", "secondary"),
                ("supplementary", "supplementary"),
                ("mapped", "mapped"),
                ("duplicates", "duplicates"),
                ("paired", "paired in sequencing"),
                ("properlyPaired", "properly paired"),
            ] {
                assert_eq!(
                    ours[member].as_u64(),
                    Some(flagstat_value(&stats, what)),
                    "{name}: alignmentStatistics.{member} = flagstat {what:?}"
                );
            }
            for member in ["duplicates", "secondary", "supplementary", "paired", "properlyPaired"] {
                assert!(ours[member].as_u64() > Some(0), "the simulated reads exercise {member}: {ours}");
            }
            assert!(ours["mapped"].as_u64() < Some(total as u64), "some reads are unmapped: {ours}");
        }
    }
    server.stop().await;
}

/// `@SQ` names of a CRAM's header.
fn sq_names(header: &str) -> Vec<String> {
    header
        .lines()
        .filter(|l| l.starts_with("@SQ\t"))
        .filter_map(|l| l.split('\t').find_map(|f| f.strip_prefix("SN:")).map(str::to_owned))
        .collect()
}

/// Every CRAM 3.0 conformance file on `ce.fa`, imported in one job with `ce.fa` as reference, must
/// import with samtools' record count and ETag. Each is imported under its own file name, which
/// names the records of `1001_name` stored without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cram_conformance_files_on_ce_match_samtools() {
    if !samtools_available() {
        return;
    }
    let db = TestDb::new(Backend::chosen()).await.expect("database");
    let root = tempfile::tempdir().expect("root");
    let server = TestServer::start(&import_config(&db, root.path())).await;
    let client = sdk(&server.endpoint, KEY_A);
    let (ce, ce_uri) = copy_in(root.path(), "hts-specs/ref/ce.fa", "ce.fa");
    let ce = ce.to_str().expect("utf-8").to_owned();
    let fai = std::fs::read_to_string(testdata("hts-specs/ref/ce.fa.fai")).expect("ce.fa.fai");
    let ce_names: BTreeSet<&str> = fai.lines().filter_map(|l| l.split('\t').next()).collect();

    let dir = testdata("hts-specs/cram3.0/passed");
    let mut all: Vec<String> = std::fs::read_dir(&dir)
        .expect("conformance directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".cram") && !n.starts_with("level-"))
        .collect();
    all.sort();
    assert_eq!(all.len(), 62, "the CRAM 3.0 conformance suite");
    let mut names = Vec::new();
    for name in &all {
        let path = dir.join(name);
        let header = String::from_utf8(samtools(&["view", "-H", "-T", &ce, path.to_str().expect("utf-8")])).unwrap();
        let sq = sq_names(&header);
        if sq.iter().all(|n| ce_names.contains(n.as_str())) {
            names.push(name.clone());
        } else {
            eprintln!("{name}: not on ce.fa ({sq:?}), left out");
        }
    }
    assert!(names.len() >= 50, "{names:?}");
    let arn = import_references(&client, &[("ce-reference", &ce_uri)]).await.remove(0);
    let store = store(&client, ETagAlgorithmFamily::Md5Up).await;
    let copies: Vec<_> =
        names.iter().map(|n| copy_in(root.path(), &format!("hts-specs/cram3.0/passed/{n}"), n)).collect();
    let sources = copies.iter().map(|(_, uri)| aligned_source(uri, FileType::Cram, Some(&arn))).collect();
    let job_id = start(&client, &store, sources).await;
    let job = wait(&client, &store, &job_id).await;
    assert_eq!(job.status(), &ReadSetImportJobStatus::Completed, "{job:?}");
    let (mut matching, mut report, mut unexpected) = (0, Vec::new(), Vec::new());
    for (item, (name, (path, _))) in job.sources().iter().zip(names.iter().zip(&copies)) {
        let path = path.to_str().expect("utf-8");
        let text = samtools(&["view", "-T", &ce, path]);
        let expected = (md5(&text), samtools_count(&["view", "-c", "-T", &ce, path]));
        let line = if item.status() == &ReadSetImportJobItemStatus::Finished {
            let id = item.read_set_id().expect("read set");
            let meta = client.get_read_set_metadata().sequence_store_id(&store).id(id).send().await.expect("meta");
            let etag = meta.etag().and_then(|e| e.source1()).unwrap_or_default().to_owned();
            let count = meta.sequence_information().and_then(|i| i.total_read_count()).unwrap_or(-1);
            let bytes = download(&client, &store, id, ReadSetFile::Source1).await;
            assert!(bytes == std::fs::read(path).expect("read"), "{name}: downloaded bytes equal the source");
            if (etag.as_str(), count) == (expected.0.as_str(), expected.1) {
                matching += 1;
                format!("{name}: ETag matches samtools ({count} records)")
            } else {
                let what = format!("{name}: ETag {etag} vs samtools {}, records {count} vs {}", expected.0, expected.1);
                unexpected.push(what.clone());
                what
            }
        } else {
            let what = format!("{name}: {:?}: {}", item.status(), item.status_message().unwrap_or_default());
            unexpected.push(what.clone());
            what
        };
        report.push(line);
    }
    eprintln!("{}\n{matching} of {} conformance files on ce.fa match samtools", report.join("\n"), names.len());
    assert!(unexpected.is_empty(), "every file must match samtools:\n{}", unexpected.join("\n"));
    assert_eq!(matching, names.len());
    server.stop().await;
}
