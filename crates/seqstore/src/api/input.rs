//! Assembles one JSON object from every binding of an operation's input (body members, path
//! labels, query parameters, headers), validates it against the model and deserializes it.

use bytes::Bytes;
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::botocore::{Location, MODEL, Shape};
use super::error::ApiError;
use super::route::Route;
use super::validate::{self, Violation};

/// Builds and validates the input of `route`. An empty body counts as `{}`.
pub fn assemble(route: &Route, raw_query: &str, headers: &HeaderMap, body: &Bytes) -> Result<Value, ApiError> {
    let Some(input) = route.op.input.as_deref() else { return Ok(Value::Object(Map::new())) };
    let Some(Shape::Structure { members, payload, .. }) = MODEL.shape(input) else {
        return Ok(Value::Object(Map::new()));
    };
    let mut object = match (payload, body.is_empty()) {
        // A streamed payload is not in `body`; it counts as present and is read by the operation.
        (Some(member), _) => Map::from_iter([(member.clone(), Value::String(String::new()))]),
        (None, true) => Map::new(),
        (None, false) => match serde_json::from_slice(body).map_err(ApiError::BadJson)? {
            Value::Object(map) => map,
            _ => return Err(ApiError::Invalid(vec![not_object()])),
        },
    };
    let query = parse_query(raw_query);
    for member in members {
        let value = match &member.location {
            Location::Body => continue,
            Location::Uri(label) => {
                route.labels.iter().find(|(l, _)| l == label).map(|(_, v)| Value::String(v.clone()))
            }
            Location::Query(name) => query_value(&member.shape, name, &query),
            Location::Header(name) => {
                headers.get(name.as_str()).and_then(|v| v.to_str().ok()).map(|v| validate::typed_text(&member.shape, v))
            }
        };
        match value {
            Some(value) => object.insert(member.name.clone(), value),
            None => object.remove(&member.name),
        };
    }
    let value = Value::Object(object);
    let violations = validate::check(input, &value);
    if violations.is_empty() { Ok(value) } else { Err(ApiError::Invalid(violations)) }
}

fn not_object() -> Violation {
    Violation { member: "body".into(), rule: "Member must be a JSON object".into(), null: false }
}

fn parse_query(raw: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn query_value(shape: &str, name: &str, query: &[(String, String)]) -> Option<Value> {
    let mut values = query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).peekable();
    values.peek()?;
    match MODEL.shape(shape) {
        Some(Shape::List { member, .. }) => {
            Some(Value::Array(values.map(|v| validate::typed_text(member, v)).collect()))
        }
        _ => values.next().map(|v| validate::typed_text(shape, v)),
    }
}

/// Deserializes a validated input into its typed form; a type the validator let through but serde
/// refuses is reported against the member serde names.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let member = e.path().to_string();
        ApiError::Invalid(vec![Violation { member, rule: e.into_inner().to_string(), null: false }])
    })
}
