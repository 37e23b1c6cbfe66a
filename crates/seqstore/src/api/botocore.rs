//! botocore's service model for `omics`, embedded and compiled once: the routes, member bindings
//! and constraints that the API follows to the letter.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use http::Method;
use regex::Regex;
use serde::Deserialize;

static MODEL_JSON: &str = include_str!("../../model/omics-2022-11-28.json");

/// Host prefixes of the operations seqstore serves (storage and tagging). The model's analytics
/// and workflow operations are unknown to seqstore.
pub const SERVED_HOST_PREFIXES: [&str; 3] = ["control-storage-", "storage-", "tags-"];

/// The compiled model.
pub static MODEL: LazyLock<ServiceModel> = LazyLock::new(|| ServiceModel::parse(MODEL_JSON));

/// Operations and shapes.
#[derive(Debug)]
pub struct ServiceModel {
    /// Storage and tagging operations.
    pub operations: Vec<Operation>,
    shapes: HashMap<String, Shape>,
}

/// One operation of the model.
#[derive(Debug)]
pub struct Operation {
    /// e.g. `CreateSequenceStore`.
    pub name: String,
    /// HTTP method.
    pub method: Method,
    /// Path template split on `/`, without the leading empty segment.
    pub segments: Vec<Segment>,
    /// Input shape name.
    pub input: Option<String>,
    /// Output shape name.
    pub output: Option<String>,
    /// Success status code.
    pub response_code: u16,
    /// True when the model signs this operation's body as `UNSIGNED-PAYLOAD`.
    pub unsigned_payload: bool,
}

/// A segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Must equal this text.
    Literal(String),
    /// Binds one non-empty segment to the input member of that name.
    Label(String),
}

/// Where a member travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// JSON body member.
    Body,
    /// Path label `{name}`.
    Uri(String),
    /// Query parameter.
    Query(String),
    /// HTTP header.
    Header(String),
}

/// A structure member.
#[derive(Debug)]
pub struct Member {
    /// Member name.
    pub name: String,
    /// Target shape.
    pub shape: String,
    /// Binding.
    pub location: Location,
}

/// A compiled shape.
#[derive(Debug)]
pub enum Shape {
    /// Structure (or union when `union`).
    Structure {
        /// Members in name order.
        members: Vec<Member>,
        /// Required member names.
        required: HashSet<String>,
        /// Exactly one member must be set.
        union: bool,
        /// Member bound as the raw HTTP payload, if any.
        payload: Option<String>,
    },
    /// String with optional bounds, pattern (full match) and enum.
    String {
        /// Minimum length in characters.
        min: Option<i64>,
        /// Maximum length in characters.
        max: Option<i64>,
        /// Full-match pattern and its source text.
        pattern: Option<(Regex, String)>,
        /// Allowed values.
        values: Option<Vec<String>>,
    },
    /// Integer or long.
    Integer {
        /// Minimum value.
        min: Option<i64>,
        /// Maximum value.
        max: Option<i64>,
    },
    /// Boolean.
    Boolean,
    /// ISO 8601 timestamp carried as a string.
    Timestamp,
    /// List.
    List {
        /// Item shape.
        member: String,
        /// Minimum items.
        min: Option<i64>,
        /// Maximum items.
        max: Option<i64>,
    },
    /// Map.
    Map {
        /// Key shape.
        key: String,
        /// Value shape.
        value: String,
        /// Minimum entries.
        min: Option<i64>,
        /// Maximum entries.
        max: Option<i64>,
    },
    /// Blob, document or anything else without JSON constraints.
    Opaque,
}

#[derive(Deserialize)]
struct RawModel {
    operations: BTreeMap<String, RawOperation>,
    shapes: HashMap<String, RawShape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOperation {
    name: String,
    http: RawHttp,
    input: Option<RawRef>,
    output: Option<RawRef>,
    endpoint: Option<RawEndpoint>,
    #[serde(default)]
    unsigned_payload: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHttp {
    method: String,
    request_uri: String,
    response_code: Option<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEndpoint {
    host_prefix: String,
}

#[derive(Deserialize)]
struct RawRef {
    shape: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMember {
    shape: String,
    location: Option<String>,
    location_name: Option<String>,
}

#[derive(Deserialize)]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    members: Option<BTreeMap<String, RawMember>>,
    required: Option<Vec<String>>,
    #[serde(default)]
    union: bool,
    payload: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    #[serde(rename = "enum")]
    values: Option<Vec<String>>,
    member: Option<RawRef>,
    key: Option<RawRef>,
    value: Option<RawRef>,
}

impl ServiceModel {
    /// Compiles the model. Panics on a malformed model: it is embedded and checked by tests.
    fn parse(json: &str) -> Self {
        let raw: RawModel = serde_json::from_str(json).expect("embedded omics model is valid JSON");
        let operations = raw
            .operations
            .into_values()
            .filter(|op| op.endpoint.as_ref().is_some_and(|e| SERVED_HOST_PREFIXES.contains(&e.host_prefix.as_str())))
            .map(Operation::compile)
            .collect();
        let shapes = raw.shapes.into_iter().map(|(name, shape)| (name, compile_shape(shape))).collect();
        Self { operations, shapes }
    }

    /// The shape named `name`.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The operation named `name`.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.name == name)
    }

    /// The HTTP headers that carry input members of `op` (e.g. GetReference's `Range`).
    pub fn header_members(&self, op: &Operation) -> Vec<&str> {
        let input = op.input.as_deref().and_then(|name| self.shape(name));
        let Some(Shape::Structure { members, .. }) = input else { return Vec::new() };
        members
            .iter()
            .filter_map(|m| match &m.location {
                Location::Header(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// seqstore's extension operations: not in the model, routed beside its operations and signed,
/// validated and answered like them. Each takes the input of a model operation (whose path labels
/// it shares); the `POST`s answer that operation's output, GetReadSetQc (`GET`) a document of its
/// own (`api/qc.rs`).
pub static EXTENSIONS: LazyLock<Vec<Operation>> = LazyLock::new(|| {
    vec![
        Operation::extension(
            "CancelReadSetImportJob",
            "/sequencestore/{sequenceStoreId}/importjob/{id}/cancel",
            "GetReadSetImportJob",
        ),
        Operation::extension(
            "CancelReferenceImportJob",
            "/referencestore/{referenceStoreId}/importjob/{id}/cancel",
            "GetReferenceImportJob",
        ),
        Operation::extension(
            "CancelReadSetExportJob",
            "/sequencestore/{sequenceStoreId}/exportjob/{id}/cancel",
            "GetReadSetExportJob",
        ),
        Operation::extension(
            "CancelReadSetActivationJob",
            "/sequencestore/{sequenceStoreId}/activationjob/{id}/cancel",
            "GetReadSetActivationJob",
        ),
        Operation::extension(
            "BatchArchiveReadSet",
            "/sequencestore/{sequenceStoreId}/readset/batch/archive",
            "BatchDeleteReadSet",
        ),
        Operation {
            method: Method::GET,
            ..Operation::extension(
                "GetReadSetQc",
                "/sequencestore/{sequenceStoreId}/readset/{id}/qc",
                "GetReadSetMetadata",
            )
        },
    ]
});

/// A path template split on `/`, without the leading empty segment.
fn segments(request_uri: &str) -> Vec<Segment> {
    request_uri
        .trim_start_matches('/')
        .split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(label) => Segment::Label(label.to_owned()),
            None => Segment::Literal(s.to_owned()),
        })
        .collect()
}

impl Operation {
    /// The extension operation `name`: `POST request_uri` with the input and output of the model's
    /// operation `like`.
    fn extension(name: &str, request_uri: &str, like: &str) -> Self {
        let like = MODEL.operation(like).expect("an extension takes the shapes of a model operation");
        Self {
            name: name.to_owned(),
            method: Method::POST,
            segments: segments(request_uri),
            input: like.input.clone(),
            output: like.output.clone(),
            response_code: 200,
            unsigned_payload: false,
        }
    }

    fn compile(raw: RawOperation) -> Self {
        Self {
            name: raw.name,
            method: raw.http.method.parse().expect("model methods are valid"),
            segments: segments(&raw.http.request_uri),
            input: raw.input.map(|r| r.shape),
            output: raw.output.map(|r| r.shape),
            response_code: raw.http.response_code.unwrap_or(200),
            unsigned_payload: raw.unsigned_payload,
        }
    }
}

fn bound(v: Option<f64>) -> Option<i64> {
    v.map(|v| v as i64)
}

/// Compiles a pattern as a full match, `^(?:…)$`, as the launch model's anchors intended.
fn full_match(pattern: &str) -> (Regex, String) {
    let regex = Regex::new(&format!("^(?:{pattern})$")).expect("model patterns compile");
    (regex, pattern.to_owned())
}

fn compile_shape(raw: RawShape) -> Shape {
    match raw.kind.as_str() {
        "structure" => Shape::Structure {
            members: raw
                .members
                .unwrap_or_default()
                .into_iter()
                .map(|(name, m)| {
                    let bound_name = m.location_name.unwrap_or_else(|| name.clone());
                    let location = match m.location.as_deref() {
                        Some("uri") => Location::Uri(bound_name),
                        Some("querystring") => Location::Query(bound_name),
                        Some("header") => Location::Header(bound_name),
                        _ => Location::Body,
                    };
                    Member { name, shape: m.shape, location }
                })
                .collect(),
            required: raw.required.unwrap_or_default().into_iter().collect(),
            union: raw.union,
            payload: raw.payload,
        },
        "string" => Shape::String {
            min: bound(raw.min),
            max: bound(raw.max),
            pattern: raw.pattern.as_deref().map(full_match),
            values: raw.values,
        },
        "integer" | "long" => Shape::Integer { min: bound(raw.min), max: bound(raw.max) },
        "boolean" => Shape::Boolean,
        "timestamp" => Shape::Timestamp,
        "list" => Shape::List {
            member: raw.member.expect("lists have members").shape,
            min: bound(raw.min),
            max: bound(raw.max),
        },
        "map" => Shape::Map {
            key: raw.key.expect("maps have keys").shape,
            value: raw.value.expect("maps have values").shape,
            min: bound(raw.min),
            max: bound(raw.max),
        },
        _ => Shape::Opaque,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_the_41_storage_and_tagging_operations() {
        assert_eq!(MODEL.operations.len(), 41);
        let op = MODEL.operation("UploadReadSetPart").expect("present");
        assert!(op.unsigned_payload);
        assert_eq!(MODEL.operation("TagResource").expect("present").response_code, 204);
        assert!(MODEL.operation("StartRun").is_none(), "workflow operations are not served");
        let get_reference = MODEL.operation("GetReference").expect("present");
        assert_eq!(MODEL.header_members(get_reference), ["Range"]);
    }

    #[test]
    fn every_referenced_shape_exists_and_patterns_compile() {
        for op in &MODEL.operations {
            let input = op.input.as_deref().expect("every served operation has an input");
            let Some(Shape::Structure { members, .. }) = MODEL.shape(input) else { panic!("{input}") };
            for member in members {
                assert!(MODEL.shape(&member.shape).is_some(), "{}", member.shape);
            }
        }
    }
}
