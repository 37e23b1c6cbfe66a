//! `qc::QcCollector` against `samtools stats` (1.16), section by section: each file is decoded
//! with noodles (BAM as stored, through `Bases::Packed`; CRAM to `RecordBuf`s; FASTQ as text)
//! and fed to the collector — and scanned by the importer's own scans with statistics on
//! (`bam::scan`, `cram::scan`, `fastq::scan`/`scan_pair`), whose report must be the same — and
//! its report is compared with what samtools prints of the same
//! file: `SN` (every total the collector covers), `RL`/`FRL`/`LRL`, `FFQ`/`LFQ`, `GCF`/`GCL`,
//! `GCC`/`FBC`/`LBC`/`FTC`/`LTC`, `IS` (and its properly paired reads against `samtools stats -f
//! 0x2`), `MAPQ` (samtools 1.16 has no such section: compared with the records `samtools view`
//! prints, as samtools 1.17 selects them, and with the section where samtools has it), and the
//! per-reference counts with `samtools view` (and `samtools idxstats` where it reads the file).
//!
//! Files: the BAMs and CRAMs of `testdata/hts-specs` (CRAM 3.0 conformance suite included), the
//! edge-value corpus of `samtools_corpus/records.rs` as BAM and CRAM, generated pairs (every
//! orientation, duplicates, QC failures, secondary and hard-clipped supplementary records, reads
//! longer than 500 bases, reads without qualities) as BAM and CRAM, and generated FASTQ (single
//! and paired) through `samtools import`.
//!
//! Where the collector differs by design, the comparison maps samtools' values onto its bins:
//! cycles after 500 are summed into cycle 501 (`FFQ`/`LFQ`; the per-cycle percentages of `GCC`,
//! `FBC` and `LBC` are compared up to cycle 500, and their totals, `FTC`/`LTC`, whole), quality
//! values above 93 (and samtools' 255 for a read without qualities) into the unusable bin, read
//! lengths of 1,024 and more into their bins. "average quality" is compared only where every read
//! has qualities (samtools adds 255 per base of one without). For CRAM, `NM` is the value `samtools
//! view` prints (htslib regenerates it where the file does not store it, as `cram::scan` does).
//!
//! Skipped when samtools is missing, unless `CI=true`, where that fails.

#[path = "samtools_corpus/tools.rs"]
#[macro_use]
mod tools;
#[path = "samtools_corpus/records.rs"]
#[allow(dead_code)]
mod records;

use tools::{Reference, TempDir, samtools, samtools_available, testdata};

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use noodles_fasta as fasta;
use noodles_sam::alignment::record::data::field::Tag;
use seqstore_formats::alignment::ReferenceSequence;
use seqstore_formats::digest::Algorithm;
use seqstore_formats::limits::Limits;
use seqstore_formats::qc::{AlignedRead, Bases, CigarCounts, Cycle, LengthBin, Mate, QcCollector, QcReport};
use seqstore_formats::{bam, cram, fastq};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn reference_path() -> PathBuf {
    testdata("hts-specs/ref/ce.fa")
}

/// `--input-fmt-option reference=…` for CRAM, nothing for BAM.
fn reference_option(file: &Path) -> Vec<String> {
    match file.extension().is_some_and(|e| e == "cram") {
        true => vec!["--input-fmt-option".into(), format!("reference={}", reference_path().display())],
        false => Vec::new(),
    }
}

/// What `samtools stats` prints, line by line: the tag and the fields after it.
struct Stats(Vec<(String, Vec<String>)>);

impl Stats {
    fn of(file: &Path, options: &[&str]) -> io::Result<Self> {
        let mut args: Vec<String> = vec!["stats".into()];
        args.extend(reference_option(file));
        args.extend(options.iter().map(|o| o.to_string()));
        args.push(file.display().to_string());
        let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        let text = String::from_utf8_lossy(&samtools(&args)?).into_owned();
        let lines = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let tag = fields.next()?.to_owned();
                Some((tag, fields.map(str::to_owned).collect()))
            })
            .collect();
        Ok(Self(lines))
    }

    fn section<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a [String]> + 'a {
        self.0.iter().filter(move |(t, _)| t == tag).map(|(_, fields)| fields.as_slice())
    }

    /// A section of numbers (the first field of each row as printed).
    fn numbers(&self, tag: &str) -> Vec<Vec<u64>> {
        self.section(tag).map(|row| row.iter().map(|f| f.parse().unwrap_or(u64::MAX)).collect()).collect()
    }

    /// `SN` values by label (without its colon).
    fn summary(&self) -> HashMap<String, String> {
        self.section("SN")
            .filter_map(|row| Some((row.first()?.trim_end_matches(':').to_owned(), row.get(1)?.clone())))
            .collect()
    }
}

/// What `samtools view` prints of each record: FLAG, RNAME, MAPQ, whether SEQ is `*`, and NM.
struct ViewRecord {
    flag: u16,
    rname: String,
    mapq: u8,
    no_seq: bool,
    nm: Option<u32>,
}

fn view(file: &Path) -> io::Result<Vec<ViewRecord>> {
    let mut args: Vec<String> = vec!["view".into()];
    args.extend(reference_option(file));
    args.push(file.display().to_string());
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let text = samtools(&args)?;
    let records = text
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
            let text = |i: usize| String::from_utf8_lossy(fields.get(i).copied().unwrap_or_default()).into_owned();
            let nm = fields
                .iter()
                .skip(11)
                .find_map(|f| f.strip_prefix(b"NM:i:"))
                .and_then(|n| String::from_utf8_lossy(n).parse::<i64>().ok())
                .and_then(|n| u32::try_from(n).ok());
            ViewRecord {
                flag: text(1).parse().unwrap_or(u16::MAX),
                rname: text(2),
                mapq: text(4).parse().unwrap_or(0),
                no_seq: text(9) == "*",
                nm,
            }
        })
        .collect();
    Ok(records)
}

/// The collector fed with a BAM's records as stored (packed bases, raw qualities, packed CIGAR),
/// as the importer's BAM scan holds them; and the reference sequence names.
fn collect_bam(path: &Path) -> io::Result<(QcCollector, Vec<String>)> {
    let mut reader = noodles_bam::io::Reader::new(File::open(path)?);
    let header = reader.read_header()?;
    let names: Vec<String> = header.reference_sequences().keys().map(|n| n.to_string()).collect();
    let mut qc = QcCollector::new(names.len());
    for record in reader.records() {
        let record = record?;
        let sequence = record.sequence();
        let edit_distance = match record.data().get(&Tag::EDIT_DISTANCE).transpose()? {
            Some(value) => value.as_int().and_then(|n| u32::try_from(n).ok()),
            None => None,
        };
        qc.add_alignment(&AlignedRead {
            flags: record.flags(),
            reference_id: record.reference_sequence_id().transpose()?,
            position: record.alignment_start().transpose()?.map(usize::from),
            mate_reference_id: record.mate_reference_sequence_id().transpose()?,
            mate_position: record.mate_alignment_start().transpose()?.map(usize::from),
            mapping_quality: record.mapping_quality().map_or(255, u8::from),
            template_length: record.template_length(),
            bases: Bases::Packed { codes: sequence.as_bytes(), len: sequence.len() },
            qualities: record.quality_scores().as_bytes(),
            cigar: CigarCounts::from_packed(record.cigar().as_bytes()),
            edit_distance,
        });
    }
    Ok((qc, names))
}

/// `ce.fa` for noodles' CRAM decoder.
fn repository() -> io::Result<fasta::Repository> {
    let mut reader = fasta::io::reader::Builder.build_from_path(reference_path())?;
    let records = reader.records().collect::<io::Result<Vec<_>>>()?;
    Ok(fasta::Repository::new(records))
}

/// The collector fed with a CRAM's records decoded by noodles, with `NM` as `samtools view`
/// prints it (`nm`, record by record).
fn collect_cram(path: &Path, nm: &[Option<u32>]) -> io::Result<(QcCollector, Vec<String>)> {
    let mut reader = noodles_cram::io::reader::Builder::default()
        .set_reference_sequence_repository(repository()?)
        .build_from_path(path)?;
    let header = reader.read_header()?;
    let names: Vec<String> = header.reference_sequences().keys().map(|n| n.to_string()).collect();
    let mut qc = QcCollector::new(names.len());
    for (i, record) in reader.records(&header).enumerate() {
        let record = record?;
        let read = AlignedRead { edit_distance: nm.get(i).copied().flatten(), ..AlignedRead::from_record_buf(&record) };
        qc.add_alignment(&read);
    }
    Ok((qc, names))
}

/// The collector fed with a BAM or CRAM, and the reference sequence names.
fn collect(path: &Path, view: &[ViewRecord]) -> io::Result<(QcCollector, Vec<String>)> {
    match path.extension().is_some_and(|e| e == "cram") {
        true => collect_cram(path, &view.iter().map(|r| r.nm).collect::<Vec<_>>()),
        false => collect_bam(path),
    }
}

/// C's `%e`: `1.831290e-02`.
fn c_exponent(x: f64) -> String {
    let text = format!("{x:.6e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    format!("{mantissa}e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs())
}

/// `a / b` as C's `(float)a / b`, 0 when `b` is 0.
fn float_ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { f64::from(a as f32 / b as f32) }
}

/// The `SN` lines the collector covers, as samtools prints them.
fn summary_lines(report: &QcReport) -> Vec<(&'static str, String)> {
    let t = &report.totals;
    let sizes = &report.insert_sizes;
    let mut lines = vec![
        ("raw total sequences", t.sequences.to_string()),
        ("filtered sequences", "0".into()),
        ("sequences", t.sequences.to_string()),
        ("1st fragments", t.first_fragments.to_string()),
        ("last fragments", t.last_fragments.to_string()),
        ("reads mapped", t.reads_mapped.to_string()),
        ("reads mapped and paired", t.reads_mapped_and_paired.to_string()),
        ("reads unmapped", t.reads_unmapped.to_string()),
        ("reads properly paired", t.reads_properly_paired.to_string()),
        ("reads paired", t.reads_paired.to_string()),
        ("reads duplicated", t.reads_duplicated.to_string()),
        ("reads MQ0", t.reads_mq0.to_string()),
        ("reads QC failed", t.reads_qc_failed.to_string()),
        ("non-primary alignments", t.secondary.to_string()),
        ("supplementary alignments", t.supplementary.to_string()),
        ("total length", t.total_length.to_string()),
        ("total first fragment length", t.first_fragment_length.to_string()),
        ("total last fragment length", t.last_fragment_length.to_string()),
        ("bases mapped", t.bases_mapped.to_string()),
        ("bases mapped (cigar)", t.bases_mapped_cigar.to_string()),
        ("bases trimmed", "0".into()),
        ("bases duplicated", t.bases_duplicated.to_string()),
        ("mismatches", t.mismatches.to_string()),
        ("error rate", c_exponent(float_ratio(t.mismatches, t.bases_mapped_cigar))),
        ("average length", t.total_length.checked_div(t.sequences).unwrap_or(0).to_string()),
        ("average first fragment length", format!("{:.0}", float_ratio(t.first_fragment_length, t.first_fragments))),
        ("average last fragment length", format!("{:.0}", float_ratio(t.last_fragment_length, t.last_fragments))),
        ("maximum length", t.maximum_length.to_string()),
        ("maximum first fragment length", t.maximum_first_fragment_length.to_string()),
        ("maximum last fragment length", t.maximum_last_fragment_length.to_string()),
        ("insert size average", format!("{:.1}", sizes.mean)),
        ("insert size standard deviation", format!("{:.1}", sizes.standard_deviation)),
        ("inward oriented pairs", sizes.inward_pairs.to_string()),
        ("outward oriented pairs", sizes.outward_pairs.to_string()),
        ("pairs with other orientation", sizes.other_pairs.to_string()),
        ("pairs on different chromosomes", (t.reads_on_different_references / 2).to_string()),
        (
            "percentage of properly paired reads (%)",
            format!("{:.1}", float_ratio(100 * t.reads_properly_paired, t.sequences)),
        ),
    ];
    // samtools counts 255 for each base of a read without qualities.
    if t.reads_without_quality == 0 {
        let average = if t.total_length > 0 { t.quality_sum as f64 / t.total_length as f64 } else { 0.0 };
        lines.push(("average quality", format!("{average:.1}")));
    }
    lines
}

/// samtools' read lengths summed into the collector's bins, compared with them.
fn compare_lengths(tag: &str, rows: &[Vec<u64>], ours: &[LengthBin], differences: &mut Vec<String>) {
    let mut theirs = vec![0; ours.len()];
    for row in rows {
        let (length, reads) = (row[0], row[1]);
        match ours.iter().position(|b| b.from <= length && b.to.is_none_or(|to| length <= to)) {
            Some(i) => theirs[i] += reads,
            None => differences.push(format!("{tag}: samtools has {reads} reads of length {length}, we have none")),
        }
    }
    for (bin, theirs) in ours.iter().zip(theirs) {
        if bin.reads != theirs {
            differences.push(format!("{tag}: {} reads of {}..{:?}, samtools {theirs}", bin.reads, bin.from, bin.to));
        }
    }
}

/// Cycle bins (501) × quality bins (95) of samtools' `FFQ`/`LFQ`, cycles after 500 summed into
/// the last cycle bin and values above 93 into the last quality bin.
fn quality_matrix_of_samtools(rows: &[Vec<u64>]) -> Vec<[u64; 95]> {
    let mut matrix = vec![[0; 95]; 501];
    for row in rows {
        let cycle = (row[0] as usize).min(501) - 1;
        for (q, &n) in row[1..].iter().enumerate() {
            matrix[cycle][q.min(94)] += n;
        }
    }
    matrix
}

fn quality_matrix(cycles: &[Cycle]) -> Vec<[u64; 95]> {
    let mut matrix = vec![[0; 95]; 501];
    for cycle in cycles {
        let row = &mut matrix[cycle.cycle - 1];
        row[..cycle.qualities.len()].copy_from_slice(&cycle.qualities);
        row[94] = cycle.unusable;
    }
    matrix
}

/// samtools' `GCF`/`GCL` lines of a 200-bin histogram (`output_stats`: one line per run of equal
/// counts but the last).
fn gc_lines(bins: &[u64]) -> Vec<String> {
    let mut bins = bins.to_vec();
    bins.resize(200, 0);
    let mut lines = Vec::new();
    let mut previous = 0;
    for i in 0..bins.len() {
        if bins[i] == bins[previous] {
            continue;
        }
        lines.push(format!("{:.2}\t{}", (i + previous) as f64 * 0.5 * 100.0 / 199.0, bins[previous]));
        previous = i;
    }
    lines
}

/// Base counts per cycle, 1-based, of `cycles` (of one or both fragments), up to cycle 500, as
/// samtools' `GCC`/`FBC`/`LBC` lines.
fn base_lines(fragments: &[&[Cycle]]) -> Vec<String> {
    let mut counts: BTreeMap<usize, [u64; 6]> = BTreeMap::new();
    for cycles in fragments {
        for cycle in cycles.iter().filter(|c| c.cycle <= 500) {
            let b = cycle.bases;
            let sum = counts.entry(cycle.cycle).or_default();
            for (to, from) in sum.iter_mut().zip([b.a, b.c, b.g, b.t, b.n, b.other]) {
                *to += from;
            }
        }
    }
    counts
        .into_iter()
        .filter_map(|(cycle, counts)| {
            let acgt = counts[..4].iter().sum::<u64>();
            (acgt > 0).then(|| {
                let mut line = cycle.to_string();
                for n in counts {
                    let _ = write!(line, "\t{:.2}", 100.0 * n as f64 / acgt as f64);
                }
                line
            })
        })
        .collect()
}

/// samtools' `FTC`/`LTC`: A, C, G, T and N over every cycle.
fn base_totals(cycles: &[Cycle]) -> String {
    let mut totals = [0u64; 5];
    for cycle in cycles {
        let b = cycle.bases;
        for (to, from) in totals.iter_mut().zip([b.a, b.c, b.g, b.t, b.n]) {
            *to += from;
        }
    }
    totals.map(|n| n.to_string()).join("\t")
}

/// Every section of `stats` compared with `report`: a description of each difference.
fn compare(report: &QcReport, stats: &Stats) -> Vec<String> {
    let mut differences = Vec::new();
    let summary = stats.summary();
    for (label, ours) in summary_lines(report) {
        match summary.get(label) {
            Some(theirs) if *theirs == ours => {}
            theirs => differences.push(format!("SN {label}: {ours}, samtools {theirs:?}")),
        }
    }
    for (tag, ours) in
        [("RL", &report.read_lengths), ("FRL", &report.first_fragment_lengths), ("LRL", &report.last_fragment_lengths)]
    {
        compare_lengths(tag, &stats.numbers(tag), ours, &mut differences);
    }
    for (tag, cycles) in [("FFQ", &report.first_fragment_cycles), ("LFQ", &report.last_fragment_cycles)] {
        let (ours, theirs) = (quality_matrix(cycles), quality_matrix_of_samtools(&stats.numbers(tag)));
        if let Some(cycle) = (0..501).find(|&c| ours[c] != theirs[c]) {
            differences.push(format!("{tag} cycle {}: {:?}\n  samtools {:?}", cycle + 1, ours[cycle], theirs[cycle]));
        }
    }
    let lines = |tag: &str| stats.section(tag).map(|row| row.join("\t")).collect::<Vec<_>>();
    let up_to_500 = |tag: &str| -> Vec<String> {
        stats
            .section(tag)
            .filter(|row| row[0].parse::<usize>().is_ok_and(|c| c <= 500))
            .map(|row| row.join("\t"))
            .collect()
    };
    let (first, last) = (&report.first_fragment_cycles[..], &report.last_fragment_cycles[..]);
    let checks = [
        ("GCF", gc_lines(&report.first_fragment_gc), lines("GCF")),
        ("GCL", gc_lines(&report.last_fragment_gc), lines("GCL")),
        ("GCC", base_lines(&[first, last]), up_to_500("GCC")),
        ("FBC", base_lines(&[first]), up_to_500("FBC")),
        ("LBC", base_lines(&[last]), up_to_500("LBC")),
        ("FTC", vec![base_totals(first)], lines("FTC")),
        ("LTC", vec![base_totals(last)], lines("LTC")),
    ];
    for (tag, ours, theirs) in checks {
        if let Some(i) = (0..ours.len().max(theirs.len())).find(|&i| ours.get(i) != theirs.get(i)) {
            differences.push(format!("{tag} line {}: {:?}, samtools {:?}", i + 1, ours.get(i), theirs.get(i)));
        }
    }
    compare_insert_sizes(report, &stats.numbers("IS"), |b| [b.pairs, b.inward, b.outward, b.other], &mut differences);
    let mapq = stats.numbers("MAPQ");
    if !mapq.is_empty() {
        let theirs: BTreeMap<u64, u64> = mapq.iter().map(|row| (row[0], row[1])).collect();
        let ours: BTreeMap<u64, u64> =
            report.mapping_qualities.iter().enumerate().filter(|(_, n)| **n > 0).map(|(q, n)| (q as u64, *n)).collect();
        if ours != theirs {
            differences.push(format!("MAPQ {ours:?}, samtools {theirs:?}"));
        }
    }
    differences
}

/// `IS` rows (size and the columns `columns` gives) up to samtools' main bulk.
fn compare_insert_sizes(
    report: &QcReport,
    rows: &[Vec<u64>],
    columns: fn(&seqstore_formats::qc::InsertSizeBin) -> [u64; 4],
    differences: &mut Vec<String>,
) {
    let bins = &report.insert_sizes.bins;
    for row in rows {
        let size = row[0] as usize;
        let ours = bins.get(size).map(columns).unwrap_or_default();
        if ours[..] != row[1..] {
            differences.push(format!("IS {size}: {ours:?}, samtools {:?}", &row[1..]));
            return;
        }
    }
}

/// `MAPQ` as samtools 1.17 selects the records (mapped, with bases, neither secondary,
/// supplementary, QC-failed nor duplicate) and the counts per reference as `samtools view` prints
/// the records, compared with `report`.
fn compare_with_view(report: &QcReport, names: &[String], view: &[ViewRecord]) -> Vec<String> {
    let mut differences = Vec::new();
    let mut mapq = vec![0u64; 256];
    let mut placed: BTreeMap<String, [u64; 2]> = BTreeMap::new();
    for record in view {
        if record.flag & 0xF04 == 0 && !record.no_seq {
            mapq[usize::from(record.mapq)] += 1;
        }
        placed.entry(record.rname.clone()).or_default()[usize::from(record.flag & 0x4 != 0)] += 1;
    }
    let end = mapq.iter().rposition(|&n| n > 0).map_or(0, |i| i + 1);
    if report.mapping_qualities != mapq[..end] {
        differences.push(format!("MAPQ {:?}, samtools view {:?}", report.mapping_qualities, &mapq[..end]));
    }
    let ours: BTreeMap<String, [u64; 2]> = report
        .references
        .iter()
        .map(|r| {
            let name = r.reference_id.map_or("*".to_owned(), |id| names[id].clone());
            (name, [r.mapped, r.unmapped])
        })
        .collect();
    if ours != placed {
        differences.push(format!("per reference {ours:?}, samtools view {placed:?}"));
    }
    differences
}

/// `samtools idxstats` (which reads an unindexed file when its records are grouped by reference),
/// compared with `report`; nothing when it does not read the file.
fn compare_with_idxstats(report: &QcReport, names: &[String], file: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec!["idxstats".into()];
    args.extend(reference_option(file));
    args.push(file.display().to_string());
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let Ok(text) = samtools(&args) else { return Vec::new() };
    let mut ours: HashMap<String, [u64; 2]> = report
        .references
        .iter()
        .map(|r| (r.reference_id.map_or("*".to_owned(), |id| names[id].clone()), [r.mapped, r.unmapped]))
        .collect();
    let mut differences = Vec::new();
    for line in String::from_utf8_lossy(&text).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let theirs = [fields[2].parse().unwrap_or(u64::MAX), fields[3].parse().unwrap_or(u64::MAX)];
        let ours = ours.remove(fields[0]).unwrap_or_default();
        if ours != theirs {
            differences.push(format!("idxstats {}: {ours:?}, samtools {theirs:?}", fields[0]));
        }
    }
    differences
}

/// The `@SQ` lines of `file` as `samtools view -H` prints them.
fn sq_lines(file: &Path) -> io::Result<Vec<ReferenceSequence>> {
    let text = String::from_utf8_lossy(&samtools!("view", "-H", file)?).into_owned();
    let field =
        |line: &str, tag: &str| line.split('\t').find_map(|f| f.strip_prefix(tag)).unwrap_or_default().to_owned();
    Ok(text
        .lines()
        .filter(|l| l.starts_with("@SQ"))
        .map(|l| ReferenceSequence {
            name: field(l, "SN:"),
            length: field(l, "LN:").parse().unwrap_or(0),
            md5: field(l, "M5:"),
        })
        .collect())
}

/// The statistics the importer's scan (`bam::scan`, `cram::scan` against `ce.fa`) counts in its
/// pass over `file`.
fn scanned(file: &Path) -> Result<QcReport, Box<dyn std::error::Error>> {
    let summary = match file.extension().is_some_and(|e| e == "cram") {
        true => {
            // Checked against the file's own @SQ lines (some name sequences ce.fa lacks, whose
            // records carry their bases), decoded against ce.fa.
            let reference = Reference::read(&reference_path())?;
            let options =
                cram::Options { qc: true, reference: sq_lines(file)?, ..reference.cram_options(Algorithm::Md5, file) };
            cram::scan(File::open(file)?, &reference, &options)?
        }
        false => {
            let options = bam::Options {
                algorithm: Algorithm::Md5,
                unaligned_only: false,
                reference: None,
                limits: Limits::default(),
                qc: true,
            };
            bam::scan(File::open(file)?, &options)?
        }
    };
    Ok(summary.qc.ok_or("the scan collected no statistics")?.report())
}

/// Every comparison of an aligned file: the differences, each naming the file. The report
/// compared is the collector's fed by noodles' decoding; the importer's scan must give the same.
fn check_aligned(file: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let label = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let view = view(file)?;
    let (qc, names) = collect(file, &view).map_err(|e| format!("{label}: {e}"))?;
    let report = qc.report();
    let through_scan = match scanned(file) {
        Ok(report) => Some(report),
        // The level-N CRAMs need hg19, which is not shipped: the importer refuses them alike.
        Err(e) if e.to_string().ends_with("is not available") => None,
        Err(e) => return Err(format!("{label}: the importer's scan: {e}").into()),
    };
    if through_scan.is_some_and(|scanned| scanned != report) {
        return Ok(vec![format!("{label}: the importer's scan counts otherwise than the records decoded one by one")]);
    }
    assert_eq!(report.totals.records, view.len() as u64, "{label}");
    let stats = Stats::of(file, &[])?;
    let mut differences = compare(&report, &stats);
    differences.extend(compare_with_view(&report, &names, &view));
    differences.extend(compare_with_idxstats(&report, &names, file));
    Ok(differences.into_iter().map(|d| format!("{label}: {d}")).collect())
}

/// The properly paired column of `IS` against `samtools stats -f 0x2`, whose pairs are those.
fn check_proper_pairs(file: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let label = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let (qc, _) = collect(file, &view(file)?)?;
    let report = qc.report();
    let stats = Stats::of(file, &["-f", "0x2"])?;
    let rows = stats.numbers("IS");
    let mut differences = Vec::new();
    // The total column: the others are the orientations of those pairs.
    for row in &rows {
        let ours = report.insert_sizes.bins.get(row[0] as usize).map_or(0, |b| b.proper);
        if ours != row[1] {
            differences.push(format!("{label}: IS {} properly paired: {ours}, samtools -f 0x2 {}", row[0], row[1]));
        }
    }
    let summary = stats.summary();
    let pairs: u64 = ["inward oriented pairs", "outward oriented pairs", "pairs with other orientation"]
        .iter()
        .map(|label| summary.get(*label).and_then(|v| v.parse::<u64>().ok()).unwrap_or(u64::MAX))
        .sum();
    if pairs != report.insert_sizes.proper_pairs {
        differences
            .push(format!("{label}: {} proper pairs, samtools -f 0x2 {pairs}", report.insert_sizes.proper_pairs));
    }
    assert!(!rows.is_empty(), "{label}: no properly paired pairs");
    Ok(differences)
}

fn assert_none(differences: &[String]) {
    for d in differences {
        eprintln!("{d}");
    }
    assert!(differences.is_empty(), "{} differences from samtools stats", differences.len());
}

#[test]
fn test_hts_specs_bams_match_samtools_stats() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let mut differences = Vec::new();
    for name in ["level-1.bam", "level-9.bam"] {
        let file = testdata(&format!("hts-specs/bam/{name}"));
        differences.extend(check_aligned(&file)?);
        differences.extend(check_proper_pairs(&file)?);
    }
    assert_none(&differences);
    Ok(())
}

#[test]
fn test_hts_specs_crams_match_samtools_stats() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let mut files: Vec<PathBuf> = ["level-1", "level-2", "level-3", "level-4"]
        .iter()
        .map(|level| testdata(&format!("hts-specs/cram3.1/{level}.cram")))
        .collect();
    let mut conformance: Vec<PathBuf> = fs::read_dir(testdata("hts-specs/cram3.0/passed"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cram"))
        .collect();
    conformance.sort();
    assert_eq!(conformance.len(), 65, "the CRAM 3.0 conformance suite and three levels");
    files.extend(conformance);
    let mut differences = Vec::new();
    for file in &files {
        differences.extend(check_aligned(file)?);
    }
    differences.extend(check_proper_pairs(&files[0])?);
    assert_none(&differences);
    Ok(())
}

/// The corpus of edge values, without the one record samtools stats stops at (a mapped record
/// without a CIGAR: "FIXME: mapped read with no cigar?"; the collector counts it as mapped).
#[test]
fn test_corpus_matches_samtools_stats() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let dir = TempDir::new("qc-corpus")?;
    let reference = fasta::io::reader::Builder
        .build_from_path(reference_path())?
        .records()
        .map(|r| {
            r.map(|r| (String::from_utf8_lossy(r.name()).into_owned(), r.sequence().as_ref().to_ascii_uppercase()))
        })
        .collect::<io::Result<Vec<_>>>()?;
    let without_cigar_star = |text: &str| {
        text.lines().filter(|l| !l.starts_with("cigar_star\t")).map(|l| format!("{l}\n")).collect::<String>()
    };
    let corpus = without_cigar_star(&records::corpus(&reference));
    let for_cram = without_cigar_star(&records::for_cram(&records::corpus(&reference)));
    let (sam, cram_sam) = (dir.file("corpus.sam"), dir.file("for_cram.sam"));
    fs::write(&sam, &corpus)?;
    fs::write(&cram_sam, &for_cram)?;
    let r = reference_path();
    let (bam, sorted, cram30, cram31) =
        (dir.file("corpus.bam"), dir.file("sorted.bam"), dir.file("corpus30.cram"), dir.file("corpus31.cram"));
    samtools!("view", "-b", "-o", &bam, &sam)?;
    samtools!("sort", "-o", &sorted, &sam)?;
    samtools!("view", "-C", "-T", &r, "--output-fmt-option", "version=3.0", "-o", &cram30, &cram_sam)?;
    samtools!("view", "-C", "-T", &r, "--output-fmt-option", "version=3.1", "-o", &cram31, &cram_sam)?;
    let mut differences = Vec::new();
    for file in [&bam, &sorted, &cram30, &cram31] {
        differences.extend(check_aligned(file)?);
    }
    assert_none(&differences);
    Ok(())
}

/// Deterministic choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }

    /// `n` quality characters from `!` to `~`, mostly 20 to 41.
    fn qualities(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| {
                let q = if self.chance(3) { self.next(94) } else { 20 + self.next(22) };
                char::from(b'!' + q as u8)
            })
            .collect()
    }
}

/// One generated alignment record.
struct Generated {
    name: String,
    flag: u16,
    rname: &'static str,
    pos: u64,
    mapq: u64,
    cigar: String,
    rnext: &'static str,
    pnext: u64,
    tlen: i64,
    seq: String,
    qual: String,
    nm: Option<u64>,
}

impl Generated {
    fn line(&self) -> String {
        let mut line = format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.name,
            self.flag,
            self.rname,
            self.pos,
            self.mapq,
            self.cigar,
            self.rnext,
            self.pnext,
            self.tlen,
            self.seq,
            self.qual
        );
        if let Some(nm) = self.nm {
            let _ = write!(line, "\tNM:i:{nm}");
        }
        line.push('\n');
        line
    }
}

/// A read of `len` bases of `reference` from `pos` (1-based), with a few substitutions, Ns and
/// ambiguity codes, and a CIGAR of as many query bases (matches, with an insertion, a deletion, a
/// soft clip or `=`/`X` now and then); the reference bases it spans.
fn aligned_read(rng: &mut Rng, reference: &[u8], pos: u64, len: usize) -> (String, String, u64) {
    let start = pos as usize - 1;
    let mut seq: Vec<u8> = reference[start..start + len].to_vec();
    for base in seq.iter_mut() {
        if rng.chance(1) {
            *base = b"ACGTNRYKM"[rng.next(9) as usize];
        }
    }
    let (cigar, span) = match rng.next(6) {
        0 if len > 20 => (format!("{}M2I{}M", len / 2, len - len / 2 - 2), len - 2),
        1 if len > 20 => (format!("{}M3D{}M", len / 2, len - len / 2), len + 3),
        2 if len > 20 => (format!("5S{}M", len - 5), len - 5),
        3 if len > 20 => (format!("{}={}X{}M", len / 3, 1, len - len / 3 - 1), len),
        _ => (format!("{len}M"), len),
    };
    (String::from_utf8_lossy(&seq).into_owned(), cigar, span as u64)
}

/// Pairs (and some unpaired and oddly flagged reads) covering every case the statistics tell
/// apart, as SAM text on `ce.fa`.
fn generated_sam(reference: &[(String, Vec<u8>)]) -> String {
    let one = &reference.iter().find(|(n, _)| n == "CHROMOSOME_I").expect("ce.fa has CHROMOSOME_I").1;
    let two = &reference.iter().find(|(n, _)| n == "CHROMOSOME_II").expect("ce.fa has CHROMOSOME_II").1;
    let mut text = String::from("@HD\tVN:1.6\tSO:unsorted\n");
    for (name, seq) in reference {
        let _ = writeln!(text, "@SQ\tSN:{name}\tLN:{}", seq.len());
    }
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for i in 0..2500 {
        let name = format!("pair{i}");
        let len = |rng: &mut Rng| match rng.next(40) {
            0 => 600 + rng.next(80) as usize,
            1..=4 => 30 + rng.next(70) as usize,
            _ => 100,
        };
        let (len1, len2) = (len(&mut rng), len(&mut rng));
        let insert = match rng.next(30) {
            0 => 9_000 + rng.next(20_000),
            1 => 0,
            _ => 150 + rng.next(450),
        };
        let pos1 = 1 + rng.next(900_000);
        let pos2 = pos1 + insert;
        let (seq1, cigar1, span1) = aligned_read(&mut rng, one, pos1, len1);
        let (seq2, cigar2, span2) = aligned_read(&mut rng, one, pos2, len2);
        let (left, right) = (pos1.min(pos2), (pos1 + span1).max(pos2 + span2) - 1);
        let tlen = (right - left + 1) as i64;
        let qual = |rng: &mut Rng, n: usize| if rng.chance(3) { "*".to_owned() } else { rng.qualities(n) };
        let mapq = |rng: &mut Rng| match rng.next(20) {
            0 => 0,
            1 => 255,
            _ => rng.next(61),
        };
        // Orientation: FR (proper), RF, FF, RR; both as R1 forward.
        let (r1, r2) = match rng.next(10) {
            0 => (0x10, 0x20),
            1 => (0, 0),
            2 => (0x30, 0x30),
            _ => (0x22, 0x12 | 0x2),
        };
        let mut extra = 0;
        if rng.chance(8) {
            extra |= 0x400;
        }
        if rng.chance(4) {
            extra |= 0x200;
        }
        let mut first = Generated {
            name: name.clone(),
            flag: 0x41 | r1 | extra,
            rname: "CHROMOSOME_I",
            pos: pos1,
            mapq: mapq(&mut rng),
            cigar: cigar1.clone(),
            rnext: "=",
            pnext: pos2,
            tlen,
            seq: seq1.clone(),
            qual: qual(&mut rng, len1),
            nm: rng.chance(70).then(|| rng.next(6)),
        };
        let mut second = Generated {
            name: name.clone(),
            flag: 0x81 | r2 | extra,
            rname: "CHROMOSOME_I",
            pos: pos2,
            mapq: mapq(&mut rng),
            cigar: cigar2,
            rnext: "=",
            pnext: pos1,
            tlen: -tlen,
            seq: seq2,
            qual: qual(&mut rng, len2),
            nm: rng.chance(70).then(|| rng.next(6)),
        };
        match rng.next(25) {
            // The mate unmapped, placed at its mate's position.
            0 => {
                first.flag = (first.flag & !0x22) | 0x8;
                (second.flag, second.pos, second.cigar, second.mapq) =
                    ((second.flag & !0x32) | 0x4, pos1, "*".into(), 0);
                (first.pnext, second.pnext, first.tlen, second.tlen) = (pos1, pos1, 0, 0);
            }
            // Both unmapped, unplaced.
            1 => {
                for (g, flag) in [(&mut first, 0x4d), (&mut second, 0x8d)] {
                    (g.flag, g.rname, g.pos, g.mapq, g.cigar, g.rnext, g.pnext, g.tlen) =
                        (flag | extra, "*", 0, 0, "*".into(), "*", 0, 0);
                }
            }
            // Mates on different references.
            2 => {
                let pos = 1 + rng.next(4_000);
                let (seq, cigar, _) = aligned_read(&mut rng, two, pos, len2);
                (second.rname, second.pos, second.cigar, second.seq) = ("CHROMOSOME_II", pos, cigar, seq);
                (first.rnext, first.pnext, second.rnext, first.tlen, second.tlen) =
                    ("CHROMOSOME_II", pos, "CHROMOSOME_I", 0, 0);
                first.flag &= !0x2;
                second.flag &= !0x2;
            }
            // Not flagged first or last, or flagged both.
            3 => {
                first.flag &= !0x40;
                second.flag |= 0x40;
            }
            _ => {}
        }
        text.push_str(&first.line());
        text.push_str(&second.line());
        // A secondary alignment, with or without its bases.
        if rng.chance(5) {
            let (seq, qual) =
                if rng.chance(50) { ("*".to_owned(), "*".to_owned()) } else { (seq1, rng.qualities(len1)) };
            let secondary = Generated {
                name: name.clone(),
                flag: 0x100 | 0x41,
                rname: "CHROMOSOME_I",
                pos: pos1,
                mapq: 0,
                cigar: cigar1,
                rnext: "=",
                pnext: pos2,
                tlen: 0,
                seq,
                qual,
                nm: Some(1),
            };
            text.push_str(&secondary.line());
        }
        // A supplementary alignment, hard-clipped.
        if rng.chance(5) && len1 > 40 {
            let kept = len1 - 30;
            let pos = 1 + rng.next(4_000);
            let (seq, cigar, _) = aligned_read(&mut rng, two, pos, kept);
            let cigar = if cigar.contains('S') || cigar.contains('I') { format!("{kept}M") } else { cigar };
            text.push_str(
                &Generated {
                    name: name.clone(),
                    flag: 0x800 | 0x41 | (extra & 0x400),
                    rname: "CHROMOSOME_II",
                    pos,
                    mapq: rng.next(61),
                    cigar: format!("30H{cigar}"),
                    rnext: "CHROMOSOME_I",
                    pnext: pos2,
                    tlen: 0,
                    qual: rng.qualities(kept),
                    seq,
                    nm: Some(rng.next(4)),
                }
                .line(),
            );
        }
        // An unpaired read now and then, forward or reverse.
        if rng.chance(4) {
            let pos = 1 + rng.next(900_000);
            let (seq, cigar, _) = aligned_read(&mut rng, one, pos, 100);
            let flag = if rng.chance(50) { 0x10 } else { 0 };
            text.push_str(
                &Generated {
                    name: format!("single{i}"),
                    flag,
                    rname: "CHROMOSOME_I",
                    pos,
                    mapq: rng.next(61),
                    cigar,
                    rnext: "*",
                    pnext: 0,
                    tlen: 0,
                    qual: rng.qualities(100),
                    seq,
                    nm: None,
                }
                .line(),
            );
        }
    }
    text
}

#[test]
fn test_generated_pairs_match_samtools_stats() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let dir = TempDir::new("qc-pairs")?;
    let reference = fasta::io::reader::Builder
        .build_from_path(reference_path())?
        .records()
        .map(|r| {
            r.map(|r| (String::from_utf8_lossy(r.name()).into_owned(), r.sequence().as_ref().to_ascii_uppercase()))
        })
        .collect::<io::Result<Vec<_>>>()?;
    let sam = dir.file("pairs.sam");
    fs::write(&sam, generated_sam(&reference))?;
    let r = reference_path();
    let (bam, cram) = (dir.file("pairs.bam"), dir.file("pairs.cram"));
    samtools!("view", "-b", "-o", &bam, &sam)?;
    samtools!("view", "-C", "-T", &r, "-o", &cram, &sam)?;
    let mut differences = Vec::new();
    for file in [&bam, &cram] {
        differences.extend(check_aligned(file)?);
        differences.extend(check_proper_pairs(file)?);
    }
    assert_none(&differences);
    // What the comparison covered: the cases it is meant to.
    let (qc, _) = collect_bam(&bam)?;
    let report = qc.report();
    let t = report.totals;
    assert!(t.secondary > 0 && t.supplementary > 0 && t.reads_duplicated > 0 && t.reads_qc_failed > 0, "{t:?}");
    assert!(t.reads_without_quality > 0 && t.other_fragments > 0 && t.reads_on_different_references > 0, "{t:?}");
    assert!(report.first_fragment_cycles.len() == 501 && report.first_fragment_cycles[500].unusable > 0);
    let sizes = &report.insert_sizes;
    assert!(sizes.inward_pairs > 0 && sizes.outward_pairs > 0 && sizes.other_pairs > 0 && sizes.bins.len() == 8001);
    Ok(())
}

/// FASTQ records: mostly 100 to 150 bases, some beyond 500 cycles, one beyond 1,024; IUPAC codes
/// and lower case now and then; every quality character.
fn generated_fastq(rng: &mut Rng, names: &[String], mate: &str) -> String {
    let mut text = String::new();
    for (i, name) in names.iter().enumerate() {
        let len = match i {
            7 => 1_500,
            13 => 0,
            _ if rng.chance(3) => 501 + rng.next(200) as usize,
            _ => 100 + rng.next(51) as usize,
        };
        let seq: String = (0..len)
            .map(|_| {
                let base = match rng.next(100) {
                    0 => b"NRYKMSWBDHV"[rng.next(11) as usize],
                    1..=3 => b"acgtn"[rng.next(5) as usize],
                    n => b"ACGT"[n as usize % 4],
                };
                char::from(base)
            })
            .collect();
        let qual = rng.qualities(len);
        let _ = write!(text, "@{name}{mate} comment\n{seq}\n+\n{qual}\n");
    }
    text
}

/// The collector fed with FASTQ `text` from `mate`'s file: whole records, or in chunks of a few
/// bytes as the importer's line scanner hands them.
fn collect_fastq(text: &str, mate: Mate, chunked: bool) -> io::Result<QcCollector> {
    let mut reader = noodles_fastq::io::Reader::new(text.as_bytes());
    let mut qc = QcCollector::new(0);
    for record in reader.records() {
        let record = record?;
        let (sequence, quality) = (record.sequence(), record.quality_scores());
        if chunked {
            qc.begin_fastq(mate);
            sequence.chunks(7).for_each(|c| qc.fastq_bases(c));
            quality.chunks(5).for_each(|c| qc.fastq_qualities(c));
            qc.end_fastq();
        } else {
            qc.add_fastq(sequence, quality, mate);
        }
    }
    Ok(qc)
}

#[test]
fn test_generated_fastq_matches_samtools_import_and_stats() -> TestResult {
    if !samtools_available() {
        return Ok(());
    }
    let dir = TempDir::new("qc-fastq")?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let names: Vec<String> = (0..1500).map(|i| format!("read{i}")).collect();
    let single = generated_fastq(&mut rng, &names, "");
    let (r1, r2) = (generated_fastq(&mut rng, &names, "/1"), generated_fastq(&mut rng, &names, "/2"));
    let (single_fq, r1_fq, r2_fq) = (dir.file("single.fq"), dir.file("r1.fq"), dir.file("r2.fq"));
    fs::write(&single_fq, &single)?;
    fs::write(&r1_fq, &r1)?;
    fs::write(&r2_fq, &r2)?;
    let (single_bam, pair_bam) = (dir.file("single.bam"), dir.file("pair.bam"));
    samtools!("import", "-0", &single_fq, "-o", &single_bam)?;
    samtools!("import", "-1", &r1_fq, "-2", &r2_fq, "-o", &pair_bam)?;

    let mut differences = Vec::new();
    let single_qc = collect_fastq(&single, Mate::Single, false)?;
    assert_eq!(single_qc.report(), collect_fastq(&single, Mate::Single, true)?.report());
    let mut pair_qc = collect_fastq(&r1, Mate::First, true)?;
    pair_qc.merge(&collect_fastq(&r2, Mate::Last, false)?);
    // The importer's scan (the validator's chunks) counts the same.
    let options = fastq::Options { algorithm: Algorithm::Md5, qc: true };
    let scanned = fastq::scan(fastq::Which::Source1, single.as_bytes(), options)?;
    assert_eq!(scanned.qc.map(|qc| qc.report()), Some(single_qc.report()), "fastq::scan");
    let (one, two) = fastq::scan_pair(r1.as_bytes(), r2.as_bytes(), options)?;
    let mut scanned_pair = one.qc.ok_or("no statistics")?;
    scanned_pair.merge(&*two.qc.ok_or("no statistics")?);
    assert_eq!(scanned_pair.report(), pair_qc.report(), "fastq::scan_pair");
    for (label, qc, bam) in [("single", &single_qc, &single_bam), ("pair", &pair_qc, &pair_bam)] {
        let report = qc.report();
        let found = compare(&report, &Stats::of(bam, &[])?);
        differences.extend(found.into_iter().map(|d| format!("{label}: {d}")));
        // The FASTQ collector and the one fed with samtools' BAM agree on everything.
        let (from_bam, _) = collect_bam(bam)?;
        if from_bam.report() != report {
            differences.push(format!("{label}: the report of samtools' BAM differs"));
        }
    }
    assert_none(&differences);
    let report = pair_qc.report();
    assert_eq!((report.totals.first_fragments, report.totals.last_fragments), (1499, 1499));
    assert!(report.read_lengths.iter().any(|b| b.from == 1280 && b.to == Some(1535)));
    assert!(report.first_fragment_cycles.len() == 501 && report.last_fragment_cycles[500].bases.total() > 0);
    Ok(())
}
