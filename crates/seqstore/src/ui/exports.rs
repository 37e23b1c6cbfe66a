//! The export jobs of a store on its jobs page: the latest jobs with their destination and the
//! bytes written of all their read sets.

use maud::{Markup, html};

use super::Error;
use super::jobs::bar;
use super::layout::{bytes, percent, when};
use crate::model::import::SourceStatus;
use crate::service::imports::JobFilter;
use crate::service::{Caller, Service};

/// How many export jobs the section shows.
const LATEST: i64 = 20;

/// The section "Export jobs" of `store_id`'s jobs page.
pub async fn section(service: &Service, caller: &Caller, store_id: &str) -> Result<Markup, Error> {
    let page = service.list_export_jobs(caller, store_id, &JobFilter::default(), Some(LATEST), None).await?;
    let mut rows = Vec::new();
    for job in page.items.iter().rev() {
        let (job, sources) = service.export_job(caller, store_id, &job.id).await?;
        let done = sources.iter().map(|s| s.bytes_processed).sum::<i64>();
        let total = sources.iter().map(|s| s.bytes_total.unwrap_or(0)).sum::<i64>();
        let finished = sources.iter().filter(|s| s.status == SourceStatus::Finished).count();
        rows.push((job, sources.len(), finished, done, total));
    }
    Ok(html! {
        h2 { "Export jobs (latest " (LATEST) ")" }
        @if rows.is_empty() { p.muted { "No export jobs." } }
        @else {
            table #export-jobs {
                thead { tr { th { "Job" } th { "Status" } th { "Destination" } th { "Read sets" } th { "Written" } th { "Created" } } }
                tbody {
                    @for (job, count, finished, done, total) in &rows {
                        tr data-export-job=(job.id) {
                            td.mono { (job.id) }
                            td class={ "status-" (job.status.as_str()) } { (job.status.as_str()) }
                            td.mono { (job.destination.as_deref().unwrap_or("")) }
                            td { (finished) " of " (count) " finished" }
                            td {
                                (bar(job.status.as_str(), percent(job.status.as_str(), *done, (*total > 0).then_some(*total))))
                                " " (bytes(*done as u64)) " of " (bytes(*total as u64))
                            }
                            td { (when(job.creation_time)) }
                        }
                    }
                }
            }
        }
    })
}
