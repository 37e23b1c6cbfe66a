//! What the job operations share: the request members of one job (Get…Job and the extension
//! cancels) and of a page of jobs (List…Jobs with its filter), and the progress members of a
//! job's source in their answers.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::import::{Source, SourceStatus};
use crate::model::job::Job;
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

/// Adds to a job's source `item` its progress, the extension members `bytesProcessed` and
/// `bytesTotal` (once known), its `statusMessage` — while IN_PROGRESS the percentage of its bytes
/// `done` ("read" for imports, "written" for exports, "copied back" for activations) — and the
/// extension `statusDetail`.
pub fn add_progress<S>(item: &mut Value, source: &Source<S>, done: &str) {
    item["bytesProcessed"] = json!(source.bytes_processed);
    if let Some(total) = source.bytes_total {
        item["bytesTotal"] = json!(total);
    }
    let message = match (source.status, source.bytes_total) {
        (SourceStatus::InProgress, Some(total)) if total > 0 => {
            let processed = source.bytes_processed.min(total);
            Some(format!("{}% {done} ({processed} of {total} bytes)", processed * 100 / total))
        }
        _ => source.status_message.clone(),
    };
    if let Some(message) = message {
        item["statusMessage"] = Value::String(message);
    }
    if let Some(detail) = &source.status_detail {
        item["statusDetail"] = Value::String(detail.clone());
    }
}

/// A Get…Job answer (and its extension Cancel…Job's): the job as its list item, its
/// `statusMessage` once it has one, and its sources under `key` (`readSets` for exports, `sources`
/// for activations).
pub fn job_answer(item: &impl Serialize, job: &Job, key: &str, sources: Vec<Value>) -> Response {
    let mut body = serde_json::to_value(item).expect("job serializes");
    if let Some(message) = &job.status_message {
        body["statusMessage"] = Value::String(message.clone());
    }
    body[key] = Value::Array(sources);
    Json(body).into_response()
}
