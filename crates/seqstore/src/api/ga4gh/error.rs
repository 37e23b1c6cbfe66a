//! Errors of the GA4GH APIs in their own shapes: htsget's `{"htsget": {"error": KIND, "message":
//! …}}` with the status its specification gives each kind, refget's status codes with
//! `{"error": KIND, "message": …}`. Refusals of the shared protections (throttle, rate, sizes)
//! keep their status and `Retry-After`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde_json::json;

use super::super::error::ApiError;
use super::super::limits::Refused;
use crate::service::Error;
use crate::service::htsget::HtsgetError;

/// Which API a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// htsget (reads and data URLs).
    Htsget,
    /// refget.
    Refget,
}

impl Api {
    /// The API of a path under `/ga4gh/`.
    pub fn of(path: &str) -> Self {
        if path.starts_with("/ga4gh/refget/") { Self::Refget } else { Self::Htsget }
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Htsget => "htsget",
            Self::Refget => "refget",
        }
    }
}

/// An error answer.
#[derive(Debug)]
pub struct Ga4ghError {
    api: Api,
    status: StatusCode,
    kind: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl Ga4ghError {
    /// An error of `kind` with `status`.
    pub fn new(api: Api, status: StatusCode, kind: &'static str, message: String) -> Self {
        Self { api, status, kind, message, retry_after: None }
    }

    /// 404 `NotFound`.
    pub fn not_found(api: Api, message: String) -> Self {
        Self::new(api, StatusCode::NOT_FOUND, "NotFound", message)
    }

    /// 400 `InvalidInput`.
    pub fn invalid_input(api: Api, message: String) -> Self {
        Self::new(api, StatusCode::BAD_REQUEST, "InvalidInput", message)
    }

    /// 400 `InvalidRange`.
    pub fn invalid_range(api: Api, message: String) -> Self {
        Self::new(api, StatusCode::BAD_REQUEST, "InvalidRange", message)
    }

    /// 400 `UnsupportedFormat`.
    pub fn unsupported_format(api: Api, message: String) -> Self {
        Self::new(api, StatusCode::BAD_REQUEST, "UnsupportedFormat", message)
    }

    /// 401 `InvalidAuthentication`.
    pub fn unauthenticated(api: Api, message: String) -> Self {
        Self::new(api, StatusCode::UNAUTHORIZED, "InvalidAuthentication", message)
    }

    /// A refusal of the shared protections, with its status and `Retry-After`.
    pub fn refused(api: Api, refused: Refused) -> Self {
        Self::from_api(api, ApiError::Refused(refused))
    }

    /// An error of the model's API pipeline (body limits, protections, use cases), with its
    /// status and the kind of this API that status stands for.
    pub fn from_api(api: Api, error: ApiError) -> Self {
        let (status, _) = error.wire();
        let kind = match status {
            StatusCode::BAD_REQUEST => "InvalidInput",
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "PermissionDenied",
            StatusCode::NOT_FOUND => "NotFound",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLarge",
            StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
            StatusCode::RANGE_NOT_SATISFIABLE => "InvalidRange",
            s if s.is_server_error() => "InternalServerError",
            _ => "InvalidInput",
        };
        Self { api, status, kind, message: error.message(), retry_after: error.retry_after() }
    }

    /// A use case's error.
    pub fn service(api: Api, error: Error) -> Self {
        Self::from_api(api, ApiError::Service(error))
    }

    /// An htsget use case's error.
    pub fn htsget(error: HtsgetError) -> Self {
        let api = Api::Htsget;
        match error {
            HtsgetError::UnsupportedFormat(m) => Self::unsupported_format(api, m),
            HtsgetError::InvalidInput(m) => Self::invalid_input(api, m),
            HtsgetError::NotFound(m) => Self::not_found(api, m),
            HtsgetError::InvalidAuthentication(m) => Self::unauthenticated(api, m),
            e @ HtsgetError::Forged => Self::unauthenticated(api, e.to_string()),
            HtsgetError::Internal(m) => {
                tracing::error!(message = %m, "htsget request failed");
                Self::new(api, StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", m)
            }
            HtsgetError::Service(e) => Self::service(api, e),
        }
    }
}

impl IntoResponse for Ga4ghError {
    fn into_response(self) -> Response {
        tracing::debug!(status = self.status.as_u16(), kind = self.kind, message = %self.message, "request refused");
        let body = match self.api {
            Api::Htsget => json!({ "htsget": { "error": self.kind, "message": self.message } }),
            Api::Refget => json!({ "error": self.kind, "message": self.message }),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
