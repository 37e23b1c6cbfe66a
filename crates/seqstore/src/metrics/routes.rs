//! The HTTP side: `GET /metrics`, `GET /healthz`, `GET /readyz` (and HEAD; readiness commits a
//! heartbeat write), each without SigV4. Other methods on these paths, and every other path, go
//! to the API router.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{StatusCode, header};
use prometheus_client::encoding::prometheus_text;

use super::Metrics;
use crate::service::Service;

/// How long a probe or scrape waits for the database.
const DB_TIMEOUT: Duration = Duration::from_secs(2);

/// What the three paths answer from: the service (the database's side) and this process's
/// counters.
#[derive(Debug, Clone)]
struct Probes {
    service: Service,
    metrics: Arc<Metrics>,
}

/// `api` with the three operational paths in front of it; `/metrics` renders `metrics`, the
/// meter `service` counts into.
pub fn router(service: Service, metrics: Arc<Metrics>, api: Router) -> Router {
    Router::new()
        .route("/metrics", get(scrape).fallback_service(api.clone()))
        .route("/healthz", get(healthz).fallback_service(api.clone()))
        .route("/readyz", get(readyz).fallback_service(api.clone()))
        .with_state(Probes { service, metrics })
        .fallback_service(api)
}

async fn scrape(State(probes): State<Probes>) -> Response {
    let snapshot = match tokio::time::timeout(DB_TIMEOUT, probes.service.queue_snapshot()).await {
        Ok(Ok(snapshot)) => Some(snapshot),
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "metrics: the database did not answer");
            None
        }
        Err(_) => {
            tracing::warn!("metrics: the database did not answer in time");
            None
        }
    };
    let body = probes.metrics.render(snapshot);
    ([(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)], body).into_response()
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// Ready when the database commits the heartbeat write (see [`Service::heartbeat`]) in time: a
/// database that answers queries but cannot write (a full disk) is not ready.
async fn readyz(State(probes): State<Probes>) -> Response {
    match tokio::time::timeout(DB_TIMEOUT, probes.service.heartbeat()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "readyz: the database cannot write");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable or cannot write; the server log says why\n")
                .into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database did not answer in time\n").into_response(),
    }
}
