//! Quality control in the dashboard (#27): the "Quality" section of a read set's page (its
//! figures and [`super::qc_charts`]), and the store's comparison view (`GET
//! /ui/stores/{store}/qc`): its read sets side by side — reads, bases, mean quality, GC, % mapped,
//! read sets with the same ETag — sortable by each figure, 50 a page, the worst value of each
//! column on the page highlighted.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Html;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, count, when};
use super::qc_charts;
use super::session::Account;
use super::{Error, Ui};
use crate::model::qc::{QcReport, ReadSetQc, SortBy};
use crate::model::read_set::{Alignment, ReadSet};
use crate::service::qc::{ComparisonRow, read_share};

/// Rows per page of the comparison view.
const PAGE: u64 = 50;

/// The "Quality" section of `set`'s page: where its statistics stand, its figures and charts.
pub fn section(set: &ReadSet, qc: &ReadSetQc) -> Markup {
    let aligned = set.alignment == Alignment::Aligned;
    html! {
        h2 #quality { "Quality" }
        @match (&qc.report, qc.status) {
            (Some(report), _) => {
                (figures(report, aligned))
                @if let Some(ms) = qc.computed_ms { p.muted { "Computed " (when(ms)) " · the same numbers as JSON: "
                    code { "GET /sequencestore/" (set.store_id) "/readset/" (set.id) "/qc" } " or "
                    code { "seqstore readsets qc --store " (set.store_id) " " (set.id) } } }
                (qc_charts::charts(report, aligned))
            }
            (None, status) => {
                p.muted #qc-status data-status=(status.as_str()) { (status.as_str()) ": " (qc.status_message.as_deref().unwrap_or("")) }
            }
        }
    }
}

/// The figures of a report at a glance.
fn figures(report: &QcReport, aligned: bool) -> Markup {
    let t = &report.totals;
    let bases = report.bases.total();
    let n_percent = (bases > 0).then(|| 100.0 * report.bases.n as f64 / bases as f64);
    let mapped = (aligned && t.sequences > 0).then(|| 100.0 * t.reads_mapped as f64 / t.sequences as f64);
    let mismatch_rate =
        (aligned && t.bases_mapped_cigar > 0).then(|| 100.0 * t.mismatches as f64 / t.bases_mapped_cigar as f64);
    let inserts = &report.insert_sizes;
    html! {
        dl.facts #qc-figures {
            dt { "Reads counted" } dd #qc-reads { (count(t.sequences)) @if t.last_fragments > 0 { " (" (count(t.first_fragments)) " R1, " (count(t.last_fragments)) " R2)" } }
            dt { "Mean base quality" } dd #qc-mean-quality { (optional(report.mean_quality, 1, "")) }
            dt { "GC" } dd #qc-gc { (optional(report.gc_percent, 1, " %")) }
            dt { "N bases" } dd #qc-n { (count(report.bases.n)) " (" (optional(n_percent, 2, " %")) ")" }
            @if aligned {
                dt { "Mapped" } dd #qc-mapped { (optional(mapped, 1, " %")) }
                dt { "Mismatches" } dd #qc-mismatches { (count(t.mismatches)) " (" (optional(mismatch_rate, 2, " %")) " of mapped bases, from NM)" }
                @if inserts.proper_pairs + inserts.inward_pairs + inserts.outward_pairs + inserts.other_pairs > 0 {
                    dt { "Insert size" } dd #qc-insert-size { (format!("{:.1} ± {:.1}", inserts.mean, inserts.standard_deviation)) }
                }
            }
        }
    }
}

/// `value` with `decimals` and `unit`, or "—".
fn optional(value: Option<f64>, decimals: usize, unit: &str) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.decimals$}{unit}"))
}

/// The comparison view's query string.
#[derive(Debug, Default, Deserialize)]
pub struct CompareQuery {
    sort: Option<String>,
    order: Option<String>,
    page: Option<u64>,
}

/// `GET /ui/stores/{store}/qc`: the store's read sets side by side.
pub async fn compare(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path(store_id): Path<String>,
    Query(query): Query<CompareQuery>,
) -> Result<Html<String>, Error> {
    let store = ui.service.sequence_store(&caller, &store_id).await?;
    let sort = query.sort.as_deref().and_then(SortBy::parse).unwrap_or(SortBy::Created);
    let descending = match query.order.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => matches!(sort, SortBy::Created | SortBy::Reads | SortBy::Bases),
    };
    let page = query.page.unwrap_or(1).max(1);
    let found = ui.service.qc_comparison(&caller, &store_id, (sort, descending), (page - 1) * PAGE, PAGE + 1).await?;
    let more = found.rows.len() as u64 > PAGE;
    let rows = &found.rows[..found.rows.len().min(PAGE as usize)];
    let worst = Worst::of(rows);
    let base = format!("/ui/stores/{store_id}/qc");
    let order = if descending { "desc" } else { "asc" };
    let page_link = |page: u64| format!("{base}?sort={sort}&order={order}&page={page}");
    let header = |label: &str, by: SortBy| {
        let next = if by == sort && descending {
            "asc"
        } else if by == sort {
            "desc"
        } else {
            "asc"
        };
        let arrow = if by != sort {
            ""
        } else if descending {
            " ↓"
        } else {
            " ↑"
        };
        html! { th.num { a.sort data-sort=(by.as_str()) href={ (base) "?sort=" (by) "&order=" (next) } { (label) (arrow) } } }
    };
    let body = html! {
        h1 { "Quality of the read sets of " (store.name) }
        p { a href={ "/ui/stores/" (store_id) } { "← read sets of store " (store_id) } }
        p #qc-coverage { "Statistics for " strong { (count(found.with_statistics)) } " of " (count(found.read_sets)) " read sets"
            @if found.with_statistics < found.read_sets { span.muted { " (the others are being computed by qc jobs, archived, or failed; "
                @if sort.needs_statistics() { "sorted by a figure, only read sets with it are listed" } @else { "they show —" } ")" } } }
        @let progress = &found.progress;
        @if progress.queued + progress.running > 0 {
            p #qc-progress { "Computing statistics: " (count(progress.running)) " read set" @if progress.running != 1 { "s" }
                " in progress (" (read_share(progress)) "), " (count(progress.queued)) " queued." }
        }
        @if rows.is_empty() { p.muted #no-read-sets { "No read sets." } }
        @else {
            table #qc-compare {
                thead { tr {
                    th { "Read set" } th { "Name" } th { "Sample" } th { "Type" }
                    (header("Reads", SortBy::Reads)) (header("Bases", SortBy::Bases))
                    (header("Mean quality", SortBy::MeanQuality)) (header("GC %", SortBy::GcPercent))
                    (header("% mapped", SortBy::MappedPercent)) th.num { "Same ETag" } th { "QC" }
                    (header("Created", SortBy::Created))
                } }
                tbody {
                    @for (i, row) in rows.iter().enumerate() {
                        tr data-read-set=(row.id) {
                            td { a href={ "/ui/stores/" (store_id) "/readsets/" (row.id) "#quality" } { (row.id) } }
                            td { (row.name.as_deref().unwrap_or("")) }
                            td { (row.sample_id) } td { (row.file_type.as_str()) }
                            td.num.reads { (count(row.reads)) } td.num.bases { (count(row.bases)) }
                            td.num.mean-quality.worst[worst.is(Column::MeanQuality, i)] { (optional(row.figures.mean_quality, 1, "")) }
                            td.num.gc.worst[worst.is(Column::Gc, i)] { (optional(row.figures.gc_percent, 1, "")) }
                            td.num.mapped.worst[worst.is(Column::Mapped, i)] { (optional(row.figures.mapped_percent, 1, "")) }
                            td.num.same-etag.worst[row.same_etag > 0] title="Other read sets of the store with the same ETag" {
                                @if row.same_etag > 0 { a href=(layout::link(&format!("/ui/stores/{store_id}"), &[("duplicates", Some("1"))], None)) { (count(row.same_etag)) } } @else { "0" } }
                            td class={ "qc-" (row.qc.as_str()) } { (row.qc.as_str()) }
                            td { (when(row.created)) }
                        }
                    }
                }
            }
            p.muted { "Highlighted: the lowest mean quality and % mapped on this page, the GC furthest from the page's median, and read sets whose ETag another read set has." }
        }
        p.pager {
            @if page > 1 { a.previous href=(page_link(page - 1)) { "← Previous page" } " " }
            @if more { a.next href=(page_link(page + 1)) { "Next page →" } }
        }
    };
    Ok(layout::page(&format!("Quality of {}", store.name), &caller, body))
}

/// The columns whose worst value is highlighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    MeanQuality,
    Gc,
    Mapped,
}

/// The row (index on the page) with the worst value of each column, when two or more rows have
/// one.
#[derive(Debug, Default)]
struct Worst {
    mean_quality: Option<usize>,
    gc: Option<usize>,
    mapped: Option<usize>,
}

impl Worst {
    fn of(rows: &[ComparisonRow]) -> Self {
        let lowest = |value: fn(&ComparisonRow) -> Option<f64>| {
            let values: Vec<(usize, f64)> = rows.iter().enumerate().filter_map(|(i, r)| Some((i, value(r)?))).collect();
            (values.len() > 1).then(|| values.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map(|&(i, _)| i)).flatten()
        };
        let gc: Vec<(usize, f64)> =
            rows.iter().enumerate().filter_map(|(i, r)| Some((i, r.figures.gc_percent?))).collect();
        let gc = (gc.len() > 1)
            .then(|| {
                let mut sorted: Vec<f64> = gc.iter().map(|&(_, v)| v).collect();
                sorted.sort_by(f64::total_cmp);
                let median = sorted[sorted.len() / 2];
                gc.iter().max_by(|a, b| (a.1 - median).abs().total_cmp(&(b.1 - median).abs())).map(|&(i, _)| i)
            })
            .flatten();
        Self { mean_quality: lowest(|r| r.figures.mean_quality), gc, mapped: lowest(|r| r.figures.mapped_percent) }
    }

    fn is(&self, column: Column, row: usize) -> bool {
        let worst = match column {
            Column::MeanQuality => self.mean_quality,
            Column::Gc => self.gc,
            Column::Mapped => self.mapped,
        };
        worst == Some(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::import::FileType;
    use crate::model::qc::{QcFigures, QcStatus};
    use crate::model::read_set::ReadSetStatus;

    fn row(id: &str, mean_quality: Option<f64>, gc: Option<f64>, mapped: Option<f64>) -> ComparisonRow {
        ComparisonRow {
            id: id.to_owned(),
            name: None,
            sample_id: "s".into(),
            file_type: FileType::Bam,
            status: ReadSetStatus::Active,
            reads: 1,
            bases: 1,
            qc: if mean_quality.is_some() { QcStatus::Available } else { QcStatus::Pending },
            figures: QcFigures { mean_quality, gc_percent: gc, mapped_percent: mapped },
            same_etag: 0,
            created: 0,
        }
    }

    #[test]
    fn test_worst_values() {
        let rows = [
            row("1", Some(35.0), Some(41.0), Some(99.0)),
            row("2", Some(28.5), Some(40.0), Some(97.0)),
            row("3", Some(36.0), Some(55.0), Some(60.0)),
            row("4", None, None, None),
        ];
        let worst = Worst::of(&rows);
        assert_eq!((worst.mean_quality, worst.gc, worst.mapped), (Some(1), Some(2), Some(2)));
        assert!(worst.is(Column::MeanQuality, 1) && !worst.is(Column::MeanQuality, 0));
        // One value is nobody's worst.
        let alone = Worst::of(&rows[..1]);
        assert_eq!((alone.mean_quality, alone.gc, alone.mapped), (None, None, None));
    }
}
