//! The HTTP side: `GET /metrics`, `GET /healthz`, `GET /readyz` (and HEAD; readiness commits a
//! heartbeat write), each without SigV4. Other methods on these paths, and every other path, go
//! to the API router.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{StatusCode, header};

use crate::db;
use crate::model::time;
use crate::service::Service;

/// How long a probe or scrape waits for the database.
const DB_TIMEOUT: Duration = Duration::from_secs(2);

/// `api` with the three operational paths in front of it.
pub fn router(service: Service, api: Router) -> Router {
    Router::new()
        .route("/metrics", get(metrics).fallback_service(api.clone()))
        .route("/healthz", get(healthz).fallback_service(api.clone()))
        .route("/readyz", get(readyz).fallback_service(api.clone()))
        .with_state(service)
        .fallback_service(api)
}

async fn metrics(State(service): State<Service>) -> Response {
    let snapshot = tokio::time::timeout(DB_TIMEOUT, async {
        let mut conn = service.db().pool().acquire().await?;
        db::metrics::snapshot(&mut conn, time::now()).await
    })
    .await;
    let snapshot = match snapshot {
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
    let body = service.metrics().render(snapshot.as_ref());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// Ready when the database commits the heartbeat write (see [`db::heartbeat::beat`]) in time: a
/// database that answers queries but cannot write (a full disk) is not ready.
async fn readyz(State(service): State<Service>) -> Response {
    let ready = tokio::time::timeout(DB_TIMEOUT, db::heartbeat::beat(service.db(), time::now())).await;
    match ready {
        Ok(Ok(())) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "readyz: the database cannot write");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable or cannot write; the server log says why\n")
                .into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database did not answer in time\n").into_response(),
    }
}
