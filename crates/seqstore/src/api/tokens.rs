//! `POST /token`: seqstore's extension operation that gives the caller a bearer token for the GA4GH
//! APIs (htsget, refget), which clients such as htslib call without SigV4. Signed with SigV4 like
//! every operation; the token is bound to the signing key and its account.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::validate::Violation;
use crate::service::{Caller, Service};

/// The operation's path.
pub const PATH: &str = "/token";
/// Lifetime when the request names none.
const DEFAULT_SECONDS: u64 = 3600;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Input {
    expires_in_seconds: Option<u64>,
}

/// Issues a token to `caller`, who signed with `key_id`, valid for the request's
/// `expiresInSeconds` (default 1 h, at most `max_seconds`).
pub fn issue(
    service: &Service,
    caller: &Caller,
    key_id: &str,
    body: &[u8],
    max_seconds: u64,
) -> Result<Response, ApiError> {
    let input: Input = match body.iter().all(u8::is_ascii_whitespace) {
        true => Input::default(),
        false => serde_json::from_slice(body).map_err(ApiError::BadJson)?,
    };
    let seconds = input.expires_in_seconds.unwrap_or(DEFAULT_SECONDS.min(max_seconds));
    if seconds == 0 || seconds > max_seconds {
        let rule = format!("must be between 1 and {max_seconds} (auth.max_token_seconds), not {seconds}");
        return Err(ApiError::Invalid(vec![Violation { member: "expiresInSeconds".into(), rule, null: false }]));
    }
    let now = chrono::Utc::now();
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    let token = service.issue_bearer(caller, key_id, now.timestamp(), seconds);
    let expiration = chrono::DateTime::from_timestamp(token.expires, 0).unwrap_or(now);
    Ok(Json(json!({
        "token": token.token,
        "expiration": expiration.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "expiresInSeconds": seconds,
    }))
    .into_response())
}
