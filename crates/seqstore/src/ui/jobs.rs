//! Import jobs (with their samples and progress) and uploads of a store, and one job's sources
//! with live progress bars (the page's script polls [`progress`]); cancelling a job, after a
//! confirmation page, by a form POST checked against cross-site requests.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::HeaderMap;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::layout::{self, bytes, count, exact_bytes, percent, when};
use super::session::{self, Account};
use super::{Error, Ui};
use crate::model::import::{JobStatus, Source, SourceStatus};
use crate::model::job::Job;
use crate::service::imports::JobFilter;

/// Jobs and uploads per page.
const PAGE: i64 = 50;

/// The listing's query string.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    status: Option<String>,
    next: Option<String>,
    uploads_next: Option<String>,
}

/// `GET /ui/stores/{store}/jobs`.
pub async fn list(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path(store_id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Html<String>, Error> {
    let store = ui.service.sequence_store(&caller, &store_id).await?;
    let status = params.status.clone().filter(|s| !s.is_empty());
    let filter = JobFilter { status: status.clone(), ..JobFilter::default() };
    let jobs = ui.service.list_import_jobs(&caller, &store.id, &filter, Some(PAGE), params.next.as_deref()).await?;
    let ids = jobs.items.iter().map(|j| j.id.clone()).collect::<Vec<_>>();
    let summaries = ui.service.job_summaries(&caller, &ids).await?;
    let uploads = ui.service.list_uploads(&caller, &store.id, Some(PAGE), params.uploads_next.as_deref()).await?;
    let processing = ui.service.upload_processing(&caller, &store.id, 20).await?;
    let exports = super::exports::section(&ui.service, &caller, &store.id).await?;
    let base = format!("/ui/stores/{}/jobs", store.id);
    let statuses = JobStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>();
    let body = html! {
        h1 { "Imports, exports and uploads of " (store.name) }
        p { a href={ "/ui/stores/" (store.id) } { "← read sets" } }
        h2 { "Import jobs" }
        form.filters method="get" action=(base) {
            label { "Status" select name="status" { option value="" { "any" }
                @for s in statuses { option value=(s) selected[status.as_deref() == Some(s)] { (s) } } } }
            button type="submit" { "Filter" }
        }
        @if jobs.items.is_empty() { p.muted { "No import jobs." } }
        @else {
            table #jobs {
                thead { tr { th { "Job" } th { "Status" } th { "Samples" } th { "Progress" } th { "Message" } th { "Created" } th { "Completed" } } }
                tbody {
                    @for job in &jobs.items {
                        @let summary = summaries.get(&job.id).cloned().unwrap_or_default();
                        tr data-job=(job.id) {
                            td { a href={ (base) "/" (job.id) } { (job.id) } }
                            td class={ "status-" (job.status.as_str()) } { (job.status.as_str()) }
                            td.samples { (samples(&summary.samples)) }
                            td.progress {
                                (bar(job_bar_status(job.status), Some(summary.percent())))
                                br;
                                span.muted.sources { (sources_line(&summary)) }
                            }
                            td { (job.status_message.as_deref().unwrap_or("")) }
                            td { (when(job.creation_time)) }
                            td { (job.completion_time.map(when).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
        (layout::pager(&base, &[("status", status.as_deref())], jobs.next_token.as_deref()))
        (exports)
        h2 { "Uploads in progress" }
        @if uploads.items.is_empty() { p.muted { "No uploads in progress." } }
        @else {
            table #uploads {
                thead { tr { th { "Upload" } th { "Name" } th { "Type" } th { "Sample / subject" } th { "Created" } th { "Last part" } } }
                tbody {
                    @for upload in &uploads.items {
                        tr {
                            td.mono { (upload.id) } td { (upload.spec.name) } td { (upload.spec.file_type.as_str()) }
                            td { (upload.spec.sample_id) " / " (upload.spec.subject_id) }
                            td { (when(upload.creation_time)) } td { (when(upload.activity_time)) }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &uploads.next_token {
            p.pager { a href=(layout::link(&base, &[("uploads_next", Some(next))], None)) { "More uploads →" } }
        }
        h2 { "Completed uploads being processed (latest 20)" }
        @if processing.is_empty() { p.muted { "None." } }
        @else {
            table #upload-processing {
                thead { tr { th { "Read set" } th { "Status" } th { "Progress" } th { "Message" } th { "Completed at" } } }
                tbody {
                    @for p in &processing {
                        tr {
                            td { @if let Some(id) = &p.read_set_id { a href={ "/ui/stores/" (store.id) "/readsets/" (id) } { (id) } } }
                            td class={ "status-" (p.status) } { (p.status) }
                            td { (bar(&p.status, percent(&p.status, p.processed, p.total))) }
                            td class=(if p.status == SourceStatus::Failed.as_str() { "failed" } else { "note" }) { (p.message.as_deref().unwrap_or("")) }
                            td { (when(p.created)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&format!("Imports of {}", store.name), &caller, body))
}

/// At most this many sample ids are listed for a job.
const SAMPLES_SHOWN: usize = 5;

/// A job's sample ids, the first [`SAMPLES_SHOWN`] and how many more.
fn samples(samples: &[String]) -> String {
    let shown = samples.iter().take(SAMPLES_SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    match samples.len().saturating_sub(SAMPLES_SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// `3 of 5 sources finished, 1 failed · 1.2 GiB of 2.0 GiB`.
fn sources_line(summary: &crate::service::dashboard::JobSummary) -> String {
    let mut line = format!("{} of {} source", count(summary.finished), count(summary.sources));
    if summary.sources != 1 {
        line.push('s');
    }
    line.push_str(" finished");
    if summary.failed > 0 {
        line.push_str(&format!(", {} failed", count(summary.failed)));
    }
    let done = bytes(u64::try_from(summary.processed).unwrap_or(0));
    match summary.total {
        Some(total) => line.push_str(&format!(" · {done} of {}", bytes(u64::try_from(total).unwrap_or(0)))),
        None => line.push_str(&format!(" · {done}")),
    }
    line
}

/// The style of a job's bar: done when it completed, failed when any source failed or it was
/// cancelled, moving otherwise.
fn job_bar_status(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Completed => "FINISHED",
        JobStatus::Failed | JobStatus::CompletedWithFailures | JobStatus::Cancelled => "FAILED",
        JobStatus::Submitted | JobStatus::InProgress | JobStatus::Cancelling => "IN_PROGRESS",
    }
}

pub(super) fn bar(status: &str, percent: Option<i64>) -> Markup {
    let pct = percent.unwrap_or(0);
    let class = match status {
        "FINISHED" => "bar done",
        "FAILED" => "bar failed",
        _ => "bar",
    };
    html! {
        div class=(class) role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(pct) {
            div.fill style={ "width:" (pct) "%" } {}
        }
        span.pct { @if let Some(p) = percent { (p) " %" } @else { "—" } }
    }
}

/// `GET /ui/stores/{store}/jobs/{id}`: the job and a progress bar per source.
pub async fn detail(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
) -> Result<Html<String>, Error> {
    let (job, sources) = ui.service.import_job(&caller, &store_id, &id).await?;
    let base = format!("/ui/stores/{}/jobs/{}", job.store_id, job.id);
    let body = html! {
        div #job data-progress={ (base) "/progress" } {
            h1 { "Import job " (job.id) }
            p { a href={ "/ui/stores/" (job.store_id) "/jobs" } { "← imports of store " (job.store_id) } }
            dl.facts {
                dt { "Status" } dd { span data-job-status class={ "status-" (job.status.as_str()) } { (job.status.as_str()) } }
                dt { "Message" } dd data-job-message { (job.status_message.as_deref().unwrap_or("")) }
                dt { "Role" } dd.mono { (job.role_arn) }
                dt { "Created" } dd { (when(job.creation_time)) }
                dt { "Completed" } dd { (job.completion_time.map(when).unwrap_or_default()) }
            }
            @if cancellable(job.status) {
                p { a #cancel-job .button href={ (base) "/cancel" } { "Cancel job…" } }
            }
            h2 { "Sources" }
            table #sources {
                thead { tr { th { "#" } th { "Files" } th { "Sample / subject" } th { "Status" } th { "Progress" } th.num { "Bytes" } th { "Read set" } th { "Message" } } }
                tbody {
                    @for source in &sources {
                        tr data-source=(source.index) {
                            td { (source.index) }
                            td.mono { (source.spec.source1) @if let Some(s2) = &source.spec.source2 { br; (s2) } }
                            td { (source.spec.sample_id) " / " (source.spec.subject_id) }
                            td { span class={ "source-status status-" (source.status.as_str()) } { (source.status.as_str()) } }
                            td { (bar(source.status.as_str(), percent(source.status.as_str(), source.bytes_processed, source.bytes_total))) }
                            td.num.bytes title=(exact_bytes(u64::try_from(source.bytes_processed).unwrap_or(0))) { (progress_bytes(source)) }
                            td.read-set { @if let Some(rs) = &source.output_id { @if source.status == SourceStatus::Finished { a href={ "/ui/stores/" (job.store_id) "/readsets/" (rs) } { (rs) } } } }
                            td class={ "message " (message_class(source.status)) } { (source.status_message.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&format!("Import job {}", job.id), &caller, body))
}

/// A job the Cancel button is shown for: one that neither ended nor is being cancelled.
fn cancellable(status: JobStatus) -> bool {
    matches!(status, JobStatus::Submitted | JobStatus::InProgress)
}

/// `GET /ui/stores/{store}/jobs/{id}/cancel`: the confirmation, a form that POSTs the cancellation
/// with the session's CSRF token.
pub async fn confirm_cancel(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Html<String>, Error> {
    let (job, sources) = ui.service.import_job(&caller, &store_id, &id).await?;
    let base = format!("/ui/stores/{}/jobs/{}", job.store_id, job.id);
    let token = session::csrf_token(&ui, &headers).ok_or(Error::Login)?;
    let started = sources.iter().filter(|s| s.status == SourceStatus::InProgress).count();
    let body = html! {
        h1 { "Cancel import job " (job.id) "?" }
        @if cancellable(job.status) {
            p { "Its " (sources.len()) " sources: those not started fail at once with the message “cancelled”; the "
                (started) " in progress stop within the worker's lease and fail alike, leaving nothing behind; those "
                "finished keep their read sets. This cannot be undone." }
            form #cancel-form method="post" action={ (base) "/cancel" } {
                input type="hidden" name="csrf" value=(token);
                button type="submit" { "Cancel the job" }
                " " a href=(base) { "Keep it running" }
            }
        } @else {
            p #not-cancellable { "It is " (job.status.as_str()) ": there is nothing to cancel." }
            p { a href=(base) { "← back to the job" } }
        }
    };
    Ok(layout::page(&format!("Cancel import job {}", job.id), &caller, body))
}

/// The cancellation form's fields.
#[derive(Debug, Deserialize)]
pub struct CancelForm {
    csrf: Option<String>,
}

/// `POST /ui/stores/{store}/jobs/{id}/cancel`: cancels the job when the request is the
/// dashboard's own ([`session::check_same_site`], else 403 and nothing changes), then back to the
/// job's page.
pub async fn cancel(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<CancelForm>, FormRejection>,
) -> Result<Response, Error> {
    let token = form.ok().and_then(|Form(f)| f.csrf);
    session::check_same_site(&ui, &headers, token.as_deref())?;
    let (job, _) = ui.service.cancel_import_job(&caller, &store_id, &id).await?;
    Ok(Redirect::to(&format!("/ui/stores/{}/jobs/{}", job.store_id, job.id)).into_response())
}

/// The bytes of a source: what it read once FINISHED (its total when it knew one), else so far
/// and of how many.
fn progress_bytes(source: &Source) -> String {
    let done = bytes(u64::try_from(source.bytes_processed).unwrap_or(0));
    match (source.status, source.bytes_total) {
        (SourceStatus::Finished, total) => {
            bytes(u64::try_from(total.unwrap_or(0).max(source.bytes_processed)).unwrap_or(0))
        }
        (_, Some(total)) => format!("{done} of {}", bytes(u64::try_from(total).unwrap_or(0))),
        (_, None) => done,
    }
}

/// The class of a source's message: an error when it FAILED, else a note (a FINISHED source's
/// `same content as read set N`).
pub(super) fn message_class(status: SourceStatus) -> &'static str {
    match status {
        SourceStatus::Failed => "failed",
        _ => "note",
    }
}

/// `GET /ui/stores/{store}/jobs/{id}/progress`: the job's state as JSON for the page's script.
pub async fn progress(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
) -> Result<Json<Value>, Error> {
    let (job, sources) = ui.service.import_job(&caller, &store_id, &id).await?;
    Ok(Json(progress_json(&job, &sources)))
}

fn progress_json(job: &Job, sources: &[Source]) -> Value {
    let sources = sources
        .iter()
        .map(|s| {
            let finished = s.status == SourceStatus::Finished;
            json!({
                "index": s.index,
                "status": s.status.as_str(),
                "message": s.status_message,
                "processed": s.bytes_processed,
                "total": s.bytes_total,
                "percent": percent(s.status.as_str(), s.bytes_processed, s.bytes_total),
                "bytes": progress_bytes(s),
                "readSetId": if finished { s.output_id.clone() } else { None },
                "readSetUrl": if finished { s.output_id.as_ref().map(|rs| format!("/ui/stores/{}/readsets/{rs}", job.store_id)) } else { None },
            })
        })
        .collect::<Vec<_>>();
    json!({ "status": job.status.as_str(), "message": job.status_message, "sources": sources })
}
