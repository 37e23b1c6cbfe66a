//! Activating an ARCHIVED read set from its page: a confirmation page whose form POSTs the
//! activation, checked against cross-site requests exactly as a job's Cancel is
//! ([`session::check_same_site`]); it submits an activation job of that one read set (as
//! StartReadSetActivationJob) and shows the read set, then ACTIVATING.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::HeaderMap;
use maud::html;
use serde::Deserialize;

use super::layout::{self, bytes};
use super::session::{self, Account};
use super::{Error, Ui};
use crate::model::read_set::ReadSetStatus;
use crate::service::tiers::StartActivation;

/// `GET /ui/stores/{store}/readsets/{id}/activate`: the confirmation, a form that POSTs the
/// activation with the session's CSRF token; for a read set that is not ARCHIVED, why there is
/// nothing to activate.
pub async fn confirm(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Html<String>, Error> {
    let set = ui.service.read_set(&caller, &store_id, &id).await?;
    let base = format!("/ui/stores/{}/readsets/{}", set.store_id, set.id);
    let token = session::csrf_token(&ui, &headers).ok_or(Error::Login)?;
    let files = set.files.stored().len();
    let body = html! {
        h1 { "Activate read set " (set.id) "?" }
        @if set.status == ReadSetStatus::Archived {
            p { "An activation job copies its " (files) " file" @if files != 1 { "s" } " (" (bytes(set.files.total_bytes()))
                ") back from the archive location to the store's own storage, verifying each by size and SHA-256. The read "
                "set is ACTIVATING meanwhile and ACTIVE once they are back; its archived copies are deleted after the "
                "archive's grace period. It can be archived again later." }
            form #activate-form method="post" action={ (base) "/activate" } {
                input type="hidden" name="csrf" value=(token);
                button type="submit" { "Activate the read set" }
                " " a href=(base) { "Keep it archived" }
            }
        } @else {
            p #not-activatable { "It is " (set.status) ": only an ARCHIVED read set can be activated." }
            p { a href=(base) { "← back to the read set" } }
        }
    };
    Ok(layout::page(&format!("Activate read set {}", set.id), &caller, body))
}

/// The activation form's fields.
#[derive(Debug, Deserialize)]
pub struct ActivateForm {
    csrf: Option<String>,
}

/// `POST /ui/stores/{store}/readsets/{id}/activate`: submits an activation job of the read set
/// when the request is the dashboard's own ([`session::check_same_site`], else 403 and nothing
/// changes), then back to the read set's page. A read set that is not ARCHIVED (activated twice,
/// say) or a full quota is a 409 page saying so.
pub async fn activate(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<ActivateForm>, FormRejection>,
) -> Result<Response, Error> {
    let token = form.ok().and_then(|Form(f)| f.csrf);
    session::check_same_site(&ui, &headers, token.as_deref())?;
    let request = StartActivation { client_token: None, read_set_ids: vec![id.clone()] };
    let job = ui.service.start_activation(&caller, &store_id, request).await?;
    tracing::info!(job = %job.id, read_set = %id, "ui: activation job submitted");
    Ok(Redirect::to(&format!("/ui/stores/{}/readsets/{id}", job.store_id)).into_response())
}
