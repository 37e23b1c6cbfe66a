//! GetObject, HeadObject and GetObjectTagging: an object's bytes (whole or one range, streamed
//! from storage from the range's start), its headers and its tags, once the bucket's policy
//! allows the caller.

use std::ops::Range;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::S3Caller;
use super::error::S3Error;
use super::xml::Xml;
use crate::model::s3_access::Action;
use crate::model::tags::Tags;
use crate::service::Service;
use crate::service::s3_objects::{Lookup, S3Bucket, S3Object};

/// The query parameters of GetObject that replace a response header.
const OVERRIDES: [(&str, header::HeaderName); 6] = [
    ("response-content-type", header::CONTENT_TYPE),
    ("response-content-disposition", header::CONTENT_DISPOSITION),
    ("response-content-encoding", header::CONTENT_ENCODING),
    ("response-content-language", header::CONTENT_LANGUAGE),
    ("response-cache-control", header::CACHE_CONTROL),
    ("response-expires", header::EXPIRES),
];

/// The object `key` names, with its tags, when `caller` may do `action` on it. A key that names
/// nothing is `NoSuchKey` to a caller who may list the bucket and `AccessDenied` to any other,
/// like an object the caller may not read; a read set that is not ACTIVE is `InvalidObjectState`.
async fn find(
    service: &Service,
    caller: &S3Caller,
    bucket: &S3Bucket,
    key: &str,
    action: Action,
) -> Result<(S3Object, Tags), S3Error> {
    match service.s3_object(bucket, key).await? {
        Lookup::Found { object, tags } if caller.allows(bucket, action, key, &tags) => Ok((object, tags)),
        Lookup::NotActive { status, tags } if caller.allows(bucket, action, key, &tags) => {
            Err(S3Error::InvalidObjectState { status })
        }
        Lookup::Missing if caller.allows(bucket, Action::ListBucket, key, &Tags::new()) => Err(S3Error::NoSuchKey),
        _ => Err(S3Error::AccessDenied),
    }
}

/// GetObject (`head`: HeadObject): the object's bytes, or the one range `Range` asks for (206),
/// after `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since`.
pub async fn get(
    service: &Service,
    caller: &S3Caller,
    bucket: &S3Bucket,
    key: &str,
    headers: &HeaderMap,
    query: &[(String, String)],
    head: bool,
) -> Result<Response, S3Error> {
    let (object, tags) = find(service, caller, bucket, key, Action::GetObject).await?;
    let etag = Service::object_etag(&object.file);
    let modified = Utc.timestamp_millis_opt(object.last_modified).single().unwrap_or_default();
    // HTTP dates have whole seconds.
    let modified = Utc.timestamp_opt(modified.timestamp(), 0).single().unwrap_or_default();
    check_conditions(headers, &etag, modified)?;
    let length = object.file.content_length;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(text) => byte_range(text, length)?,
        None => None,
    };
    let (status, span) = match &range {
        Some(range) => (StatusCode::PARTIAL_CONTENT, range.clone()),
        None => (StatusCode::OK, 0..length),
    };
    let body = match head || span.is_empty() {
        true => Body::empty(),
        false => {
            if let Some(id) = &object.read_set {
                service.note_read_set_access(id);
            }
            Body::from_stream(service.s3_object_bytes(&object.file, span.clone()).await?)
        }
    };
    let mut response = (status, body).into_response();
    let out = response.headers_mut();
    let value = |text: &str| HeaderValue::from_str(text).ok();
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(span.end - span.start));
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(etag) = value(&etag) {
        out.insert(header::ETAG, etag);
    }
    if let Some(date) = value(&http_date(modified)) {
        out.insert(header::LAST_MODIFIED, date);
    }
    if range.is_some()
        && let Some(v) = value(&format!("bytes {}-{}/{length}", span.start, span.end.saturating_sub(1)))
    {
        out.insert(header::CONTENT_RANGE, v);
    }
    if !tags.is_empty() {
        out.insert("x-amz-tagging-count", HeaderValue::from(tags.len()));
    }
    for (name, header) in OVERRIDES {
        if let Some(v) = query.iter().find(|(k, _)| k == name).and_then(|(_, v)| value(v)) {
            out.insert(header, v);
        }
    }
    Ok(response)
}

/// GetObjectTagging: the object's tags, its read set's or reference's and the system tags.
pub async fn tagging(service: &Service, caller: &S3Caller, bucket: &S3Bucket, key: &str) -> Result<Response, S3Error> {
    let (_, tags) = find(service, caller, bucket, key, Action::GetObjectTagging).await?;
    let mut xml = Xml::document();
    xml.open_root("Tagging").open("TagSet");
    for (k, v) in &tags {
        xml.open("Tag").element("Key", k).element("Value", v).close("Tag");
    }
    xml.close("TagSet").close("Tagging");
    Ok(xml.into_response())
}

/// S3's order of conditions: a failed `If-Match` (else a failed `If-Unmodified-Since`) is 412; a
/// matching `If-None-Match` (else an unmet `If-Modified-Since`) is 304.
fn check_conditions(headers: &HeaderMap, etag: &str, modified: DateTime<Utc>) -> Result<(), S3Error> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let date = |name| text(name).and_then(|t| DateTime::parse_from_rfc2822(t).ok()).map(|d| d.with_timezone(&Utc));
    match text(header::IF_MATCH) {
        Some(list) if !etag_matches(list, etag) => return Err(S3Error::PreconditionFailed),
        Some(_) => {}
        None => {
            if date(header::IF_UNMODIFIED_SINCE).is_some_and(|since| modified > since) {
                return Err(S3Error::PreconditionFailed);
            }
        }
    }
    match text(header::IF_NONE_MATCH) {
        Some(list) if etag_matches(list, etag) => Err(S3Error::NotModified),
        Some(_) => Ok(()),
        None if date(header::IF_MODIFIED_SINCE).is_some_and(|since| modified <= since) => Err(S3Error::NotModified),
        None => Ok(()),
    }
}

/// Whether an `If-Match`/`If-None-Match` list names `etag` (quoted), or is `*`.
fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|given| {
        let given = given.strip_prefix("W/").unwrap_or(given);
        given == "*" || given == etag || given.trim_matches('"') == etag.trim_matches('"')
    })
}

/// The one range of `Range: bytes=…` within an object of `length` bytes; `None` (the whole object)
/// for a header S3 ignores (another unit, several ranges, `b < a`); `InvalidRange` when it
/// selects no byte.
fn byte_range(text: &str, length: u64) -> Result<Option<Range<u64>>, S3Error> {
    let Some(spec) = text.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else { return Ok(None) };
    let unsatisfiable = Err(S3Error::InvalidRange { length });
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (None, Some(n)) if a.is_empty() => {
            if n == 0 || length == 0 {
                return unsatisfiable;
            }
            length.saturating_sub(n)..length
        }
        (Some(from), None) if b.is_empty() => from..length,
        (Some(from), Some(to)) if to >= from => from..(to + 1).min(length),
        _ => return Ok(None),
    };
    if range.start >= length {
        return unsatisfiable;
    }
    Ok(Some(range))
}

/// `Tue, 15 Nov 1994 08:12:31 GMT`.
pub fn http_date(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_select_what_s3_selects() {
        let r = |t| byte_range(t, 100).ok().flatten();
        assert_eq!(r("bytes=0-9"), Some(0..10));
        assert_eq!(r("bytes=90-"), Some(90..100));
        assert_eq!(r("bytes=-10"), Some(90..100));
        assert_eq!(r("bytes=-1000"), Some(0..100));
        assert_eq!(r("bytes=50-1000"), Some(50..100));
        assert_eq!(r("bytes=5-1"), None, "ignored");
        assert_eq!(r("bytes=0-1,5-6"), None, "several ranges: the whole object");
        assert_eq!(r("items=0-1"), None);
        assert!(matches!(byte_range("bytes=100-", 100), Err(S3Error::InvalidRange { length: 100 })));
        assert!(matches!(byte_range("bytes=-0", 100), Err(S3Error::InvalidRange { .. })));
        assert!(matches!(byte_range("bytes=0-", 0), Err(S3Error::InvalidRange { .. })));
    }

    #[test]
    fn conditions_follow_s3s_order() {
        let etag = "\"abc\"";
        let modified = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("a date");
        let with = |pairs: &[(&str, &str)]| {
            let mut headers = HeaderMap::new();
            for (k, v) in pairs {
                headers.insert(header::HeaderName::from_bytes(k.as_bytes()).expect("name"), v.parse().expect("value"));
            }
            check_conditions(&headers, etag, modified)
        };
        assert!(with(&[("if-match", "\"abc\"")]).is_ok());
        assert!(matches!(with(&[("if-match", "\"other\"")]), Err(S3Error::PreconditionFailed)));
        assert!(matches!(with(&[("if-none-match", "*")]), Err(S3Error::NotModified)));
        assert!(with(&[("if-none-match", "\"other\"")]).is_ok());
        let later = "Sat, 03 Jan 2026 00:00:00 GMT";
        let earlier = "Thu, 01 Jan 2026 00:00:00 GMT";
        assert!(matches!(with(&[("if-modified-since", later)]), Err(S3Error::NotModified)));
        assert!(with(&[("if-modified-since", earlier)]).is_ok());
        assert!(matches!(with(&[("if-unmodified-since", earlier)]), Err(S3Error::PreconditionFailed)));
        assert!(with(&[("if-match", "\"abc\""), ("if-unmodified-since", earlier)]).is_ok(), "If-Match wins");
        assert_eq!(http_date(modified), "Fri, 02 Jan 2026 03:04:05 GMT");
    }
}
