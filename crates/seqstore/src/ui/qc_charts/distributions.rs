//! The histograms of a report, each with its reading: read lengths, GC content per read, mean
//! quality per read, and for aligned read sets MAPQ and insert sizes.

use maud::Markup;

use super::frame::{Size, Spec};
use super::histogram::{self, Bin, Histogram, indexed};
use super::scale::percent;
use crate::model::qc::QcReport;
use crate::ui::layout::count;

/// Mean read quality from which a read counts as good in the reading.
const GOOD_QUALITY: usize = 30;
/// The MAPQ axis reaches at least this (BWA's and most aligners' top value).
const MAPQ_TOP: u64 = 60;

fn spec(id: &str, title: &str, x_label: &'static str, y_label: &'static str, reading: String) -> Spec {
    Spec { id: id.to_owned(), title: title.to_owned(), x_label, y_label, reading, size: Size::Normal }
}

/// The bin with the highest count (the first of equals).
fn mode(bins: &[Bin]) -> Option<Bin> {
    bins.iter().fold(None, |best: Option<Bin>, &bin| match best {
        Some(b) if b.count >= bin.count => Some(b),
        _ => Some(bin),
    })
}

fn total(bins: &[Bin]) -> u64 {
    bins.iter().map(|b| b.count).sum()
}

/// `data-chart="read-length"`: reads by length (samtools' `RL`).
pub(super) fn read_lengths(report: &QcReport) -> Markup {
    let bins: Vec<Bin> = report
        .read_lengths
        .iter()
        .map(|b| Bin { from: b.from, to: b.to.unwrap_or(b.from), count: b.reads })
        .filter(|b| b.count > 0)
        .collect();
    let spec = spec("read-length", "Read length", "Read length (bases)", "Reads (count)", length_reading(&bins));
    histogram::render(&Histogram { spec, domain: None, counted: "reads", values: "{} bases" }, &bins)
}

/// "Most reads are 150 bases long (98 %)", or what is true instead.
fn length_reading(bins: &[Bin]) -> String {
    let (Some(mode), total) = (mode(bins), total(bins)) else { return "No reads".to_owned() };
    let length = if mode.from == mode.to {
        format!("{} bases", count(mode.from))
    } else {
        format!("{}–{} bases", count(mode.from), count(mode.to))
    };
    match mode.count {
        _ if total == 1 => format!("The only read is {length} long"),
        n if n == total => format!("All {} reads are {length} long", count(total)),
        n if 2 * n > total => format!("Most reads are {length} long ({})", percent(n, total)),
        n => format!("The commonest length is {length} ({} of reads)", percent(n, total)),
    }
}

/// `data-chart="gc-content"`: reads by the percentage of their bases that are G or C.
pub(super) fn gc_content(report: &QcReport) -> Markup {
    let bins = indexed(&report.read_gc_percent);
    let reading = gc_reading(&bins, report.gc_percent);
    let spec =
        spec("gc-content", "GC content per read", "GC content (% of the read's bases)", "Reads (count)", reading);
    histogram::render(&Histogram { spec, domain: Some((0, 100)), counted: "reads", values: "{} % GC" }, &bins)
}

/// "GC content peaks at 41 % (12 % of reads); 40.8 % of all bases are G or C".
fn gc_reading(bins: &[Bin], bases: Option<f64>) -> String {
    let (Some(mode), total) = (mode(bins), total(bins)) else { return "No reads".to_owned() };
    let peak = if total == 1 {
        format!("The only read's GC content is {} %", mode.from)
    } else if mode.count == total {
        format!("Every read's GC content is {} %", mode.from)
    } else {
        format!("GC content peaks at {} % ({} of reads)", mode.from, percent(mode.count, total))
    };
    match bases {
        Some(gc) if total > 1 => format!("{peak}; {gc:.1} % of all bases are G or C"),
        _ => peak,
    }
}

/// `data-chart="read-mean-quality"`: reads by their mean base quality (rounded down).
pub(super) fn read_mean_qualities(report: &QcReport) -> Markup {
    let bins = indexed(&report.read_mean_qualities);
    let reading = mean_quality_reading(&bins, report.read_mean_quality_unusable);
    let spec = spec(
        "read-mean-quality",
        "Mean quality per read",
        "Mean base quality of the read (Phred)",
        "Reads (count)",
        reading,
    );
    let top = bins.last().map_or(0, |b| b.to).max(41);
    histogram::render(&Histogram { spec, domain: Some((0, top)), counted: "reads", values: "mean quality {}" }, &bins)
}

/// "92 % of reads have a mean quality of 30 or more", and how many reads have no qualities.
fn mean_quality_reading(bins: &[Bin], without: u64) -> String {
    let with = total(bins);
    let good: u64 = bins.iter().filter(|b| b.from >= GOOD_QUALITY as u64).map(|b| b.count).sum();
    let none = match without {
        0 => String::new(),
        1 => "; 1 read has no usable qualities".to_owned(),
        n => format!("; {} reads have no usable qualities", count(n)),
    };
    match (with, bins.first()) {
        (0, _) | (_, None) => "No read has usable base qualities".to_owned(),
        (1, Some(only)) => format!("The only read with qualities has a mean quality of {}{none}", only.from),
        (_, _) if without > 0 => {
            format!("{} of reads with qualities have a mean quality of 30 or more{none}", percent(good, with))
        }
        _ => format!("{} of reads have a mean quality of 30 or more", percent(good, with)),
    }
}

/// `data-chart="mapq"`: mapped reads by MAPQ (samtools' `MAPQ`: primary, neither duplicates nor
/// QC failures).
pub(super) fn mapping_qualities(report: &QcReport) -> Markup {
    let bins = indexed(&report.mapping_qualities);
    let spec =
        spec("mapq", "Mapping quality", "MAPQ (Phred; 255: unavailable)", "Mapped reads (count)", mapq_reading(&bins));
    let top = bins.last().map_or(0, |b| b.to).max(MAPQ_TOP);
    histogram::render(&Histogram { spec, domain: Some((0, top)), counted: "mapped reads", values: "MAPQ {}" }, &bins)
}

/// "94 % of mapped reads have MAPQ 60".
fn mapq_reading(bins: &[Bin]) -> String {
    let (Some(mode), total) = (mode(bins), total(bins)) else { return "No mapped reads".to_owned() };
    let mapq = if mode.from == 255 { "MAPQ 255 (unavailable)".to_owned() } else { format!("MAPQ {}", mode.from) };
    match mode.count {
        _ if total == 1 => format!("The only mapped read has {mapq}"),
        n if n == total => format!("All mapped reads have {mapq}"),
        n => format!("{} of mapped reads have {mapq}", percent(n, total)),
    }
}

/// `data-chart="insert-size"`: pairs by insert size, the properly paired ones when there are any,
/// up to the end of samtools' main bulk (just over 99 % of the pairs).
pub(super) fn insert_sizes(report: &QcReport) -> Markup {
    let sizes = &report.insert_sizes;
    let proper = sizes.proper_pairs > 0;
    let counts: Vec<u64> = sizes.bins.iter().map(|b| if proper { b.proper } else { b.pairs }).collect();
    let cut = sizes.bulk_end.clamp(counts.len().min(1), counts.len());
    let reading = insert_reading(&counts, cut, proper);
    let y_label = if proper { "Proper pairs (count)" } else { "Pairs (count)" };
    let spec = spec("insert-size", "Insert size", "Insert size (|TLEN|, bases)", y_label, reading);
    let counted = if proper { "proper pairs" } else { "pairs" };
    histogram::render(&Histogram { spec, domain: None, counted, values: "{} bases" }, &indexed(&counts[..cut]))
}

/// "Median insert size 312 (proper pairs)", and the share of pairs beyond `cut` (not drawn).
fn insert_reading(counts: &[u64], cut: usize, proper: bool) -> String {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return "No pairs with both mates mapped".to_owned();
    }
    let mut below = 0;
    let median = counts.iter().position(|&n| {
        below += n;
        2 * below >= total
    });
    let median = median.unwrap_or(0);
    // The last size, 8,000, holds every larger one.
    let median = if median + 1 == counts.len() && median >= 8000 {
        format!("{} or more", count(median as u64))
    } else {
        count(median as u64)
    };
    let which = match (proper, total) {
        (true, 1) => "one proper pair",
        (true, _) => "proper pairs",
        (false, 1) => "one pair, not properly paired",
        (false, _) => "all pairs; none properly paired",
    };
    let beyond: u64 = counts[cut..].iter().sum();
    let tail = match beyond {
        0 => String::new(),
        n => format!("; {} of them above {} not drawn", percent(n, total), count(cut.saturating_sub(1) as u64)),
    };
    format!("Median insert size {median} ({which}){tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_readings() {
        assert_eq!(length_reading(&[]), "No reads");
        assert_eq!(length_reading(&[Bin::one(150, 1)]), "The only read is 150 bases long");
        assert_eq!(length_reading(&[Bin::one(150, 7)]), "All 7 reads are 150 bases long");
        assert_eq!(length_reading(&[Bin::one(35, 2), Bin::one(150, 98)]), "Most reads are 150 bases long (98 %)");
        let long = [Bin::one(100, 1), Bin { from: 1024, to: 1279, count: 2 }, Bin::one(150, 2)];
        assert_eq!(length_reading(&long), "The commonest length is 1,024–1,279 bases (40 % of reads)");
    }

    #[test]
    fn gc_readings() {
        assert_eq!(gc_reading(&[], None), "No reads");
        assert_eq!(gc_reading(&[Bin::one(41, 1)], Some(41.2)), "The only read's GC content is 41 %");
        let bins = [Bin::one(40, 3), Bin::one(41, 5), Bin::one(42, 2)];
        assert_eq!(
            gc_reading(&bins, Some(40.84)),
            "GC content peaks at 41 % (50 % of reads); 40.8 % of all bases are G or C"
        );
        assert_eq!(
            gc_reading(&[Bin::one(41, 2)], Some(41.0)),
            "Every read's GC content is 41 %; 41.0 % of all bases are G or C"
        );
    }

    #[test]
    fn mean_quality_readings() {
        assert_eq!(mean_quality_reading(&[], 3), "No read has usable base qualities");
        assert_eq!(
            mean_quality_reading(&[Bin::one(36, 1)], 0),
            "The only read with qualities has a mean quality of 36"
        );
        let bins = [Bin::one(12, 8), Bin::one(36, 92)];
        assert_eq!(mean_quality_reading(&bins, 0), "92 % of reads have a mean quality of 30 or more");
        assert_eq!(
            mean_quality_reading(&bins, 2),
            "92 % of reads with qualities have a mean quality of 30 or more; 2 reads have no usable qualities"
        );
    }

    #[test]
    fn mapq_readings() {
        assert_eq!(mapq_reading(&[]), "No mapped reads");
        assert_eq!(mapq_reading(&[Bin::one(0, 6), Bin::one(60, 94)]), "94 % of mapped reads have MAPQ 60");
        assert_eq!(mapq_reading(&[Bin::one(255, 4)]), "All mapped reads have MAPQ 255 (unavailable)");
        assert_eq!(mapq_reading(&[Bin::one(60, 1)]), "The only mapped read has MAPQ 60");
    }

    #[test]
    fn insert_readings() {
        assert_eq!(insert_reading(&[], 0, false), "No pairs with both mates mapped");
        let mut counts = vec![0; 401];
        counts[300] = 60;
        counts[312] = 30;
        counts[400] = 10;
        assert_eq!(insert_reading(&counts, 401, true), "Median insert size 300 (proper pairs)");
        assert_eq!(
            insert_reading(&counts, 313, true),
            "Median insert size 300 (proper pairs); 10 % of them above 312 not drawn"
        );
        let mut tail = vec![0; 8001];
        tail[8000] = 3;
        assert_eq!(
            insert_reading(&tail, 8001, false),
            "Median insert size 8,000 or more (all pairs; none properly paired)"
        );
    }
}
