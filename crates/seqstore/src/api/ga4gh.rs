//! The GA4GH APIs on the main listener: htsget 1.3 reads (`/ga4gh/htsget/v1/reads/…`, with its
//! data URLs under `/ga4gh/htsget/v1/data/…`) and refget 2 sequences
//! (`/ga4gh/refget/v2/sequence/…`). One pipeline, with the protections of the model's API: head
//! limit → failed-authentication throttle → body limit → authentication (a bearer token from
//! `POST /token`, or none in dev mode; a data URL carries its own signature) → the account's rate →
//! the route. Answers carry CORS headers so that a browser viewer on another origin can use them;
//! errors are each API's own JSON shape ([`error`]).

pub mod cors;
pub mod error;
pub mod htsget;
pub mod refget;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::Method;

use super::{App, Seen};
use crate::config::DEV_ACCOUNT_ID;
use crate::service::Caller;
use crate::service::bearer::BearerError;
use error::{Api, Ga4ghError};

/// Path prefix of everything this module answers.
pub const PREFIX: &str = "/ga4gh/";

/// Answers one request under [`PREFIX`]; never fails (errors are answered in the API's shape).
pub(super) async fn process(app: &App, request: Request, seen: &mut Seen) -> Response {
    let origin = cors::origin(request.headers());
    let mut response = if request.method() == Method::OPTIONS {
        cors::preflight()
    } else {
        match route(app, request, seen).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    };
    if origin {
        cors::allow(response.headers_mut());
    }
    response
}

async fn route(app: &App, request: Request, seen: &mut Seen) -> Result<Response, Ga4ghError> {
    let path = request.uri().path().to_owned();
    let api = Api::of(&path);
    let (parts, body) = request.into_parts();
    app.limits.check_head(&parts).map_err(|e| Ga4ghError::refused(api, e))?;
    let client = parts.extensions.get::<crate::model::client::Client>().copied();
    app.limits.check_guesses(client, None).map_err(|e| Ga4ghError::refused(api, e))?;
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').collect();
    let method = parts.method.clone();
    match (method, segments.as_slice()) {
        (Method::GET, ["htsget", "v1", "reads", "service-info"]) => {
            seen.operation = Some("htsget.ServiceInfo".into());
            Ok(htsget::service_info())
        }
        (Method::GET, ["refget", "v2", "sequence", "service-info"]) => {
            seen.operation = Some("refget.ServiceInfo".into());
            Ok(refget::service_info())
        }
        (Method::GET, ["htsget", "v1", "data", _name]) => {
            seen.operation = Some("htsget.Data".into());
            htsget::data(app, &parts).await
        }
        (method @ (Method::GET | Method::POST), ["htsget", "v1", "reads", store, read_set]) => {
            seen.operation = Some("htsget.Reads".into());
            let caller = authenticate(app, &parts, api, seen)?;
            let body = match method {
                Method::POST => Some(
                    super::read_body(body, &parts.headers, app.max_body_bytes)
                        .await
                        .map_err(|e| Ga4ghError::from_api(api, e))?,
                ),
                _ => None,
            };
            htsget::reads(app, &caller, &parts, store, read_set, body.as_deref()).await
        }
        (Method::GET, ["refget", "v2", "sequence", id]) => {
            seen.operation = Some("refget.Sequence".into());
            let caller = authenticate(app, &parts, api, seen)?;
            refget::sequence(app, &caller, &parts, id).await
        }
        (Method::GET, ["refget", "v2", "sequence", id, "metadata"]) => {
            seen.operation = Some("refget.Metadata".into());
            let caller = authenticate(app, &parts, api, seen)?;
            refget::metadata(app, &caller, id).await
        }
        (method, _) => Err(Ga4ghError::not_found(api, format!("no {} endpoint answers {method} {path}", api.name()))),
    }
}

/// The caller of a request: the account of its bearer token (whose key must still be
/// configured), or the dev account in dev mode, where no token is needed. A token that this server
/// did not sign counts as a failed authentication of the client address.
fn authenticate(app: &App, parts: &http::request::Parts, api: Api, seen: &mut Seen) -> Result<Caller, Ga4ghError> {
    let mut caller = |account: String| {
        seen.account = Some(account.clone());
        Caller { account }
    };
    let header = parts.headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer "))).map(str::trim);
    if app.verifier.is_dev() {
        app.limits.admit(DEV_ACCOUNT_ID).map_err(|e| Ga4ghError::refused(api, e))?;
        return Ok(caller(DEV_ACCOUNT_ID.to_owned()));
    }
    let Some(token) = token else {
        return Err(Ga4ghError::unauthenticated(
            api,
            "send Authorization: Bearer <token>, with a token from `seqstore token` (for htslib: put it in a file named \
             by HTS_AUTH_LOCATION)"
                .into(),
        ));
    };
    let now = chrono::Utc::now().timestamp();
    let client = parts.extensions.get::<crate::model::client::Client>().copied();
    let bearer = app.service.open_bearer(token, now).map_err(|e| {
        if e == BearerError::Invalid {
            app.limits.note_guess(client);
        }
        Ga4ghError::unauthenticated(api, e.to_string())
    })?;
    if app.verifier.account_of(&bearer.key_id) != Some(bearer.account.as_str()) {
        return Err(Ga4ghError::unauthenticated(
            api,
            format!(
                "the bearer token was issued to access key {}, which this server no longer has: ask for a new token with a \
                 configured key",
                bearer.key_id
            ),
        ));
    }
    app.limits.admit(&bearer.account).map_err(|e| Ga4ghError::refused(api, e))?;
    Ok(caller(bearer.account))
}
