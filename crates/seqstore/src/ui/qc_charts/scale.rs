//! Linear axes with "nice" ticks (1, 2 or 5 × 10^k apart), and the number formats of the charts'
//! tick labels and readings.

use crate::ui::layout::count;

/// The smallest step of 1, 2 or 5 × 10^k that cuts `span` into at most `parts` parts; 1 for an
/// empty, negative or non-finite span.
pub(super) fn nice_step(span: f64, parts: usize) -> f64 {
    let raw = span / parts.max(1) as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    // A little slack, so that 0.3 / 3 is a step of 0.1 and not 0.2.
    [1.0, 2.0, 5.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&step| step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// An axis: values `lo..hi` drawn from pixel `from` to pixel `to` (`to` < `from` for a y axis,
/// whose values grow upwards), with ticks every `step` from the first multiple of it at or
/// above `lo`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Axis {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
    step: f64,
}

/// Ticks an axis aims at (nice steps give between about half and all of these).
const TICKS: usize = 8;

impl Axis {
    /// An axis over `lo..hi` (widened to 1 when narrower) with about [`TICKS`] ticks; whole
    /// numbers only when `whole`.
    pub(super) fn new(lo: f64, hi: f64, from: f64, to: f64, whole: bool) -> Self {
        let hi = if hi - lo < 1.0 { lo + 1.0 } else { hi };
        let step = nice_step(hi - lo, TICKS);
        let step = if whole { step.max(1.0) } else { step };
        Self { lo, hi, from, to, step }
    }

    /// An axis of counts (or any values from 0) up to `max`, its top rounded up to a tick, with
    /// about five ticks.
    pub(super) fn from_zero(max: f64, from: f64, to: f64, whole: bool) -> Self {
        let step = nice_step(max, 5);
        let step = if whole { step.max(1.0) } else { step };
        let hi = ((max / step).ceil() * step).max(step);
        Self { lo: 0.0, hi, from, to, step }
    }

    /// The pixel of `value` (outside the axis's values, beyond its ends), to a hundredth.
    pub(super) fn at(&self, value: f64) -> f64 {
        px(self.from + (value - self.lo) / (self.hi - self.lo) * (self.to - self.from))
    }

    /// The pixels the axis spans: (start, end) as given.
    pub(super) fn ends(&self) -> (f64, f64) {
        (self.from, self.to)
    }

    /// The ticks' values, in order.
    pub(super) fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let first = (self.lo / self.step - 1e-9).ceil() as i64;
        let last = (self.hi / self.step + 1e-9).floor() as i64;
        (first..=last).map(|i| i as f64 * self.step)
    }

    /// A tick's label: as many decimals as the step needs, thousands as `k`, millions as `M`.
    pub(super) fn label(&self, value: f64) -> String {
        let decimals = if self.step >= 1.0 { 0 } else { (-self.step.log10().floor()) as usize };
        compact(value, decimals)
    }
}

/// A coordinate or length in pixels rounded to a hundredth, so that attributes stay short.
pub(super) fn px(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `value` with `decimals` decimals; from 10,000 on in thousands (`k`), millions (`M`) or
/// billions (`G`) with at most two decimals, trailing zeros dropped.
pub(super) fn compact(value: f64, decimals: usize) -> String {
    let size = value.abs();
    let (unit, suffix) = match size {
        s if s >= 1e9 => (1e9, "G"),
        s if s >= 1e6 => (1e6, "M"),
        s if s >= 1e4 => (1e3, "k"),
        _ => (1.0, ""),
    };
    if unit == 1.0 && decimals == 0 {
        return count(value.round() as i64);
    }
    let text = format!("{:.*}", if unit == 1.0 { decimals } else { 2 }, value / unit);
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    format!("{text}{suffix}")
}

/// `part` of `whole` as a percentage for a reading, never rounded to a claim it does not make: 0
/// and 100 only when exact, two decimals below 1 % (`< 0.01 %` below that), one decimal above
/// 99 % (at most 99.9 %), whole numbers between.
pub(super) fn percent(part: u64, whole: u64) -> String {
    if part == 0 || whole == 0 {
        return "0 %".to_owned();
    }
    if part >= whole {
        return "100 %".to_owned();
    }
    let p = 100.0 * part as f64 / whole as f64;
    match p {
        p if p < 0.01 => "< 0.01 %".to_owned(),
        p if p < 1.0 => format!("{p:.2} %"),
        p if p > 99.0 => format!("{:.1} %", ((p * 10.0).floor() / 10.0).min(99.9)),
        p => format!("{} %", (p.round() as u64).clamp(1, 99)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(100.0, 8), 20.0);
        assert_eq!(nice_step(93.0, 5), 20.0);
        assert_eq!(nice_step(500.0, 8), 100.0);
        assert_eq!(nice_step(0.3, 3), 0.1);
        assert_eq!(nice_step(8001.0, 256), 50.0);
        assert_eq!(nice_step(7.0, 8), 1.0);
        assert_eq!(nice_step(0.0, 8), 1.0);
        assert_eq!(nice_step(f64::NAN, 8), 1.0);
    }

    #[test]
    fn axis_ticks_and_pixels() {
        let x = Axis::new(0.5, 150.5, 60.0, 660.0, true);
        assert_eq!(x.ticks().collect::<Vec<_>>(), [20.0, 40.0, 60.0, 80.0, 100.0, 120.0, 140.0]);
        assert_eq!((x.at(0.5), x.at(150.5)), (60.0, 660.0));
        let y = Axis::from_zero(1234.0, 200.0, 20.0, true);
        assert_eq!(y.ticks().collect::<Vec<_>>(), [0.0, 500.0, 1000.0, 1500.0]);
        assert_eq!((y.at(0.0), y.at(1500.0)), (200.0, 20.0));
        // A single value still has an axis, with whole ticks.
        let one = Axis::new(150.0, 150.0, 0.0, 100.0, true);
        assert_eq!(one.ticks().collect::<Vec<_>>(), [150.0, 151.0]);
        assert_eq!(Axis::from_zero(0.0, 100.0, 0.0, true).ticks().collect::<Vec<_>>(), [0.0, 1.0]);
    }

    #[test]
    fn labels() {
        let y = Axis::from_zero(2_500_000.0, 100.0, 0.0, true);
        assert_eq!(y.label(2_500_000.0), "2.5M");
        assert_eq!(y.label(0.0), "0");
        assert_eq!(compact(5_000.0, 0), "5,000");
        assert_eq!(compact(50_000.0, 0), "50k");
        assert_eq!(compact(0.25, 2), "0.25");
    }

    #[test]
    fn percentages_never_overclaim() {
        assert_eq!(percent(0, 10), "0 %");
        assert_eq!(percent(10, 10), "100 %");
        assert_eq!(percent(2, 10_000), "0.02 %");
        assert_eq!(percent(1, 1_000_000), "< 0.01 %");
        assert_eq!(percent(98, 100), "98 %");
        assert_eq!(percent(99, 100), "99 %");
        assert_eq!(percent(9_999, 10_000), "99.9 %");
        assert_eq!(percent(999_999, 1_000_000), "99.9 %");
        assert_eq!(percent(1, 3), "33 %");
    }
}
