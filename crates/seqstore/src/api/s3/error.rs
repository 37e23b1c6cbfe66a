//! The S3 endpoint's errors, answered as S3 answers them: a status and an XML `<Error>` with
//! `Code`, `Message`, `Resource` and `RequestId` (no body for HEAD).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

use super::xml::Xml;
use crate::api::limits::Refused;
use crate::api::sigv4::AuthError;
use crate::model::read_set::ReadSetStatus;
use crate::service;

/// Why an S3 request was not answered with what it asked for.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// The signature was refused.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A limit refused the request.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// No store has this bucket alias.
    #[error("The specified bucket does not exist: {bucket} is not the alias of a store's S3 access point")]
    NoSuchBucket {
        /// The bucket named.
        bucket: String,
    },
    /// The caller may list the bucket, and the key names nothing.
    #[error("The specified key does not exist.")]
    NoSuchKey,
    /// The policy of the store's access point does not allow the request (or the key names
    /// nothing and the caller may not list the bucket: the two look the same).
    #[error("Access Denied")]
    AccessDenied,
    /// The read set is not ACTIVE.
    #[error(
        "The operation is not valid for the object's state: its read set is {}; only ACTIVE read sets can be read \
         (an ARCHIVED one once StartReadSetActivationJob has made it ACTIVE again)",
        status.as_str()
    )]
    InvalidObjectState {
        /// Its status.
        status: ReadSetStatus,
    },
    /// An operation this read-only endpoint does not offer.
    #[error("{what} is not implemented by seqstore's read-only S3 endpoint")]
    NotImplemented {
        /// What was asked.
        what: String,
    },
    /// A write to this read-only endpoint.
    #[error("Access Denied: seqstore's S3 endpoint is read-only ({method} is refused); write through the omics API")]
    ReadOnly {
        /// The method.
        method: String,
    },
    /// No bucket in the request.
    #[error("ListBuckets is not offered: name a store's bucket alias ({{account}}-{{storeId}}-s3alias)")]
    NoBucket,
    /// A parameter has an invalid value.
    #[error("{0}")]
    InvalidArgument(String),
    /// The range selects no byte of the object.
    #[error("The requested range is not satisfiable: the object has {length} bytes")]
    InvalidRange {
        /// The object's size.
        length: u64,
    },
    /// `If-Match` or `If-Unmodified-Since` does not hold.
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed,
    /// `If-None-Match` or `If-Modified-Since` says the client has it.
    #[error("Not Modified")]
    NotModified,
    /// A use case failed.
    #[error(transparent)]
    Service(#[from] service::Error),
    /// The handler panicked (logged where it happened).
    #[error("We encountered an internal error. Please try again.")]
    Panic,
}

impl S3Error {
    fn status(&self) -> StatusCode {
        match self {
            Self::Auth(AuthError::Malformed { .. } | AuthError::MissingField { .. } | AuthError::Scope { .. }) => {
                StatusCode::BAD_REQUEST
            }
            Self::Auth(AuthError::Date { .. } | AuthError::Repeated { .. }) => StatusCode::BAD_REQUEST,
            Self::Auth(_) => StatusCode::FORBIDDEN,
            Self::Refused(Refused::HeadTooLarge { .. }) => StatusCode::BAD_REQUEST,
            Self::Refused(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::NoSuchBucket { .. } | Self::NoSuchKey => StatusCode::NOT_FOUND,
            Self::AccessDenied | Self::ReadOnly { .. } | Self::InvalidObjectState { .. } | Self::NoBucket => {
                StatusCode::FORBIDDEN
            }
            Self::NotImplemented { .. } => StatusCode::NOT_IMPLEMENTED,
            Self::InvalidArgument(_) => StatusCode::BAD_REQUEST,
            Self::InvalidRange { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::NotModified => StatusCode::NOT_MODIFIED,
            Self::Service(service::Error::Db(_) | service::Error::Storage { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Service(_) | Self::Panic => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// S3's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Auth(AuthError::Missing) => "AccessDenied",
            Self::Auth(AuthError::UnknownKey { .. }) => "InvalidAccessKeyId",
            Self::Auth(AuthError::Mismatch) => "SignatureDoesNotMatch",
            Self::Auth(AuthError::Skew { .. }) => "RequestTimeTooSkewed",
            Self::Auth(AuthError::Expired { .. }) => "AccessDenied",
            Self::Auth(AuthError::Scope { .. }) => "AuthorizationHeaderMalformed",
            Self::Auth(AuthError::Unsigned { .. } | AuthError::SignedHeaderMissing { .. }) => "AccessDenied",
            Self::Auth(AuthError::PayloadHash | AuthError::UnsignedPayload) => "XAmzContentSHA256Mismatch",
            Self::Auth(_) => "AuthorizationHeaderMalformed",
            Self::Refused(Refused::HeadTooLarge { .. }) => "RequestHeaderSectionTooLarge",
            Self::Refused(_) => "SlowDown",
            Self::NoSuchBucket { .. } => "NoSuchBucket",
            Self::NoSuchKey => "NoSuchKey",
            Self::AccessDenied | Self::ReadOnly { .. } | Self::NoBucket => "AccessDenied",
            Self::InvalidObjectState { .. } => "InvalidObjectState",
            Self::NotImplemented { .. } => "NotImplemented",
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::InvalidRange { .. } => "InvalidRange",
            Self::PreconditionFailed => "PreconditionFailed",
            Self::NotModified => "NotModified",
            Self::Service(service::Error::Db(_) | service::Error::Storage { .. }) => "ServiceUnavailable",
            Self::Service(_) | Self::Panic => "InternalError",
        }
    }

    /// The response: status, `<Error>` body (none for HEAD or 304), `Retry-After` when throttled.
    pub fn respond(self, head: bool, resource: &str, request_id: &str) -> Response {
        let status = self.status();
        if matches!(self, Self::Service(_)) {
            tracing::error!(error = %crate::report::chain(&self), "S3 request failed");
        }
        let retry_after = match &self {
            Self::Refused(Refused::Throttled { wait_seconds, .. }) => Some(wait_seconds.ceil().max(1.0) as u64),
            Self::Refused(Refused::Guessing(too_many)) => Some(too_many.retry_after.max(1)),
            _ => None,
        };
        let content_range = match &self {
            Self::InvalidRange { length } => Some(format!("bytes */{length}")),
            _ => None,
        };
        let mut response = if head || status == StatusCode::NOT_MODIFIED {
            status.into_response()
        } else {
            let message = match &self {
                Self::Service(service::Error::Db(_) | service::Error::Storage { .. }) => {
                    "The server's storage or database failed; try again later".to_owned()
                }
                Self::Service(_) => "We encountered an internal error. Please try again.".to_owned(),
                other => other.to_string(),
            };
            let mut xml = Xml::document();
            xml.open("Error")
                .element("Code", self.code())
                .element("Message", &message)
                .element("Resource", resource)
                .element("RequestId", request_id)
                .close("Error");
            (status, xml.into_response()).into_response()
        };
        let headers = response.headers_mut();
        if let Some(seconds) = retry_after {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(range) = content_range.and_then(|r| HeaderValue::from_str(&r).ok()) {
            headers.insert(http::header::CONTENT_RANGE, range);
        }
        response
    }
}
