//! Base composition per cycle: one line per base (A, C, G, T, N), each a `<polyline
//! class="base base-a">` with `data-base` and its values in `data-values` (`cycle:percent` pairs,
//! in cycle order), as a percentage of the bases at that cycle (other IUPAC codes count in the
//! whole but have no line).

use maud::{Markup, html};

use super::frame::{self, Size, Spec};
use super::scale::percent;
use super::{CycleBases, Fragment};

/// Which count of a cycle's bases a line draws.
type Count = fn(&CycleBases) -> u64;

/// The lines drawn: name, and their count.
const LINES: [(&str, Count); 5] = [("A", |b| b.a), ("C", |b| b.c), ("G", |b| b.g), ("T", |b| b.t), ("N", |b| b.n)];

/// The chart of `fragment`'s cycles (`data-chart="base-composition-r1"` or `-r2`).
pub(super) fn chart(fragment: &Fragment) -> Markup {
    let spec = Spec {
        id: format!("base-composition-{}", fragment.which.id()),
        title: format!("Base composition per cycle{}", fragment.which.of()),
        x_label: "Cycle (position in the read, bases)",
        y_label: "Share of the cycle's bases (%)",
        reading: reading(fragment),
        size: Size::Wide,
    };
    let x = frame::x_axis(spec.size, 0.5, fragment.cycles as f64 + 0.5, true);
    let y = frame::y_axis(spec.size, 100.0, true);
    let cycles: Vec<&CycleBases> = fragment.bases.iter().filter(|c| c.total > 0).collect();
    let (_, right, _, _) = frame::plot_area(spec.size);
    let plot = (!cycles.is_empty()).then(|| {
        html! {
            @for (i, (base, count)) in LINES.into_iter().enumerate() {
                @let shares = cycles.iter().map(|c| (c.cycle, 100.0 * count(c) as f64 / c.total as f64));
                @let (points, values) = shares.fold((String::new(), String::new()), |(mut points, mut values), (cycle, share)| {
                    points.push_str(&format!("{},{} ", x.at(cycle as f64), y.at(share)));
                    values.push_str(&format!("{cycle}:{share:.2} "));
                    (points, values)
                });
                polyline class={ "base base-" (base.to_lowercase()) } data-base=(base)
                    points=(points.trim_end()) data-values=(values.trim_end()) {}
                text class={ "legend base-" (base.to_lowercase()) } x=(right - 100.0 + 20.0 * i as f64) y="18" { (base) }
            }
        }
    });
    frame::figure(&spec, &x, &y, None, plot)
}

/// The share of N among the fragment's bases: "N bases: 0.02 % of all bases", or "No N bases".
pub(super) fn reading(fragment: &Fragment) -> String {
    let (n, total) = fragment.bases.iter().fold((0, 0), |(n, total), c| (n + c.n, total + c.total));
    let of = fragment.which.bases();
    match (n, total) {
        (_, 0) => format!("No bases{}", fragment.which.of()),
        (0, _) => format!("No N bases among {of}"),
        (n, total) => format!("N bases: {} of {of}", percent(n, total)),
    }
}
