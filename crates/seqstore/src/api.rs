//! The HTTP API: one handler that runs every request through the same pipeline, in the order
//! the wire rules fix: head limit (400) → failed-authentication throttle of the client address
//! (429) → body limit (400) → SigV4 over the normalised path (403) → route of the raw path
//! (404/405) → shape validation (400) → a raw path not in normal form stops here (400) → the
//! operation (existence 404, conflicts, …). Every response carries `x-amzn-RequestId`.
//!
//! One request is answered before authentication: a browser opening the server's root (`GET /`,
//! `Accept` with `text/html`, no signature: [`is_browser_at_root`]) is sent to the dashboard
//! (303 to `/ui/`) instead of a 403 about a missing signature.

pub mod activations;
pub mod botocore;
pub mod error;
pub mod exports;
pub mod ga4gh;
pub mod imports;
pub mod input;
pub mod job_requests;
pub mod limits;
pub mod parts;
pub mod qc;
pub mod read_sets;
pub mod reference_stores;
pub mod references;
pub mod route;
pub mod s3;
pub mod s3_access_policies;
pub mod sequence_stores;
pub mod sigv4;
pub mod tags;
pub mod tokens;
pub mod uploads;
pub mod validate;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::FutureExt;
use http::HeaderValue;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use tracing::Instrument;

use crate::config::Config;
use crate::service::{Caller, Service};
use error::ApiError;
use sigv4::Verifier;

/// Shared state of the API.
#[derive(Debug)]
pub struct App {
    service: Service,
    verifier: Verifier,
    max_body_bytes: u64,
    max_token_seconds: u64,
    limits: limits::Limits,
}

impl App {
    /// The API over `service`, with the keys and limits of `config`.
    pub fn new(config: &Config, service: Service) -> Self {
        let max_body_bytes = config.limits.max_body_bytes;
        Self {
            service,
            verifier: Verifier::new(config),
            max_body_bytes,
            max_token_seconds: config.auth.max_token_seconds,
            limits: limits::Limits::new(&config.limits),
        }
    }
}

/// The router: every method and path goes through [`handle`].
pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

/// True when the router runs operation `name` (of the model, or one of seqstore's extensions in
/// [`botocore::EXTENSIONS`]). Every storage and tagging operation of the model is run since the
/// activation jobs (#25); one the router knew but did not run would answer 405
/// NotSupportedOperationException.
pub fn implements(name: &str) -> bool {
    Op::from_name(name).is_some()
}

/// The operations seqstore implements: every storage and tagging operation of the model, and the
/// extensions.
#[derive(Debug, Clone, Copy)]
enum Op {
    CreateSequenceStore,
    GetSequenceStore,
    ListSequenceStores,
    UpdateSequenceStore,
    DeleteSequenceStore,
    TagResource,
    UntagResource,
    ListTagsForResource,
    StartReadSetImportJob,
    GetReadSetImportJob,
    ListReadSetImportJobs,
    GetReadSetMetadata,
    ListReadSets,
    BatchDeleteReadSet,
    GetReadSet,
    CreateReferenceStore,
    GetReferenceStore,
    ListReferenceStores,
    DeleteReferenceStore,
    StartReferenceImportJob,
    GetReferenceImportJob,
    ListReferenceImportJobs,
    ListReferences,
    GetReferenceMetadata,
    GetReference,
    DeleteReference,
    CreateMultipartReadSetUpload,
    UploadReadSetPart,
    CompleteMultipartReadSetUpload,
    AbortMultipartReadSetUpload,
    ListMultipartReadSetUploads,
    ListReadSetUploadParts,
    StartReadSetExportJob,
    GetReadSetExportJob,
    ListReadSetExportJobs,
    StartReadSetActivationJob,
    GetReadSetActivationJob,
    ListReadSetActivationJobs,
    PutS3AccessPolicy,
    GetS3AccessPolicy,
    DeleteS3AccessPolicy,
    // Extensions (`botocore::EXTENSIONS`).
    CancelReadSetImportJob,
    CancelReferenceImportJob,
    CancelReadSetExportJob,
    CancelReadSetActivationJob,
    BatchArchiveReadSet,
    GetReadSetQc,
}

impl Op {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "CreateSequenceStore" => Self::CreateSequenceStore,
            "GetSequenceStore" => Self::GetSequenceStore,
            "ListSequenceStores" => Self::ListSequenceStores,
            "UpdateSequenceStore" => Self::UpdateSequenceStore,
            "DeleteSequenceStore" => Self::DeleteSequenceStore,
            "TagResource" => Self::TagResource,
            "UntagResource" => Self::UntagResource,
            "ListTagsForResource" => Self::ListTagsForResource,
            "StartReadSetImportJob" => Self::StartReadSetImportJob,
            "GetReadSetImportJob" => Self::GetReadSetImportJob,
            "ListReadSetImportJobs" => Self::ListReadSetImportJobs,
            "GetReadSetMetadata" => Self::GetReadSetMetadata,
            "ListReadSets" => Self::ListReadSets,
            "BatchDeleteReadSet" => Self::BatchDeleteReadSet,
            "GetReadSet" => Self::GetReadSet,
            "CreateReferenceStore" => Self::CreateReferenceStore,
            "GetReferenceStore" => Self::GetReferenceStore,
            "ListReferenceStores" => Self::ListReferenceStores,
            "DeleteReferenceStore" => Self::DeleteReferenceStore,
            "StartReferenceImportJob" => Self::StartReferenceImportJob,
            "GetReferenceImportJob" => Self::GetReferenceImportJob,
            "ListReferenceImportJobs" => Self::ListReferenceImportJobs,
            "ListReferences" => Self::ListReferences,
            "GetReferenceMetadata" => Self::GetReferenceMetadata,
            "GetReference" => Self::GetReference,
            "DeleteReference" => Self::DeleteReference,
            "CreateMultipartReadSetUpload" => Self::CreateMultipartReadSetUpload,
            "UploadReadSetPart" => Self::UploadReadSetPart,
            "CompleteMultipartReadSetUpload" => Self::CompleteMultipartReadSetUpload,
            "AbortMultipartReadSetUpload" => Self::AbortMultipartReadSetUpload,
            "ListMultipartReadSetUploads" => Self::ListMultipartReadSetUploads,
            "ListReadSetUploadParts" => Self::ListReadSetUploadParts,
            "StartReadSetExportJob" => Self::StartReadSetExportJob,
            "GetReadSetExportJob" => Self::GetReadSetExportJob,
            "ListReadSetExportJobs" => Self::ListReadSetExportJobs,
            "StartReadSetActivationJob" => Self::StartReadSetActivationJob,
            "GetReadSetActivationJob" => Self::GetReadSetActivationJob,
            "ListReadSetActivationJobs" => Self::ListReadSetActivationJobs,
            "CancelReadSetActivationJob" => Self::CancelReadSetActivationJob,
            "BatchArchiveReadSet" => Self::BatchArchiveReadSet,
            "GetReadSetQc" => Self::GetReadSetQc,
            "PutS3AccessPolicy" => Self::PutS3AccessPolicy,
            "GetS3AccessPolicy" => Self::GetS3AccessPolicy,
            "DeleteS3AccessPolicy" => Self::DeleteS3AccessPolicy,
            "CancelReadSetImportJob" => Self::CancelReadSetImportJob,
            "CancelReadSetExportJob" => Self::CancelReadSetExportJob,
            "CancelReferenceImportJob" => Self::CancelReferenceImportJob,
            _ => return None,
        })
    }

    /// Runs the operation; `streamed` is the unread body of an operation with a streamed input
    /// payload (UploadReadSetPart), `None` for every other.
    async fn run(
        self,
        service: &Service,
        caller: &Caller,
        input: Value,
        streamed: Option<uploads::Streamed>,
    ) -> Result<Response, ApiError> {
        match self {
            Self::CreateSequenceStore => sequence_stores::create(service, caller, input).await,
            Self::GetSequenceStore => sequence_stores::get(service, caller, input).await,
            Self::ListSequenceStores => sequence_stores::list(service, caller, input).await,
            Self::UpdateSequenceStore => sequence_stores::update(service, caller, input).await,
            Self::DeleteSequenceStore => sequence_stores::delete(service, caller, input).await,
            Self::TagResource => tags::tag(service, caller, input).await,
            Self::UntagResource => tags::untag(service, caller, input).await,
            Self::ListTagsForResource => tags::list(service, caller, input).await,
            Self::StartReadSetImportJob => imports::start(service, caller, input).await,
            Self::GetReadSetImportJob => imports::get(service, caller, input).await,
            Self::ListReadSetImportJobs => imports::list(service, caller, input).await,
            Self::GetReadSetMetadata => read_sets::metadata(service, caller, input).await,
            Self::ListReadSets => read_sets::list(service, caller, input).await,
            Self::BatchDeleteReadSet => read_sets::batch_delete(service, caller, input).await,
            Self::GetReadSet => read_sets::download(service, caller, input).await,
            Self::CreateReferenceStore => reference_stores::create(service, caller, input).await,
            Self::GetReferenceStore => reference_stores::get(service, caller, input).await,
            Self::ListReferenceStores => reference_stores::list(service, caller, input).await,
            Self::DeleteReferenceStore => reference_stores::delete(service, caller, input).await,
            Self::StartReferenceImportJob => references::start_import(service, caller, input).await,
            Self::GetReferenceImportJob => references::get_import(service, caller, input).await,
            Self::ListReferenceImportJobs => references::list_imports(service, caller, input).await,
            Self::ListReferences => references::list(service, caller, input).await,
            Self::GetReferenceMetadata => references::metadata(service, caller, input).await,
            Self::GetReference => references::download(service, caller, input).await,
            Self::DeleteReference => references::delete(service, caller, input).await,
            Self::CreateMultipartReadSetUpload => uploads::create(service, caller, input).await,
            Self::UploadReadSetPart => match streamed {
                Some(streamed) => uploads::upload_part(service, caller, input, streamed).await,
                None => Err(ApiError::Panic),
            },
            Self::CompleteMultipartReadSetUpload => uploads::complete(service, caller, input).await,
            Self::AbortMultipartReadSetUpload => uploads::abort(service, caller, input).await,
            Self::ListMultipartReadSetUploads => uploads::list(service, caller, input).await,
            Self::ListReadSetUploadParts => uploads::list_parts(service, caller, input).await,
            Self::CancelReadSetImportJob => imports::cancel(service, caller, input).await,
            Self::CancelReferenceImportJob => references::cancel_import(service, caller, input).await,
            Self::StartReadSetExportJob => exports::start(service, caller, input).await,
            Self::GetReadSetExportJob => exports::get(service, caller, input).await,
            Self::ListReadSetExportJobs => exports::list(service, caller, input).await,
            Self::CancelReadSetExportJob => exports::cancel(service, caller, input).await,
            Self::StartReadSetActivationJob => activations::start(service, caller, input).await,
            Self::GetReadSetActivationJob => activations::get(service, caller, input).await,
            Self::ListReadSetActivationJobs => activations::list(service, caller, input).await,
            Self::CancelReadSetActivationJob => activations::cancel(service, caller, input).await,
            Self::BatchArchiveReadSet => activations::batch_archive(service, caller, input).await,
            Self::GetReadSetQc => qc::get(service, caller, input).await,
            Self::PutS3AccessPolicy => s3_access_policies::put(service, caller, input).await,
            Self::GetS3AccessPolicy => s3_access_policies::get(service, caller, input).await,
            Self::DeleteS3AccessPolicy => s3_access_policies::delete(service, caller, input).await,
        }
    }
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", request_id = %request_id);
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let mut seen = Seen::default();
    let mut response = async {
        // A panicking handler must not drop the connection without an AWS error and a request id.
        if request.uri().path().starts_with(ga4gh::PREFIX) {
            let outcome = std::panic::AssertUnwindSafe(ga4gh::process(&app, request, &mut seen)).catch_unwind().await;
            return outcome.unwrap_or_else(|_| {
                tracing::error!("GA4GH handler panicked");
                http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
            });
        }
        let outcome = std::panic::AssertUnwindSafe(process(&app, request, &mut seen)).catch_unwind().await;
        let result = outcome.unwrap_or_else(|panic| {
            let text =
                panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str));
            tracing::error!(panic = text.unwrap_or("<non-string payload>"), "handler panicked");
            Err(ApiError::Panic)
        });
        result.unwrap_or_else(IntoResponse::into_response)
    }
    .instrument(span.clone())
    .await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let operation = seen.operation.as_deref().unwrap_or("unknown");
    app.service.metrics().request(operation, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            %method,
            %path,
            operation,
            account = seen.account.as_deref().unwrap_or("-"),
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    let id = HeaderValue::from_str(&request_id).expect("a UUID is a valid header value");
    response.headers_mut().insert("x-amzn-RequestId", id);
    response
}

/// What the pipeline learnt about a request before it was answered, for its log line and metrics.
#[derive(Debug, Default)]
struct Seen {
    /// The model operation its method and path matched.
    operation: Option<String>,
    /// The account of its verified signature.
    account: Option<String>,
}

async fn process(app: &App, request: Request, seen: &mut Seen) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    app.limits.check_head(&parts)?;
    if is_browser_at_root(&parts) {
        seen.operation = Some(DASHBOARD_REDIRECT.to_owned());
        return Ok(axum::response::Redirect::to("/ui/").into_response());
    }
    let client = parts.extensions.get::<crate::model::client::Client>().copied();
    let key_id = sigv4::key_id(&parts.headers);
    app.limits.check_guesses(client, key_id)?;
    let route = route::find(&parts.method, parts.uri.path());
    if let Ok(Some(r)) = &route {
        seen.operation = Some(r.op.name.clone());
    }
    // The one operation whose payload is signed as UNSIGNED-PAYLOAD (UploadReadSetPart) has a
    // streamed payload of up to `uploads.max_part_bytes`: it is passed on unread, not buffered.
    let streams = matches!(&route, Ok(Some(r)) if r.op.unsigned_payload);
    let (body, unread) = if streams {
        (None, Some(body))
    } else {
        (Some(read_body(body, &parts.headers, app.max_body_bytes).await?), None)
    };
    let member_headers = match &route {
        Ok(Some(route)) => botocore::MODEL.header_members(route.op),
        _ => Vec::new(),
    };
    let signed = sigv4::Request {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        body: body.as_deref(),
        unsigned_payload_allowed: streams,
        member_headers: &member_headers,
    };
    let account = app
        .verifier
        .verify(&signed, chrono::Utc::now())
        .inspect_err(|error| app.limits.note_auth_failure(client, key_id, error))?;
    seen.account = Some(account.clone());
    app.limits.admit(&account)?;
    if parts.method == http::Method::POST && parts.uri.path() == tokens::PATH {
        seen.operation = Some("CreateToken".into());
        let caller = Caller { account };
        return tokens::issue(
            &app.service,
            &caller,
            key_id.unwrap_or_default(),
            &body.unwrap_or_default(),
            app.max_token_seconds,
        );
    }
    let unknown = || ApiError::UnknownOperation { method: parts.method.to_string(), path: parts.uri.path().to_owned() };
    let route = route?.ok_or_else(unknown)?;
    let op =
        Op::from_name(&route.op.name).ok_or_else(|| ApiError::NotSupported { operation: route.op.name.clone() })?;
    let body = body.unwrap_or_default();
    let input = input::assemble(&route, parts.uri.query().unwrap_or(""), &parts.headers, &body)?;
    // The signature covers the normal form of the path: a raw path that differs from it (and
    // whose route and labels were accepted all the same) must not act on either.
    if !sigv4::is_normal(parts.uri.path()) {
        let path = parts.uri.path();
        return Err(ApiError::PathNotNormal {
            path: path.to_owned(),
            normal: sigv4::normalize_path(path).into_owned(),
        });
    }
    let streamed = unread.map(|body| uploads::Streamed {
        body,
        declared_length: header(&parts.headers, http::header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse().ok()),
        signed_sha256: header(&parts.headers, "x-amz-content-sha256")
            .filter(|v| *v != sigv4::UNSIGNED_PAYLOAD)
            .map(str::to_owned),
    });
    op.run(&app.service, &Caller { account }, input, streamed).await
}

/// The `operation` of the redirect of [`is_browser_at_root`] in logs and metrics.
const DASHBOARD_REDIRECT: &str = "DashboardRedirect";

/// A browser opening the server's root: `GET /` whose `Accept` names `text/html`, with no
/// `Authorization` header and no `X-Amz-*` query parameter (no signature of any kind). Any other
/// request to `/` goes through the pipeline (and, unsigned, is refused as before).
fn is_browser_at_root(parts: &http::request::Parts) -> bool {
    let html = parts
        .headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"));
    let presigned = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))));
    parts.method == http::Method::GET
        && parts.uri.path() == "/"
        && html
        && !parts.headers.contains_key(http::header::AUTHORIZATION)
        && !presigned
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A List* response: `{key: items}` plus `nextToken` when more pages follow.
fn list_response<T: serde::Serialize>(key: &str, items: Vec<T>, next_token: Option<String>) -> Response {
    let mut body = serde_json::Map::new();
    body.insert(key.to_owned(), serde_json::to_value(items).expect("list items serialize"));
    if let Some(token) = next_token {
        body.insert("nextToken".to_owned(), Value::String(token));
    }
    axum::Json(Value::Object(body)).into_response()
}

/// Reads the whole body, refusing more than `limit` bytes before reading them when the client
/// declares its length.
async fn read_body(body: Body, headers: &http::HeaderMap, limit: u64) -> Result<Bytes, ApiError> {
    let declared = headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::BodyTooLarge { limit }),
        Err(e) if let Some(&timeout) = limits::BodyTimeout::find(&*e) => Err(ApiError::BodyTimeout(timeout)),
        Err(e) => Err(ApiError::BodyUnreadable(axum::Error::new(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut request = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).expect("request").into_parts().0
    }

    #[test]
    fn only_an_unsigned_browser_get_of_the_root_is_sent_to_the_dashboard() {
        let browser = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8")];
        assert!(is_browser_at_root(&parts("GET", "/", &browser)));
        assert!(is_browser_at_root(&parts("GET", "/?utm=1", &browser)));
        assert!(!is_browser_at_root(&parts("GET", "/", &[])), "no Accept: an API client");
        assert!(!is_browser_at_root(&parts("GET", "/", &[("accept", "application/json")])));
        assert!(!is_browser_at_root(&parts("HEAD", "/", &browser)));
        assert!(!is_browser_at_root(&parts("POST", "/", &browser)));
        assert!(!is_browser_at_root(&parts("GET", "/sequencestores", &browser)));
        let signed = [browser[0], ("authorization", "AWS4-HMAC-SHA256 Credential=AKID/…")];
        assert!(!is_browser_at_root(&parts("GET", "/", &signed)));
        assert!(!is_browser_at_root(&parts("GET", "/?X-Amz-Signature=abc", &browser)));
        assert!(!is_browser_at_root(&parts("GET", "/?a=1&x-amz-credential=abc", &browser)));
    }
}
