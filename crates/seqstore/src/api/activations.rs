//! StartReadSetActivationJob, GetReadSetActivationJob, ListReadSetActivationJobs and the extension
//! CancelReadSetActivationJob; and the extension BatchArchiveReadSet, which archives at once.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use super::job_requests::{JobListRequest, JobRequest, add_progress, job_answer};
use crate::model::import::Source;
use crate::model::job::Job;
use crate::model::tier::ActivationSource;
use crate::model::time;
use crate::service::tiers::StartActivation;
use crate::service::{Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadSetItem {
    read_set_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRequest {
    sequence_store_id: String,
    client_token: Option<String>,
    sources: Vec<ReadSetItem>,
}

/// A job as ActivateReadSetJobItem / StartReadSetActivationJobResponse.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobItem<'a> {
    id: &'a str,
    sequence_store_id: &'a str,
    status: &'static str,
    creation_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_time: Option<String>,
}

fn job_item(job: &Job) -> JobItem<'_> {
    JobItem {
        id: &job.id,
        sequence_store_id: &job.store_id,
        status: job.status.as_str(),
        creation_time: time::format(job.creation_time),
        completion_time: job.completion_time.map(time::format),
    }
}

/// One ActivateReadSetSourceItem, with the extension members of [`add_progress`].
fn source_item(source: &Source<ActivationSource>) -> Value {
    let mut item = json!({ "readSetId": source.spec.read_set_id, "status": source.status.as_str() });
    add_progress(&mut item, source, "copied back");
    item
}

/// StartReadSetActivationJob.
pub async fn start(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: StartRequest = parse(input)?;
    let start = StartActivation {
        client_token: request.client_token,
        read_set_ids: request.sources.into_iter().map(|s| s.read_set_id).collect(),
    };
    let job = service.start_activation(caller, &request.sequence_store_id, start).await?;
    Ok(Json(job_item(&job)).into_response())
}

/// GetReadSetActivationJob.
pub async fn get(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: JobRequest = parse(input)?;
    let (job, sources) = service.activation_job(caller, &request.sequence_store_id, &request.id).await?;
    Ok(job_response(&job, &sources))
}

/// CancelReadSetActivationJob (an extension): answers as GetReadSetActivationJob.
pub async fn cancel(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: JobRequest = parse(input)?;
    let (job, sources) = service.cancel_activation_job(caller, &request.sequence_store_id, &request.id).await?;
    Ok(job_response(&job, &sources))
}

/// A job with its sources, as Get…Job answers it.
fn job_response(job: &Job, sources: &[Source<ActivationSource>]) -> Response {
    job_answer(&job_item(job), job, "sources", sources.iter().map(source_item).collect())
}

/// ListReadSetActivationJobs.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let mut request: JobListRequest = parse(input)?;
    let filter = request.job_filter();
    let page = service
        .list_activation_jobs(
            caller,
            &request.sequence_store_id,
            &filter,
            request.max_results,
            request.next_token.as_deref(),
        )
        .await?;
    let jobs: Vec<JobItem<'_>> = page.items.iter().map(job_item).collect();
    Ok(super::list_response("activationJobs", jobs, page.next_token))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchRequest {
    sequence_store_id: String,
    ids: Vec<String>,
}

/// BatchArchiveReadSet (an extension with BatchDeleteReadSet's input and output): the ACTIVE read
/// sets become sources of an archive job; `errors` names those that cannot be archived.
pub async fn batch_archive(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: BatchRequest = parse(input)?;
    let failed = service.archive_read_sets(caller, &request.sequence_store_id, &request.ids).await?;
    Ok(Json(json!({ "errors": super::read_sets::batch_errors(failed) })).into_response())
}
