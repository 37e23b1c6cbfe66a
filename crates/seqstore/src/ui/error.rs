//! What a dashboard request can fail with, and the one mapping to a response.

use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use maud::html;

use super::layout;
use super::session::Viewer;
use crate::model::read_set::ReadSetStatus;
use crate::service;

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No valid session: the visitor is sent to the login page.
    #[error("login required")]
    Login,
    /// The resource does not exist for this account.
    #[error("not found")]
    NotFound,
    /// The files of a read set that is not ACTIVE were asked for: it has none (yet).
    #[error("read set {id} is {status}")]
    NotActive {
        /// Read set id.
        id: String,
        /// Its status.
        status: ReadSetStatus,
    },
    /// A state change that may come from another site (see [`super::session::check_same_site`]).
    #[error("cross-site request refused: {0}")]
    CrossSite(&'static str),
    /// The job has already ended, the read set is not ARCHIVED, a quota is full (or similar): the
    /// state change is refused with the reason.
    #[error("{0}")]
    Conflict(String),
    /// A use case failed.
    #[error("the service failed")]
    Service(#[source] service::Error),
}

impl From<service::Error> for Error {
    fn from(e: service::Error) -> Self {
        match e {
            service::Error::NotFound { .. } | service::Error::BadPageToken => Self::NotFound,
            e @ (service::Error::JobEnded { .. }
            | service::Error::Conflict { .. }
            | service::Error::QuotaExceeded { .. }) => Self::Conflict(e.to_string()),
            service::Error::Invalid { problem, .. } => Self::Conflict(problem),
            e => Self::Service(e),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::Login => Redirect::to("/ui/login").into_response(),
            Self::NotFound => not_found_page(None),
            Self::NotActive { id, status } => {
                let advice = match status {
                    ReadSetStatus::ProcessingUpload => {
                        "Its upload is still being processed: its files can be downloaded once it is ACTIVE."
                    }
                    ReadSetStatus::UploadFailed => {
                        "Processing its upload failed (the read set page says why); of such a read set only the bytes as sent are kept, and only when its store has a fallback location."
                    }
                    ReadSetStatus::Archived => {
                        "It is archived: activate it (the Activate button on its page, or StartReadSetActivationJob) and download it once it is ACTIVE."
                    }
                    ReadSetStatus::Activating => {
                        "It is being activated: its files can be downloaded once it is ACTIVE again."
                    }
                    ReadSetStatus::Active => "Only the files of an ACTIVE read set can be downloaded.",
                };
                let body = layout::bare(
                    "Not available",
                    html! { h1 { "Read set " (id) " is " (status) } p #not-active { (advice) } },
                );
                (StatusCode::CONFLICT, body).into_response()
            }
            Self::CrossSite(why) => {
                tracing::warn!(why, "ui: cross-site request refused");
                let body = layout::bare(
                    "Refused",
                    html! { h1 { "Refused" } p #cross-site { "This request may come from another site (" (why) "); nothing was changed. Use the dashboard's own buttons." } },
                );
                (StatusCode::FORBIDDEN, body).into_response()
            }
            Self::Conflict(message) => {
                let body = layout::bare("Not possible", html! { h1 { "Not possible" } p #conflict { (message) } });
                (StatusCode::CONFLICT, body).into_response()
            }
            Self::Service(e) => {
                tracing::error!(error = ?e, "ui: a page failed");
                let body = layout::bare(
                    "Error",
                    html! { h1 { "Something went wrong" } p { "The server logged the details." } },
                );
                (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
            }
        }
    }
}

/// Marks a 404 page rendered without knowing its viewer: [`super::requests::observe`] renders it
/// again with the navigation of a signed-in viewer.
#[derive(Debug, Clone, Copy)]
pub struct NotFoundPage;

/// The 404 page: with the navigation bar for `viewer`, else (no session) bare, marked
/// [`NotFoundPage`].
pub fn not_found_page(viewer: Option<&Viewer>) -> Response {
    let body = html! {
        h1 { "Not found" }
        p #not-found { "There is no such page, or nothing with that id in this account." }
        p { a href="/ui/" { "Back to the sequence stores" } }
    };
    match viewer {
        Some(viewer) => (StatusCode::NOT_FOUND, layout::page("Not found", viewer, body)).into_response(),
        None => {
            let mut response = (StatusCode::NOT_FOUND, layout::bare("Not found", body)).into_response();
            response.extensions_mut().insert(NotFoundPage);
            response
        }
    }
}

/// Any other path under `/ui/`.
pub async fn not_found() -> Response {
    not_found_page(None)
}
