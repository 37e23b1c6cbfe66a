//! GetReadSetQc (an extension: `GET /sequencestore/{sequenceStoreId}/readset/{id}/qc`, signed like
//! the model's operations): a read set's quality-control statistics as JSON. GetReadSetMetadata
//! keeps the model's shape; the statistics are here.
//!
//! The answer: `sequenceStoreId`, `readSetId`, `fileType`, `aligned`, `status` (`AVAILABLE`,
//! `PENDING` or `FAILED`), `statusMessage` (why pending or failed), `computedTime` (ISO 8601, once
//! computed) and `report` (when available: the totals as `samtools stats`' SN section names them,
//! read length, per-cycle base and quality, per-read mean quality and GC, MAPQ and insert size
//! histograms, per-reference counts; see `seqstore_formats::qc::QcReport`).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use crate::model::read_set::Alignment;
use crate::model::time;
use crate::service::{Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetRequest {
    sequence_store_id: String,
    id: String,
}

/// GetReadSetQc: 404 for an unknown store or read set, like GetReadSetMetadata.
pub async fn get(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: GetRequest = parse(input)?;
    let (set, qc) = service.read_set_qc(caller, &request.sequence_store_id, &request.id).await?;
    let mut body = json!({
        "sequenceStoreId": set.store_id,
        "readSetId": set.id,
        "fileType": set.file_type.as_str(),
        "aligned": set.alignment == Alignment::Aligned,
        "status": qc.status.as_str(),
    });
    if let Some(message) = &qc.status_message {
        body["statusMessage"] = json!(message);
    }
    if let Some(ms) = qc.computed_ms {
        body["computedTime"] = json!(time::format(ms));
    }
    if let Some(report) = &qc.report {
        body["report"] = serde_json::to_value(report).map_err(|_| ApiError::Panic)?;
    }
    Ok(Json(body).into_response())
}
