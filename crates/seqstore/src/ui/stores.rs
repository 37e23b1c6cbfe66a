//! `GET /ui/`: the account's sequence stores with read set counts, the bytes of each storage tier
//! (the store's own storage, the archive) and ETag family.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::html;
use serde::Deserialize;

use super::layout::{self, bytes, when};
use super::session::Account;
use super::{Error, Ui};
use crate::service::sequence_stores::Filter;

/// Stores per page.
const PAGE: i64 = 50;

/// A listing's position.
#[derive(Debug, Default, Deserialize)]
pub struct Next {
    next: Option<String>,
}

impl Next {
    /// The page token, when one was given.
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref().filter(|n| !n.is_empty())
    }
}

/// `GET /ui/`.
pub async fn index(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Query(at): Query<Next>,
) -> Result<Html<String>, Error> {
    let page = ui.service.list_sequence_stores(&caller, &Filter::default(), Some(PAGE), at.next()).await?;
    let ids = page.items.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
    let summaries = ui.summaries.of(&ui.service, &caller, &ids).await?;
    let body = html! {
        h1 { "Sequence stores" }
        @if page.items.is_empty() { p.muted { "No sequence stores yet." } }
        @else {
            table #stores {
                thead { tr { th { "Name" } th { "Id" } th.num { "Read sets" } th.num { "Hot bytes" } th.num { "Archived bytes" } th { "ETag family" } th { "Created" } th {} } }
                tbody {
                    @for store in &page.items {
                        @let summary = summaries.get(&store.id).copied().unwrap_or_default();
                        tr data-store=(store.id) {
                            td { a href={ "/ui/stores/" (store.id) } { (store.name) } }
                            td.mono { (store.id) }
                            td.num.read-sets { (summary.read_sets) }
                            td.num.hot-bytes { (bytes(u64::try_from(summary.hot_bytes).unwrap_or(0))) }
                            td.num.archived-bytes { (bytes(u64::try_from(summary.archived_bytes).unwrap_or(0))) }
                            td { (store.etag_family.as_str()) }
                            td { (when(store.creation_time)) }
                            td { a href={ "/ui/stores/" (store.id) "/jobs" } { "Imports and uploads" } }
                        }
                    }
                }
            }
        }
        (layout::pager("/ui/", &[], page.next_token.as_deref()))
    };
    Ok(layout::page("Sequence stores", &caller, body))
}
