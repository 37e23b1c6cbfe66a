//! refget 2 sequences: the bases of a reference sequence by its MD5 or GA4GH `SQ.` digest, whole or
//! a sub-sequence (`start`/`end` or one `Range`), its metadata, and the service-info.

use axum::Json;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderValue, StatusCode};
use serde_json::json;

use super::super::App;
use super::super::sigv4::s3::query_pairs;
use super::error::{Api, Ga4ghError};
use crate::service::Caller;
use crate::service::refget::{RefgetSequence, SequenceId};

/// `GET /ga4gh/refget/v2/sequence/service-info`.
pub fn service_info() -> Response {
    Json(json!({
        "id": "seqstore.refget",
        "name": "seqstore refget",
        "type": { "group": "org.ga4gh", "artifact": "refget", "version": "2.0.0" },
        "description": "The reference sequences of a seqstore server's reference stores, by digest",
        "organization": { "name": "seqstore", "url": "https://github.com/seqstore/seqstore" },
        "version": env!("CARGO_PKG_VERSION"),
        "refget": {
            "circular_supported": false,
            "subsequence_limit": null,
            "algorithms": ["md5", "ga4gh"],
            "identifier_types": []
        }
    }))
    .into_response()
}

/// The media type of sequences.
const SEQUENCE_TYPE: &str = "text/vnd.ga4gh.refget.v2.0.0+plain; charset=us-ascii";

/// `GET /ga4gh/refget/v2/sequence/{id}`: the bases (upper case) of `[start, end)` or of one
/// `Range: bytes=a-b`, streamed.
pub async fn sequence(
    app: &App,
    caller: &Caller,
    parts: &http::request::Parts,
    id: &str,
) -> Result<Response, Ga4ghError> {
    if let Some(accept) = parts.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok())
        && !acceptable(accept)
    {
        return Err(Ga4ghError::new(
            Api::Refget,
            StatusCode::NOT_ACCEPTABLE,
            "NotAcceptable",
            format!("sequences are served as {SEQUENCE_TYPE} or text/plain, not '{accept}'"),
        ));
    }
    let sequence = find(app, caller, id).await?;
    let length = sequence.length;
    let range = parts.headers.get(http::header::RANGE).and_then(|v| v.to_str().ok());
    let query = query_pairs(parts.uri.query().unwrap_or(""));
    let bound = |name: &str| -> Result<Option<u64>, Ga4ghError> {
        match query.iter().find(|(k, _)| k == name) {
            None => Ok(None),
            Some((_, v)) => v.parse::<u32>().map(|n| Some(u64::from(n))).map_err(|_| {
                invalid(format!(
                    "{name} must be an unsigned 32-bit integer (0-based; start inclusive, end exclusive), not '{v}'"
                ))
            }),
        }
    };
    let (start, end) = (bound("start")?, bound("end")?);
    let (from, to, partial) = match range {
        Some(_) if start.is_some() || end.is_some() => {
            return Err(invalid("send either start/end or a Range header, not both".into()));
        }
        Some(range) => {
            let (from, to) = byte_range(range, length)?;
            (from, to, true)
        }
        None => {
            if let (Some(s), Some(e)) = (start, end)
                && s > e
            {
                return Err(Ga4ghError::new(
                    Api::Refget,
                    StatusCode::NOT_IMPLEMENTED,
                    "NotImplemented",
                    format!("start {s} is after end {e}: this server does not support circular sequences"),
                ));
            }
            if start.is_some_and(|s| s >= length) || end.is_some_and(|e| e > length) {
                return Err(unsatisfiable(format!(
                    "the sequence has {length} bases; start must be below and end at most that"
                )));
            }
            (start.unwrap_or(0), end.unwrap_or(length), false)
        }
    };
    let stream = app.service.refget_bases(sequence, from, to).map(|chunk| chunk.map_err(std::io::Error::other));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(SEQUENCE_TYPE));
    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(to - from));
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let value = format!("bytes {from}-{}/{length}", to - 1);
        response.headers_mut().insert(http::header::CONTENT_RANGE, HeaderValue::from_str(&value).expect("ASCII"));
    }
    Ok(response)
}

/// `GET /ga4gh/refget/v2/sequence/{id}/metadata`.
pub async fn metadata(app: &App, caller: &Caller, id: &str) -> Result<Response, Ga4ghError> {
    let sequence = find(app, caller, id).await?;
    Ok(Json(json!({
        "metadata": {
            "id": sequence.refget.clone().unwrap_or_else(|| sequence.md5.clone()),
            "md5": sequence.md5,
            "ga4gh": sequence.refget,
            "length": sequence.length,
            "aliases": [{ "alias": sequence.name, "naming_authority": "seqstore" }],
        }
    }))
    .into_response())
}

async fn find(app: &App, caller: &Caller, id: &str) -> Result<RefgetSequence, Ga4ghError> {
    let found = app.service.refget_sequence(caller, id).await.map_err(|e| Ga4ghError::service(Api::Refget, e))?;
    found.ok_or_else(|| {
        let hint = match SequenceId::parse(id) {
            Some(_) => "no reference sequence of yours has this digest",
            None => "ids are a sequence's MD5 (32 hex digits) or its GA4GH digest (SQ. and 32 base64url characters)",
        };
        Ga4ghError::not_found(Api::Refget, format!("sequence {id} not found: {hint}"))
    })
}

/// Whether an `Accept` header takes the sequence's media type.
fn acceptable(accept: &str) -> bool {
    accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .any(|t| matches!(t, "" | "*/*" | "text/*" | "text/plain" | "text/vnd.ga4gh.refget.v2.0.0+plain"))
}

/// `bytes=a-b` or `bytes=a-` as `[a, b + 1)` within `length` (the end clipped, RFC 7233).
fn byte_range(header: &str, length: u64) -> Result<(u64, u64), Ga4ghError> {
    let bad = || invalid(format!("Range '{header}' is not one byte range bytes=FIRST-LAST"));
    let spec = header.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let first: u64 = a.trim().parse().map_err(|_| bad())?;
    let last = match b.trim() {
        "" => length.saturating_sub(1),
        b => b.parse::<u64>().map_err(|_| bad())?.min(length.saturating_sub(1)),
    };
    if first >= length {
        return Err(unsatisfiable(format!("Range '{header}' starts at or past the sequence's {length} bases")));
    }
    if last < first {
        return Err(bad());
    }
    Ok((first, last + 1))
}

fn invalid(message: String) -> Ga4ghError {
    Ga4ghError::invalid_input(Api::Refget, message)
}

fn unsatisfiable(message: String) -> Ga4ghError {
    Ga4ghError::new(Api::Refget, StatusCode::RANGE_NOT_SATISFIABLE, "InvalidRange", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_are_clipped_and_checked() {
        assert_eq!(byte_range("bytes=0-9", 100).ok(), Some((0, 10)));
        assert_eq!(byte_range("bytes=90-", 100).ok(), Some((90, 100)));
        assert_eq!(byte_range("bytes=90-500", 100).ok(), Some((90, 100)));
        assert!(byte_range("bytes=100-", 100).is_err());
        assert!(byte_range("bytes=9-3", 100).is_err());
        assert!(byte_range("items=1-2", 100).is_err());
    }

    #[test]
    fn accept_headers_are_matched_by_type() {
        assert!(acceptable("text/vnd.ga4gh.refget.v2.0.0+plain; charset=us-ascii"));
        assert!(acceptable("application/json, */*;q=0.1"));
        assert!(!acceptable("text/exotic-encoding"));
    }
}
