//! Routing on method and raw path alone, whatever the `Host`: the path is split on `/` while still
//! percent-encoded (so `%2F` inside an ARN never splits a segment), then each label is decoded.
//! The raw path is routed as sent, not normalised: a label may be empty, `.` or `..` (what an SDK
//! sends for such a value), and validation then refuses it as any other bad value of that member.

use std::sync::LazyLock;

use http::Method;
use percent_encoding::percent_decode_str;

use super::botocore::{EXTENSIONS, MODEL, Operation, Segment};
use super::error::ApiError;

/// A matched operation and its decoded path labels.
#[derive(Debug)]
pub struct Route {
    /// The operation.
    pub op: &'static Operation,
    /// `(label, decoded value)` pairs.
    pub labels: Vec<(String, String)>,
}

/// Operations of the model and seqstore's extensions ([`EXTENSIONS`]), with more literal
/// segments first, so a literal beats a label at the same place.
static BY_SPECIFICITY: LazyLock<Vec<&'static Operation>> = LazyLock::new(|| {
    let mut ops: Vec<&Operation> = MODEL.operations.iter().chain(EXTENSIONS.iter()).collect();
    ops.sort_by_key(|op| std::cmp::Reverse(op.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count()));
    ops
});

/// The operation for `method` and `raw_path`, if any; an error when a label does not decode.
pub fn find(method: &Method, raw_path: &str) -> Result<Option<Route>, ApiError> {
    let segments: Vec<&str> = raw_path.strip_prefix('/').unwrap_or(raw_path).split('/').collect();
    for op in BY_SPECIFICITY.iter().filter(|op| op.method == method) {
        if let Some(labels) = match_segments(&op.segments, &segments)? {
            return Ok(Some(Route { op, labels }));
        }
    }
    Ok(None)
}

fn match_segments(template: &[Segment], raw: &[&str]) -> Result<Option<Vec<(String, String)>>, ApiError> {
    if template.len() != raw.len() {
        return Ok(None);
    }
    let mut labels = Vec::new();
    for (segment, raw) in template.iter().zip(raw) {
        match segment {
            Segment::Literal(text) if text == raw => {}
            Segment::Label(name) => labels.push((name.clone(), decode(raw)?)),
            Segment::Literal(_) => return Ok(None),
        }
    }
    Ok(Some(labels))
}

fn decode(raw: &str) -> Result<String, ApiError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::BadPath { segment: raw.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(method: Method, path: &str) -> Option<String> {
        find(&method, path).expect("decodes").map(|r| r.op.name.clone())
    }

    #[test]
    fn routes_on_method_and_raw_path() {
        assert_eq!(name(Method::POST, "/sequencestore").as_deref(), Some("CreateSequenceStore"));
        assert_eq!(name(Method::GET, "/sequencestore/1234567890").as_deref(), Some("GetSequenceStore"));
        assert_eq!(name(Method::PATCH, "/sequencestore/1234567890").as_deref(), Some("UpdateSequenceStore"));
        assert_eq!(name(Method::PUT, "/sequencestore/1234567890").as_deref(), None);
        assert_eq!(name(Method::POST, "/sequencestore/1/readset/batch/delete").as_deref(), Some("BatchDeleteReadSet"));
        assert_eq!(name(Method::GET, "/sequencestore/1/readset/2/metadata").as_deref(), Some("GetReadSetMetadata"));
        assert_eq!(name(Method::GET, "/sequencestore/1/readset/2/qc").as_deref(), Some("GetReadSetQc"));
        assert_eq!(name(Method::GET, "/workflow/1").as_deref(), None, "workflow operations are unknown");
        assert_eq!(
            name(Method::POST, "/sequencestore/1/importjob/2/cancel").as_deref(),
            Some("CancelReadSetImportJob")
        );
        assert_eq!(
            name(Method::POST, "/referencestore/1/importjob/2/cancel").as_deref(),
            Some("CancelReferenceImportJob")
        );
        assert_eq!(
            name(Method::POST, "/sequencestore/1/exportjob/2/cancel").as_deref(),
            Some("CancelReadSetExportJob")
        );
        assert_eq!(name(Method::GET, "/sequencestore/1/importjob/2/cancel").as_deref(), None);
    }

    /// Labels that SDKs send for an empty, `.` or `..` value find their operation (whose
    /// validation refuses them); extra slashes elsewhere match nothing.
    #[test]
    fn routes_the_raw_path_as_sent() {
        let labels = |method: Method, path: &str| find(&method, path).expect("decodes").map(|r| r.labels);
        let pairs = |pairs: &[(&str, &str)]| Some(pairs.iter().map(|(l, v)| (l.to_string(), v.to_string())).collect());
        assert_eq!(labels(Method::GET, "/sequencestore/"), pairs(&[("id", "")]));
        assert_eq!(labels(Method::GET, "/sequencestore/.."), pairs(&[("id", "..")]));
        assert_eq!(
            labels(Method::GET, "/sequencestore//readset/x/metadata"),
            pairs(&[("sequenceStoreId", ""), ("id", "x")])
        );
        assert_eq!(
            labels(Method::GET, "/sequencestore/1/readset/./metadata"),
            pairs(&[("sequenceStoreId", "1"), ("id", ".")])
        );
        assert_eq!(name(Method::GET, "//sequencestore/1234567890"), None);
        assert_eq!(name(Method::GET, "/sequencestore/1234567890/"), None);
        assert_eq!(name(Method::POST, "/sequencestore/"), None);
    }

    #[test]
    fn encoded_slashes_stay_inside_a_label() -> Result<(), ApiError> {
        let route = find(&Method::GET, "/tags/arn%3Aaws%3Aomics%3Aus-east-1%3A123456789012%3AsequenceStore%2F1")?
            .expect("matches");
        assert_eq!(route.op.name, "ListTagsForResource");
        assert_eq!(
            route.labels,
            [("resourceArn".to_owned(), "arn:aws:omics:us-east-1:123456789012:sequenceStore/1".to_owned())]
        );
        assert!(find(&Method::GET, "/tags/%FF").is_err());
        Ok(())
    }
}
