//! Validation of a request against its input shape, exactly as the model states it: required
//! members, lengths in Unicode characters, numeric ranges, list and map bounds, enums, and every
//! pattern as a full match. Messages follow AWS: `Value at 'sources.0.sampleId' failed to satisfy
//! constraint: Member must …`.

use serde_json::Value;

use super::botocore::{Location, MODEL, Shape};
use crate::model::time;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Member path, e.g. `sources.0.sampleId`.
    pub member: String,
    /// What the member must satisfy.
    pub rule: String,
    /// True when the member is missing.
    pub null: bool,
}

impl Violation {
    fn new(member: &str, rule: impl Into<String>) -> Self {
        Self { member: member.to_owned(), rule: rule.into(), null: false }
    }
}

/// The AWS-style message for a list of violations.
pub fn message(violations: &[Violation]) -> String {
    let n = violations.len();
    let details: Vec<String> = violations
        .iter()
        .map(|v| {
            let value = if v.null { "Value null" } else { "Value" };
            format!("{value} at '{}' failed to satisfy constraint: {}", v.member, v.rule)
        })
        .collect();
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} validation error{plural} detected: {}", details.join("; "))
}

/// Checks `value` (the whole input: body members merged with path, query and header members)
/// against `shape`. Returns every violation found, in member order.
pub fn check(shape: &str, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    check_value(shape, value, "", &mut out);
    out
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn check_value(shape_name: &str, value: &Value, path: &str, out: &mut Vec<Violation>) {
    let Some(shape) = MODEL.shape(shape_name) else { return };
    match shape {
        Shape::Structure { members, required, union, .. } => {
            let Some(object) = value.as_object() else {
                return out.push(Violation::new(path, "Member must be a JSON object"));
            };
            let mut set = 0;
            for member in members {
                let path = join(path, &member.name);
                match object.get(&member.name).filter(|v| !v.is_null()) {
                    Some(v) => {
                        set += 1;
                        check_value(&member.shape, v, &path, out);
                    }
                    None if required.contains(&member.name) => {
                        out.push(Violation { null: true, ..Violation::new(&path, "Member must not be null") });
                    }
                    None => {}
                }
            }
            if *union && set != 1 {
                out.push(Violation::new(path, "Member must have exactly one member set"));
            }
        }
        Shape::String { min, max, pattern, values } => {
            let Some(s) = value.as_str() else { return out.push(Violation::new(path, "Member must be a string")) };
            if shape_name == "S3Uri" && s.starts_with("file://") {
                return check_local_file_uri(s, path, out);
            }
            if shape_name == "S3Uri" && s.starts_with('/') {
                return out.push(Violation::new(path, bare_path_rule(s)));
            }
            check_length(s.chars().count(), *min, *max, path, out);
            if let Some((regex, source)) = pattern
                && !regex.is_match(s)
            {
                let hint = pattern_hint(shape_name).map(|h| format!(" ({h})")).unwrap_or_default();
                out.push(Violation::new(
                    path,
                    format!("Member must satisfy regular expression pattern: {source}{hint}"),
                ));
            }
            if let Some(values) = values
                && !values.iter().any(|v| v == s)
            {
                let set = values.join(", ");
                out.push(Violation::new(path, format!("Member must satisfy enum value set: [{set}]")));
            }
        }
        Shape::Integer { min, max } => {
            let Some(n) = value.as_i64() else { return out.push(Violation::new(path, "Member must be an integer")) };
            if let Some(min) = min.filter(|m| n < *m) {
                out.push(Violation::new(path, format!("Member must have value greater than or equal to {min}")));
            }
            if let Some(max) = max.filter(|m| n > *m) {
                out.push(Violation::new(path, format!("Member must have value less than or equal to {max}")));
            }
        }
        Shape::Boolean if !value.is_boolean() => out.push(Violation::new(path, "Member must be a boolean")),
        Shape::Timestamp if value.as_str().and_then(time::parse_micros).is_none() => {
            out.push(Violation::new(path, "Member must be an RFC 3339 timestamp, e.g. 2024-01-02T03:04:05Z"));
        }
        Shape::List { member, min, max } => {
            let Some(items) = value.as_array() else { return out.push(Violation::new(path, "Member must be a list")) };
            check_length(items.len(), *min, *max, path, out);
            for (i, item) in items.iter().enumerate() {
                check_value(member, item, &join(path, &i.to_string()), out);
            }
        }
        Shape::Map { key, value: value_shape, min, max } => {
            let Some(map) = value.as_object() else { return out.push(Violation::new(path, "Member must be a map")) };
            check_length(map.len(), *min, *max, path, out);
            for (k, v) in map {
                let mut key_violations = Vec::new();
                check_value(key, &Value::String(k.clone()), path, &mut key_violations);
                out.extend(
                    key_violations
                        .into_iter()
                        .map(|v| Violation { rule: format!("Map keys must satisfy constraint: [{}]", v.rule), ..v }),
                );
                check_value(value_shape, v, &join(path, k), out);
            }
        }
        Shape::Boolean | Shape::Timestamp | Shape::Opaque => {}
    }
}

/// What a value of `shape_name` looks like, where its pattern alone does not make it plain.
/// `Range` (GetReference's `Range` header): the model's pattern admits digits and punctuation
/// only, so the HTTP form `bytes=0-99` (shown by some documentation) is refused, as by AWS.
fn pattern_hint(shape_name: &str) -> Option<&'static str> {
    match shape_name {
        "Range" => Some(
            "range must look like 0-99 (first-last byte, both included; or 100- from byte 100 on, or -100 for the \
             last 100 bytes), without bytes=",
        ),
        _ => None,
    }
}

/// seqstore's extension to the model's `S3Uri` (import sources only): `file://` followed by an
/// absolute path of at most 4096 bytes without control characters.
fn check_local_file_uri(s: &str, path: &str, out: &mut Vec<Violation>) {
    let local = &s["file://".len()..];
    let ok = local.starts_with('/') && local.len() <= 4096 && !local.chars().any(char::is_control);
    if !ok {
        let rule = "Member must be s3://bucket/key or file:// followed by an absolute path of at most 4096 bytes \
                    without control characters";
        out.push(Violation::new(path, rule));
    }
}

/// The rule a bare path (`/data/r1.fq.gz`) given as an import source breaks, naming the URI to
/// write instead (the model's own message would be its `s3://` pattern).
fn bare_path_rule(s: &str) -> String {
    format!(
        "Member must be a URI, not a bare path: write file://{s} for a file on the server (under one of its \
         --file-root directories), or s3://bucket/key"
    )
}

fn check_length(len: usize, min: Option<i64>, max: Option<i64>, path: &str, out: &mut Vec<Violation>) {
    let len = len as i64;
    if let Some(min) = min.filter(|m| len < *m) {
        out.push(Violation::new(path, format!("Member must have length greater than or equal to {min}")));
    }
    if let Some(max) = max.filter(|m| len > *m) {
        out.push(Violation::new(path, format!("Member must have length less than or equal to {max}")));
    }
}

/// Converts a query parameter or header string into the JSON value its shape expects, so that one
/// validator covers every binding. Integers that do not parse stay strings and fail validation.
pub fn typed_text(shape_name: &str, text: &str) -> Value {
    match MODEL.shape(shape_name) {
        Some(Shape::Integer { .. }) => text.parse::<i64>().map_or_else(|_| Value::String(text.to_owned()), Value::from),
        Some(Shape::Boolean) => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

/// True when the member is bound outside the JSON body.
pub fn is_bound_outside_body(location: &Location) -> bool {
    !matches!(location, Location::Body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn members(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.member.as_str()).collect()
    }

    #[test]
    fn accepts_a_valid_create_request() {
        let body = json!({"name": "é".repeat(127), "tags": {"k": ""}, "eTagAlgorithmFamily": "SHA256up",
                          "fallbackLocation": "", "sseConfig": {"type": "KMS"}});
        assert_eq!(check("CreateSequenceStoreRequest", &body), vec![]);
    }

    #[test]
    fn names_each_broken_member() {
        let body = json!({"name": "é".repeat(128), "description": "a\nb", "eTagAlgorithmFamily": "CRC",
                          "sseConfig": {}, "tags": {"": "v"}, "propagatedSetLevelTags": [""],
                          "fallbackLocation": "http://x"});
        let v = check("CreateSequenceStoreRequest", &body);
        assert_eq!(
            members(&v),
            [
                "description",
                "eTagAlgorithmFamily",
                "fallbackLocation",
                "name",
                "propagatedSetLevelTags.0",
                "sseConfig.type",
                "tags"
            ]
        );
        let text = message(&v);
        assert!(text.starts_with("7 validation errors detected: Value at 'description'"), "{text}");
        assert!(text.contains("Value null at 'sseConfig.type' failed to satisfy constraint: Member must not be null"));
    }

    #[test]
    fn required_and_ranges() {
        let v = check("CreateSequenceStoreRequest", &json!({}));
        assert_eq!(members(&v), ["name"]);
        let v = check("ListSequenceStoresRequest", &json!({"maxResults": 101, "nextToken": ""}));
        assert_eq!(members(&v), ["maxResults", "nextToken", "nextToken"], "length and pattern");
        let v = check("ListSequenceStoresRequest", &json!({"filter": {"createdAfter": "yesterday"}}));
        assert_eq!(members(&v), ["filter.createdAfter"]);
    }

    #[test]
    fn source_uris_accept_local_files() {
        let source = |uri: &str| json!({"sourceFiles": {"source1": uri}, "sourceFileType": "FASTQ", "subjectId": "s", "sampleId": "s"});
        let request = |uri: &str| json!({"sequenceStoreId": "1234567890", "roleArn": "arn:aws:iam::123456789012:role/r", "sources": [source(uri)]});
        assert_eq!(check("StartReadSetImportJobRequest", &request("file:///data/r1.fq.gz")), vec![]);
        assert_eq!(check("StartReadSetImportJobRequest", &request("s3://bucket/r1.fq.gz")), vec![]);
        for bad in ["file://relative", "file:///a\nb", "http://x/y", "s3://B/k"] {
            let bad = bad.replace("\\n", "\n");
            assert_eq!(
                members(&check("StartReadSetImportJobRequest", &request(&bad))),
                ["sources.0.sourceFiles.source1"],
                "{bad}"
            );
        }
        let bare = check("StartReadSetImportJobRequest", &request("/data/r1.fq.gz"));
        assert_eq!(members(&bare), ["sources.0.sourceFiles.source1"]);
        assert!(bare[0].rule.contains("write file:///data/r1.fq.gz for a file on the server"), "{}", bare[0].rule);
        let long = format!("file:///{}", "a".repeat(4096));
        assert_eq!(members(&check("StartReadSetImportJobRequest", &request(&long))), ["sources.0.sourceFiles.source1"]);
    }

    /// The model's `Range` pattern refuses the HTTP form `bytes=0-99`; the message says the form
    /// it takes (#20).
    #[test]
    fn a_range_with_the_bytes_unit_is_refused_with_the_expected_form() {
        let request = |range: &str| json!({"referenceStoreId": "1234567890", "id": "1234567890", "partNumber": 1, "range": range});
        assert_eq!(check("GetReferenceRequest", &request("0-99")), vec![]);
        let v = check("GetReferenceRequest", &request("bytes=0-99"));
        assert_eq!(members(&v), ["range"]);
        assert!(v[0].rule.contains("range must look like 0-99 (first-last byte"), "{}", v[0].rule);
        assert!(v[0].rule.contains("without bytes="), "{}", v[0].rule);
    }

    #[test]
    fn query_text_is_typed_by_shape() {
        assert_eq!(typed_text("ListSequenceStoresRequestMaxResultsInteger", "5"), json!(5));
        assert_eq!(typed_text("ListSequenceStoresRequestMaxResultsInteger", "x"), json!("x"));
        assert_eq!(typed_text("NextToken", "5"), json!("5"));
    }
}
