//! CreateSequenceStore, GetSequenceStore, ListSequenceStores, UpdateSequenceStore and
//! DeleteSequenceStore: wire shapes <-> service calls.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use crate::model::s3_access::{self, StoreType};
use crate::model::sequence_store::{Changes, ETagAlgorithmFamily, SequenceStore, SseConfig};
use crate::model::tags::Tags;
use crate::model::time;
use crate::service::sequence_stores::{Filter, NewStore, Update};
use crate::service::{Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3AccessConfig {
    access_log_location: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    name: String,
    description: Option<String>,
    sse_config: Option<SseConfig>,
    tags: Option<Tags>,
    client_token: Option<String>,
    fallback_location: Option<String>,
    e_tag_algorithm_family: Option<String>,
    propagated_set_level_tags: Option<Vec<String>>,
    s3_access_config: Option<S3AccessConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdRequest {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    id: String,
    name: Option<String>,
    description: Option<String>,
    client_token: Option<String>,
    fallback_location: Option<String>,
    propagated_set_level_tags: Option<Vec<String>>,
    s3_access_config: Option<S3AccessConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    max_results: Option<i64>,
    next_token: Option<String>,
    filter: Option<FilterRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterRequest {
    name: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
    status: Option<String>,
    updated_after: Option<String>,
    updated_before: Option<String>,
}

/// The store as every operation returns it (GetSequenceStoreResponse and its relatives; a
/// ListSequenceStores item without `s3Access`, which SequenceStoreDetail does not have).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StoreResponse<'a> {
    id: &'a str,
    arn: String,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sse_config: Option<&'a SseConfig>,
    creation_time: String,
    update_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback_location: Option<&'a str>,
    e_tag_algorithm_family: &'static str,
    status: &'static str,
    propagated_set_level_tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_access: Option<S3Access<'a>>,
}

/// `s3Access` (SequenceStoreS3Access): the store's S3 access point, as the URI of the store's
/// prefix in it and its ARN, and the access log location as given (stored and echoed only).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct S3Access<'a> {
    s3_uri: String,
    s3_access_point_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_log_location: Option<&'a str>,
}

fn s3_access<'a>(service: &Service, store: &'a SequenceStore) -> S3Access<'a> {
    let prefix = s3_access::store_prefix(&store.account, StoreType::Sequence, &store.id);
    S3Access {
        s3_uri: s3_access::s3_uri(&store.account, &store.id, &prefix),
        s3_access_point_arn: service.access_point_arn(&store.account, &store.id),
        access_log_location: store.access_log_location.as_deref(),
    }
}

fn store_response<'a>(service: &Service, caller: &Caller, store: &'a SequenceStore) -> StoreResponse<'a> {
    StoreResponse {
        id: &store.id,
        arn: service.sequence_store_arn(caller, &store.id),
        name: &store.name,
        description: store.description.as_deref(),
        sse_config: store.sse.as_ref(),
        creation_time: time::format(store.creation_time),
        update_time: time::format(store.update_time),
        fallback_location: store.fallback_location.as_deref(),
        e_tag_algorithm_family: store.etag_family.as_str(),
        status: "ACTIVE",
        propagated_set_level_tags: &store.propagated_set_level_tags,
        s3_access: Some(s3_access(service, store)),
    }
}

/// CreateSequenceStore.
pub async fn create(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: CreateRequest = parse(input)?;
    let new = NewStore {
        name: request.name,
        description: request.description,
        sse: request.sse_config,
        tags: request.tags.unwrap_or_default(),
        client_token: request.client_token,
        fallback_location: request.fallback_location,
        // The model's enum check ran before; an unknown value cannot reach this point.
        etag_family: request.e_tag_algorithm_family.as_deref().and_then(ETagAlgorithmFamily::parse),
        propagated_set_level_tags: request.propagated_set_level_tags,
        access_log_location: request.s3_access_config.and_then(|c| c.access_log_location),
    };
    let store = service.create_sequence_store(caller, new).await?;
    Ok(Json(store_response(service, caller, &store)).into_response())
}

/// GetSequenceStore.
pub async fn get(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: IdRequest = parse(input)?;
    let store = service.sequence_store(caller, &request.id).await?;
    Ok(Json(store_response(service, caller, &store)).into_response())
}

/// ListSequenceStores.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: ListRequest = parse(input)?;
    let micros = |t: Option<String>| t.as_deref().and_then(time::parse_micros);
    let filter = request.filter.map_or_else(Filter::default, |f| Filter {
        name: f.name,
        created_after: micros(f.created_after),
        created_before: micros(f.created_before),
        status: f.status,
        updated_after: micros(f.updated_after),
        updated_before: micros(f.updated_before),
    });
    let page =
        service.list_sequence_stores(caller, &filter, request.max_results, request.next_token.as_deref()).await?;
    let item = |s| StoreResponse { s3_access: None, ..store_response(service, caller, s) };
    let stores: Vec<StoreResponse<'_>> = page.items.iter().map(item).collect();
    Ok(super::list_response("sequenceStores", stores, page.next_token))
}

/// UpdateSequenceStore.
pub async fn update(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: UpdateRequest = parse(input)?;
    let update = Update {
        changes: Changes {
            name: request.name,
            description: request.description,
            fallback_location: request.fallback_location,
            propagated_set_level_tags: request.propagated_set_level_tags,
            access_log_location: request.s3_access_config.and_then(|c| c.access_log_location),
        },
        client_token: request.client_token,
    };
    let store = service.update_sequence_store(caller, &request.id, update).await?;
    Ok(Json(store_response(service, caller, &store)).into_response())
}

/// DeleteSequenceStore.
pub async fn delete(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let request: IdRequest = parse(input)?;
    service.delete_sequence_store(caller, &request.id).await?;
    Ok(Json(json!({})).into_response())
}
