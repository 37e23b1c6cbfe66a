//! `GET /ui/throughput`: import throughput over time, from the sources the database records as
//! finished (sources are grouped by start and finish to a tenth of a bucket), so the chart is the
//! same whichever and however many processes did the work. Each bucket shows two rates: the
//! **peak** (the area), the highest rate at any moment within it — the sources running then, each
//! at its bytes over its run, added up, and at least the fastest single source — so that a short
//! fast import stands out in a long window; and the **mean** (the line), every source's bytes
//! spread evenly over its run, averaged over the bucket.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::layout::{self, bytes};
use super::session::Account;
use super::{Error, Ui};
use crate::model::time::{self, Millis};
use crate::service::dashboard::{FinishedSources, MIN_RATE_MS};

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
    let peak = rates.iter().map(|b| b.peak).fold(0.0, f64::max);
    let minutes = hours * 60 * 60 / BUCKETS as i64 / 60;
    let body = html! {
        h1 { "Import throughput" }
        p { @for h in WINDOWS { a href={ "/ui/throughput?hours=" (h) } { @if h == hours { strong { "last " (h) " h" } } @else { "last " (h) " h" } } " " } }
        p #throughput-summary { (layout::count(sources.iter().map(|s| s.count).sum::<i64>())) " sources finished in the window, " (bytes(u64::try_from(total).unwrap_or(0)))
            " read; peak " span #throughput-peak { (bytes(peak as u64)) "/s" } "." }
        (chart(&rates, start, end))
        p.muted { "The area is each " (minutes) "-minute bucket's peak: the rate of the imports running at its busiest moment (each import's bytes over its run, at least a second); the line is the bucket's mean." }
    };
    Ok(layout::page("Import throughput", &caller, body))
}

/// The rates of one bucket of the chart, in bytes per second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Bucket {
    /// Every source's bytes spread evenly over its run, summed over the bucket, per second of it.
    mean: f64,
    /// The highest sum of the rates of the sources running at one moment within the bucket (each
    /// its bytes over its run, a run taken as at least [`MIN_RATE_MS`]), and at least the
    /// [`FinishedSources::peak_rate`] of every group running within it; never below `mean`.
    peak: f64,
}

/// The rates of each of `buckets` equal intervals of `[start, end)`.
fn series(sources: &[FinishedSources], start: Millis, end: Millis, buckets: usize) -> Vec<Bucket> {
    let mut rates = vec![Bucket::default(); buckets];
    let width = (end - start) as f64 / buckets as f64;
    if width <= 0.0 || buckets == 0 {
        return rates;
    }
    let bucket_of = |t: f64| (((t - start as f64) / width).max(0.0) as usize).min(buckets - 1);
    // Changes of the running sum of rates: (time, +rate at a start, −rate at an end).
    let mut changes = Vec::with_capacity(sources.len() * 2);
    for source in sources {
        let (from, to) = (source.started.max(start), source.finished.min(end));
        if to < from {
            continue;
        }
        let run = (source.finished - source.started).max(1) as f64;
        let per_ms = source.bytes as f64 / run;
        let (first, last) = (bucket_of(from as f64), bucket_of(to as f64));
        for (i, rate) in rates.iter_mut().enumerate().take(last + 1).skip(first) {
            let lo = start as f64 + i as f64 * width;
            let overlap = (to as f64).min(lo + width) - (from as f64).max(lo);
            // A source shorter than a millisecond still counts, in its bucket.
            let overlap = if source.finished == source.started { 1.0 } else { overlap.max(0.0) };
            if overlap > 0.0 {
                rate.mean += per_ms * overlap / (width / 1000.0);
                rate.peak = rate.peak.max(source.peak_rate as f64);
            }
        }
        let rate = source.bytes as f64 * 1000.0 / (source.finished - source.started).max(MIN_RATE_MS) as f64;
        changes.push((from, rate));
        changes.push((to.max(from + 1), -rate));
    }
    // Ends before starts at the same moment: back-to-back sources do not add up.
    changes.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut running = 0.0_f64;
    for pair in changes.windows(2) {
        let ((at, change), (next, _)) = (pair[0], pair[1]);
        running += change;
        if next > at && running > 0.0 {
            let (first, last) = (bucket_of(at as f64), bucket_of((next - 1) as f64));
            for rate in &mut rates[first..=last] {
                rate.peak = rate.peak.max(running);
            }
        }
    }
    for rate in &mut rates {
        rate.peak = rate.peak.max(rate.mean);
    }
    rates
}

fn chart(rates: &[Bucket], start: Millis, end: Millis) -> Markup {
    let (w, h, left, bottom) = (760.0, 240.0, 70.0, 24.0);
    let top = rates.iter().map(|b| b.peak).fold(0.0, f64::max).max(1.0);
    let step = (w - left) / rates.len().max(1) as f64;
    let y = |rate: f64| (h - bottom) - rate / top * (h - bottom - 10.0);
    let mut area = format!("{left:.1},{:.1} ", h - bottom);
    let mut line = String::new();
    for (i, bucket) in rates.iter().enumerate() {
        let x = left + i as f64 * step;
        area.push_str(&format!("{x:.1},{:.1} {:.1},{:.1} ", y(bucket.peak), x + step, y(bucket.peak)));
        line.push_str(&format!("{x:.1},{:.1} {:.1},{:.1} ", y(bucket.mean), x + step, y(bucket.mean)));
    }
    area.push_str(&format!("{w:.1},{:.1}", h - bottom));
    html! {
        svg.chart #throughput-chart width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } role="img" aria-label="Import throughput over time: peak and mean per bucket" {
            line x1=(left) y1=(h - bottom) x2=(w) y2=(h - bottom) {}
            line x1=(left) y1="10" x2=(left) y2=(h - bottom) {}
            text x="4" y="16" { (bytes(top as u64)) "/s" }
            text x="4" y=(h - bottom) { "0" }
            text x=(left) y=(h - 6.0) { (time::format(start)) }
            text x=(w - 170.0) y=(h - 6.0) { (time::format(end)) }
            polygon.area points=(PreEscaped(area)) {}
            polyline.mean points=(PreEscaped(line.trim_end())) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(started: Millis, finished: Millis, bytes: i64) -> FinishedSources {
        let peak_rate = bytes * 1000 / (finished - started).max(MIN_RATE_MS);
        FinishedSources { started, finished, bytes, count: 1, peak_rate }
    }

    #[test]
    fn spreads_bytes_over_the_run() {
        // 10 buckets of 1 s; one source of 4,000 bytes over 2 s from 1 s, another of 1,000 over 1 s from 2 s.
        let sources = [group(1_000, 3_000, 4_000), group(2_000, 3_000, 1_000)];
        let rates = series(&sources, 0, 10_000, 10);
        assert_eq!(rates[0], Bucket::default());
        assert!((rates[1].mean - 2_000.0).abs() < 1e-6);
        assert!((rates[2].mean - 3_000.0).abs() < 1e-6);
        assert_eq!(rates[3], Bucket::default());
        let total: f64 = rates.iter().map(|b| b.mean).sum();
        assert!((total - 5_000.0).abs() < 1e-6);
        // Both run at once in the third second: 2,000 + 1,000 bytes per second.
        assert!((rates[1].peak - 2_000.0).abs() < 1e-6);
        assert!((rates[2].peak - 3_000.0).abs() < 1e-6);
    }

    #[test]
    fn a_short_fast_import_keeps_its_peak_in_a_long_window() {
        const MIB: i64 = 1 << 20;
        // A day in 60 buckets of 24 minutes; 2,000 MiB read in 10 s (200 MiB/s) an hour in, and
        // 100 MiB over 20 minutes later on.
        let day = 24 * 3_600_000;
        let hour = 3_600_000;
        let sources = [group(hour, hour + 10_000, 2_000 * MIB), group(5 * hour, 5 * hour + 1_200_000, 100 * MIB)];
        let rates = series(&sources, 0, day, 60);
        let fast = &rates[(hour / (day / 60)) as usize];
        assert!((fast.peak - 200.0 * MIB as f64).abs() < 1.0, "peak {} MiB/s", fast.peak / MIB as f64);
        assert!(fast.mean < 2.0 * MIB as f64, "the bucket's mean is far lower: {} MiB/s", fast.mean / MIB as f64);
        let peak = rates.iter().map(|b| b.peak).fold(0.0, f64::max);
        assert_eq!(peak, fast.peak, "the chart's top is the fast import's rate");
        let slow = rates.iter().filter(|b| b.peak > 0.0 && b.peak < MIB as f64).count();
        assert!(slow >= 1, "the slow import shows at its own rate: {rates:?}");
    }

    #[test]
    fn concurrent_imports_add_up_and_back_to_back_ones_do_not() {
        // Two sources of 10,000 bytes over the same 10 s, then one right after: 2,000 B/s at once.
        let sources = [group(0, 10_000, 10_000), group(0, 10_000, 10_000), group(10_000, 20_000, 10_000)];
        let rates = series(&sources, 0, 60_000, 1);
        assert!((rates[0].peak - 2_000.0).abs() < 1e-6, "{rates:?}");
        // A file read in 2 ms is measured over a second.
        let rates = series(&[group(5_000, 5_002, 1_000_000)], 0, 60_000, 6);
        assert!((rates[0].peak - 1_000_000.0).abs() < 1e-6, "{rates:?}");
    }
}
