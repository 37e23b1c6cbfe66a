//! CORS for the GA4GH APIs, so that a genome viewer in a browser (igv.js) on another origin can
//! call them: any origin, no cookies (authentication is a bearer token, sent explicitly by the
//! page), the headers those clients send and read.

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode};

/// Whether the request comes from a browser page (it names its origin).
pub fn origin(headers: &HeaderMap) -> bool {
    headers.contains_key(http::header::ORIGIN)
}

/// The answer to a preflight `OPTIONS` request: 204 with what may be sent.
pub fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, OPTIONS"));
    headers.insert("access-control-allow-headers", HeaderValue::from_static("authorization, content-type, range"));
    headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    response
}

/// Adds the headers that let any origin read the answer.
pub fn allow(headers: &mut HeaderMap) {
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("content-length, content-range, content-type, x-amzn-requestid"),
    );
}
