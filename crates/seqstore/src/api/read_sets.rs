//! GetReadSetMetadata and ListReadSets (what imports need to be read back; the read sets issue
//! adds the filters).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use crate::model::read_set::{FileNames, ReadSet, StoredFile};
use crate::model::s3_access;
use crate::model::time;
use crate::service::read_sets::ReadSetFilter;
use crate::service::{Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetRequest {
    sequence_store_id: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    sequence_store_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
    filter: Option<FilterRequest>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FilterRequest {
    name: Option<String>,
    status: Option<String>,
    reference_arn: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
    sample_id: Option<String>,
    subject_id: Option<String>,
    generated_from: Option<String>,
    creation_type: Option<String>,
    /// Extension member (typed clients drop it; raw requests may send it).
    etag: Option<String>,
}

fn file(file: &StoredFile) -> Value {
    json!({
        "contentLength": file.content_length,
        "partSize": file.part_size,
        "totalParts": file.total_parts,
        "sha256": file.sha256,
    })
}

/// `sequenceInformation`: the counts and alignment only once the content is processed (ACTIVE,
/// ARCHIVED, ACTIVATING); before (PROCESSING_UPLOAD) or after a failed upload there are none (the model makes every
/// member optional), only `generatedFrom` as given. `None` when nothing is left.
fn sequence_information(set: &ReadSet) -> Option<Value> {
    let mut sequence = serde_json::Map::new();
    if set.is_processed() {
        sequence.insert("totalReadCount".into(), json!(set.total_read_count));
        sequence.insert("totalBaseCount".into(), json!(set.total_base_count));
        sequence.insert("alignment".into(), json!(set.alignment.as_str()));
    }
    if let Some(generated_from) = &set.generated_from {
        sequence.insert("generatedFrom".into(), json!(generated_from));
    }
    (!sequence.is_empty()).then_some(Value::Object(sequence))
}

/// The members GetReadSetMetadata and ReadSetListItem share.
fn item(service: &Service, set: &ReadSet) -> Value {
    let mut etag = json!({ "algorithm": set.etag.algorithm, "source1": set.etag.source1 });
    if let Some(source2) = &set.etag.source2 {
        etag["source2"] = json!(source2);
    }
    let mut body = json!({
        "id": set.id,
        "arn": service.read_set_arn(&set.account, &set.store_id, &set.id),
        "sequenceStoreId": set.store_id,
        "subjectId": set.subject_id,
        "sampleId": set.sample_id,
        "status": set.status.as_str(),
        "fileType": set.file_type.as_str(),
        "creationTime": time::format(set.creation_time),
        "creationType": set.creation_type.as_str(),
    });
    if let Some(sequence) = sequence_information(set) {
        body["sequenceInformation"] = sequence;
    }
    // A direct upload's read set has no ETag until its parts are processed.
    if set.is_processed() && !set.etag.source1.is_empty() {
        body["etag"] = etag;
    }
    if let Some(statistics) = &set.statistics {
        body["alignmentStatistics"] = json!(statistics);
    }
    for (key, value) in [
        ("name", &set.name),
        ("description", &set.description),
        ("referenceArn", &set.reference_arn),
        ("statusMessage", &set.status_message),
    ] {
        if let Some(value) = value {
            body[key] = json!(value);
        }
    }
    body
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchDeleteRequest {
    sequence_store_id: String,
    ids: Vec<String>,
}

/// BatchDeleteReadSet: per-id errors in `errors[]`.
pub async fn batch_delete(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: BatchDeleteRequest = parse(input)?;
    let failed = service.delete_read_sets(caller, &request.sequence_store_id, &request.ids).await?;
    Ok(Json(json!({ "errors": batch_errors(failed) })).into_response())
}

/// The `errors` of a batch operation on read sets (BatchDeleteReadSet, BatchArchiveReadSet): one
/// ReadSetBatchErrorList entry per id that failed.
pub(super) fn batch_errors(failed: Vec<(String, crate::service::Error)>) -> Vec<Value> {
    failed
        .into_iter()
        .map(|(id, error)| {
            let code = match error {
                crate::service::Error::Conflict { .. } => "ConflictException",
                _ => "ResourceNotFoundException",
            };
            json!({ "id": id, "code": code, "message": error.to_string() })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DownloadRequest {
    sequence_store_id: String,
    id: String,
    part_number: u64,
    file: Option<String>,
}

/// GetReadSet: part `partNumber` of SOURCE1 (default), SOURCE2 or INDEX, streamed from storage; a
/// read set that is not ACTIVE is a 409 naming its status (the model's ConflictException), a file
/// an ACTIVE read set does not have a 404 saying which.
pub async fn download(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: DownloadRequest = parse(input)?;
    let set = service.active_read_set(caller, &request.sequence_store_id, &request.id).await?;
    service.note_read_set_access(&set.id);
    let name = request.file.as_deref().unwrap_or("SOURCE1");
    let file = match name {
        "SOURCE2" => set.files.source2.as_ref(),
        "INDEX" => set.files.index.as_ref(),
        _ => set.files.source1.as_ref(),
    };
    let missing =
        || crate::service::Error::NotFound { kind: "read set file", id: format!("{name} of read set {}", set.id) };
    let file = file.ok_or_else(missing)?;
    super::parts::download(service, file, request.part_number, None).await
}

/// GetReadSetMetadata. `files` lists the stored files: none while PROCESSING_UPLOAD (the member
/// is left out), the bytes as sent of an UPLOAD_FAILED read set whose store keeps them. Each file
/// of an ACTIVE read set has `s3Access.s3Uri`, its object in the store's S3 access point under its
/// file name; the files of a read set in any other status have none (they are not readable there).
pub async fn metadata(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: GetRequest = parse(input)?;
    let set = service.read_set(caller, &request.sequence_store_id, &request.id).await?;
    let mut body = item(service, &set);
    let names = if set.is_active() { Some(service.read_set_file_names(&set).await?) } else { None };
    let (source1, source2, index) = match names {
        Some(FileNames { source1, source2, index }) => (Some(source1), source2, index),
        None => (None, None, None),
    };
    let mut files = serde_json::Map::new();
    for (key, stored, name) in [
        ("source1", &set.files.source1, source1),
        ("source2", &set.files.source2, source2),
        ("index", &set.files.index, index),
    ] {
        if let Some(stored) = stored {
            let mut info = file(stored);
            if let Some(name) = name {
                let object = s3_access::read_set_key(&set.account, &set.store_id, &set.id, &name);
                info["s3Access"] = json!({ "s3Uri": s3_access::s3_uri(&set.account, &set.store_id, &object) });
            }
            files.insert(key.into(), info);
        }
    }
    if !files.is_empty() {
        body["files"] = Value::Object(files);
    }
    if let Some(job) = &set.creation_job_id {
        body["creationJobId"] = json!(job);
    }
    Ok(Json(body).into_response())
}

/// ListReadSets.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: ListRequest = parse(input)?;
    let f = request.filter.unwrap_or_default();
    let micros = |t: Option<String>| t.as_deref().and_then(crate::model::time::parse_micros);
    let filter = ReadSetFilter {
        name: f.name,
        status: f.status,
        reference_arn: f.reference_arn,
        created_after: micros(f.created_after),
        created_before: micros(f.created_before),
        sample_id: f.sample_id,
        subject_id: f.subject_id,
        generated_from: f.generated_from,
        creation_type: f.creation_type,
        etag: f.etag,
    };
    let page = service
        .list_read_sets(caller, &request.sequence_store_id, &filter, request.max_results, request.next_token.as_deref())
        .await?;
    let items: Vec<Value> = page.items.iter().map(|s| item(service, s)).collect();
    Ok(super::list_response("readSets", items, page.next_token))
}
