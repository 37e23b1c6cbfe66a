//! Reference import jobs (Start/Get/List, and the extension Cancel) and references (List, GetReferenceMetadata,
//! GetReference, DeleteReference).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use super::job_requests::add_progress;
use super::reference_stores::FilterRequest;
use crate::model::import::{Source, SourceStatus};
use crate::model::job::Job;
use crate::model::read_set::StoredFile;
use crate::model::reference::{Reference, ReferenceSourceSpec, names};
use crate::model::s3_access;
use crate::model::tags::Tags;
use crate::model::time;
use crate::service::{self, Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceItem {
    source_file: String,
    name: String,
    description: Option<String>,
    tags: Option<Tags>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRequest {
    reference_store_id: String,
    role_arn: String,
    client_token: Option<String>,
    sources: Vec<SourceItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdRequest {
    reference_store_id: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    reference_store_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
    filter: Option<FilterRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetRequest {
    reference_store_id: String,
    id: String,
    part_number: u64,
    file: Option<String>,
    range: Option<String>,
}

fn job_item(job: &Job) -> Value {
    let mut item = json!({
        "id": job.id, "referenceStoreId": job.store_id, "roleArn": job.role_arn,
        "status": job.status.as_str(), "creationTime": time::format(job.creation_time),
    });
    if let Some(t) = job.completion_time {
        item["completionTime"] = json!(time::format(t));
    }
    item
}

fn source_item(source: &Source<ReferenceSourceSpec>) -> Value {
    let mut item = json!({
        "sourceFile": source.spec.source_file, "name": source.spec.name, "status": source.status.as_str(),
    });
    add_progress(&mut item, source, "read");
    if let Some(d) = &source.spec.description {
        item["description"] = json!(d);
    }
    if !source.spec.tags.is_empty() {
        item["tags"] = json!(source.spec.tags);
    }
    if let (SourceStatus::Finished, Some(id)) = (source.status, &source.output_id) {
        item["referenceId"] = json!(id);
    }
    item
}

/// StartReferenceImportJob.
pub async fn start_import(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: StartRequest = parse(input)?;
    let sources = r
        .sources
        .into_iter()
        .map(|s| ReferenceSourceSpec {
            source_file: s.source_file,
            name: s.name,
            description: s.description,
            tags: s.tags.unwrap_or_default(),
        })
        .collect();
    let job =
        service.start_reference_import(caller, &r.reference_store_id, &r.role_arn, r.client_token, sources).await?;
    Ok(Json(job_item(&job)).into_response())
}

/// GetReferenceImportJob.
pub async fn get_import(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: IdRequest = parse(input)?;
    let (job, sources) = service.reference_import_job(caller, &r.reference_store_id, &r.id).await?;
    Ok(job_response(&job, &sources))
}

/// CancelReferenceImportJob (an extension): answers as GetReferenceImportJob.
pub async fn cancel_import(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: IdRequest = parse(input)?;
    let (job, sources) = service.cancel_reference_import_job(caller, &r.reference_store_id, &r.id).await?;
    Ok(job_response(&job, &sources))
}

/// A job with its sources as GetReferenceImportJobResponse.
fn job_response(job: &Job, sources: &[Source<ReferenceSourceSpec>]) -> Response {
    let mut body = job_item(job);
    if let Some(m) = &job.status_message {
        body["statusMessage"] = json!(m);
    }
    body["sources"] = Value::Array(sources.iter().map(source_item).collect());
    Json(body).into_response()
}

/// ListReferenceImportJobs.
pub async fn list_imports(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: ListRequest = parse(input)?;
    let filter = r.filter.unwrap_or_default().into_filter();
    let page = service
        .list_reference_import_jobs(caller, &r.reference_store_id, &filter, r.max_results, r.next_token.as_deref())
        .await?;
    Ok(super::list_response("importJobs", page.items.iter().map(job_item).collect(), page.next_token))
}

/// A file of a reference (FileInformation), with the `s3Uri` of its object.
fn file_info(file: &StoredFile, s3_uri: String) -> Value {
    json!({
        "contentLength": file.content_length, "partSize": file.part_size, "totalParts": file.total_parts,
        "s3Access": { "s3Uri": s3_uri },
    })
}

fn reference_item(service: &Service, r: &Reference) -> Value {
    let mut item = json!({
        "id": r.id, "arn": service.reference_arn(&r.account, &r.store_id, &r.id), "referenceStoreId": r.store_id,
        "md5": r.md5, "status": "ACTIVE", "name": r.name,
        "creationTime": time::format(r.creation_time), "updateTime": time::format(r.update_time),
    });
    if let Some(d) = &r.description {
        item["description"] = json!(d);
    }
    item
}

/// ListReferences.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: ListRequest = parse(input)?;
    let filter = r.filter.unwrap_or_default().into_filter();
    let page =
        service.list_references(caller, &r.reference_store_id, &filter, r.max_results, r.next_token.as_deref()).await?;
    let items = page.items.iter().map(|x| reference_item(service, x)).collect();
    Ok(super::list_response("references", items, page.next_token))
}

/// GetReferenceMetadata, with the extra member `sequences: [{name, length, md5}]`. Each file has
/// `s3Access.s3Uri`, its object in the store's S3 access point ([`names`]).
pub async fn metadata(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: IdRequest = parse(input)?;
    let reference = service.reference(caller, &r.reference_store_id, &r.id).await?;
    let mut body = reference_item(service, &reference);
    let mut files = json!({});
    let (account, store) = (&reference.account, &reference.store_id);
    let s3_uri = |name: String| {
        s3_access::s3_uri(account, store, &s3_access::reference_key(account, store, &reference.id, &name))
    };
    if let Some(source) = &reference.files.source {
        files["source"] = file_info(source, s3_uri(names::source_name(&reference)));
    }
    if let Some(index) = &reference.files.index {
        files["index"] = file_info(index, s3_uri(names::index_name(&reference)));
    }
    body["files"] = files;
    body["creationType"] = json!("IMPORT");
    if let Some(job) = &reference.creation_job_id {
        body["creationJobId"] = json!(job);
    }
    body["sequences"] =
        reference.sequences.iter().map(|s| json!({ "name": s.name, "length": s.length, "md5": s.md5 })).collect();
    Ok(Json(body).into_response())
}

/// GetReference: the exact bytes of one part of SOURCE or INDEX, optionally narrowed by a
/// `Range: bytes=…` header applied within the part; streamed from storage.
pub async fn download(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: GetRequest = parse(input)?;
    let reference = service.reference(caller, &r.reference_store_id, &r.id).await?;
    let file = match r.file.as_deref() {
        Some("INDEX") => reference.files.index.as_ref(),
        _ => reference.files.source.as_ref(),
    };
    let file = file.ok_or_else(|| service::Error::NotFound { kind: "reference file", id: r.id.clone() })?;
    super::parts::download(service, file, r.part_number, r.range.as_deref()).await
}

/// DeleteReference.
pub async fn delete(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: IdRequest = parse(input)?;
    service.delete_reference(caller, &r.reference_store_id, &r.id).await?;
    Ok(Json(json!({})).into_response())
}
