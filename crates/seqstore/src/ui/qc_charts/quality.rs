//! Quality per cycle as a box plot, FastQC's way: for each cycle a box from the first to the
//! third quartile (`<rect class="box">` with the values in `data-*`), a median line, whiskers
//! from the 10th to the 90th percentile and the mean as a dot, over bands of poor (below 20),
//! reasonable (20 to 30) and good quality. The whiskers, medians and means of all cycles are one
//! `<path>` each, so a chart of 501 cycles stays about a thousand elements.

use maud::{Markup, html};

use super::frame::{self, Size, Spec};
use super::scale::{Axis, px};
use super::{CycleBox, Fragment, TAIL_CYCLE};

/// Quality below this is poor (FastQC's red band).
const POOR: f64 = 20.0;
/// Quality below this (and at least [`POOR`]) is reasonable; from it on, good.
const GOOD: f64 = 30.0;
/// The y axis reaches at least this quality (Illumina's top values are 40 to 42).
const MIN_TOP: f64 = 41.0;

/// The chart of `fragment`'s cycles (`data-chart="quality-per-cycle-r1"` or `-r2`).
pub(super) fn chart(fragment: &Fragment) -> Markup {
    let spec = Spec {
        id: format!("quality-per-cycle-{}", fragment.which.id()),
        title: format!("Quality per cycle{}", fragment.which.of()),
        x_label: "Cycle (position in the read, bases)",
        y_label: "Base quality (Phred)",
        reading: reading(&fragment.boxes),
        size: Size::Wide,
    };
    let x = frame::x_axis(spec.size, 0.5, fragment.cycles as f64 + 0.5, true);
    let top = fragment.boxes.iter().map(|b| f64::from(b.p90)).fold(MIN_TOP, f64::max);
    let y = frame::y_axis(spec.size, top, true);
    let (left, right, top_px, _) = frame::plot_area(spec.size);
    let band = |class: &str, from_px: f64, to_px: f64| {
        html! { rect class=(class) x=(left) y=(to_px) width=(right - left) height=(px(from_px - to_px)) {} }
    };
    let backdrop = html! {
        (band("band-poor", y.at(0.0), y.at(POOR)))
        (band("band-fair", y.at(POOR), y.at(GOOD)))
        (band("band-good", y.at(GOOD), top_px))
    };
    let plot = (!fragment.boxes.is_empty()).then(|| boxes(&fragment.boxes, &x, &y, right - left, fragment.cycles));
    frame::figure(&spec, &x, &y, Some(backdrop), plot)
}

/// The boxes, then the whiskers, medians and means of all cycles.
fn boxes(boxes: &[CycleBox], x: &Axis, y: &Axis, width: f64, cycles: usize) -> Markup {
    // Thin boxes for many cycles, at most 16 px wide for a few.
    let box_width = (width / cycles.max(1) as f64 * 0.7).clamp(0.5, 16.0);
    let (box_width, half) = (px(box_width), px(box_width / 2.0));
    let (mut whiskers, mut medians, mut means) = (String::new(), String::new(), String::new());
    for b in boxes {
        let cx = x.at(b.cycle as f64);
        let at = |q: u8| y.at(f64::from(q));
        whiskers.push_str(&format!("M{cx} {}V{}M{cx} {}V{}", at(b.p90), at(b.q3), at(b.q1), at(b.p10)));
        medians.push_str(&format!("M{} {}h{box_width}", px(cx - half), at(b.median)));
        means.push_str(&format!("M{cx} {}h0", y.at(b.mean)));
    }
    html! {
        @for b in boxes {
            @let (q1, q3) = (y.at(f64::from(b.q1)), y.at(f64::from(b.q3)));
            rect.box.tail[b.cycle == TAIL_CYCLE] x=(px(x.at(b.cycle as f64) - half)) y=(q3) width=(box_width)
                height=(px(q1 - q3))
                data-cycle=(b.cycle) data-tail=[(b.cycle == TAIL_CYCLE).then_some("true")]
                data-mean=(format!("{:.2}", b.mean)) data-p10=(b.p10) data-q1=(b.q1) data-median=(b.median)
                data-q3=(b.q3) data-p90=(b.p90) {
                title { (tooltip(b)) }
            }
        }
        path.whiskers d=(whiskers) {}
        path.medians d=(medians) {}
        path.means d=(means) {}
    }
}

/// "Cycle 12: median 38, quartiles 36–39, 10th–90th percentile 32–40, mean 37.4".
fn tooltip(b: &CycleBox) -> String {
    format!(
        "{}: median {}, quartiles {}–{}, 10th–90th percentile {}–{}, mean {:.1}",
        capitalised(&cycle_name(b.cycle)),
        b.median,
        b.q1,
        b.q3,
        b.p10,
        b.p90,
        b.mean
    )
}

/// "cycle 12", or "cycles after 500" for the binned tail.
fn cycle_name(cycle: usize) -> String {
    if cycle == TAIL_CYCLE { format!("cycles after {}", TAIL_CYCLE - 1) } else { format!("cycle {cycle}") }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Where the mean quality falls below 30: "Mean quality drops below 30 after cycle 128", or that
/// it never does, or is below it from the start.
pub(super) fn reading(boxes: &[CycleBox]) -> String {
    let Some(first) = boxes.first() else {
        return "No base qualities to plot: the reads have none".to_owned();
    };
    let below = boxes.iter().position(|b| b.mean < GOOD);
    match below {
        None => {
            let lowest = boxes.iter().min_by(|a, b| a.mean.total_cmp(&b.mean)).unwrap_or(first);
            format!(
                "Mean quality stays at 30 or above in every cycle (lowest {:.1} at {})",
                lowest.mean,
                cycle_name(lowest.cycle)
            )
        }
        Some(_) if boxes.iter().all(|b| b.mean < GOOD) => "Mean quality is below 30 in every cycle".to_owned(),
        Some(0) => format!("Mean quality starts below 30 ({:.1} at {})", first.mean, cycle_name(first.cycle)),
        Some(i) => format!("Mean quality drops below 30 after {}", cycle_name(boxes[i - 1].cycle)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(cycle: usize, mean: f64) -> CycleBox {
        CycleBox { cycle, mean, p10: 0, q1: 0, median: 0, q3: 0, p90: 0 }
    }

    #[test]
    fn readings() {
        assert_eq!(reading(&[]), "No base qualities to plot: the reads have none");
        let good = [cycle(1, 35.0), cycle(2, 31.3)];
        assert_eq!(reading(&good), "Mean quality stays at 30 or above in every cycle (lowest 31.3 at cycle 2)");
        let drop = [cycle(1, 35.0), cycle(2, 31.0), cycle(3, 29.9), cycle(4, 31.0)];
        assert_eq!(reading(&drop), "Mean quality drops below 30 after cycle 2");
        let tail = [cycle(500, 35.0), cycle(TAIL_CYCLE, 12.0)];
        assert_eq!(reading(&tail), "Mean quality drops below 30 after cycle 500");
        assert_eq!(reading(&[cycle(1, 12.0), cycle(2, 35.0)]), "Mean quality starts below 30 (12.0 at cycle 1)");
        assert_eq!(reading(&[cycle(1, 12.0)]), "Mean quality is below 30 in every cycle");
        assert_eq!(
            tooltip(&cycle(TAIL_CYCLE, 2.0)),
            "Cycles after 500: median 0, quartiles 0–0, 10th–90th percentile 0–0, mean 2.0"
        );
    }
}
