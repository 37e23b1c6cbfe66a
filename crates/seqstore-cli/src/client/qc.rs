//! `seqstore readsets qc`: a read set's quality-control statistics through seqstore's extension
//! GetReadSetQc (`GET /sequencestore/{id}/readset/{readSetId}/qc`), signed by the SDK as the
//! request of a GetReadSetMetadata (whose path labels, input and errors it shares) moved to that
//! path. People get the figures of [`summary`] as fields and the records per reference sequence as
//! a table; `--json` prints the answer as received. Statistics PENDING or FAILED fail the command
//! (after the JSON, with `--json`) with the server's reason and what to do.

mod summary;

use seqstore::model::qc::{QcReport, QcStatus};
use seqstore::model::read_set::ReadSetStatus;
use serde_json::Value;

use super::output::{self, text};
use super::raw::{Capture, Extension, encode};
use super::{Ctx, Error, api, read_sets};

/// The operation's name in errors.
const OPERATION: &str = "GetReadSetQc";

/// Prints read set `id`'s statistics; fails when they are not AVAILABLE.
pub(super) async fn run(ctx: &Ctx, store: &str, id: &str) -> Result<(), Error> {
    let answer = fetch(ctx, store, id).await?;
    if ctx.json {
        output::json(&answer)?;
    }
    let status = text(&answer, "/status");
    match QcStatus::parse(&status) {
        Some(QcStatus::Available) => {}
        Some(status) => return Err(unavailable(ctx, store, id, status, &answer).await),
        None => {
            let problem = format!("status `{status}` is none of AVAILABLE, PENDING, FAILED");
            return Err(Error::Answer { operation: OPERATION, problem, source: None });
        }
    }
    if ctx.json {
        return Ok(());
    }
    let report: QcReport = serde_json::from_value(answer["report"].clone()).map_err(|source| Error::Answer {
        operation: OPERATION,
        problem: "its report cannot be read".into(),
        source: Some(source),
    })?;
    print(&answer, &report)
}

/// GetReadSetQc as received.
async fn fetch(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let capture = Capture::default();
    let path = format!("/sequencestore/{}/readset/{}/qc", encode(store), encode(id));
    ctx.sdk
        .get_read_set_metadata()
        .sequence_store_id(store)
        .id(id)
        .customize()
        .interceptor(Extension::get(path))
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api(OPERATION))?;
    Ok(capture.json())
}

/// The read set, the figures, and the references table of an aligned read set.
fn print(answer: &Value, report: &QcReport) -> Result<(), Error> {
    let aligned = answer["aligned"].as_bool().unwrap_or(false);
    let alignment = if aligned { "aligned" } else { "unaligned" };
    let mut fields = vec![
        ("read set", format!("{} ({}, {alignment})", text(answer, "/readSetId"), text(answer, "/fileType"))),
        ("computed", text(answer, "/computedTime")),
    ];
    fields.extend(summary::fields(report, aligned));
    output::fields(&fields)?;
    if !aligned || report.references.is_empty() {
        return Ok(());
    }
    let (rows, more) = summary::references(&report.references);
    output::line("")?;
    output::table(&["REFERENCE", "MAPPED", "UNMAPPED"], &rows)?;
    if more > 0 {
        output::line(&format!("… and {more} more (`--json` lists every reference's counts)"))?;
    }
    Ok(())
}

/// The error of statistics that are `status` (PENDING or FAILED): the server's reason and what
/// to do, which for PENDING depends on the read set's status (read with GetReadSetMetadata; when
/// that fails the advice is the general one).
async fn unavailable(ctx: &Ctx, store: &str, id: &str, status: QcStatus, answer: &Value) -> Error {
    let reason = match text(answer, "/statusMessage") {
        message if message.is_empty() => "the server gives no reason".to_owned(),
        message => message,
    };
    let advice = match status {
        QcStatus::Failed => format!(
            "The server could not compute them: its log says why, and `seqstore verify --store {store}` on the \
             server checks the read set's stored files."
        ),
        _ => {
            let set = read_sets::metadata(ctx, store, id).await.ok();
            pending_advice(store, id, set.as_ref().and_then(|s| ReadSetStatus::parse(&text(s, "/status"))))
        }
    };
    Error::QcUnavailable { read_set: id.to_owned(), status: status.as_str(), reason, advice }
}

/// What to do about statistics PENDING for a read set in `status` (`None`: unknown).
fn pending_advice(store: &str, id: &str, status: Option<ReadSetStatus>) -> String {
    match status {
        Some(ReadSetStatus::Archived | ReadSetStatus::Activating) => format!(
            "Activate the read set (`seqstore readsets activate --store {store} {id}`) and run this command again \
             once it is ACTIVE."
        ),
        Some(ReadSetStatus::ProcessingUpload) => format!(
            "Run this command again once the upload is processed (`seqstore readsets show --store {store} {id}` \
             shows its status)."
        ),
        Some(ReadSetStatus::UploadFailed) => "The read set has no data: upload or import its files again.".to_owned(),
        _ => "Run this command again later; a server with `[qc] enabled = false` collects no statistics \
              (ask its operator)."
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_advice_follows_the_read_set() {
        let archived = pending_advice("1", "2", Some(ReadSetStatus::Archived));
        assert!(archived.contains("seqstore readsets activate --store 1 2"), "{archived}");
        let active = pending_advice("1", "2", Some(ReadSetStatus::Active));
        assert!(active.contains("again later") && active.contains("[qc] enabled = false"), "{active}");
        assert_eq!(pending_advice("1", "2", None), active);
    }
}
