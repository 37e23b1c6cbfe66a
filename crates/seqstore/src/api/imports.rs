//! StartReadSetImportJob, GetReadSetImportJob, ListReadSetImportJobs and the extension
//! CancelReadSetImportJob.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use super::job_requests::{JobListRequest, JobRequest, add_progress};
use crate::model::import::{FileType, Source, SourceSpec, SourceStatus};
use crate::model::job::Job;
use crate::model::tags::Tags;
use crate::model::time;
use crate::service::imports::StartImport;
use crate::service::{Caller, Service};

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceFiles {
    source1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source2: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceItem {
    source_files: SourceFiles,
    source_file_type: String,
    subject_id: String,
    sample_id: String,
    generated_from: Option<String>,
    reference_arn: Option<String>,
    name: Option<String>,
    description: Option<String>,
    tags: Option<Tags>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRequest {
    sequence_store_id: String,
    role_arn: String,
    client_token: Option<String>,
    sources: Vec<SourceItem>,
}

/// A job as ImportReadSetJobItem / StartReadSetImportJobResponse.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobItem<'a> {
    id: &'a str,
    sequence_store_id: &'a str,
    role_arn: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_message: Option<&'a str>,
    creation_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_time: Option<String>,
}

fn job_item(job: &Job) -> JobItem<'_> {
    JobItem {
        id: &job.id,
        sequence_store_id: &job.store_id,
        role_arn: &job.role_arn,
        status: job.status.as_str(),
        status_message: job.status_message.as_deref(),
        creation_time: time::format(job.creation_time),
        completion_time: job.completion_time.map(time::format),
    }
}

/// One ImportReadSetSourceItem, with the extension members `bytesProcessed`, `bytesTotal` and
/// `statusDetail`.
fn source_item(source: &Source) -> Value {
    let spec = &source.spec;
    let mut item = json!({
        "sourceFiles": SourceFiles { source1: spec.source1.clone(), source2: spec.source2.clone() },
        "sourceFileType": spec.file_type.as_str(),
        "status": source.status.as_str(),
        "subjectId": spec.subject_id,
        "sampleId": spec.sample_id,
    });
    add_progress(&mut item, source, "read");
    let optional = [
        ("generatedFrom", spec.generated_from.clone()),
        ("referenceArn", spec.reference_arn.clone()),
        ("name", spec.name.clone()),
        ("description", spec.description.clone()),
        ("readSetId", source.output_id.clone().filter(|_| source.status == SourceStatus::Finished)),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            item[key] = Value::String(value);
        }
    }
    item["tags"] = json!(crate::model::tags::with_system_tags(&spec.tags, &spec.sample_id, &spec.subject_id));
    item
}

/// StartReadSetImportJob.
pub async fn start(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: StartRequest = parse(input)?;
    let sources = request
        .sources
        .into_iter()
        .map(|s| SourceSpec {
            source1: s.source_files.source1,
            source2: s.source_files.source2,
            // The model's enum check ran before.
            file_type: FileType::parse(&s.source_file_type).unwrap_or(FileType::Fastq),
            subject_id: s.subject_id,
            sample_id: s.sample_id,
            generated_from: s.generated_from,
            reference_arn: s.reference_arn,
            name: s.name,
            description: s.description,
            tags: s.tags.unwrap_or_default(),
        })
        .collect();
    let start = StartImport { role_arn: request.role_arn, client_token: request.client_token, sources };
    let job = service.start_import(caller, &request.sequence_store_id, start).await?;
    let mut item = job_item(&job);
    item.status_message = None;
    Ok(Json(item).into_response())
}

/// GetReadSetImportJob.
pub async fn get(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: JobRequest = parse(input)?;
    let (job, sources) = service.import_job(caller, &request.sequence_store_id, &request.id).await?;
    Ok(job_response(&job, &sources))
}

/// CancelReadSetImportJob (an extension): answers as GetReadSetImportJob.
pub async fn cancel(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: JobRequest = parse(input)?;
    let (job, sources) = service.cancel_import_job(caller, &request.sequence_store_id, &request.id).await?;
    Ok(job_response(&job, &sources))
}

/// A job with its sources as GetReadSetImportJobResponse.
fn job_response(job: &Job, sources: &[Source]) -> Response {
    let mut body = serde_json::to_value(job_item(job)).expect("job serializes");
    body["sources"] = Value::Array(sources.iter().map(source_item).collect());
    Json(body).into_response()
}

/// ListReadSetImportJobs.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let mut request: JobListRequest = parse(input)?;
    let filter = request.job_filter();
    let page = service
        .list_import_jobs(
            caller,
            &request.sequence_store_id,
            &filter,
            request.max_results,
            request.next_token.as_deref(),
        )
        .await?;
    let jobs: Vec<JobItem<'_>> = page.items.iter().map(job_item).collect();
    Ok(super::list_response("importJobs", jobs, page.next_token))
}
