//! Downloads of stored files by part (GetReadSet, GetReference): the service's part stream as an
//! `application/octet-stream` body.

use axum::body::Body;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::model::read_set::StoredFile;
use crate::service::Service;

/// Streams part `number` of `file`, narrowed by `range` when given (see
/// [`Service::download_part`]).
pub async fn download(
    service: &Service,
    file: &StoredFile,
    number: u64,
    range: Option<&str>,
) -> Result<Response, ApiError> {
    let stream = service.download_part(file, number, range).await?;
    Ok(([(http::header::CONTENT_TYPE, "application/octet-stream")], Body::from_stream(stream)).into_response())
}
