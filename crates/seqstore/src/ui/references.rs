//! Reference stores, their references, and one reference's sequences.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use http::HeaderMap;
use maud::html;

use super::layout::{self, bytes, when};
use super::session::Account;
use super::stores::Next;
use super::{Error, Ui};
use crate::model::client::{self, TlsVersion};
use crate::service::references::Filter;

/// Stores or references per page.
const PAGE: i64 = 50;

/// `GET /ui/references`.
pub async fn stores(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Query(at): Query<Next>,
) -> Result<Html<String>, Error> {
    let page = ui.service.list_reference_stores(&caller, &Filter::default(), Some(PAGE), at.next()).await?;
    let body = html! {
        h1 { "Reference stores" }
        @if page.items.is_empty() { p.muted { "No reference stores yet." } }
        @else {
            table #reference-stores {
                thead { tr { th { "Name" } th { "Id" } th { "Description" } th { "Created" } } }
                tbody {
                    @for store in &page.items {
                        tr {
                            td { a href={ "/ui/references/" (store.id) } { (store.name) } }
                            td.mono { (store.id) }
                            td { (store.description.as_deref().unwrap_or("")) }
                            td { (when(store.creation_time)) }
                        }
                    }
                }
            }
        }
        (layout::pager("/ui/references", &[], page.next_token.as_deref()))
    };
    Ok(layout::page("Reference stores", &caller, body))
}

/// `GET /ui/references/{store}`.
pub async fn list(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path(store_id): Path<String>,
    Query(at): Query<Next>,
) -> Result<Html<String>, Error> {
    let store = ui.service.reference_store(&caller, &store_id).await?;
    let page = ui.service.list_references(&caller, &store.id, &Filter::default(), Some(PAGE), at.next()).await?;
    let base = format!("/ui/references/{}", store.id);
    let body = html! {
        h1 { "References of " (store.name) }
        p { a href="/ui/references" { "← reference stores" } }
        @if page.items.is_empty() { p.muted { "No references in this store." } }
        @else {
            table #references {
                thead { tr { th { "Name" } th { "Id" } th.num { "Sequences" } th.num { "Bases" } th { "MD5" } th { "Created" } } }
                tbody {
                    @for reference in &page.items {
                        tr {
                            td { a href={ (base) "/" (reference.id) } { (reference.name) } }
                            td.mono { (reference.id) }
                            td.num { (reference.sequences.len()) }
                            td.num { (reference.sequences.iter().map(|s| s.length).sum::<u64>()) }
                            td.mono { (reference.md5) }
                            td { (when(reference.creation_time)) }
                        }
                    }
                }
            }
        }
        (layout::pager(&base, &[], page.next_token.as_deref()))
    };
    Ok(layout::page(&format!("References of {}", store.name), &caller, body))
}

/// Sequences shown per page of a reference.
const SEQUENCES: usize = 500;

/// The sequence page's query string.
#[derive(Debug, Default, serde::Deserialize)]
pub struct From {
    from: Option<usize>,
}

/// `GET /ui/references/{store}/{id}`: the reference with its sequences (name, length, MD5).
pub async fn detail(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
    Query(at): Query<From>,
    tls: Option<Extension<TlsVersion>>,
    headers: HeaderMap,
) -> Result<Html<String>, Error> {
    let reference = ui.service.reference(&caller, &store_id, &id).await?;
    let refget = format!("{}/ga4gh/refget/v2/sequence/", client::origin(&headers, None, tls.is_some()));
    let from = at.from.unwrap_or(0).min(reference.sequences.len());
    let shown = &reference.sequences[from..(from + SEQUENCES).min(reference.sequences.len())];
    let next = (from + SEQUENCES < reference.sequences.len()).then_some(from + SEQUENCES);
    let base = format!("/ui/references/{}/{}", reference.store_id, reference.id);
    let body = html! {
        h1 { "Reference " (reference.name) }
        p { a href={ "/ui/references/" (reference.store_id) } { "← references of store " (reference.store_id) } }
        dl.facts {
            dt { "Id" } dd.mono { (reference.id) }
            dt { "MD5" } dd.mono { (reference.md5) }
            dt { "Description" } dd { (reference.description.as_deref().unwrap_or("—")) }
            dt { "Created" } dd { (when(reference.creation_time)) }
            dt { "Sequences" } dd { (reference.sequences.len()) }
            @if let Some(source) = &reference.files.source { dt { "Source size" } dd { (bytes(source.content_length)) } }
        }
        h2 { "Sequences" }
        table #sequences {
            thead { tr { th { "Name" } th.num { "Length" } th { "MD5" } th { "refget" } } }
            tbody {
                @for sequence in shown {
                    tr {
                        td { (sequence.name) } td.num { (sequence.length) } td.mono { (sequence.md5) }
                        td.mono.refget { a href={ (refget) (sequence.md5) "/metadata" } { (refget) (sequence.refget.as_deref().unwrap_or(&sequence.md5)) } }
                    }
                }
            }
        }
        p.muted { "Each sequence's bases are served by refget 2 at its URL (by MD5 or GA4GH SQ. digest), with ?start=&end= or a Range header; htslib reads them for CRAM with REF_PATH='" (refget) "%s'. Outside dev mode, send Authorization: Bearer with a token from seqstore token." }
        @if let Some(next) = next { p.pager { a.next href={ (base) "?from=" (next) } { "Next sequences →" } } }
    };
    Ok(layout::page(&format!("Reference {}", reference.name), &caller, body))
}
