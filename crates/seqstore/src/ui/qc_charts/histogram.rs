//! Bar histograms on a linear x axis: the values are merged into at most [`MAX_BARS`] bars of
//! equal width, each a `<rect class="col">` with `data-x`, `data-x-end` and `data-value`.

use maud::{Markup, html};

use super::frame::{self, Spec};
use super::scale::{nice_step, px};
use crate::ui::layout::count;

/// The most bars a histogram draws (each a rect and its tooltip).
pub(super) const MAX_BARS: usize = 256;

/// Values `from..=to` (whole numbers) and how many there are of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bin {
    /// The smallest value of the bin.
    pub from: u64,
    /// The largest value of the bin (`from` for a bin of one value).
    pub to: u64,
    /// The count.
    pub count: u64,
}

impl Bin {
    /// A bin of the one value `value`.
    pub(super) fn one(value: u64, count: u64) -> Self {
        Self { from: value, to: value, count }
    }
}

/// One bin per index of `counts` (the value is the index), empty ones left out.
pub(super) fn indexed(counts: &[u64]) -> Vec<Bin> {
    counts.iter().enumerate().filter(|&(_, &n)| n > 0).map(|(i, &n)| Bin::one(i as u64, n)).collect()
}

/// `bins` (in order, not overlapping, counts > 0) as at most about `max_bars` bars: unchanged when
/// they are bins of one value each and span at most `max_bars` values; otherwise merged into bars
/// of a nice width, aligned to multiples of it, empty ones left out. A bin wider than that (the
/// report's read lengths from 1,024 on are binned by quarter doublings) is never split: its bar
/// reaches to its end, and the bins within it join it.
pub(super) fn rebin(bins: &[Bin], max_bars: usize) -> Vec<Bin> {
    let (Some(first), Some(last)) = (bins.first(), bins.last()) else { return Vec::new() };
    let span = last.to.saturating_sub(first.from) + 1;
    if bins.iter().all(|b| b.from == b.to) && span <= max_bars as u64 {
        return bins.to_vec();
    }
    let width = (nice_step(span as f64, max_bars) as u64).max(1);
    let mut bars: Vec<Bin> = Vec::new();
    for bin in bins {
        match bars.last_mut() {
            Some(bar) if bin.from <= bar.to => {
                bar.to = bar.to.max(bin.to);
                bar.count += bin.count;
            }
            _ => {
                let from = bin.from / width * width;
                let from = bars.last().map_or(from, |bar| from.max(bar.to + 1));
                let to = (from / width * width + width - 1).max(bin.to);
                bars.push(Bin { from, to, count: bin.count });
            }
        }
    }
    bars
}

/// What a histogram shows besides its bins.
#[derive(Debug, Clone)]
pub(super) struct Histogram<'a> {
    /// The frame: id, title, axis labels, reading, size.
    pub spec: Spec,
    /// The x axis's values, when fixed (e.g. 0 to 100 %); else from the first bin to the last.
    pub domain: Option<(u64, u64)>,
    /// What one bar's tooltip calls the count ("reads", "pairs").
    pub counted: &'a str,
    /// How the tooltip names a bar's x values: `{}` stands for them ("{} bases", "MAPQ {}").
    pub values: &'a str,
}

/// The histogram of `bins` (see [`rebin`]), an empty frame saying "no data" when there are none.
pub(super) fn render(histogram: &Histogram<'_>, bins: &[Bin]) -> Markup {
    let spec = &histogram.spec;
    let bars = rebin(bins, MAX_BARS);
    let (lo, hi) = match (histogram.domain, bars.first(), bars.last()) {
        (Some((lo, hi)), ..) => (lo as f64 - 0.5, hi as f64 + 0.5),
        (None, Some(first), Some(last)) => widened(first.from, last.to),
        _ => (-0.5, 0.5),
    };
    let x = frame::x_axis(spec.size, lo, hi, true);
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0);
    let y = frame::y_axis(spec.size, max as f64, true);
    let plot = (!bars.is_empty()).then(|| {
        html! {
            @for bar in &bars {
                @let (left, right) = (x.at(bar.from as f64 - 0.5), x.at(bar.to as f64 + 0.5));
                // A gap between bars wide enough to show one.
                @let gap = if right - left > 3.0 { 1.0 } else { 0.0 };
                rect.col x=(left) y=(y.at(bar.count as f64)) width=(px(right - left - gap))
                    height=(px(y.at(0.0) - y.at(bar.count as f64)))
                    data-x=(bar.from) data-x-end=(bar.to) data-value=(bar.count) {
                    title { (tooltip(histogram, bar)) }
                }
            }
        }
    });
    frame::figure(spec, &x, &y, None, plot)
}

/// The x axis's values for bars from `lo` to `hi` (inclusive), each value's bar centred on it:
/// widened to at least 10 values (not below 0), so that a few bars stay narrow.
fn widened(lo: u64, hi: u64) -> (f64, f64) {
    const MIN_SPAN: u64 = 10;
    let (lo, hi) = if hi - lo + 1 >= MIN_SPAN {
        (lo, hi)
    } else {
        let lo = lo.saturating_sub((MIN_SPAN - (hi - lo + 1)) / 2);
        (lo, hi.max(lo + MIN_SPAN - 1))
    };
    (lo as f64 - 0.5, hi as f64 + 0.5)
}

/// "150 bases: 1,234 reads", or "150–199 bases: …" for a bar of several values.
fn tooltip(histogram: &Histogram<'_>, bar: &Bin) -> String {
    let values = if bar.from == bar.to { count(bar.from) } else { format!("{}–{}", count(bar.from), count(bar.to)) };
    format!("{}: {} {}", histogram.values.replace("{}", &values), count(bar.count), histogram.counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_histograms_stay_as_they_are() {
        let bins = [Bin::one(35, 2), Bin::one(151, 10)];
        assert_eq!(rebin(&bins, 256), bins);
        assert!(rebin(&[], 256).is_empty());
    }

    #[test]
    fn long_histograms_merge_into_equal_bars() {
        let bins: Vec<Bin> = (0..=8000).map(|i| Bin::one(i, 1)).collect();
        let bars = rebin(&bins, 256);
        assert!(bars.len() <= 256, "{}", bars.len());
        assert_eq!(bars[0], Bin { from: 0, to: 49, count: 50 });
        assert_eq!(bars.last(), Some(&Bin { from: 8000, to: 8049, count: 1 }));
        assert_eq!(bars.iter().map(|b| b.count).sum::<u64>(), 8001);
    }

    #[test]
    fn wide_bins_are_never_split() {
        // Read lengths: 100, 1,022, and 1,024–1,279 (a bin of a quarter of a doubling).
        let bins = [Bin::one(100, 3), Bin::one(1022, 1), Bin { from: 1024, to: 1279, count: 2 }, Bin::one(1282, 1)];
        let bars = rebin(&bins, 256);
        let expected = [
            Bin { from: 100, to: 104, count: 3 },
            Bin { from: 1020, to: 1279, count: 3 },
            Bin { from: 1280, to: 1284, count: 1 },
        ];
        assert_eq!(bars, expected);
    }

    #[test]
    fn a_few_values_get_a_wider_axis() {
        assert_eq!(widened(150, 150), (145.5, 155.5));
        assert_eq!(widened(2, 3), (-0.5, 9.5));
        assert_eq!(widened(0, 300), (-0.5, 300.5));
    }
}
