//! refget 2 sequences: the bases of a reference sequence by its MD5 or GA4GH `SQ.` digest, whole or
//! a sub-sequence (`start`/`end` or one `Range`), its metadata, and the service-info.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::super::App;
use super::error::{Api, Ga4ghError};
use crate::service::Caller;

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

/// `GET /ga4gh/refget/v2/sequence/{id}`.
pub async fn sequence(_app: &App, _caller: &Caller, _parts: &http::request::Parts, id: &str) -> Result<Response, Ga4ghError> {
    Err(Ga4ghError::not_found(Api::Refget, format!("no sequence {id}")))
}

/// `GET /ga4gh/refget/v2/sequence/{id}/metadata`.
pub async fn metadata(_app: &App, _caller: &Caller, id: &str) -> Result<Response, Ga4ghError> {
    Err(Ga4ghError::not_found(Api::Refget, format!("no sequence {id}")))
}
