//! StartReadSetExportJob, GetReadSetExportJob, ListReadSetExportJobs and the extension
//! CancelReadSetExportJob.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use super::job_requests::{JobListRequest, JobRequest, add_progress, job_answer};
use crate::model::export::ExportSource;
use crate::model::import::Source;
use crate::model::job::Job;
use crate::model::time;
use crate::service::exports::StartExport;
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
    destination: String,
    role_arn: String,
    client_token: Option<String>,
    sources: Vec<ReadSetItem>,
}

/// A job as ExportReadSetJobDetail / StartReadSetExportJobResponse.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobItem<'a> {
    id: &'a str,
    sequence_store_id: &'a str,
    destination: &'a str,
    status: &'static str,
    creation_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_time: Option<String>,
}

fn job_item(job: &Job) -> JobItem<'_> {
    JobItem {
        id: &job.id,
        sequence_store_id: &job.store_id,
        destination: job.destination.as_deref().unwrap_or_default(),
        status: job.status.as_str(),
        creation_time: time::format(job.creation_time),
        completion_time: job.completion_time.map(time::format),
    }
}

/// One ExportReadSetDetail, with the extension members of [`add_progress`].
fn read_set_item(source: &Source<ExportSource>) -> Value {
    let mut item = json!({ "id": source.spec.read_set_id, "status": source.status.as_str() });
    add_progress(&mut item, source, "written");
    item
}

/// StartReadSetExportJob.
pub async fn start(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: StartRequest = parse(input)?;
    let start = StartExport {
        destination: request.destination,
        role_arn: request.role_arn,
        client_token: request.client_token,
        read_set_ids: request.sources.into_iter().map(|s| s.read_set_id).collect(),
    };
    let job = service.start_export(caller, &request.sequence_store_id, start).await?;
    Ok(Json(job_item(&job)).into_response())
}

/// GetReadSetExportJob.
pub async fn get(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: JobRequest = parse(input)?;
    let (job, sources) = service.export_job(caller, &request.sequence_store_id, &request.id).await?;
    Ok(job_response(&job, &sources))
}

/// CancelReadSetExportJob (an extension): answers as GetReadSetExportJob.
pub async fn cancel(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: JobRequest = parse(input)?;
    let (job, sources) = service.cancel_export_job(caller, &request.sequence_store_id, &request.id).await?;
    Ok(job_response(&job, &sources))
}

/// A job with its sources, as Get…Job answers it.
fn job_response(job: &Job, sources: &[Source<ExportSource>]) -> Response {
    job_answer(&job_item(job), job, "readSets", sources.iter().map(read_set_item).collect())
}

/// ListReadSetExportJobs.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let mut request: JobListRequest = parse(input)?;
    let filter = request.job_filter();
    let page = service
        .list_export_jobs(
            caller,
            &request.sequence_store_id,
            &filter,
            request.max_results,
            request.next_token.as_deref(),
        )
        .await?;
    let jobs: Vec<JobItem<'_>> = page.items.iter().map(job_item).collect();
    Ok(super::list_response("exportJobs", jobs, page.next_token))
}
