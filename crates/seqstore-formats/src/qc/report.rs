//! The statistics as a serialisable summary: the counts, histograms trimmed of trailing zeros,
//! and what derives from them (per-cycle means and quartiles, insert size mean and deviation).

use serde::{Deserialize, Serialize};

#[cfg(test)]
use super::MAX_INSERT_SIZE;
use super::counts::{CLASSES, Cycles, LENGTH_BINS, QUALITY_BINS, UNUSABLE, length_range};
use super::{MAX_CYCLES, QcCollector};

/// Counts of bases by class, as samtools' `GCC` has them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseCounts {
    /// A.
    pub a: u64,
    /// C.
    pub c: u64,
    /// G.
    pub g: u64,
    /// T (and U).
    pub t: u64,
    /// N, and anything that is not a base code (`.` included).
    pub n: u64,
    /// `=` and the IUPAC ambiguity codes other than N.
    pub other: u64,
}

impl BaseCounts {
    fn from_classes(classes: &[u64; CLASSES]) -> Self {
        let [a, c, g, t, n, other, ..] = *classes;
        Self { a, c, g, t, n, other }
    }

    fn add(&mut self, classes: &[u64; CLASSES]) {
        let [a, c, g, t, n, other, ..] = *classes;
        self.a += a;
        self.c += c;
        self.g += g;
        self.t += t;
        self.n += n;
        self.other += other;
    }

    /// All bases.
    pub fn total(&self) -> u64 {
        self.a + self.c + self.g + self.t + self.n + self.other
    }
}

/// The totals, as samtools stats' `SN` lines name them (with its definitions; see the module).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Records counted, of every kind (not a samtools total).
    pub records: u64,
    /// Reads neither secondary nor supplementary, with bases: "sequences" (and "raw total
    /// sequences", without filters).
    pub sequences: u64,
    /// "1st fragments": unpaired reads, and paired ones flagged first (0x40) only.
    pub first_fragments: u64,
    /// "last fragments": paired reads flagged last (0x80) only.
    pub last_fragments: u64,
    /// Paired reads flagged both first and last, or neither (no samtools line).
    pub other_fragments: u64,
    /// "non-primary alignments": secondary records (0x100), with or without bases.
    pub secondary: u64,
    /// "supplementary alignments" (0x800), with or without bases.
    pub supplementary: u64,
    /// "reads mapped".
    pub reads_mapped: u64,
    /// "reads mapped and paired": paired, with both mates mapped.
    pub reads_mapped_and_paired: u64,
    /// "reads unmapped".
    pub reads_unmapped: u64,
    /// "reads properly paired": mapped and paired, with both mates mapped, flagged 0x2.
    pub reads_properly_paired: u64,
    /// "reads paired": flagged 0x1.
    pub reads_paired: u64,
    /// "reads duplicated": flagged 0x400, supplementary records included.
    pub reads_duplicated: u64,
    /// "reads MQ0": mapped with MAPQ 0.
    pub reads_mq0: u64,
    /// "reads QC failed": flagged 0x200.
    pub reads_qc_failed: u64,
    /// Mapped and paired reads whose mate is on another reference sequence ("pairs on different
    /// chromosomes" is half this).
    pub reads_on_different_references: u64,
    /// Reads without qualities (`*`; not a samtools total).
    pub reads_without_quality: u64,
    /// "total length": bases of the reads (hard clips not included).
    pub total_length: u64,
    /// "total first fragment length".
    pub first_fragment_length: u64,
    /// "total last fragment length".
    pub last_fragment_length: u64,
    /// "bases mapped": bases of the mapped reads, clipped ones included.
    pub bases_mapped: u64,
    /// "bases mapped (cigar)": `M`, `I`, `=` and `X` bases of mapped records, supplementary ones
    /// included.
    pub bases_mapped_cigar: u64,
    /// "bases duplicated".
    pub bases_duplicated: u64,
    /// "mismatches": the sum of `NM` of mapped records, supplementary ones included.
    pub mismatches: u64,
    /// "maximum length": longest read with its hard clips, supplementary records included.
    pub maximum_length: u64,
    /// "maximum first fragment length".
    pub maximum_first_fragment_length: u64,
    /// "maximum last fragment length".
    pub maximum_last_fragment_length: u64,
    /// The sum of the quality values of first and last fragments ("average quality" is this over
    /// "total length").
    pub quality_sum: u64,
}

impl Totals {
    pub(super) fn merge(&mut self, other: &Totals) {
        let Totals {
            records,
            sequences,
            first_fragments,
            last_fragments,
            other_fragments,
            secondary,
            supplementary,
            reads_mapped,
            reads_mapped_and_paired,
            reads_unmapped,
            reads_properly_paired,
            reads_paired,
            reads_duplicated,
            reads_mq0,
            reads_qc_failed,
            reads_on_different_references,
            reads_without_quality,
            total_length,
            first_fragment_length,
            last_fragment_length,
            bases_mapped,
            bases_mapped_cigar,
            bases_duplicated,
            mismatches,
            maximum_length,
            maximum_first_fragment_length,
            maximum_last_fragment_length,
            quality_sum,
        } = *other;
        for (to, from) in [
            (&mut self.records, records),
            (&mut self.sequences, sequences),
            (&mut self.first_fragments, first_fragments),
            (&mut self.last_fragments, last_fragments),
            (&mut self.other_fragments, other_fragments),
            (&mut self.secondary, secondary),
            (&mut self.supplementary, supplementary),
            (&mut self.reads_mapped, reads_mapped),
            (&mut self.reads_mapped_and_paired, reads_mapped_and_paired),
            (&mut self.reads_unmapped, reads_unmapped),
            (&mut self.reads_properly_paired, reads_properly_paired),
            (&mut self.reads_paired, reads_paired),
            (&mut self.reads_duplicated, reads_duplicated),
            (&mut self.reads_mq0, reads_mq0),
            (&mut self.reads_qc_failed, reads_qc_failed),
            (&mut self.reads_on_different_references, reads_on_different_references),
            (&mut self.reads_without_quality, reads_without_quality),
            (&mut self.total_length, total_length),
            (&mut self.first_fragment_length, first_fragment_length),
            (&mut self.last_fragment_length, last_fragment_length),
            (&mut self.bases_mapped, bases_mapped),
            (&mut self.bases_mapped_cigar, bases_mapped_cigar),
            (&mut self.bases_duplicated, bases_duplicated),
            (&mut self.mismatches, mismatches),
            (&mut self.quality_sum, quality_sum),
        ] {
            *to += from;
        }
        for (to, from) in [
            (&mut self.maximum_length, maximum_length),
            (&mut self.maximum_first_fragment_length, maximum_first_fragment_length),
            (&mut self.maximum_last_fragment_length, maximum_last_fragment_length),
        ] {
            *to = (*to).max(from);
        }
    }
}

/// Reads of some lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LengthBin {
    /// The shortest length of the bin.
    pub from: u64,
    /// The longest length of the bin: `from` below 1,024; a quarter of a doubling above (1,024 to
    /// 1,279, 1,280 to 1,535, …); `None` for the last bin (2^33 · 7/4 and longer).
    pub to: Option<u64>,
    /// Reads of a length in the bin.
    pub reads: u64,
}

/// The mean and percentiles of a histogram of quality values (each percentile the smallest value
/// that at least that share of the values do not exceed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualitySummary {
    /// Mean value.
    pub mean: f64,
    /// 10th percentile.
    pub p10: u8,
    /// First quartile.
    pub q1: u8,
    /// Median.
    pub median: u8,
    /// Third quartile.
    pub q3: u8,
    /// 90th percentile.
    pub p90: u8,
}

/// One cycle (position in the read, in sequencing order) of first or last fragments: samtools'
/// `FFQ`/`LFQ` row and `FBC`/`LBC` counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cycle {
    /// 1-based cycle; cycle 501 ([`MAX_CYCLES`] + 1) holds every cycle after 500.
    pub cycle: usize,
    /// Bases at this cycle.
    pub bases: BaseCounts,
    /// Bases by quality value (index), 0 to 93, trimmed of trailing zeros.
    pub qualities: Vec<u64>,
    /// Bases whose quality is above 93 or missing (`*`), left out of `qualities` and `quality`.
    pub unusable: u64,
    /// Mean and quartiles of `qualities`; `None` when it is empty.
    pub quality: Option<QualitySummary>,
}

/// Pairs of one insert size: each pair's two reads count as one, as samtools counts them (an odd
/// count of reads, when one mate was not counted, rounds down).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsertSizeBin {
    /// Pairs of all orientations (samtools' "pairs total").
    pub pairs: u64,
    /// Inward-oriented pairs (forward read before reverse mate).
    pub inward: u64,
    /// Outward-oriented pairs.
    pub outward: u64,
    /// Pairs of other orientations (both mates on one strand).
    pub other: u64,
    /// Of `pairs`, those flagged properly paired (0x2; not a samtools column: samtools stats
    /// `-f 0x2` has them as its total).
    pub proper: u64,
}

/// The insert size histogram and what samtools derives from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsertSizes {
    /// Pairs by insert size (`|TLEN|`, the index; the last possible index,
    /// [`MAX_INSERT_SIZE`](super::MAX_INSERT_SIZE), holds every larger one), of mapped reads of a
    /// pair with both mates mapped, neither secondary nor supplementary, and either on one
    /// reference or with a non-zero `TLEN`; trimmed of trailing empty sizes.
    pub bins: Vec<InsertSizeBin>,
    /// The sizes below this hold samtools' "main bulk": just over 99 % of the pairs. samtools
    /// prints `IS` lines up to it, and a plot may stop there.
    pub bulk_end: usize,
    /// "insert size average", over the main bulk.
    pub mean: f64,
    /// "insert size standard deviation", over the main bulk.
    pub standard_deviation: f64,
    /// "inward oriented pairs".
    pub inward_pairs: u64,
    /// "outward oriented pairs".
    pub outward_pairs: u64,
    /// "pairs with other orientation".
    pub other_pairs: u64,
    /// Properly paired pairs.
    pub proper_pairs: u64,
}

/// Records placed on one reference sequence, as `samtools idxstats` counts them: every record,
/// secondary and supplementary ones included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceCounts {
    /// Index of the reference sequence among the `@SQ` lines; `None` for records placed on none
    /// (idxstats' `*` line).
    pub reference_id: Option<usize>,
    /// Records not flagged unmapped.
    pub mapped: u64,
    /// Records flagged unmapped.
    pub unmapped: u64,
}

/// The statistics of a read set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QcReport {
    /// The totals.
    pub totals: Totals,
    /// The bases of the reads counted in "sequences", by class (not a samtools total).
    pub bases: BaseCounts,
    /// Mean quality of the bases of first and last fragments with a usable quality (0 to 93);
    /// `None` when there are none.
    pub mean_quality: Option<f64>,
    /// Percentage of the reads' bases that are C or G; `None` without bases.
    pub gc_percent: Option<f64>,
    /// Reads by length with hard clips (samtools' `RL`), neither secondary nor supplementary.
    pub read_lengths: Vec<LengthBin>,
    /// First fragments by length (`FRL`).
    pub first_fragment_lengths: Vec<LengthBin>,
    /// Last fragments by length (`LRL`).
    pub last_fragment_lengths: Vec<LengthBin>,
    /// First fragments' cycles (`FFQ`, `FBC`), up to the last with a base.
    pub first_fragment_cycles: Vec<Cycle>,
    /// Last fragments' cycles (`LFQ`, `LBC`), up to the last with a base.
    pub last_fragment_cycles: Vec<Cycle>,
    /// Reads by the mean of their quality values, rounded down (index 0 to 93), trimmed of
    /// trailing zeros.
    pub read_mean_qualities: Vec<u64>,
    /// Reads without qualities, or whose mean is above 93.
    pub read_mean_quality_unusable: u64,
    /// Reads by GC percentage (index 0 to 100, rounded half up), trimmed of trailing zeros.
    pub read_gc_percent: Vec<u64>,
    /// samtools' `GCF`: first fragments by GC content, in [`GC_BINS`](super::GC_BINS) bins (bin
    /// `i` is `i / 199` of the bases; see the module for how samtools spreads a read over bins),
    /// trimmed of trailing zeros.
    pub first_fragment_gc: Vec<u64>,
    /// samtools' `GCL`, as `first_fragment_gc`.
    pub last_fragment_gc: Vec<u64>,
    /// Mapped reads by MAPQ (index; 255 is unavailable), neither secondary, supplementary,
    /// QC-failed nor duplicate (samtools' `MAPQ`), trimmed of trailing zeros.
    pub mapping_qualities: Vec<u64>,
    /// Insert sizes (`IS`).
    pub insert_sizes: InsertSizes,
    /// Records per reference sequence, those with any, in reference order, then the unplaced.
    pub references: Vec<ReferenceCounts>,
}

/// The report of `collector`.
pub(super) fn build(collector: &QcCollector) -> QcReport {
    let (first, last) = (collector.first.folded(), collector.last.folded());
    let first_fragment_cycles = cycles(&first);
    let last_fragment_cycles = cycles(&last);
    let (mut count, mut sum) = (0, 0);
    for cycles in [&first, &last] {
        for row in cycles.qualities.iter() {
            let (n, s) = usable(row);
            count += n;
            sum += s;
        }
    }
    let mut bases = BaseCounts::from_classes(&collector.other_bases);
    for cycles in [&first, &last] {
        cycles.bases.iter().for_each(|row| bases.add(row));
    }
    let mut references: Vec<ReferenceCounts> = collector
        .references
        .iter()
        .enumerate()
        .filter(|(_, [mapped, unmapped])| mapped + unmapped > 0)
        .map(|(id, &[mapped, unmapped])| ReferenceCounts { reference_id: Some(id), mapped, unmapped })
        .collect();
    let [mapped, unmapped] = collector.unplaced;
    if mapped + unmapped > 0 {
        references.push(ReferenceCounts { reference_id: None, mapped, unmapped });
    }
    QcReport {
        totals: collector.totals,
        bases,
        mean_quality: (count > 0).then(|| sum as f64 / count as f64),
        gc_percent: (bases.total() > 0).then(|| 100.0 * (bases.c + bases.g) as f64 / bases.total() as f64),
        read_lengths: lengths(&collector.lengths[0]),
        first_fragment_lengths: lengths(&collector.lengths[1]),
        last_fragment_lengths: lengths(&collector.lengths[2]),
        first_fragment_cycles,
        last_fragment_cycles,
        read_mean_qualities: trimmed(&collector.mean_quality[..UNUSABLE]),
        read_mean_quality_unusable: collector.mean_quality[UNUSABLE],
        read_gc_percent: trimmed(&collector.gc_percent),
        first_fragment_gc: trimmed(&collector.gc[0]),
        last_fragment_gc: trimmed(&collector.gc[1]),
        mapping_qualities: trimmed(&collector.mapping_quality),
        insert_sizes: insert_sizes(&collector.insert_sizes[..]),
        references,
    }
}

/// `values` without its trailing zeros.
fn trimmed(values: &[u64]) -> Vec<u64> {
    let end = values.iter().rposition(|&v| v != 0).map_or(0, |i| i + 1);
    values[..end].to_vec()
}

fn lengths(bins: &[u64; LENGTH_BINS]) -> Vec<LengthBin> {
    bins.iter()
        .enumerate()
        .filter(|&(_, &reads)| reads > 0)
        .map(|(bin, &reads)| {
            let (from, to) = length_range(bin);
            LengthBin { from, to, reads }
        })
        .collect()
}

/// The usable values of a quality row (0 to 93): their count and sum.
fn usable(row: &[u64; QUALITY_BINS]) -> (u64, u64) {
    row[..UNUSABLE].iter().enumerate().fold((0, 0), |(n, s), (q, &c)| (n + c, s + q as u64 * c))
}

fn cycles(cycles: &Cycles) -> Vec<Cycle> {
    let (bases, qualities) = (|i| cycles.bases.get_or_zero(i), |i| cycles.qualities.get_or_zero(i));
    let end = (0..cycles.bases.len().max(cycles.qualities.len()))
        .rposition(|i| bases(i).iter().chain(&qualities(i)).any(|&c| c > 0))
        .map_or(0, |i| i + 1);
    (0..end)
        .map(|i| {
            let row = &qualities(i);
            let (count, sum) = usable(row);
            let quality = (count > 0).then(|| {
                let histogram = &row[..UNUSABLE];
                QualitySummary {
                    mean: sum as f64 / count as f64,
                    p10: percentile(histogram, count, 10),
                    q1: percentile(histogram, count, 25),
                    median: percentile(histogram, count, 50),
                    q3: percentile(histogram, count, 75),
                    p90: percentile(histogram, count, 90),
                }
            });
            Cycle {
                cycle: i.min(MAX_CYCLES) + 1,
                bases: BaseCounts::from_classes(&bases(i)),
                qualities: trimmed(&row[..UNUSABLE]),
                unusable: row[UNUSABLE],
                quality,
            }
        })
        .collect()
}

/// The smallest value that at least `percent` % of the `count` values of `histogram` do not
/// exceed (`count` > 0).
fn percentile(histogram: &[u64], count: u64, percent: u64) -> u8 {
    let mut below = 0;
    for (value, &n) in histogram.iter().enumerate() {
        below += n;
        if below * 100 >= percent * count {
            return value as u8;
        }
    }
    (histogram.len().saturating_sub(1)) as u8
}

/// samtools' `isize_main_bulk`: a C `float`, compared as a `double`.
const MAIN_BULK: f32 = 0.99;

/// The insert sizes of each pair's reads, `[inward, outward, other, proper]` by size, as pairs,
/// with samtools' mean and standard deviation over the main bulk (`output_stats`).
fn insert_sizes(reads: &[[u64; 4]]) -> InsertSizes {
    let bins: Vec<InsertSizeBin> = reads
        .iter()
        .map(|&[inward, outward, other, proper]| {
            let (inward, outward, other, proper) = (inward / 2, outward / 2, other / 2, proper / 2);
            InsertSizeBin { pairs: inward + outward + other, inward, outward, other, proper }
        })
        .collect();
    let sum = |f: fn(&InsertSizeBin) -> u64| bins.iter().map(f).sum::<u64>();
    let (inward_pairs, outward_pairs, other_pairs, proper_pairs) =
        (sum(|b| b.inward), sum(|b| b.outward), sum(|b| b.other), sum(|b| b.proper));
    let mut pairs = inward_pairs + outward_pairs + other_pairs;
    let (mut bulk, mut bulk_end, mut mean) = (0u64, 0, 0.0);
    for (size, bin) in bins.iter().enumerate() {
        if bin.pairs > 0 {
            bulk_end = size + 1;
        }
        bulk += bin.pairs;
        mean += (size as u64 * bin.pairs) as f64;
        if bulk as f64 / pairs as f64 > f64::from(MAIN_BULK) {
            bulk_end = size + 1;
            pairs = bulk;
            break;
        }
    }
    let divisor = pairs.max(1) as f64;
    mean /= divisor;
    // Summed from +0.0 (`Iterator::sum` starts at -0.0), in samtools' order.
    let variance = (1..bulk_end).fold(0.0, |variance, size| {
        let deviation = size as f64 - mean;
        variance + bins[size].pairs as f64 * deviation * deviation / divisor
    });
    let end = bins.iter().rposition(|b| b.pairs > 0 || b.proper > 0).map_or(0, |i| i + 1);
    InsertSizes {
        bins: bins[..end].to_vec(),
        bulk_end,
        mean,
        standard_deviation: variance.sqrt(),
        inward_pairs,
        outward_pairs,
        other_pairs,
        proper_pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_percentile() {
        // Values 10, 20, 20, 30.
        let mut histogram = [0; 94];
        histogram[10] = 1;
        histogram[20] = 2;
        histogram[30] = 1;
        let at = |p| percentile(&histogram, 4, p);
        assert_eq!([at(10), at(25), at(50), at(75), at(90)], [10, 10, 20, 20, 30]);
    }

    #[test]
    fn test_trimmed() {
        assert_eq!(trimmed(&[0, 1, 0, 2, 0, 0]), [0, 1, 0, 2]);
        assert!(trimmed(&[0, 0]).is_empty());
    }

    #[test]
    fn test_insert_sizes_as_samtools() {
        let mut reads = vec![[0u64; 4]; MAX_INSERT_SIZE + 1];
        // 100 pairs at 300, one at 8000 (the tail beyond the main bulk), and an odd read at 50.
        reads[300] = [150, 40, 10, 200];
        reads[MAX_INSERT_SIZE] = [2, 0, 0, 0];
        reads[50] = [1, 0, 0, 0];
        let sizes = insert_sizes(&reads);
        assert_eq!(sizes.bins.len(), MAX_INSERT_SIZE + 1);
        assert_eq!(sizes.bins[300], InsertSizeBin { pairs: 100, inward: 75, outward: 20, other: 5, proper: 100 });
        assert_eq!(sizes.bins[50].pairs, 0);
        assert_eq!((sizes.inward_pairs, sizes.outward_pairs, sizes.other_pairs, sizes.proper_pairs), (76, 20, 5, 100));
        // 100 of 101 pairs is 99.0099 %: the bulk ends after 300.
        assert_eq!(sizes.bulk_end, 301);
        assert_eq!((sizes.mean, sizes.standard_deviation), (300.0, 0.0));
        let empty = insert_sizes(&vec![[0; 4]; MAX_INSERT_SIZE + 1]);
        assert_eq!((empty.bins.len(), empty.bulk_end, empty.mean, empty.standard_deviation), (0, 0, 0.0, 0.0));
    }
}
