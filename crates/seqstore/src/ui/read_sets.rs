//! Read sets: the filtered list of a store (with what each storage tier of the store holds, and for
//! a store without read sets, how to import: [`super::how_to_import`]), the detail page (with its
//! tier, last access, the reference's page and, for an archived one, the Activate button:
//! [`super::activate`]) and downloads of whole files and of parts, named after the read set's
//! files (of read sets in the store's own storage only).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, bytes, count, exact_bytes, when};
use super::quality;
use super::session::Account;
use super::{Error, Ui};
use http::HeaderMap;

use crate::model::client::{self, TlsVersion};
use crate::model::import::FileType;
use crate::model::read_set::{ReadSet, ReadSetStatus, StoredFile, Tier};
use crate::model::time::Millis;
use crate::service::Caller;
use crate::service::dashboard::ReadSetQuery;

/// Read sets per page.
const PAGE: i64 = 50;

/// The list's query string: filters and the keyset position (`creation_ms.id`).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    sample: Option<String>,
    subject: Option<String>,
    status: Option<String>,
    #[serde(rename = "type")]
    file_type: Option<String>,
    etag: Option<String>,
    duplicates: Option<String>,
    after: Option<String>,
}

fn given(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `GET /ui/stores/{store}`: the store's read sets, filtered, 50 a page; a store without any says
/// how to import into it.
pub async fn list(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path(store_id): Path<String>,
    Query(filters): Query<Filters>,
    tls: Option<Extension<TlsVersion>>,
    headers: HeaderMap,
) -> Result<Html<String>, Error> {
    let store = ui.service.sequence_store(&caller, &store_id).await?;
    let after = match filters.after.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => {
            let (ms, id) = a.split_once('.').ok_or(Error::NotFound)?;
            Some((ms.parse().map_err(|_| Error::NotFound)?, id.to_owned()))
        }
        None => None,
    };
    let duplicates = filters.duplicates.as_deref().is_some_and(|d| !d.is_empty());
    let query = ReadSetQuery {
        sample: given(&filters.sample),
        subject: given(&filters.subject),
        status: given(&filters.status),
        file_type: given(&filters.file_type),
        etag: given(&filters.etag),
        duplicates,
        after,
        limit: PAGE,
    };
    let tiers = ui.service.store_tiers(&caller, &store.id).await?;
    let empty = tiers.hot.read_sets + tiers.archive.read_sets == 0;
    let how_to = empty.then(|| {
        let origin = client::origin(&headers, None, tls.is_some());
        let hint = ui.service.import_hint(&caller);
        super::how_to_import::section(&store.id, &origin, ui.service.region(), &hint, caller.signed_in)
    });
    let mut rows = ui.service.dashboard_read_sets(&caller, &store.id, &query).await?;
    let more = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    let next = more.then(|| rows.last().map(|r| format!("{}.{}", r.created, r.id))).flatten();
    let base = format!("/ui/stores/{}", store.id);
    let params = [
        ("sample", query.sample.as_deref()),
        ("subject", query.subject.as_deref()),
        ("status", query.status.as_deref()),
        ("type", query.file_type.as_deref()),
        ("etag", query.etag.as_deref()),
        ("duplicates", duplicates.then_some("1")),
    ];
    let body = html! {
        h1 { "Read sets of " (store.name) }
        p { span.muted { "Store " code { (store.id) } " · ETag family " (store.etag_family.as_str()) " · " }
            a href={ (base) "/jobs" } { "Imports and uploads" } " · " a #compare href={ (base) "/qc" } { "Compare quality" } }
        p #tiers {
            @for (tier, label) in [(Tier::Hot, "Hot (the store's storage)"), (Tier::Archive, "Archived")] {
                @let total = tiers.of(tier);
                span class={ "tier-" (tier.as_str()) } { (label) ": " strong { (bytes(u64::try_from(total.bytes).unwrap_or(0))) }
                    " in " (count(total.read_sets)) " read set" @if total.read_sets != 1 { "s" } }
                @if tier == Tier::Hot { " · " }
            }
        }
        @if let Some(how_to) = how_to { (how_to) }
        @else { (filter_form(&base, &query)) }
        @if empty {}
        @else if rows.is_empty() { p.muted #no-read-sets { "No read sets match." } }
        @else {
            table #read-sets {
                thead { tr { th { "Id" } th { "Name" } th { "Sample" } th { "Subject" } th { "Type" } th { "Status" }
                    th { "Tier" } th.num { "Reads" } th.num { "Bases" } th { "ETag" } th { "Created" } th { "Last access" } } }
                tbody {
                    @for row in &rows {
                        tr data-read-set=(row.id) {
                            td { a href={ (base) "/readsets/" (row.id) } { (row.id) } }
                            td { (row.name.as_deref().unwrap_or("")) }
                            td { (row.sample) } td { (row.subject) } td { (row.file_type) }
                            td class={ "status-" (row.status) } { (row.status) }
                            td class={ "tier tier-" (row.status.tier().as_str()) } { (row.status.tier().as_str()) }
                            @if has_statistics(row.status) { td.num.reads { (count(row.reads)) } td.num.bases { (count(row.bases)) } }
                            @else { td.num.muted { "—" } td.num.muted { "—" } }
                            td.mono { @if let Some(etag) = &row.etag { a href=(layout::link(&base, &[("etag", Some(etag))], None)) title="Read sets with this ETag" { (etag) } } }
                            td { (when(row.created)) }
                            td.last-access { (last_access(row.last_access)) }
                        }
                    }
                }
            }
        }
        @if let Some(next) = next {
            p.pager { a.next href={ (layout::link(&base, &params, None)) (if params.iter().any(|(_, v)| v.is_some()) { "&" } else { "?" }) "after=" (layout::encode(&next)) } { "Next page →" } }
        }
    };
    Ok(layout::page(&format!("Read sets of {}", store.name), &caller, body))
}

/// Whether a read set in `status` has statistics and an ETag: ACTIVE ones and archived ones
/// (ARCHIVED, ACTIVATING), not those of an upload not (or never) processed.
fn has_statistics(status: ReadSetStatus) -> bool {
    !matches!(status, ReadSetStatus::ProcessingUpload | ReadSetStatus::UploadFailed)
}

/// A last-access time, or "never" for a read set not read since it was created.
fn last_access(at: Option<Millis>) -> String {
    at.map_or_else(|| "never".to_owned(), when)
}

fn filter_form(base: &str, query: &ReadSetQuery) -> Markup {
    let text = |name: &'static str, label: &'static str, value: &Option<String>| {
        html! { label { (label) input name=(name) value=(value.as_deref().unwrap_or("")); } }
    };
    let select = |name: &'static str, label: &'static str, options: &[&str], value: &Option<String>| {
        html! { label { (label) select name=(name) {
            option value="" { "any" }
            @for option in options { option value=(option) selected[value.as_deref() == Some(*option)] { (option) } }
        } } }
    };
    html! {
        form.filters method="get" action=(base) {
            (text("sample", "Sample", &query.sample))
            (text("subject", "Subject", &query.subject))
            (select("status", "Status", &ReadSetStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), &query.status))
            (select("type", "Type", &FileType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(), &query.file_type))
            (text("etag", "ETag", &query.etag))
            label { "Duplicates" input type="checkbox" name="duplicates" value="1" checked[query.duplicates]; }
            button type="submit" { "Filter" }
            a href=(base) { "Clear" }
        }
    }
}

/// `GET /ui/stores/{store}/readsets/{id}`: status, storage tier and last access (an ARCHIVED read
/// set with its Activate button), statistics, ETag and files (with their file names, SHA-256 and
/// MD5; "—" for an MD5 not backfilled yet) with a link per part while they are in the store's own
/// storage.
pub async fn detail(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id)): Path<(String, String)>,
    tls: Option<Extension<TlsVersion>>,
    headers: HeaderMap,
) -> Result<Html<String>, Error> {
    let set = ui.service.read_set(&caller, &store_id, &id).await?;
    let names = ui.service.read_set_file_names(&set).await?;
    let qc = ui.service.qc_of(&set).await?;
    let origin = client::origin(&headers, None, tls.is_some());
    let htsget = htsget_links(&ui, &caller, &set, &origin).await;
    let base = format!("/ui/stores/{}/readsets/{}", set.store_id, set.id);
    let tier = set.status.tier();
    let files = [
        ("source1", &set.files.source1, Some(&names.source1)),
        ("source2", &set.files.source2, names.source2.as_ref()),
        ("index", &set.files.index, names.index.as_ref()),
    ];
    // The reference's page, when it is one of the caller's (a reference deleted since is shown as
    // its ARN).
    let reference = match &set.reference_arn {
        Some(arn) => ui.service.reference_by_arn(&caller, arn).await.ok(),
        None => None,
    };
    let body = html! {
        h1 { "Read set " (set.id) }
        p { a href={ "/ui/stores/" (set.store_id) } { "← read sets of store " (set.store_id) } }
        dl.facts #read-set-facts {
            dt { "Name" } dd { (set.name.as_deref().unwrap_or("—")) }
            dt { "Status" } dd class={ "status-" (set.status) } { (set.status) }
            @if let Some(message) = &set.status_message { dt { "Status message" } dd #status-message class=(message_class(set.status)) { (message) } }
            dt { "Storage tier" } dd #tier class={ "tier-" (tier.as_str()) } { (tier.as_str()) " " span.muted { (tier_note(set.status)) } }
            dt { "Stored bytes" } dd #stored-bytes title=(exact_bytes(set.files.total_bytes())) { (bytes(set.files.total_bytes())) }
            dt { "Last access" } dd #last-access { (last_access(set.last_access)) " " span.muted { "(reads of its data, noted at most once a minute)" } }
            dt { "Sample / subject" } dd { (set.sample_id) " / " (set.subject_id) }
            dt { "File type" } dd { (set.file_type.as_str()) }
            dt { "Creation" } dd { (set.creation_type) @if let Some(job) = &set.creation_job_id { " by job " a href={ "/ui/stores/" (set.store_id) "/jobs/" (job) } { (job) } } " at " (when(set.creation_time)) }
            @if let Some(arn) = &set.reference_arn {
                dt { "Reference" }
                dd #reference {
                    @if let Some(reference) = &reference {
                        a href={ "/ui/references/" (reference.store_id) "/" (reference.id) } { (reference.name) }
                        " " span.mono.muted { (arn) }
                    } @else { span.mono { (arn) } }
                }
            }
            @if let Some(from) = &set.generated_from { dt { "Generated from" } dd { (from) } }
            dt { "Description" } dd { (set.description.as_deref().unwrap_or("—")) }
        }
        @if set.status == ReadSetStatus::Archived {
            p { a #activate .button.primary href={ (base) "/activate" } { "Activate…" } }
        }
        h2 { "Statistics" }
        @if !has_statistics(set.status) {
            p.muted #statistics { "None: statistics and ETag are computed when an upload is processed, and this read set is " (set.status) "." }
        } @else {
        dl.facts #statistics {
            dt { "Total reads" } dd #total-read-count { (count(set.total_read_count)) }
            dt { "Total bases" } dd #total-base-count { (count(set.total_base_count)) }
            dt { "Alignment" } dd { (set.alignment) }
            @if let Some(stats) = &set.statistics {
                dt { "Primary" } dd { (count(stats.primary)) }
                dt { "Secondary" } dd { (count(stats.secondary)) }
                dt { "Supplementary" } dd { (count(stats.supplementary)) }
                dt { "Mapped" } dd { (count(stats.mapped)) }
                dt { "Paired" } dd { (count(stats.paired)) }
                dt { "Properly paired" } dd { (count(stats.properly_paired)) }
                dt { "Duplicates" } dd { (count(stats.duplicates)) }
            }
        }
        h2 { "ETag" }
        dl.facts #etag {
            dt { "Algorithm" } dd { (set.etag.algorithm) }
            dt { "Source 1" } dd.mono #etag-source1 { a href=(layout::link(&format!("/ui/stores/{}", set.store_id), &[("etag", Some(&set.etag.source1))], None)) { (set.etag.source1) } }
            @if let Some(source2) = &set.etag.source2 { dt { "Source 2" } dd.mono { (source2) } }
        }
        }
        (quality::section(&set, &qc))
        @if let Some(htsget) = htsget { (htsget) }
        h2 { "Files" }
        @if set.status == ReadSetStatus::ProcessingUpload { p.muted #files-note { "None yet: the uploaded parts are still being processed." } }
        @if tier == Tier::Archive {
            p.muted #files-note { "In the archive tier: they can be downloaded once the read set is ACTIVE again"
                @if set.status == ReadSetStatus::Archived { " (Activate above)" } "." }
        }
        @if set.status == ReadSetStatus::UploadFailed {
            p.muted #files-note { @if set.files.source1.is_some() { "The bytes as uploaded, kept because processing failed and the store has a fallback location (GetReadSet refuses them: the read set is not ACTIVE)." } @else { "None: processing the upload failed, and the store keeps no copy of what was sent." } }
        }
        table #files {
            thead { tr { th { "File" } th { "Name" } th.num { "Size" } th.num { "Part size" } th { "SHA-256" } th { "MD5" } th { "Download" } } }
            tbody {
                @for (name, file, file_name) in files {
                    @if let Some(file) = file {
                        tr data-file=(name) {
                            td { (name.to_uppercase()) }
                            td.mono.file-name { (file_name.map_or("", String::as_str)) }
                            td.num title=(exact_bytes(file.content_length)) { (bytes(file.content_length)) }
                            td.num title=(exact_bytes(file.part_size)) { (bytes(file.part_size)) }
                            td.mono { (file.sha256) }
                            td.mono.md5 { (file.md5.as_deref().unwrap_or("—")) }
                            @if tier == Tier::Archive { td.muted { "archived" } } @else {
                            td {
                                a.file href={ (base) "/" (name) } download=[file_name] { (file_name.map_or(name, String::as_str)) }
                                @if file.total_parts > 1 {
                                    br;
                                    span.muted { "or by part: " }
                                    @for part in 1..=file.total_parts.min(1000) { a.part href={ (base) "/" (name) "/" (part) } { "part " (part) } " " }
                                    @if file.total_parts > 1000 { span.muted { "(first 1,000 of " (count(file.total_parts)) " parts)" } }
                                }
                            }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&format!("Read set {}", set.id), &caller, body))
}

/// What a read set's tier means for it now.
fn tier_note(status: ReadSetStatus) -> &'static str {
    match status {
        ReadSetStatus::Archived => "(ARCHIVED: its files are in the archive location; activate it to read them)",
        ReadSetStatus::Activating => "(ACTIVATING: an activation job is copying its files back to the store's storage)",
        ReadSetStatus::Active | ReadSetStatus::ProcessingUpload | ReadSetStatus::UploadFailed => {
            "(the store's own storage)"
        }
    }
}

/// The htsget URL of an ACTIVE BAM or CRAM read set, with a `samtools view` command for a region
/// (of its reference's first sequence when it names a reference) that can be copied as it is.
async fn htsget_links(ui: &Ui, caller: &Caller, set: &ReadSet, origin: &str) -> Option<Markup> {
    if !set.is_active() || !matches!(set.file_type, FileType::Bam | FileType::Ubam | FileType::Cram) {
        return None;
    }
    let url = format!("{origin}/ga4gh/htsget/v1/reads/{}/{}", set.store_id, set.id);
    let reference = match &set.reference_arn {
        Some(arn) => ui.service.reference_by_arn(caller, arn).await.ok(),
        None => None,
    };
    let (name, end) = reference
        .as_ref()
        .and_then(|r| r.sequences.first())
        .map_or(("chr1".to_owned(), 100_000), |s| (s.name.clone(), s.length.min(100_000)));
    let region = format!("{url}?referenceName={name}&start=0&end={end}");
    let ref_path = match set.file_type {
        FileType::Cram => format!("REF_PATH='{origin}/ga4gh/refget/v2/sequence/%s' "),
        _ => String::new(),
    };
    let auth = "HTS_AUTH_LOCATION=token.txt HTS_ALLOW_UNENCRYPTED_AUTHORIZATION_HEADER='I understand the risks' ";
    let auth = if origin.starts_with("https://") { "HTS_AUTH_LOCATION=token.txt " } else { auth };
    let indexed = set.files.index.is_some();
    Some(html! {
        h2 { "htsget" }
        dl.facts #htsget {
            dt { "URL" } dd.mono { a href=(url) { (url) } }
            @if indexed {
                dt { "A region" } dd { code.copy #htsget-command { "seqstore token > token.txt; " (auth) (ref_path) "samtools view '" (region) "'" } }
            } @else {
                dt { "Regions" } dd.muted { "Not by region: the read set has no index (" (set.status_message.as_deref().unwrap_or("it was not coordinate-sorted")) "); the URL serves the whole file." }
            }
        }
    })
}

/// The stored file `file` (`source1`, `source2` or `index`) of `set` in the store's own storage,
/// and its name; refused (409, saying why) for a read set whose files are in the archive tier or
/// that has none (yet), 404 for anything else.
async fn stored_file<'a>(ui: &Ui, set: &'a ReadSet, file: &str) -> Result<(&'a StoredFile, String), Error> {
    if set.status.tier() == Tier::Archive {
        return Err(Error::NotActive { id: set.id.clone(), status: set.status });
    }
    let stored: Option<&StoredFile> = match file {
        "source1" => set.files.source1.as_ref(),
        "source2" => set.files.source2.as_ref(),
        "index" => set.files.index.as_ref(),
        _ => None,
    };
    let Some(stored) = stored else {
        // A read set that is not ACTIVE has no files yet (or kept none): say so, not "not found".
        let known = matches!(file, "source1" | "source2" | "index");
        return Err(if known && !set.is_active() {
            Error::NotActive { id: set.id.clone(), status: set.status }
        } else {
            Error::NotFound
        });
    };
    let names = ui.service.read_set_file_names(set).await?;
    let name = match file {
        "source2" => names.source2,
        "index" => names.index,
        _ => Some(names.source1),
    };
    Ok((stored, name.unwrap_or_else(|| format!("{}-{file}", set.id))))
}

/// A download response: `stream` of `length` bytes, saved as `name`.
fn attachment(stream: crate::service::downloads::PartStream, length: u64, name: &str) -> Response {
    let body = axum::body::Body::from_stream(stream);
    let mut response = ([(http::header::CONTENT_TYPE, "application/octet-stream")], body).into_response();
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(length));
    if let Ok(value) = http::HeaderValue::from_str(&content_disposition(name)) {
        headers.insert(http::header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `attachment` with `name` as the file name: as it is where it is printable ASCII without quotes
/// or backslashes (each other character `_`), and exactly, percent-encoded, in `filename*`
/// (RFC 6266).
fn content_disposition(name: &str) -> String {
    /// What `filename*` encodes: all but RFC 5987's `attr-char`s that file names use.
    const ENCODED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_').remove(b'~');
    let usable = |c: char| c == ' ' || c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/');
    let plain: String = name.chars().map(|c| if usable(c) { c } else { '_' }).collect();
    let exact = percent_encoding::utf8_percent_encode(name, ENCODED);
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}")
}

/// `GET /ui/stores/{store}/readsets/{id}/{file}`: streams the whole file, its parts in order, saved
/// under its name (`HG00405.final.cram`, `{readSetId}_1.fastq.gz`, `….bai` …), and notes the read
/// set's access as GetReadSet does. The files of an ARCHIVED or ACTIVATING read set are in the
/// archive tier: refused (409, saying to activate it).
pub async fn download_file(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id, file)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let set = ui.service.read_set(&caller, &store_id, &id).await?;
    let (stored, name) = stored_file(&ui, &set, &file).await?;
    let stream = ui.service.download_file(stored).await?;
    ui.service.note_read_set_access(&set.id);
    Ok(attachment(stream, stored.content_length, &name))
}

/// `GET /ui/stores/{store}/readsets/{id}/{file}/{part}`: streams one part, as GetReadSet does, and
/// notes the read set's access as GetReadSet does; saved under the file's name, with `.partN`
/// after it when the file has more than one part. Refused like [`download_file`].
pub async fn download(
    State(ui): State<Arc<Ui>>,
    Account(caller): Account,
    Path((store_id, id, file, part)): Path<(String, String, String, u64)>,
) -> Result<Response, Error> {
    let set = ui.service.read_set(&caller, &store_id, &id).await?;
    let (stored, name) = stored_file(&ui, &set, &file).await?;
    if part == 0 || part > stored.total_parts {
        return Err(Error::NotFound);
    }
    let stream = ui.service.download_part(stored, part, None).await?;
    ui.service.note_read_set_access(&set.id);
    let start = (part - 1).saturating_mul(stored.part_size);
    let length = stored.part_size.min(stored.content_length.saturating_sub(start));
    let name = if stored.total_parts > 1 { format!("{name}.part{part}") } else { name };
    Ok(attachment(stream, length, &name))
}

/// The class of a read set's status message: a note (`same content as read set N`) for a read set
/// that is ACTIVE or archived, an error for one whose upload failed.
fn message_class(status: ReadSetStatus) -> &'static str {
    match status {
        ReadSetStatus::UploadFailed => "failed",
        _ => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_named_safely() {
        assert_eq!(
            content_disposition("HG00405.final.cram"),
            "attachment; filename=\"HG00405.final.cram\"; filename*=UTF-8''HG00405.final.cram"
        );
        assert_eq!(
            content_disposition("run \"1\"/é.fq.gz"),
            "attachment; filename=\"run _1___.fq.gz\"; filename*=UTF-8''run%20%221%22%2F%C3%A9.fq.gz"
        );
    }
}
