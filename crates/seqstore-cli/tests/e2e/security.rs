//! Hostile clients and the limits that contain them (issue #10, points 6 and 7): every operation
//! called with another account's ids and ARNs, SigV4 tampering, `file://` escapes, request head
//! and body limits, slow clients on a real listener, TLS, per-account rate limits and quotas; and
//! (issue 19) body deadlines and connection floods per address, throttled key guessing.

mod accounts;
mod bombs;
mod files;
mod flood;
mod guesses;
mod limits;
mod quotas;
mod sigv4;
mod tls;

use axum::body::Body;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A response as status, headers and raw body (GetReadSet and GetReference are not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `x-amzn-ErrorType`, empty on success.
    pub error_type: String,
    /// The body: JSON when it parses, else the bytes as a JSON string of their length.
    pub body: serde_json::Value,
}

/// Sends `request` through `router` in process.
pub async fn answer(router: &axum::Router, request: http::Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let error_type = response.headers().get("x-amzn-ErrorType").map_or("", |v| v.to_str().unwrap_or("")).to_owned();
    assert!(response.headers().contains_key("x-amzn-RequestId"), "every response carries a request id");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| serde_json::json!({ "rawBytes": bytes.len() }))
    };
    Answer { status, error_type, body }
}
