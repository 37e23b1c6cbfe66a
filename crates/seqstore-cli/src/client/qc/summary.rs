//! What `seqstore readsets qc` shows of a [`QcReport`] at a glance: the figures as `name: value`
//! fields, and the records per reference sequence as table rows. Pure: no I/O.
//!
//! Percentages are of the reads counted in `sequences` (samtools stats' "sequences": neither
//! secondary nor supplementary), as samtools stats' own percentage of properly paired reads is;
//! duplicates (which samtools also counts among supplementary alignments) are of the reads and
//! supplementary alignments.

use seqstore_formats::qc::{Cycle, LengthBin, QcReport, ReferenceCounts};

/// The quality a cycle's mean is held against.
const GOOD_QUALITY: f64 = 30.0;
/// MAPQ 255: mapping quality unavailable.
const MAPQ_UNAVAILABLE: usize = 255;
/// References listed, those with the most mapped records.
pub const TOP_REFERENCES: usize = 10;

/// The figures of `report` as fields, in reading order; the alignment's only when `aligned`.
pub fn fields(report: &QcReport, aligned: bool) -> Vec<(&'static str, String)> {
    let t = &report.totals;
    let mut fields = vec![
        ("reads", t.sequences.to_string()),
        ("1st fragments", t.first_fragments.to_string()),
        ("last fragments", t.last_fragments.to_string()),
        ("bases", t.total_length.to_string()),
        ("mean quality", report.mean_quality.map_or_else(|| "no quality values".to_owned(), |q| format!("{q:.1}"))),
        ("GC", report.gc_percent.map_or_else(String::new, |gc| format!("{gc:.2}%"))),
        ("N bases", share(report.bases.n, report.bases.total())),
        ("read length", read_length(&report.read_lengths, t.maximum_length)),
    ];
    if t.reads_without_quality > 0 {
        fields.push(("without quality", share(t.reads_without_quality, t.sequences)));
    }
    let paired = !report.last_fragment_cycles.is_empty();
    let (first, last) =
        if paired { ("quality by cycle, 1st", "quality by cycle, last") } else { ("quality by cycle", "") };
    fields.push((first, cycle_quality(&report.first_fragment_cycles)));
    if paired {
        fields.push((last, cycle_quality(&report.last_fragment_cycles)));
    }
    if aligned {
        fields.extend(alignment(report));
    }
    fields
}

/// The alignment's figures: mapping, pairing, duplicates, MAPQ, insert sizes, mismatches.
fn alignment(report: &QcReport) -> Vec<(&'static str, String)> {
    let t = &report.totals;
    let sizes = &report.insert_sizes;
    let pairs = sizes.inward_pairs + sizes.outward_pairs + sizes.other_pairs;
    let insert_size = match pairs {
        0 => "no pairs with both mates mapped".to_owned(),
        _ => format!("{:.1} ± {:.1} ({pairs} pairs)", sizes.mean, sizes.standard_deviation),
    };
    let mismatches = match t.bases_mapped_cigar {
        0 => t.mismatches.to_string(),
        bases => format!("{} ({:.2}% of {bases} aligned bases)", t.mismatches, percent(t.mismatches, bases)),
    };
    let mut fields = vec![
        ("mapped", share(t.reads_mapped, t.sequences)),
        ("properly paired", share(t.reads_properly_paired, t.sequences)),
        ("duplicates", share(t.reads_duplicated, t.sequences + t.supplementary)),
        ("MAPQ", mapping_quality(&report.mapping_qualities)),
        ("insert size", insert_size),
        ("mismatches", mismatches),
    ];
    if t.secondary > 0 || t.supplementary > 0 {
        fields.push(("secondary", t.secondary.to_string()));
        fields.push(("supplementary", t.supplementary.to_string()));
    }
    fields
}

/// `n (p%)` of `of`; `n` alone when `of` is 0.
fn share(n: u64, of: u64) -> String {
    match of {
        0 => n.to_string(),
        _ => format!("{n} ({:.2}%)", percent(n, of)),
    }
}

fn percent(n: u64, of: u64) -> f64 {
    100.0 * n as f64 / of as f64
}

/// A length bin as `101`, or `1024–1279` for a binned range, `≥ N` for the last bin.
fn bin(bin: &LengthBin) -> String {
    match bin.to {
        Some(to) if to == bin.from => to.to_string(),
        Some(to) => format!("{}–{to}", bin.from),
        None => format!("≥ {}", bin.from),
    }
}

/// `101`, or `35–151, most common 151 (9000 reads)`: the shortest and longest read and the most
/// common length. Lengths from 1,024 are binned: the shortest is then its bin's lower bound, the
/// longest `maximum` (the longest read of all, which is exact) when it lies in the last bin.
fn read_length(bins: &[LengthBin], maximum: u64) -> String {
    let (Some(first), Some(last)) = (bins.first(), bins.last()) else { return "no reads".to_owned() };
    let longest = match last.to {
        Some(to) if to == last.from => to,
        to if maximum >= last.from && to.is_none_or(|to| maximum <= to) => maximum,
        Some(to) => to,
        None => last.from,
    };
    if bins.len() == 1 && first.to == Some(first.from) {
        return longest.to_string();
    }
    let mut common = first;
    for candidate in bins {
        if candidate.reads > common.reads {
            common = candidate;
        }
    }
    format!("{}–{longest}, most common {} ({} reads)", first.from, bin(common), common.reads)
}

/// A cycle's number; the last bin holds every cycle after 500.
fn cycle_label(cycle: &Cycle) -> String {
    match cycle.cycle > seqstore_formats::qc::MAX_CYCLES {
        true => format!("{}+", cycle.cycle),
        false => cycle.cycle.to_string(),
    }
}

/// How the mean quality holds up along the reads: `mean ≥ 30 up to cycle 87, drops below 30 after
/// cycle 87 (lowest 24.3 at cycle 101)`, `mean ≥ 30 at every cycle (1–151; lowest …)`, or `mean
/// below 30 from cycle 1 (lowest …)`. Cycles without usable qualities are passed over.
fn cycle_quality(cycles: &[Cycle]) -> String {
    let means: Vec<(&Cycle, f64)> = cycles.iter().filter_map(|c| Some((c, c.quality?.mean))).collect();
    let Some(&(mut lowest)) = means.first() else { return "no quality values".to_owned() };
    for &(cycle, mean) in &means {
        if mean < lowest.1 {
            lowest = (cycle, mean);
        }
    }
    let lowest = format!("lowest {:.1} at cycle {}", lowest.1, cycle_label(lowest.0));
    let good = means.iter().take_while(|(_, mean)| *mean >= GOOD_QUALITY).count();
    match good {
        0 => format!("mean below {GOOD_QUALITY} from cycle {} ({lowest})", cycle_label(means[0].0)),
        n if n == means.len() => {
            let (first, last) = (cycle_label(means[0].0), cycle_label(means[n - 1].0));
            format!("mean ≥ {GOOD_QUALITY} at every cycle ({first}–{last}; {lowest})")
        }
        n => {
            let last = cycle_label(means[n - 1].0);
            format!(
                "mean ≥ {GOOD_QUALITY} up to cycle {last}, drops below {GOOD_QUALITY} after cycle {last} ({lowest})"
            )
        }
    }
}

/// `median 60, 87.20% ≥ 30` of the MAPQ histogram (index: MAPQ), without MAPQ 255 (unavailable),
/// whose count is added when there is any.
fn mapping_quality(histogram: &[u64]) -> String {
    let known = &histogram[..histogram.len().min(MAPQ_UNAVAILABLE)];
    let count: u64 = known.iter().sum();
    let unavailable = histogram.get(MAPQ_UNAVAILABLE).copied().unwrap_or(0);
    let without = match unavailable {
        0 => String::new(),
        n => format!(", {n} without (255)"),
    };
    if count == 0 {
        return format!("no mapped reads with a MAPQ{without}");
    }
    let mut below = 0;
    let median = known.iter().position(|&n| {
        below += n;
        below * 2 >= count
    });
    let good: u64 = known.iter().skip(GOOD_QUALITY as usize).sum();
    format!("median {}, {:.2}% ≥ {GOOD_QUALITY}{without}", median.unwrap_or(0), percent(good, count))
}

/// Rows of `REFERENCE`, `MAPPED`, `UNMAPPED`: the [`TOP_REFERENCES`] references with the most
/// mapped records (by their position among the `@SQ` lines, from 1; `*` for records placed on
/// none), and how many more there are.
pub fn references(counts: &[ReferenceCounts]) -> (Vec<Vec<String>>, usize) {
    let mut sorted: Vec<&ReferenceCounts> = counts.iter().collect();
    // Stable: references with as many mapped records stay in header order.
    sorted.sort_by_key(|r| std::cmp::Reverse(r.mapped));
    let rows = sorted
        .iter()
        .take(TOP_REFERENCES)
        .map(|r| {
            let name = r.reference_id.map_or_else(|| "*".to_owned(), |id| format!("@SQ {}", id + 1));
            vec![name, r.mapped.to_string(), r.unmapped.to_string()]
        })
        .collect();
    (rows, sorted.len().saturating_sub(TOP_REFERENCES))
}

#[cfg(test)]
mod tests {
    use seqstore_formats::qc::{BaseCounts, QualitySummary};

    use super::*;

    fn cycle(cycle: usize, mean: Option<f64>) -> Cycle {
        let quality = mean.map(|mean| QualitySummary { mean, p10: 0, q1: 0, median: 0, q3: 0, p90: 0 });
        Cycle { cycle, bases: BaseCounts::default(), qualities: Vec::new(), unusable: 0, quality }
    }

    fn length(from: u64, to: Option<u64>, reads: u64) -> LengthBin {
        LengthBin { from, to, reads }
    }

    #[test]
    fn cycle_quality_says_where_the_mean_drops_below_30() {
        let drops =
            [cycle(1, Some(32.0)), cycle(2, None), cycle(3, Some(30.0)), cycle(4, Some(24.31)), cycle(5, Some(31.0))];
        assert_eq!(
            cycle_quality(&drops),
            "mean ≥ 30 up to cycle 3, drops below 30 after cycle 3 (lowest 24.3 at cycle 4)"
        );
        let good = [cycle(1, Some(35.0)), cycle(2, Some(33.0)), cycle(501, Some(31.0))];
        assert_eq!(cycle_quality(&good), "mean ≥ 30 at every cycle (1–501+; lowest 31.0 at cycle 501+)");
        let bad = [cycle(1, Some(12.0)), cycle(2, Some(40.0))];
        assert_eq!(cycle_quality(&bad), "mean below 30 from cycle 1 (lowest 12.0 at cycle 1)");
        assert_eq!(cycle_quality(&[cycle(1, None)]), "no quality values");
    }

    #[test]
    fn read_length_gives_the_range_and_the_most_common() {
        assert_eq!(read_length(&[length(101, Some(101), 20)], 101), "101");
        let mixed = [length(35, Some(35), 2), length(100, Some(100), 9), length(151, Some(151), 9)];
        assert_eq!(read_length(&mixed, 151), "35–151, most common 100 (9 reads)");
        let long = [length(900, Some(900), 1), length(1024, Some(1279), 5)];
        assert_eq!(read_length(&long, 1100), "900–1100, most common 1024–1279 (5 reads)");
        assert_eq!(read_length(&[], 0), "no reads");
    }

    #[test]
    fn mapq_leaves_out_unavailable_values() {
        let mut histogram = vec![0; 256];
        histogram[0] = 1;
        histogram[20] = 1;
        histogram[60] = 2;
        histogram[255] = 7;
        assert_eq!(mapping_quality(&histogram), "median 20, 50.00% ≥ 30, 7 without (255)");
        assert_eq!(mapping_quality(&[0, 0, 3]), "median 2, 0.00% ≥ 30");
        assert_eq!(mapping_quality(&[]), "no mapped reads with a MAPQ");
    }

    #[test]
    fn references_are_the_top_ten_by_mapped_records() {
        let mut counts: Vec<ReferenceCounts> = (0..12)
            .map(|id| ReferenceCounts { reference_id: Some(id), mapped: (id as u64 % 4) * 10, unmapped: 1 })
            .collect();
        counts.push(ReferenceCounts { reference_id: None, mapped: 0, unmapped: 5 });
        let (rows, more) = references(&counts);
        assert_eq!(rows.len(), 10);
        assert_eq!(more, 3);
        assert_eq!(rows[0], ["@SQ 4", "30", "1"]);
        assert_eq!(rows[1], ["@SQ 8", "30", "1"]);
        let (rows, more) = references(&counts[12..]);
        assert_eq!((rows, more), (vec![vec!["*".to_owned(), "0".to_owned(), "5".to_owned()]], 0));
    }

    #[test]
    fn shares_are_percentages_of_their_whole() {
        assert_eq!(share(18822, 20000), "18822 (94.11%)");
        assert_eq!(share(3, 0), "3");
    }
}
