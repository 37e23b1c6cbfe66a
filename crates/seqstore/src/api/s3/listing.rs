//! ListObjectsV2 and ListObjects (v1) with prefix, delimiter, continuation tokens or markers,
//! `start-after`, `max-keys`, `encoding-type=url` and `fetch-owner`; HeadBucket and
//! GetBucketLocation. Listing needs `s3:ListBucket` (with `s3:prefix` the request's prefix).

use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeZone, Utc};
use http::HeaderValue;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::S3Caller;
use super::error::S3Error;
use super::xml::Xml;
use crate::model::s3_access::Action;
use crate::model::tags::Tags;
use crate::service::Service;
use crate::service::s3_objects::{S3Bucket, S3Object};

/// Most entries of one page (S3's own limit).
const MAX_KEYS: usize = 1000;
/// `encoding-type=url` encodes every byte but these (as S3 does).
const URL_KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
/// The highest character: a key that starts with a common prefix sorts before the prefix
/// followed by it.
const PAST: char = char::MAX;

/// Which listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// ListObjects.
    V1,
    /// ListObjectsV2.
    V2,
}

/// One entry of a page.
enum Entry {
    Object(S3Object),
    Prefix(String),
}

/// The query's value of `name`.
fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// ListObjects / ListObjectsV2 of `bucket`.
pub async fn list(
    service: &Service,
    caller: &S3Caller,
    bucket_name: &str,
    bucket: &S3Bucket,
    query: &[(String, String)],
    version: Version,
) -> Result<Response, S3Error> {
    let prefix = param(query, "prefix").unwrap_or_default();
    let delimiter = param(query, "delimiter").filter(|d| !d.is_empty());
    let max_keys = match param(query, "max-keys") {
        None => MAX_KEYS,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| S3Error::InvalidArgument(format!("max-keys must be a number from 0 to 1000, not {text:?}")))?
            .min(MAX_KEYS),
    };
    let url_encoded = match param(query, "encoding-type") {
        None => false,
        Some("url") => true,
        Some(other) => return Err(S3Error::InvalidArgument(format!("Invalid Encoding Method specified: {other:?}"))),
    };
    if !caller.allows(bucket, Action::ListBucket, prefix, &Tags::new()) {
        return Err(S3Error::AccessDenied);
    }
    // Where the page starts: after a key, or past a common prefix.
    let token = param(query, "continuation-token");
    let start = match version {
        Version::V2 => match token {
            Some(token) => Some(decode_token(token)?),
            None => param(query, "start-after").map(str::to_owned),
        },
        Version::V1 => param(query, "marker").map(str::to_owned),
    };
    let skipped = start.clone().filter(|s| delimiter.is_some_and(|d| s.ends_with(d)) && s.starts_with(prefix));
    let (entries, truncated) =
        collect(service, bucket, prefix, delimiter, start.unwrap_or_default(), skipped, max_keys).await?;
    let last = entries.last().map(|e| match e {
        Entry::Object(o) => o.key.clone(),
        Entry::Prefix(p) => p.clone(),
    });
    let enc = |text: &str| match url_encoded {
        true => utf8_percent_encode(text, URL_KEEP).to_string(),
        false => text.to_owned(),
    };
    let mut xml = Xml::document();
    xml.open_root("ListBucketResult").element("Name", bucket_name).element("Prefix", &enc(prefix));
    match version {
        Version::V2 => {
            xml.element("KeyCount", &entries.len().to_string())
                .optional("ContinuationToken", token)
                .optional("NextContinuationToken", last.filter(|_| truncated).map(|l| encode_token(&l)).as_deref())
                .optional("StartAfter", param(query, "start-after").map(enc).as_deref());
        }
        Version::V1 => {
            xml.element("Marker", &enc(param(query, "marker").unwrap_or_default()));
            let next = last.filter(|_| truncated && delimiter.is_some());
            xml.optional("NextMarker", next.map(|n| enc(&n)).as_deref());
        }
    }
    xml.element("MaxKeys", &max_keys.to_string())
        .optional("Delimiter", delimiter.map(enc).as_deref())
        .element("IsTruncated", if truncated { "true" } else { "false" });
    if url_encoded {
        xml.element("EncodingType", "url");
    }
    let owner = version == Version::V1 || param(query, "fetch-owner") == Some("true");
    for entry in &entries {
        let Entry::Object(object) = entry else { continue };
        let modified = Utc.timestamp_millis_opt(object.last_modified).single().unwrap_or_default();
        xml.open("Contents")
            .element("Key", &enc(&object.key))
            .element("LastModified", &modified.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .element("ETag", &Service::object_etag(&object.file))
            .element("Size", &object.file.content_length.to_string())
            .element("StorageClass", "STANDARD");
        if owner {
            xml.open("Owner").element("ID", &bucket.owner).element("DisplayName", &bucket.owner).close("Owner");
        }
        xml.close("Contents");
    }
    for entry in &entries {
        if let Entry::Prefix(p) = entry {
            xml.open("CommonPrefixes").element("Prefix", &enc(p)).close("CommonPrefixes");
        }
    }
    xml.close("ListBucketResult");
    Ok(xml.into_response())
}

/// Up to `max_keys` entries after `start` (keys under `skipped`, a common prefix an earlier page
/// ended with, left out), keys that share the part of their name up to the `delimiter` after
/// `prefix` rolled up into one common prefix; and whether more follow.
async fn collect(
    service: &Service,
    bucket: &S3Bucket,
    prefix: &str,
    delimiter: Option<&str>,
    start: String,
    mut skipped: Option<String>,
    max_keys: usize,
) -> Result<(Vec<Entry>, bool), S3Error> {
    let mut entries = Vec::new();
    let mut after = match &skipped {
        Some(prefix) => format!("{prefix}{PAST}"),
        None => start,
    };
    // Without a delimiter every object is an entry: one more than the page tells whether more
    // follow. With one, rolled-up keys are skipped, so batches are as large as a page may be.
    let batch_size = if delimiter.is_some() { MAX_KEYS + 1 } else { max_keys + 1 };
    loop {
        let batch = service.s3_objects(bucket, prefix, &after, batch_size).await?;
        let full = batch.len() == batch_size;
        for object in batch {
            after.clone_from(&object.key);
            if skipped.as_deref().is_some_and(|s| object.key.starts_with(s)) {
                continue;
            }
            let rolled = delimiter.and_then(|d| {
                let rest = &object.key[prefix.len()..];
                rest.find(d).map(|at| object.key[..prefix.len() + at + d.len()].to_owned())
            });
            if entries.len() == max_keys {
                return Ok((entries, true));
            }
            match rolled {
                Some(common) => {
                    skipped = Some(common.clone());
                    entries.push(Entry::Prefix(common));
                }
                None => entries.push(Entry::Object(object)),
            }
        }
        if !full {
            return Ok((entries, false));
        }
        if let Some(s) = skipped.as_deref().filter(|s| after.starts_with(s)) {
            after = format!("{s}{PAST}");
        }
    }
}

fn encode_token(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(last)
}

fn decode_token(token: &str) -> Result<String, S3Error> {
    let invalid = || S3Error::InvalidArgument("The continuation token provided is incorrect".into());
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// HeadBucket: 200 with `x-amz-bucket-region` when the caller may list the bucket.
pub fn head(caller: &S3Caller, bucket: &S3Bucket, region: &str) -> Result<Response, S3Error> {
    if !caller.allows(bucket, Action::ListBucket, "", &Tags::new()) {
        return Err(S3Error::AccessDenied);
    }
    let mut response = ().into_response();
    if let Ok(region) = HeaderValue::from_str(region) {
        response.headers_mut().insert("x-amz-bucket-region", region);
    }
    Ok(response)
}

/// GetBucketLocation: the server's region (empty for us-east-1, as S3 answers), to a caller who
/// may list the bucket.
pub fn location(caller: &S3Caller, bucket: &S3Bucket, region: &str) -> Result<Response, S3Error> {
    if !caller.allows(bucket, Action::ListBucket, "", &Tags::new()) {
        return Err(S3Error::AccessDenied);
    }
    let mut xml = Xml::document();
    let region = if region == "us-east-1" { "" } else { region };
    xml.open_root("LocationConstraint").text(region).close("LocationConstraint");
    Ok(xml.into_response())
}
