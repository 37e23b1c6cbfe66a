//! CreateReferenceStore, GetReferenceStore, ListReferenceStores, DeleteReferenceStore.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use crate::model::reference::ReferenceStore;
use crate::model::sequence_store::SseConfig;
use crate::model::tags::Tags;
use crate::model::time;
use crate::service::references::{Filter, NewReferenceStore};
use crate::service::{Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    name: String,
    description: Option<String>,
    sse_config: Option<SseConfig>,
    tags: Option<Tags>,
    client_token: Option<String>,
}

#[derive(Deserialize)]
struct IdRequest {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    max_results: Option<i64>,
    next_token: Option<String>,
    filter: Option<FilterRequest>,
}

/// The filter members of the reference listings.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct FilterRequest {
    name: Option<String>,
    md5: Option<String>,
    status: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
}

impl FilterRequest {
    /// The service's form of the filter.
    pub(super) fn into_filter(self) -> Filter {
        let micros = |t: Option<String>| t.as_deref().and_then(time::parse_micros);
        Filter {
            name: self.name,
            md5: self.md5,
            status: self.status,
            created_after: micros(self.created_after),
            created_before: micros(self.created_before),
        }
    }
}

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
}

fn store_response<'a>(service: &Service, store: &'a ReferenceStore) -> StoreResponse<'a> {
    StoreResponse {
        id: &store.id,
        arn: service.reference_store_arn(&store.account, &store.id),
        name: &store.name,
        description: store.description.as_deref(),
        sse_config: store.sse.as_ref(),
        creation_time: time::format(store.creation_time),
    }
}

/// CreateReferenceStore.
pub async fn create(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: CreateRequest = parse(input)?;
    let new = NewReferenceStore {
        name: r.name,
        description: r.description,
        sse: r.sse_config,
        tags: r.tags.unwrap_or_default(),
        client_token: r.client_token,
    };
    let store = service.create_reference_store(caller, new).await?;
    Ok(Json(store_response(service, &store)).into_response())
}

/// GetReferenceStore.
pub async fn get(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: IdRequest = parse(input)?;
    let store = service.reference_store(caller, &r.id).await?;
    Ok(Json(store_response(service, &store)).into_response())
}

/// ListReferenceStores.
pub async fn list(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: ListRequest = parse(input)?;
    let filter = r.filter.unwrap_or_default().into_filter();
    let page = service.list_reference_stores(caller, &filter, r.max_results, r.next_token.as_deref()).await?;
    let stores: Vec<StoreResponse<'_>> = page.items.iter().map(|s| store_response(service, s)).collect();
    Ok(super::list_response("referenceStores", stores, page.next_token))
}

/// DeleteReferenceStore.
pub async fn delete(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: IdRequest = parse(input)?;
    service.delete_reference_store(caller, &r.id).await?;
    Ok(Json(json!({})).into_response())
}
