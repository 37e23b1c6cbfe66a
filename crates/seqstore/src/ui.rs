//! The web dashboard at `/ui/`: server-rendered HTML (maud) over the same use cases as
//! the API, with a little embedded JavaScript that polls job progress. It is served beside the
//! SigV4 pipeline, like `/metrics`: every other path goes to the API router.
//!
//! Access follows the API's accounts: in dev mode (no keys; loopback only) every visitor acts for
//! the dev account; otherwise a login with an access key pair sets a signed session cookie
//! ([`session`]), and every page sees only that account's resources (others' ids are 404).
//!
//! Every request is logged like an API request ([`requests`]); `/favicon.ico` is the dashboard's
//! icon, answered here so that a browser's request for it never reaches the API (where it would be
//! a request without a signature).
//!
//! Its two state changes, cancelling an import job and activating an archived read set, are form
//! POSTs checked against cross-site requests ([`session::check_same_site`]).

mod activate;
mod error;
mod exports;
mod how_to_import;
mod jobs;
mod layout;
mod qc_charts;
mod quality;
mod read_sets;
mod references;
mod requests;
mod session;
mod stores;
mod summary;
mod throughput;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use http::{HeaderValue, header};

use crate::config::{AccessKey, Config};
use crate::service::Service;
pub use error::Error;

/// Shared state of the dashboard.
#[derive(Debug)]
pub struct Ui {
    service: Service,
    keys: Vec<AccessKey>,
    sessions: session::Signer,
    /// Failed logins per client address (`limits.auth_failures_per_minute`).
    guesses: crate::service::guesses::Guesses,
    summaries: summary::Summaries,
    /// The listener is on a loopback address (the TLS warning is not needed there).
    loopback: bool,
    /// The server itself speaks TLS (`[tls]`): every request arrived encrypted.
    tls: bool,
    /// What dev mode's CSRF tokens are bound to: random, of this process ([`session::csrf_token`]).
    dev_csrf: String,
}

impl Ui {
    /// The dashboard over `service` for the accounts of `config`, listening on `addr`. The
    /// session key comes from `ui.session_key` or, when unset, from the database, where the first
    /// process stores a random one for all.
    pub async fn new(config: &Config, service: Service, addr: SocketAddr) -> Result<Self, crate::service::Error> {
        let key = match &config.ui.session_key {
            Some(key) => key.clone(),
            None => service.dashboard_session_key().await?,
        };
        Ok(Self {
            service,
            keys: config.auth.keys.clone(),
            sessions: session::Signer::new(key.as_bytes(), config.ui.session_seconds),
            guesses: crate::service::guesses::Guesses::new(&config.limits),
            summaries: summary::Summaries::default(),
            loopback: addr.ip().is_loopback(),
            tls: config.tls.cert.is_some(),
            dev_csrf: crate::service::signing::random_key(),
        })
    }

    fn dev_mode(&self) -> bool {
        self.keys.is_empty()
    }
}

/// `api` with the dashboard's paths (`/ui`, `/ui/…`, `/favicon.ico`) in front of it.
pub fn router(ui: Ui, api: Router) -> Router {
    let ui = Arc::new(ui);
    Router::new()
        .route("/favicon.ico", get(layout::favicon))
        .route("/ui", get(|| async { axum::response::Redirect::permanent("/ui/") }))
        .route("/ui/", get(stores::index))
        .route("/ui/login", get(session::login_page).post(session::login))
        .route("/ui/logout", post(session::logout))
        .route("/ui/assets/app.js", get(layout::script))
        .route("/ui/assets/app.css", get(layout::style))
        .route("/ui/stores/{store}", get(read_sets::list))
        .route("/ui/stores/{store}/readsets/{id}", get(read_sets::detail))
        .route("/ui/stores/{store}/qc", get(quality::compare))
        .route("/ui/stores/{store}/readsets/{id}/activate", get(activate::confirm).post(activate::activate))
        .route("/ui/stores/{store}/readsets/{id}/{file}", get(read_sets::download_file))
        .route("/ui/stores/{store}/readsets/{id}/{file}/{part}", get(read_sets::download))
        .route("/ui/stores/{store}/jobs", get(jobs::list))
        .route("/ui/stores/{store}/jobs/{id}", get(jobs::detail))
        .route("/ui/stores/{store}/jobs/{id}/progress", get(jobs::progress))
        .route("/ui/stores/{store}/jobs/{id}/cancel", get(jobs::confirm_cancel).post(jobs::cancel))
        .route("/ui/references", get(references::stores))
        .route("/ui/references/{store}", get(references::list))
        .route("/ui/references/{store}/{id}", get(references::detail))
        .route("/ui/throughput", get(throughput::page))
        .route("/ui/{*rest}", get(error::not_found))
        .layer(axum::middleware::from_fn_with_state(ui.clone(), requests::observe))
        .layer(axum::middleware::map_response(protect))
        .with_state(ui)
        .fallback_service(api)
}

/// Headers of every dashboard response: no framing, no sniffing, scripts and styles only from
/// the dashboard itself, and nothing kept in shared caches.
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-store"));
    response
}
