//! SDK interceptors that reach the raw JSON bodies, where seqstore's extension members live:
//! typed deserializers drop members the model lacks (`bytesProcessed`, `bytesTotal`,
//! `statusDetail`, `sequences`, `alignmentStatistics`), and typed inputs cannot carry them
//! (the ListReadSets `etag` filter); and one that turns a model operation's request into
//! seqstore's extension operation on the same path (CancelReadSetImportJob) or on a path of its
//! own (`POST /token`, BatchArchiveReadSet, `GET …/qc`), signed by the SDK.

use std::sync::{Arc, Mutex};

use aws_sdk_omics::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_types::body::SdkBody;
use serde_json::Value;

/// Keeps the raw body of the response it sees; attach a fresh one to each call with
/// `.customize().interceptor(capture.clone())`.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Option<bytes::Bytes>>>);

impl Capture {
    /// The captured body as JSON (`Null` when there was none or it is not JSON).
    pub fn json(&self) -> Value {
        let body = self.0.lock().expect("capture lock").clone();
        body.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null)
    }
}

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "seqstore::Capture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response().body().bytes().map(bytes::Bytes::copy_from_slice);
        *self.0.lock().expect("capture lock") = body;
        Ok(())
    }
}

/// Adds members to the request's JSON body before it is signed: `path` names the object to
/// insert into (created when missing), e.g. `["filter"]`.
#[derive(Debug, Clone)]
pub struct AddMembers {
    path: Vec<&'static str>,
    members: serde_json::Map<String, Value>,
}

impl AddMembers {
    /// Inserts `members` into the object at `path` of the request body.
    pub fn new(path: Vec<&'static str>, members: serde_json::Map<String, Value>) -> Self {
        Self { path, members }
    }

    fn apply(&self, body: &[u8]) -> Result<Vec<u8>, BoxError> {
        let mut json: Value =
            if body.is_empty() { Value::Object(Default::default()) } else { serde_json::from_slice(body)? };
        let mut target = &mut json;
        for key in &self.path {
            let object = target.as_object_mut().ok_or("the request body is not a JSON object")?;
            target = object.entry(*key).or_insert_with(|| Value::Object(Default::default()));
        }
        let object = target.as_object_mut().ok_or("the request member is not a JSON object")?;
        object.extend(self.members.clone());
        Ok(serde_json::to_vec(&json)?)
    }
}

impl Intercept for AddMembers {
    fn name(&self) -> &'static str {
        "seqstore::AddMembers"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let body = request.body().bytes().ok_or("the request body is streamed")?;
        let body = self.apply(body)?;
        request.headers_mut().insert("content-length", body.len().to_string());
        *request.body_mut() = SdkBody::from(body);
        Ok(())
    }
}

/// Turns the request of a model operation into the seqstore extension operation that shares its
/// path labels, input and output: `POST {path}{suffix}` with the body `{}`, before it is signed
/// (e.g. GetReadSetImportJob with the suffix `/cancel` is CancelReadSetImportJob).
/// [`Extension::at`] replaces the path (and the body) instead, for an extension with a path of its
/// own (`POST /token`, `POST /sequencestore/{id}/readset/batch/archive`); [`Extension::get`]
/// replaces only the path of a `GET` without a body (`GET /sequencestore/{id}/readset/{id}/qc`).
#[derive(Debug, Clone)]
pub struct Extension {
    suffix: &'static str,
    path: Option<String>,
    /// The body of a `POST`; `None` keeps the operation's method and (empty) body.
    body: Option<String>,
}

impl Extension {
    /// The extension at the operation's path followed by `suffix` (e.g. `/cancel`).
    pub fn new(suffix: &'static str) -> Self {
        Self { suffix, path: None, body: Some("{}".into()) }
    }

    /// The extension at `path` of the endpoint (already percent-encoded), with the JSON `body`.
    pub fn at(path: impl Into<String>, body: String) -> Self {
        Self { suffix: "", path: Some(path.into()), body: Some(body) }
    }

    /// The extension at `path` of the endpoint (already percent-encoded) with the method and the
    /// empty body of the operation's own request: a model `GET` moved to an extension's `GET`.
    pub fn get(path: impl Into<String>) -> Self {
        Self { suffix: "", path: Some(path.into()), body: None }
    }

    fn uri(&self, uri: &str) -> String {
        if let Some(path) = &self.path {
            let after_scheme = uri.find("://").map_or(0, |i| i + 3);
            let origin_end = uri[after_scheme..].find('/').map_or(uri.len(), |i| after_scheme + i);
            return format!("{}{path}", &uri[..origin_end]);
        }
        match uri.split_once('?') {
            Some((path, query)) => format!("{path}{}?{query}", self.suffix),
            None => format!("{uri}{}", self.suffix),
        }
    }
}

impl Intercept for Extension {
    fn name(&self) -> &'static str {
        "seqstore::Extension"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = self.uri(request.uri());
        request.set_uri(uri)?;
        let Some(body) = &self.body else { return Ok(()) };
        request.set_method("POST")?;
        request.headers_mut().insert("content-type", "application/json");
        request.headers_mut().insert("content-length", body.len().to_string());
        *request.body_mut() = SdkBody::from(body.clone());
        Ok(())
    }
}

/// `segment` as one path segment: ids are digits, anything else is percent-encoded so that it
/// cannot change the path.
pub fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_extend_the_path() {
        let cancel = Extension::new("/cancel");
        assert_eq!(
            cancel.uri("http://h:1/sequencestore/1/importjob/2"),
            "http://h:1/sequencestore/1/importjob/2/cancel"
        );
        assert_eq!(cancel.uri("http://h:1/a/b?x=1"), "http://h:1/a/b/cancel?x=1");
        let token = Extension::at("/token", "{}".into());
        assert_eq!(token.uri("https://h:1/sequencestores?maxResults=1"), "https://h:1/token");
        let archive = Extension::at(String::from("/sequencestore/12/readset/batch/archive"), "{}".into());
        assert_eq!(archive.uri("http://h:1/sequencestores"), "http://h:1/sequencestore/12/readset/batch/archive");
        let qc = Extension::get(format!("/sequencestore/{}/readset/{}/qc", encode("12"), encode("a/b?")));
        assert_eq!(
            qc.uri("http://h:1/sequencestore/12/readset/3/metadata"),
            "http://h:1/sequencestore/12/readset/a%2Fb%3F/qc"
        );
    }

    #[test]
    fn members_are_added_under_the_path() -> Result<(), BoxError> {
        let mut members = serde_json::Map::new();
        members.insert("etag".into(), Value::String("abc".into()));
        let add = AddMembers::new(vec!["filter"], members);
        let out: Value = serde_json::from_slice(&add.apply(br#"{"filter":{"name":"x"}}"#)?)?;
        assert_eq!(out, serde_json::json!({"filter": {"name": "x", "etag": "abc"}}));
        let out: Value = serde_json::from_slice(&add.apply(b"")?)?;
        assert_eq!(out, serde_json::json!({"filter": {"etag": "abc"}}));
        Ok(())
    }
}
