//! PutS3AccessPolicy, GetS3AccessPolicy, DeleteS3AccessPolicy.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::input::parse;
use crate::model::time;
use crate::service::s3_access_policies::AccessPoint;
use crate::service::{Caller, Service};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutRequest {
    s3_access_point_arn: String,
    s3_access_policy: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArnRequest {
    s3_access_point_arn: String,
}

/// The members every answer about an access point has.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessPointResponse<'a> {
    s3_access_point_arn: &'a str,
    store_id: &'a str,
    store_type: &'static str,
}

impl<'a> From<&'a AccessPoint> for AccessPointResponse<'a> {
    fn from(access_point: &'a AccessPoint) -> Self {
        Self {
            s3_access_point_arn: &access_point.arn,
            store_id: &access_point.store_id,
            store_type: access_point.store_type.as_str(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GetResponse<'a> {
    #[serde(flatten)]
    access_point: AccessPointResponse<'a>,
    s3_access_policy: &'a str,
    update_time: String,
}

/// PutS3AccessPolicy.
pub async fn put(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: PutRequest = parse(input)?;
    let access_point = service.put_s3_access_policy(caller, &r.s3_access_point_arn, &r.s3_access_policy).await?;
    Ok(Json(AccessPointResponse::from(&access_point)).into_response())
}

/// GetS3AccessPolicy.
pub async fn get(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: ArnRequest = parse(input)?;
    let stored = service.s3_access_policy(caller, &r.s3_access_point_arn).await?;
    let body = GetResponse {
        access_point: AccessPointResponse::from(&stored.access_point),
        s3_access_policy: &stored.policy,
        update_time: time::format(stored.update_time),
    };
    Ok(Json(body).into_response())
}

/// DeleteS3AccessPolicy.
pub async fn delete(service: &Service, caller: &Caller, input: Value) -> Result<Response, ApiError> {
    let r: ArnRequest = parse(input)?;
    service.delete_s3_access_policy(caller, &r.s3_access_point_arn).await?;
    Ok(Json(json!({})).into_response())
}
