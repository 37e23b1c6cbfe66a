//! The request members that the sequence store's job operations share: one job
//! (Get…Job and the extension cancels) and a page of jobs (List…Jobs with its filter).

use serde::Deserialize;

use crate::model::time;
use crate::service::imports::JobFilter;

/// Get…Job, Cancel…Job.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    /// Store.
    pub sequence_store_id: String,
    /// Job.
    pub id: String,
}

/// List…Jobs.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobListRequest {
    /// Store.
    pub sequence_store_id: String,
    /// Page size.
    pub max_results: Option<i64>,
    /// Token of the page.
    pub next_token: Option<String>,
    /// `status`, `createdAfter`, `createdBefore`.
    filter: Option<FilterRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterRequest {
    status: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
}

impl JobListRequest {
    /// The filter, timestamps in microseconds (the model's validation ran before).
    pub fn job_filter(&mut self) -> JobFilter {
        let micros = |t: Option<String>| t.as_deref().and_then(time::parse_micros);
        self.filter.take().map_or_else(JobFilter::default, |f| JobFilter {
            status: f.status,
            created_after: micros(f.created_after),
            created_before: micros(f.created_before),
        })
    }
}
