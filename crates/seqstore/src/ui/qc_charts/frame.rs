//! The frame every chart shares: the `<figure>` with its `<svg>` (title, heading, axes, ticks,
//! tick labels, axis labels) around what the chart draws, and the reading below it.

use maud::{Markup, html};

use super::scale::Axis;

/// A chart's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Size {
    /// Half the width of the section.
    Normal,
    /// The section's whole width (the per-cycle charts).
    Wide,
}

impl Size {
    fn pixels(self) -> (f64, f64) {
        match self {
            Size::Normal => (560.0, 260.0),
            Size::Wide => (960.0, 280.0),
        }
    }
}

/// Space left of, right of, above and below the plot: tick labels and axis labels.
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 44.0;

/// What a chart is: its id (`data-chart`), title, axis labels (with units) and reading.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    /// The `data-chart` id (see the module's list).
    pub id: String,
    /// The `<title>` and heading.
    pub title: String,
    /// The x axis's label, with its unit.
    pub x_label: &'static str,
    /// The y axis's label, with its unit.
    pub y_label: &'static str,
    /// The one-line reading shown below the chart.
    pub reading: String,
    /// Its size.
    pub size: Size,
}

/// The plot area of a chart of `size`, for building its axes: (left, right, top, bottom) in
/// pixels.
pub(super) fn plot_area(size: Size) -> (f64, f64, f64, f64) {
    let (width, height) = size.pixels();
    (LEFT, width - RIGHT, TOP, height - BOTTOM)
}

/// The x axis of a chart of `size` over `lo..hi`.
pub(super) fn x_axis(size: Size, lo: f64, hi: f64, whole: bool) -> Axis {
    let (left, right, _, _) = plot_area(size);
    Axis::new(lo, hi, left, right, whole)
}

/// The y axis of a chart of `size` from 0 to at least `max`.
pub(super) fn y_axis(size: Size, max: f64, whole: bool) -> Axis {
    let (_, _, top, bottom) = plot_area(size);
    Axis::from_zero(max, bottom, top, whole)
}

/// The figure: `spec`'s frame around `plot` (drawn with `x` and `y`; `None`: a "no data" note),
/// drawn over `backdrop` (bands of the plot area) and the grid; then the reading.
pub(super) fn figure(spec: &Spec, x: &Axis, y: &Axis, backdrop: Option<Markup>, plot: Option<Markup>) -> Markup {
    let (width, height) = spec.size.pixels();
    let (left, right, top, bottom) = plot_area(spec.size);
    let wide = spec.size == Size::Wide;
    html! {
        figure.qc-chart.wide[wide] {
            svg.chart.qc data-chart=(spec.id) width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) }
                role="img" aria-labelledby={ "qc-" (spec.id) "-title" } {
                title id={ "qc-" (spec.id) "-title" } { (spec.title) }
                text.heading x=(left) y="18" { (spec.title) }
                @if let Some(backdrop) = backdrop { g.backdrop { (backdrop) } }
                (grid(x, y))
                @if let Some(plot) = plot { g.plot { (plot) } }
                @else {
                    text.no-data x=((left + right) / 2.0) y=((top + bottom) / 2.0) text-anchor="middle" { "no data" }
                }
                (axes(x, y))
                text.axis-label x=((left + right) / 2.0) y=(height - 6.0) text-anchor="middle" { (spec.x_label) }
                text.axis-label x="0" y="0" text-anchor="middle"
                    transform={ "translate(14 " ((top + bottom) / 2.0) ") rotate(-90)" } { (spec.y_label) }
            }
            p.reading data-reading=(spec.id) { (spec.reading) }
        }
    }
}

/// A horizontal line across the plot at each y tick.
fn grid(x: &Axis, y: &Axis) -> Markup {
    let (left, right) = x.ends();
    html! {
        g.grid { @for t in y.ticks() { line.grid x1=(left) y1=(y.at(t)) x2=(right) y2=(y.at(t)) {} } }
    }
}

/// Both axes' lines, ticks and tick labels (x below the plot, y left of it).
fn axes(x: &Axis, y: &Axis) -> Markup {
    let (left, right) = x.ends();
    let (bottom, top) = y.ends();
    html! {
        g.axis.x-axis {
            line.axis x1=(left) y1=(bottom) x2=(right) y2=(bottom) {}
            @for t in x.ticks() {
                line.tick x1=(x.at(t)) y1=(bottom) x2=(x.at(t)) y2=(bottom + 4.0) {}
                text.tick-label x=(x.at(t)) y=(bottom + 16.0) text-anchor="middle" { (x.label(t)) }
            }
        }
        g.axis.y-axis {
            line.axis x1=(left) y1=(bottom) x2=(left) y2=(top) {}
            @for t in y.ticks() {
                line.tick x1=(left - 4.0) y1=(y.at(t)) x2=(left) y2=(y.at(t)) {}
                text.tick-label x=(left - 6.0) y=(y.at(t) + 4.0) text-anchor="end" { (y.label(t)) }
            }
        }
    }
}
