//! The one mapping from every error a request can meet to the AWS wire: status code,
//! `x-amzn-ErrorType` and `{"message": …}`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde_json::json;

use super::limits::{BodyTimeout, Refused};
use super::sigv4::AuthError;
use super::validate::{self, Violation};
use crate::service;

/// Everything that can end a request with an error response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is larger than `limits.max_body_bytes`.
    #[error("request body exceeds the limit of {limit} bytes (limits.max_body_bytes)")]
    BodyTooLarge {
        /// The limit in force.
        limit: u64,
    },
    /// The body could not be read from the connection.
    #[error("request body could not be read")]
    BodyUnreadable(#[source] axum::Error),
    /// The body paused too long or arrived too slowly (`limits.body_read_timeout_seconds`,
    /// `limits.body_total_timeout_seconds`, `limits.min_body_bytes_per_sec`).
    #[error(transparent)]
    BodyTimeout(#[from] BodyTimeout),
    /// A limit on what one request may cost refused it (`[limits]`).
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The body is not a JSON object.
    #[error("request body is not a valid JSON object")]
    BadJson(#[source] serde_json::Error),
    /// A path segment is not valid percent-encoded UTF-8.
    #[error("path segment '{segment}' is not valid percent-encoded UTF-8")]
    BadPath {
        /// The raw segment.
        segment: String,
    },
    /// The raw path is not in SigV4's normal form (an empty, `.` or `..` segment) although its
    /// route and labels were accepted: its signature covers the normal form, another path.
    #[error(
        "path '{path}' has an empty, '.' or '..' segment, so its signature covers the path '{normal}' instead; \
         such a path never reaches an operation: send every path label non-empty and other than '.' and '..'"
    )]
    PathNotNormal {
        /// The raw path as sent.
        path: String,
        /// Its normal form, which the signature covers.
        normal: String,
    },
    /// Members break the model's constraints.
    #[error("{}", validate::message(.0))]
    Invalid(Vec<Violation>),
    /// SigV4 refused the request.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// No operation of the service has this method and path.
    #[error("no operation matches {method} {path}")]
    UnknownOperation {
        /// Method.
        method: String,
        /// Raw path.
        path: String,
    },
    /// An operation of the model that seqstore does not implement yet.
    #[error("{operation} is not supported by this seqstore server yet")]
    NotSupported {
        /// Operation name.
        operation: String,
    },
    /// The handler panicked; the panic is logged, the client gets a 500.
    #[error("handler panicked")]
    Panic,
    /// A use case refused or failed.
    #[error(transparent)]
    Service(#[from] service::Error),
}

impl ApiError {
    /// HTTP status and AWS error type.
    pub(super) fn wire(&self) -> (StatusCode, &'static str) {
        use service::Error as S;
        match self {
            Self::BodyTooLarge { .. }
            | Self::Refused(Refused::HeadTooLarge { .. })
            | Self::BodyUnreadable(_)
            | Self::BadJson(_)
            | Self::BadPath { .. }
            | Self::PathNotNormal { .. }
            | Self::Invalid(_) => (StatusCode::BAD_REQUEST, "ValidationException"),
            Self::Auth(AuthError::Missing) => (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException"),
            Self::Auth(AuthError::UnknownKey { .. }) => (StatusCode::FORBIDDEN, "UnrecognizedClientException"),
            Self::Auth(
                AuthError::Malformed { .. }
                | AuthError::MissingField { .. }
                | AuthError::Date { .. }
                | AuthError::Skew { .. }
                | AuthError::Expired { .. }
                | AuthError::Scope { .. }
                | AuthError::Unsigned { .. }
                | AuthError::Repeated { .. }
                | AuthError::SignedHeaderMissing { .. }
                | AuthError::UnsignedPayload
                | AuthError::PayloadHash
                | AuthError::Mismatch,
            ) => (StatusCode::FORBIDDEN, "InvalidSignatureException"),
            Self::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "RequestTimeoutException"),
            Self::Refused(Refused::Throttled { .. } | Refused::Guessing(_)) => {
                (StatusCode::TOO_MANY_REQUESTS, "ThrottlingException")
            }
            Self::UnknownOperation { .. } => (StatusCode::NOT_FOUND, "UnknownOperationException"),
            Self::NotSupported { .. } => (StatusCode::METHOD_NOT_ALLOWED, "NotSupportedOperationException"),
            Self::Panic => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException"),
            Self::Service(e) => match e {
                S::NotFound { .. } => (StatusCode::NOT_FOUND, "ResourceNotFoundException"),
                S::Conflict { .. } | S::JobEnded { .. } | S::ReadSetNotActive { .. } => {
                    (StatusCode::CONFLICT, "ConflictException")
                }
                S::QuotaExceeded { .. } => (StatusCode::PAYMENT_REQUIRED, "ServiceQuotaExceededException"),
                S::TokenReused { .. }
                | S::Tags { .. }
                | S::BadPageToken
                | S::UnsupportedArn { .. }
                | S::Source2NotFastq { .. }
                | S::BadReferenceArn { .. }
                | S::CramNeedsReference { .. }
                | S::Invalid { .. }
                | S::S3AccessPolicy { .. }
                | S::DestinationOverlapsStorage { .. }
                | S::BadSourceUri { .. } => (StatusCode::BAD_REQUEST, "ValidationException"),
                S::PayloadHashMismatch => (StatusCode::FORBIDDEN, "InvalidSignatureException"),
                S::BodyRead { .. } => (StatusCode::REQUEST_TIMEOUT, "RequestTimeoutException"),
                S::Storage { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException"),
                S::ReferenceNotFound { .. } => (StatusCode::NOT_FOUND, "ResourceNotFoundException"),
                S::RangeNotSatisfiable { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "RangeNotSatisfiableException"),
                S::RoleNotPassable { .. }
                | S::NoFileRoots { .. }
                | S::NoS3Endpoint { .. }
                | S::SourceNotAllowed { .. }
                | S::DestinationNotWritable { .. }
                | S::NoWritableLocations { .. } => (StatusCode::FORBIDDEN, "AccessDeniedException"),
                S::Db(_) | S::ReferenceRead { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException"),
            },
        }
    }

    /// The message the client sees: the error and its sources, except for internal failures,
    /// which are logged (with the request id of the current span) and never returned.
    pub(super) fn message(&self) -> String {
        let internal = "internal server error; the server log has the details under this request id";
        match self {
            Self::Service(e @ (service::Error::Db(_) | service::Error::ReferenceRead { .. })) => {
                tracing::error!(error = ?e, "internal error");
                return internal.to_owned();
            }
            Self::Panic => return internal.to_owned(),
            // What could not be done, not why: the cause names object keys and paths.
            Self::Service(e @ service::Error::Storage { .. }) => {
                tracing::error!(error = ?e, "storage failure");
                return e.to_string();
            }
            _ => {}
        }
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(e) = source {
            let text = e.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = e.source();
        }
        message
    }
}

impl ApiError {
    /// Seconds a client should wait before trying again, for a refusal of the protections.
    pub(super) fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Refused(Refused::Throttled { wait_seconds, .. }) => Some(wait_seconds.ceil().max(1.0) as u64),
            Self::Refused(Refused::Guessing(too_many)) => Some(too_many.retry_after.max(1)),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = self.wire();
        let message = self.message();
        tracing::debug!(status = status.as_u16(), kind, %message, "request refused");
        let retry_after = self.retry_after();
        let mut response = (status, Json(json!({ "message": message }))).into_response();
        response.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
