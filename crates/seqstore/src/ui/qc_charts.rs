//! The charts of a read set's QC statistics (#27), drawn on the server as inline SVG: no
//! JavaScript. [`charts`] renders a [`QcReport`] as a `<section class="qc-charts">` of
//! `<figure>`s, each an `<svg>` with a `<title>`, a heading, axes with tick labels and axis labels
//! (with units), and below it a one-line plain-English reading computed from the report
//! (`<p class="reading" data-reading="ID">`). Colours are CSS classes (`app.css`, "QC charts").
//!
//! Each `<svg>` carries `data-chart="ID"`, one of:
//!
//! | id | chart | data elements |
//! |---|---|---|
//! | `quality-per-cycle-r1` | base quality per cycle of first fragments (all reads when single-end) as box plots | `rect.box` |
//! | `quality-per-cycle-r2` | the same for last fragments, when there are any | `rect.box` |
//! | `read-length` | reads by length | `rect.col` |
//! | `gc-content` | reads by GC content, 0 to 100 % | `rect.col` |
//! | `base-composition-r1` | A/C/G/T/N per cycle of first fragments, % of the cycle's bases | `polyline.base` |
//! | `base-composition-r2` | the same for last fragments, when there are any | `polyline.base` |
//! | `read-mean-quality` | reads by mean base quality | `rect.col` |
//! | `mapq` | mapped reads by MAPQ (aligned read sets only) | `rect.col` |
//! | `insert-size` | pairs by insert size, proper pairs when there are any, up to samtools' main bulk (aligned only) | `rect.col` |
//!
//! Data elements carry their values for machines (a browser test):
//! - `rect.box`: `data-cycle` (1-based; 501 is every cycle after 500, and has `data-tail="true"`),
//!   `data-mean` (two decimals), `data-p10`, `data-q1`, `data-median`, `data-q3`, `data-p90`;
//! - `rect.col`: `data-x` and `data-x-end` (the bar's first and last value; equal for a bar of
//!   one value), `data-value` (the count);
//! - `polyline.base`: `data-base` (`A`, `C`, `G`, `T`, `N`) and `data-values`, space-separated
//!   `cycle:percent` pairs (two decimals) for every cycle with bases.
//!
//! Sizes are bounded whatever the report: a histogram has at most about 256 bars (longer ones
//! are merged into bars of a nice width; a bin of the report wider than that, as read lengths
//! from 1,024 on are, is never split but makes a wider bar), a box plot
//! at most 501 boxes (whiskers, medians and means are one path each), a composition chart five
//! lines. A report without reads renders a note saying so and no charts; a chart without data
//! (no qualities, no mapped reads) renders its frame with "no data" and a reading saying why.

mod composition;
mod distributions;
mod frame;
mod histogram;
mod quality;
mod scale;

use maud::{Markup, html};

use crate::model::qc::QcReport;

/// The report's cycle that holds every cycle after 500 (`seqstore_formats::qc::MAX_CYCLES` + 1).
const TAIL_CYCLE: usize = 501;

/// The charts of `report` (see the module for what they are); the MAPQ and insert size charts
/// only when `aligned` (the read set's alignment says so). The caller gives the section its
/// heading.
pub(crate) fn charts(report: &QcReport, aligned: bool) -> Markup {
    if report.totals.sequences == 0 {
        return html! { section.qc-charts { p.reading.no-reads { "No reads: there is nothing to chart." } } };
    }
    let fragments = fragments(report);
    html! {
        section.qc-charts {
            @for fragment in &fragments { (quality::chart(fragment)) }
            (distributions::read_lengths(report))
            (distributions::gc_content(report))
            @for fragment in &fragments { (composition::chart(fragment)) }
            (distributions::read_mean_qualities(report))
            @if aligned {
                (distributions::mapping_qualities(report))
                (distributions::insert_sizes(report))
            }
        }
    }
}

/// Which reads a per-cycle chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    /// Every read: a single-end read set (no last fragments, no other paired reads).
    Single,
    /// First fragments (R1) of a paired read set.
    First,
    /// Last fragments (R2).
    Last,
}

impl Which {
    /// The suffix of its charts' ids.
    fn id(self) -> &'static str {
        match self {
            Which::Single | Which::First => "r1",
            Which::Last => "r2",
        }
    }

    /// The end of its charts' titles.
    fn of(self) -> &'static str {
        match self {
            Which::Single => "",
            Which::First => ": first fragments (R1)",
            Which::Last => ": last fragments (R2)",
        }
    }

    /// Its bases, in a reading.
    fn bases(self) -> &'static str {
        match self {
            Which::Single => "all bases",
            Which::First => "the bases of first fragments (R1)",
            Which::Last => "the bases of last fragments (R2)",
        }
    }
}

/// One cycle's quality summary.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CycleBox {
    cycle: usize,
    mean: f64,
    p10: u8,
    q1: u8,
    median: u8,
    q3: u8,
    p90: u8,
}

/// One cycle's bases: those drawn, and all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CycleBases {
    cycle: usize,
    a: u64,
    c: u64,
    g: u64,
    t: u64,
    n: u64,
    /// Every base at the cycle, other IUPAC codes included.
    total: u64,
}

/// What the per-cycle charts draw of first or last fragments.
#[derive(Debug, Clone, PartialEq)]
struct Fragment {
    which: Which,
    /// The last cycle (the x axis's end).
    cycles: usize,
    /// The cycles with usable qualities.
    boxes: Vec<CycleBox>,
    /// Every cycle.
    bases: Vec<CycleBases>,
}

/// First fragments (always), and last ones when there are any.
fn fragments(report: &QcReport) -> Vec<Fragment> {
    let paired = !report.last_fragment_cycles.is_empty() || report.totals.other_fragments > 0;
    let of = |which: Which| {
        let cycles = if which == Which::Last { &report.last_fragment_cycles } else { &report.first_fragment_cycles };
        let boxes = cycles.iter().filter_map(|c| {
            let q = c.quality?;
            let (mean, p10, q1, median, q3, p90) = (q.mean, q.p10, q.q1, q.median, q.q3, q.p90);
            Some(CycleBox { cycle: c.cycle, mean, p10, q1, median, q3, p90 })
        });
        let bases = cycles.iter().map(|c| {
            let b = &c.bases;
            CycleBases { cycle: c.cycle, a: b.a, c: b.c, g: b.g, t: b.t, n: b.n, total: b.total() }
        });
        let last = cycles.last().map_or(0, |c| c.cycle);
        Fragment { which, cycles: last, boxes: boxes.collect(), bases: bases.collect() }
    };
    let mut fragments = vec![of(if paired { Which::First } else { Which::Single })];
    if !report.last_fragment_cycles.is_empty() {
        fragments.push(of(Which::Last));
    }
    fragments
}

#[cfg(test)]
mod tests;
