//! What every dashboard request goes through around its handler: a log line with the fields of
//! the API's (`method`, `path`, `operation` — here `dashboard` —, `account`, `status`,
//! `latency_ms`, in a `request` span with a `request_id`), and, for a 404 page rendered without
//! its viewer (an id of another account, an unknown path), the navigation of a signed-in viewer.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::error::{NotFoundPage, not_found_page};
use super::{Ui, session};

/// The `operation` of dashboard requests in the log.
const OPERATION: &str = "dashboard";

/// Runs `request` through `next`, then renders a [`NotFoundPage`] again with the navigation of its
/// viewer (when it has one) and logs the request.
pub async fn observe(State(ui): State<Arc<Ui>>, request: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", request_id = %request_id);
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let viewer = session::viewer(&ui, request.headers());
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    if response.extensions().get::<NotFoundPage>().is_some()
        && let Some(viewer) = &viewer
    {
        response = not_found_page(Some(viewer));
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            %method,
            %path,
            operation = OPERATION,
            account = viewer.as_ref().map_or("-", |v| v.account.as_str()),
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    response
}
