//! TagResource, UntagResource and ListTagsForResource.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use crate::model::tags::Tags;
use crate::service::{Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagRequest {
    resource_arn: String,
    tags: Tags,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagRequest {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    resource_arn: String,
}

/// TagResource: 204 with no body.
pub async fn tag(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: TagRequest = parse(input)?;
    service.tag_resource(caller, &request.resource_arn, &request.tags).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// UntagResource: 204 with no body.
pub async fn untag(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: UntagRequest = parse(input)?;
    service.untag_resource(caller, &request.resource_arn, &request.tag_keys).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// ListTagsForResource.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: ListRequest = parse(input)?;
    let tags = service.list_tags(caller, &request.resource_arn).await?;
    Ok(Json(json!({ "tags": tags })).into_response())
}
