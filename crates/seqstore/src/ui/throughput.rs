//! `GET /ui/throughput`: import throughput over time, from the sources the database records as
//! finished. Each source's bytes are spread evenly over the time it ran (sources are grouped by
//! start and finish to a tenth of a bucket), so the chart is the
//! same whichever and however many processes did the work.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::layout::{self, bytes};
use super::session::Account;
use super::{Error, Ui};
use crate::model::time::{self, Millis};
use crate::service::dashboard::FinishedSources;

/// Points on the chart.
const BUCKETS: usize = 60;
/// At most this many groups of sources are read for one chart.
const MAX_GROUPS: i64 = 20_000;
/// Windows offered, in hours.
const WINDOWS: [i64; 4] = [1, 6, 24, 168];

/// The page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct Window {
    hours: Option<i64>,
}

/// `GET /ui/throughput?hours=N`.
pub async fn page(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Query(window): Query<Window>,
) -> Result<Html<String>, Error> {
    let hours = window.hours.filter(|h| WINDOWS.contains(h)).unwrap_or(24);
    let end = time::now();
    let start = end - hours * 3_600_000;
    // Sources are grouped to a tenth of a bucket: the chart cannot show finer detail.
    let resolution = ((end - start) / BUCKETS as i64 / 10).max(1000);
    let sources = ui.service.finished_sources(&caller, start, resolution, MAX_GROUPS).await?;
    let rates = series(&sources, start, end, BUCKETS);
    let total: i64 = sources.iter().map(|s| s.bytes).sum();
    let peak = rates.iter().copied().fold(0.0, f64::max);
    let body = html! {
        h1 { "Import throughput" }
        p { @for h in WINDOWS { a href={ "/ui/throughput?hours=" (h) } { @if h == hours { strong { "last " (h) " h" } } @else { "last " (h) " h" } } " " } }
        p #throughput-summary { (sources.iter().map(|s| s.count).sum::<i64>()) " sources finished in the window, " (bytes(u64::try_from(total).unwrap_or(0)))
            " read; peak " (bytes(peak as u64)) "/s over " (hours * 60) " s buckets." }
        (chart(&rates, start, end))
    };
    Ok(layout::page("Import throughput", &caller, body))
}

/// Bytes per second in each of `buckets` equal intervals of `[start, end)`: every source
/// contributes its bytes in proportion to the part of its run inside the interval.
fn series(sources: &[FinishedSources], start: Millis, end: Millis, buckets: usize) -> Vec<f64> {
    let mut rates = vec![0.0; buckets];
    let width = (end - start) as f64 / buckets as f64;
    if width <= 0.0 {
        return rates;
    }
    for source in sources {
        let (from, to) = (source.started.max(start), source.finished.min(end));
        let run = (source.finished - source.started).max(1) as f64;
        if to < from {
            continue;
        }
        let per_ms = source.bytes as f64 / run;
        let first = ((from - start) as f64 / width) as usize;
        let last = (((to - start) as f64 / width) as usize).min(buckets - 1);
        for (i, rate) in rates.iter_mut().enumerate().take(last + 1).skip(first) {
            let lo = start as f64 + i as f64 * width;
            let overlap = (to as f64).min(lo + width) - (from as f64).max(lo);
            // A source shorter than a millisecond still counts, in its bucket.
            let overlap = if source.finished == source.started { 1.0 } else { overlap.max(0.0) };
            *rate += per_ms * overlap / (width / 1000.0);
        }
    }
    rates
}

fn chart(rates: &[f64], start: Millis, end: Millis) -> Markup {
    let (w, h, left, bottom) = (760.0, 240.0, 70.0, 24.0);
    let peak = rates.iter().copied().fold(0.0, f64::max).max(1.0);
    let step = (w - left) / rates.len().max(1) as f64;
    let y = |rate: f64| (h - bottom) - rate / peak * (h - bottom - 10.0);
    let mut points = format!("{left:.1},{:.1} ", h - bottom);
    for (i, rate) in rates.iter().enumerate() {
        let x = left + i as f64 * step;
        points.push_str(&format!("{x:.1},{:.1} {:.1},{:.1} ", y(*rate), x + step, y(*rate)));
    }
    points.push_str(&format!("{w:.1},{:.1}", h - bottom));
    html! {
        svg.chart #throughput-chart width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } role="img" aria-label="Import throughput over time" {
            line x1=(left) y1=(h - bottom) x2=(w) y2=(h - bottom) {}
            line x1=(left) y1="10" x2=(left) y2=(h - bottom) {}
            text x="4" y="16" { (bytes(peak as u64)) "/s" }
            text x="4" y=(h - bottom) { "0" }
            text x=(left) y=(h - 6.0) { (time::format(start)) }
            text x=(w - 170.0) y=(h - 6.0) { (time::format(end)) }
            polygon.area points=(PreEscaped(points)) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_bytes_over_the_run() {
        // 10 buckets of 1 s; one source of 4,000 bytes over 2 s from 1 s, another of 1,000 over 1 s from 2 s.
        let sources = [
            FinishedSources { started: 1_000, finished: 3_000, bytes: 4_000, count: 1 },
            FinishedSources { started: 2_000, finished: 3_000, bytes: 1_000, count: 1 },
        ];
        let rates = series(&sources, 0, 10_000, 10);
        assert_eq!(rates[0], 0.0);
        assert!((rates[1] - 2_000.0).abs() < 1e-6);
        assert!((rates[2] - 3_000.0).abs() < 1e-6);
        assert_eq!(rates[3], 0.0);
        let total: f64 = rates.iter().sum();
        assert!((total - 5_000.0).abs() < 1e-6);
    }
}
