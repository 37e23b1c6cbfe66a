//! CreateMultipartReadSetUpload, UploadReadSetPart, CompleteMultipartReadSetUpload,
//! AbortMultipartReadSetUpload, ListMultipartReadSetUploads and ListReadSetUploadParts: wire
//! shapes <-> service calls. UploadReadSetPart's body is streamed to storage, never read whole.

use axum::Json;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use crate::model::import::FileType;
use crate::model::tags::Tags;
use crate::model::time;
use crate::model::upload::{Part, PartSource, Upload, UploadSpec};
use crate::service::uploads::{CompletedPart, CreateUpload, PartFilter};
use crate::service::{Caller, Service};

/// The raw body of a streamed request, with what its headers declare about it.
pub struct Streamed {
    /// The body, not read yet.
    pub body: Body,
    /// `Content-Length`, when given.
    pub declared_length: Option<u64>,
    /// The hex SHA-256 the client signed, unless it signed `UNSIGNED-PAYLOAD`.
    pub signed_sha256: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    sequence_store_id: String,
    client_token: Option<String>,
    source_file_type: String,
    subject_id: String,
    sample_id: String,
    generated_from: Option<String>,
    reference_arn: Option<String>,
    name: String,
    description: Option<String>,
    tags: Option<Tags>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartRequest {
    sequence_store_id: String,
    upload_id: String,
    part_source: String,
    part_number: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompleteRequest {
    sequence_store_id: String,
    upload_id: String,
    parts: Vec<CompletePart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompletePart {
    part_number: i64,
    part_source: String,
    checksum: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadIdRequest {
    sequence_store_id: String,
    upload_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    sequence_store_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListPartsRequest {
    sequence_store_id: String,
    upload_id: String,
    part_source: String,
    max_results: Option<i64>,
    next_token: Option<String>,
    filter: Option<PartFilterRequest>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PartFilterRequest {
    created_after: Option<String>,
    created_before: Option<String>,
}

/// The members CreateMultipartReadSetUploadResponse and MultipartReadSetUploadListItem share.
fn upload_item(upload: &Upload) -> Value {
    let spec = &upload.spec;
    let mut item = json!({
        "sequenceStoreId": upload.store_id,
        "uploadId": upload.id,
        "sourceFileType": spec.file_type.as_str(),
        "subjectId": spec.subject_id,
        "sampleId": spec.sample_id,
        "name": spec.name,
        "creationTime": time::format(upload.creation_time),
    });
    for (key, value) in [
        ("generatedFrom", &spec.generated_from),
        ("referenceArn", &spec.reference_arn),
        ("description", &spec.description),
    ] {
        if let Some(value) = value {
            item[key] = json!(value);
        }
    }
    if !spec.tags.is_empty() {
        item["tags"] = json!(spec.tags);
    }
    item
}

fn part_item(part: &Part) -> Value {
    json!({
        "partNumber": part.number,
        "partSize": part.size,
        "partSource": part.source.as_str(),
        "checksum": part.checksum,
        "creationTime": time::format(part.creation_time),
        "lastUpdatedTime": time::format(part.updated_time),
    })
}

/// The model's enum check ran before, so the spelling is one of the two.
fn part_source(text: &str) -> PartSource {
    PartSource::parse(text).unwrap_or(PartSource::Source1)
}

/// CreateMultipartReadSetUpload.
pub async fn create(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: CreateRequest = parse(input)?;
    let spec = UploadSpec {
        // The model's enum check ran before.
        file_type: FileType::parse(&request.source_file_type).unwrap_or(FileType::Fastq),
        subject_id: request.subject_id,
        sample_id: request.sample_id,
        generated_from: request.generated_from,
        reference_arn: request.reference_arn,
        name: request.name,
        description: request.description,
        tags: request.tags.unwrap_or_default(),
    };
    let create = CreateUpload { client_token: request.client_token, spec };
    let upload = service.create_upload(caller, &request.sequence_store_id, create).await?;
    Ok(Json(upload_item(&upload)).into_response())
}

/// UploadReadSetPart: refuses a declared length over the limit before reading, then streams.
pub async fn upload_part(
    service: &Service,
    caller: &Caller,
    input: Value,
    streamed: Streamed,
) -> Result<Response, ApiError> {
    let request: PartRequest = parse(input)?;
    let limit = service.max_part_bytes();
    if let Some(declared) = streamed.declared_length.filter(|n| *n > limit) {
        return Err(crate::service::Error::Invalid {
            member: "payload".into(),
            problem: format!(
                "the part is {declared} bytes, larger than {limit} bytes, the largest this server accepts \
                 (uploads.max_part_bytes): split the file into more parts"
            ),
        }
        .into());
    }
    let body = streamed.body.into_data_stream().map_err(std::io::Error::other);
    let checksum = service
        .upload_part(
            caller,
            &request.sequence_store_id,
            &request.upload_id,
            part_source(&request.part_source),
            request.part_number,
            Box::pin(body),
            streamed.signed_sha256.as_deref(),
        )
        .await?;
    Ok(Json(json!({ "checksum": checksum })).into_response())
}

/// CompleteMultipartReadSetUpload.
pub async fn complete(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: CompleteRequest = parse(input)?;
    let parts: Vec<CompletedPart> = request
        .parts
        .into_iter()
        .map(|p| CompletedPart { source: part_source(&p.part_source), number: p.part_number, checksum: p.checksum })
        .collect();
    let read_set_id = service.complete_upload(caller, &request.sequence_store_id, &request.upload_id, &parts).await?;
    Ok(Json(json!({ "readSetId": read_set_id })).into_response())
}

/// AbortMultipartReadSetUpload.
pub async fn abort(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: UploadIdRequest = parse(input)?;
    service.abort_upload(caller, &request.sequence_store_id, &request.upload_id).await?;
    Ok(Json(json!({})).into_response())
}

/// ListMultipartReadSetUploads.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: ListRequest = parse(input)?;
    let page = service
        .list_uploads(caller, &request.sequence_store_id, request.max_results, request.next_token.as_deref())
        .await?;
    let items: Vec<Value> = page.items.iter().map(upload_item).collect();
    Ok(super::list_response("uploads", items, page.next_token))
}

/// ListReadSetUploadParts.
pub async fn list_parts(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: ListPartsRequest = parse(input)?;
    let f = request.filter.unwrap_or_default();
    let micros = |t: Option<String>| t.as_deref().and_then(time::parse_micros);
    let filter = PartFilter {
        source: part_source(&request.part_source),
        created_after: micros(f.created_after),
        created_before: micros(f.created_before),
    };
    let page = service
        .list_upload_parts(
            caller,
            &request.sequence_store_id,
            &request.upload_id,
            &filter,
            request.max_results,
            request.next_token.as_deref(),
        )
        .await?;
    let items: Vec<Value> = page.items.iter().map(part_item).collect();
    Ok(super::list_response("parts", items, page.next_token))
}
