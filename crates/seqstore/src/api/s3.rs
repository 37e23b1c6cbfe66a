//! The read-only S3-compatible endpoint, on its own listener (`s3_api.listen`): every store's S3
//! access point as a bucket named by its alias (`{account}-{storeId}-s3alias`), its read sets'
//! and references' files as objects (the layout of [`crate::model::s3_access`]).
//!
//! One pipeline for every request, sharing the API's limits and keys: head limit →
//! failed-authentication throttle of the client address (the same table as the API's) → SigV4 for
//! service `s3`, in the header or presigned ([`sigv4::s3`]) → the account's rate → bucket and key
//! (virtual host under `s3_api.domain`, else path style) → the operation, which asks the bucket's
//! S3 access policy before it shows anything. GetObject, HeadObject, GetObjectTagging,
//! ListObjectsV2, ListObjects, HeadBucket and GetBucketLocation are offered; any other read is
//! `NotImplemented`, any write `AccessDenied`. Bodies are never read.

pub mod address;
pub mod error;
pub mod listing;
pub mod objects;
pub mod xml;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::FutureExt;
use http::{HeaderValue, Method};
use tracing::Instrument;

use super::App;
use super::sigv4::s3::{S3Request, Verified, query_pairs};
use crate::config::S3ApiConfig;
use crate::model::client::{Client, TlsVersion};
use crate::model::s3_access::{self, Action};
use crate::model::tags::Tags;
use crate::service::s3_objects::S3Bucket;
use error::S3Error;
use listing::Version;

/// The S3 endpoint's state: the API's (keys, limits, service) and its own settings.
#[derive(Debug)]
struct S3App {
    app: Arc<App>,
    domain: Option<String>,
    region: String,
}

/// The S3 endpoint's router over the API's `app` (its keys, limits and service).
pub fn router(app: Arc<App>, config: &S3ApiConfig, region: &str) -> Router {
    let state = Arc::new(S3App { app, domain: config.domain.clone(), region: region.to_owned() });
    Router::new().fallback(handle).with_state(state)
}

/// Who a verified request acts for, as the access policy sees it.
#[derive(Debug, Clone)]
pub struct S3Caller {
    verified: Verified,
    tls: Option<f64>,
}

impl S3Caller {
    /// Whether the policy of `bucket` lets this caller do `action` on `key` (a prefix for
    /// ListBucket) with object `tags`.
    pub fn allows(&self, bucket: &S3Bucket, action: Action, key: &str, tags: &Tags) -> bool {
        let request = s3_access::Request {
            account: &self.verified.account,
            access_key_id: &self.verified.access_key_id,
            action,
            key,
            tags,
            signature_version: self.verified.signature_version,
            tls_version: self.tls,
        };
        s3_access::evaluate(bucket.policy.as_ref(), &request).allows()
    }
}

async fn handle(State(state): State<Arc<S3App>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let span = tracing::info_span!("s3_request", request_id = %request_id);
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let head = method == Method::HEAD;
    let started = Instant::now();
    let mut operation = "unknown";
    let mut account = None;
    let outcome = std::panic::AssertUnwindSafe(process(&state, request, &mut operation, &mut account))
        .catch_unwind()
        .instrument(span.clone())
        .await;
    let mut response = match outcome {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => span.in_scope(|| error.respond(head, &path, &request_id)),
        Err(_) => {
            span.in_scope(|| tracing::error!("S3 handler panicked"));
            S3Error::Panic.respond(head, &path, &request_id)
        }
    };
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    state.app.service.metrics().request(operation, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            %method,
            %path,
            operation,
            account = account.as_deref().unwrap_or("-"),
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "s3 request"
        )
    });
    let id = HeaderValue::from_str(&request_id).expect("hex is a valid header value");
    response.headers_mut().insert("x-amz-request-id", id);
    response
}

async fn process(
    state: &S3App,
    request: Request,
    operation: &mut &'static str,
    account: &mut Option<String>,
) -> Result<Response, S3Error> {
    let app = &state.app;
    let (parts, _body) = request.into_parts();
    app.limits.check_head(&parts)?;
    let client = parts.extensions.get::<Client>().copied();
    let raw_query = parts.uri.query().unwrap_or("");
    let key_id = super::sigv4::s3::key_id(&parts.headers, raw_query);
    app.limits.check_guesses(client, key_id.as_deref())?;
    let signed =
        S3Request { method: parts.method.as_str(), raw_path: parts.uri.path(), raw_query, headers: &parts.headers };
    let verified = app
        .verifier
        .verify_s3(&signed, chrono::Utc::now())
        .inspect_err(|error| app.limits.note_auth_failure(client, key_id.as_deref(), error))?;
    *account = Some(verified.account.clone());
    app.limits.admit(&verified.account)?;
    let tls = parts.extensions.get::<TlsVersion>().map(|t| t.0);
    let caller = S3Caller { verified, tls };
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    let address = address::parse(host, parts.uri.path(), state.domain.as_deref())?;
    let query = query_pairs(raw_query);
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let read = matches!(parts.method, Method::GET | Method::HEAD);
    if !read {
        return Err(S3Error::ReadOnly { method: parts.method.to_string() });
    }
    if address.bucket.is_empty() {
        *operation = "s3:ListBuckets";
        return Err(S3Error::NoBucket);
    }
    let bucket = app
        .service
        .s3_bucket(&address.bucket)
        .await?
        .ok_or_else(|| S3Error::NoSuchBucket { bucket: address.bucket.clone() })?;
    let service = &app.service;
    let head = parts.method == Method::HEAD;
    if address.key.is_empty() {
        let unsupported =
            query.iter().find(|(k, _)| !LIST_PARAMS.contains(&k.as_str()) && k != "location" && !presigning(k));
        return match (head, has("location"), has("list-type")) {
            (true, _, _) => {
                *operation = "s3:HeadBucket";
                listing::head(&caller, &bucket, &state.region)
            }
            (false, true, _) => {
                *operation = "s3:GetBucketLocation";
                listing::location(&caller, &bucket, &state.region)
            }
            _ if let Some((name, _)) = unsupported => Err(S3Error::NotImplemented { what: format!("?{name}") }),
            (false, false, true) => {
                *operation = "s3:ListObjectsV2";
                match query.iter().find(|(k, _)| k == "list-type").map(|(_, v)| v.as_str()) {
                    Some("2") => listing::list(service, &caller, &address.bucket, &bucket, &query, Version::V2).await,
                    _ => Err(S3Error::InvalidArgument("list-type must be 2".into())),
                }
            }
            (false, false, false) => {
                *operation = "s3:ListObjects";
                listing::list(service, &caller, &address.bucket, &bucket, &query, Version::V1).await
            }
        };
    }
    if has("tagging") && !head {
        *operation = "s3:GetObjectTagging";
        return objects::tagging(service, &caller, &bucket, &address.key).await;
    }
    if let Some((name, _)) = query.iter().find(|(k, _)| !OBJECT_PARAMS.contains(&k.as_str()) && !presigning(k)) {
        return Err(S3Error::NotImplemented { what: format!("?{name} on an object") });
    }
    *operation = if head { "s3:HeadObject" } else { "s3:GetObject" };
    objects::get(service, &caller, &bucket, &address.key, &parts.headers, &query, head).await
}

/// Query parameters of the two listings.
const LIST_PARAMS: [&str; 10] = [
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
    "marker",
    "x-id",
];

/// True for the query parameters of a presigned URL (version 4: `X-Amz-*`; version 2:
/// `AWSAccessKeyId`, `Expires`, `Signature`), which every operation takes.
fn presigning(name: &str) -> bool {
    name.starts_with("X-Amz-") || matches!(name, "AWSAccessKeyId" | "Expires" | "Signature")
}

/// Query parameters GetObject and HeadObject accept (besides a presigned URL's).
const OBJECT_PARAMS: [&str; 7] = [
    "response-content-type",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-cache-control",
    "response-expires",
    "x-id",
];
