//! `seqstore jobs ls|show|cancel`: read set import jobs (and, with `--kind export`, export jobs),
//! with each source's progress from the extension members `bytesProcessed`/`bytesTotal` and its
//! full message from `statusDetail`; cancel (read set import, reference import or export jobs)
//! through the extensions CancelReadSetImportJob / CancelReferenceImportJob /
//! CancelReadSetExportJob.

use aws_sdk_omics::types::{ExportReadSetFilter, ImportReadSetFilter, ReadSetExportJobStatus, ReadSetImportJobStatus};
use indicatif::HumanBytes;
use serde_json::Value;

use super::output::{self, text};
use super::raw::{Capture, Extension};
use super::{Ctx, Error, api};
use crate::cli::client::{JobKindArg, JobsCommand};

/// Runs one jobs command.
pub(super) async fn run(ctx: &Ctx, command: &JobsCommand) -> Result<(), Error> {
    match command {
        JobsCommand::Ls { store, kind: JobKindArg::Import, status } => list(ctx, store, status.as_deref()).await,
        JobsCommand::Ls { store, kind: JobKindArg::Export, status } => {
            list_exports(ctx, store, status.as_deref()).await
        }
        JobsCommand::Show { store, kind, id } => {
            let job = match kind {
                JobKindArg::Import => get(ctx, store, id).await?,
                JobKindArg::Export => get_export(ctx, store, id, false).await?,
            };
            if ctx.json {
                return output::json(&job);
            }
            print_job(&job)
        }
        JobsCommand::Cancel { store, reference_store, kind, id } => {
            let job = match (store, reference_store, kind) {
                (Some(store), _, JobKindArg::Import) => cancel(ctx, store, id).await?,
                (Some(store), _, JobKindArg::Export) => get_export(ctx, store, id, true).await?,
                (None, Some(store), _) => cancel_reference_job(ctx, store, id).await?,
                (None, None, _) => unreachable!("clap requires --store or --reference-store"),
            };
            if ctx.json {
                return output::json(&job);
            }
            print_job(&job)
        }
    }
}

/// CancelReadSetImportJob (`POST …/importjob/{id}/cancel`, GetReadSetImportJob's path and answer),
/// the answer as received.
async fn cancel(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let capture = Capture::default();
    ctx.sdk
        .get_read_set_import_job()
        .sequence_store_id(store)
        .id(id)
        .customize()
        .interceptor(Extension::new("/cancel"))
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("CancelReadSetImportJob"))?;
    Ok(capture.json())
}

/// CancelReferenceImportJob (GetReferenceImportJob's path and answer), the answer as received.
async fn cancel_reference_job(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let capture = Capture::default();
    ctx.sdk
        .get_reference_import_job()
        .reference_store_id(store)
        .id(id)
        .customize()
        .interceptor(Extension::new("/cancel"))
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("CancelReferenceImportJob"))?;
    Ok(capture.json())
}

/// GetReadSetExportJob as received, extension members included; with `cancel`, the extension
/// CancelReadSetExportJob (`POST …/exportjob/{id}/cancel`, the same answer).
pub(super) async fn get_export(ctx: &Ctx, store: &str, id: &str, cancel: bool) -> Result<Value, Error> {
    let capture = Capture::default();
    let mut request =
        ctx.sdk.get_read_set_export_job().sequence_store_id(store).id(id).customize().interceptor(capture.clone());
    if cancel {
        request = request.interceptor(Extension::new("/cancel"));
    }
    let operation = if cancel { "CancelReadSetExportJob" } else { "GetReadSetExportJob" };
    request.send().await.map_err(api(operation))?;
    Ok(capture.json())
}

/// GetReadSetImportJob as received, extension members included.
pub(super) async fn get(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let capture = Capture::default();
    ctx.sdk
        .get_read_set_import_job()
        .sequence_store_id(store)
        .id(id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("GetReadSetImportJob"))?;
    Ok(capture.json())
}

async fn list(ctx: &Ctx, store: &str, status: Option<&str>) -> Result<(), Error> {
    let filter = status.map(|s| ImportReadSetFilter::builder().status(ReadSetImportJobStatus::from(s)).build());
    let jobs = all_pages("importJobs", async |token| {
        let capture = Capture::default();
        ctx.sdk
            .list_read_set_import_jobs()
            .sequence_store_id(store)
            .set_filter(filter.clone())
            .set_next_token(token)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(api("ListReadSetImportJobs"))?;
        Ok(capture.json())
    })
    .await?;
    if ctx.json {
        return output::json(&Value::Array(jobs));
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| ["/id", "/status", "/creationTime", "/completionTime"].iter().map(|p| text(j, p)).collect())
        .collect();
    output::table(&["ID", "STATUS", "CREATED", "COMPLETED"], &rows)
}

async fn list_exports(ctx: &Ctx, store: &str, status: Option<&str>) -> Result<(), Error> {
    let filter = status.map(|s| ExportReadSetFilter::builder().status(ReadSetExportJobStatus::from(s)).build());
    let jobs = all_pages("exportJobs", async |token| {
        let capture = Capture::default();
        ctx.sdk
            .list_read_set_export_jobs()
            .sequence_store_id(store)
            .set_filter(filter.clone())
            .set_next_token(token)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(api("ListReadSetExportJobs"))?;
        Ok(capture.json())
    })
    .await?;
    if ctx.json {
        return output::json(&Value::Array(jobs));
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            ["/id", "/status", "/destination", "/creationTime", "/completionTime"].iter().map(|p| text(j, p)).collect()
        })
        .collect();
    output::table(&["ID", "STATUS", "DESTINATION", "CREATED", "COMPLETED"], &rows)
}

/// An import job's fields and sources, or an export job's and its read sets.
pub(super) fn print_job(job: &Value) -> Result<(), Error> {
    if job.get("readSets").is_some() {
        return print_export(job);
    }
    output::fields(&[
        ("id", text(job, "/id")),
        ("store", [text(job, "/sequenceStoreId"), text(job, "/referenceStoreId")].concat()),
        ("status", text(job, "/status")),
        ("message", text(job, "/statusMessage")),
        ("role", text(job, "/roleArn")),
        ("created", text(job, "/creationTime")),
        ("completed", text(job, "/completionTime")),
    ])?;
    output::line("")?;
    let sources = job["sources"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                i.to_string(),
                text(s, "/sourceFileType"),
                text(s, "/status"),
                progress(s),
                [text(s, "/readSetId"), text(s, "/referenceId")].concat(),
                [text(s, "/sourceFiles/source1"), text(s, "/sourceFile")].concat(),
                text(s, "/statusMessage"),
            ]
        })
        .collect();
    output::table(&["#", "TYPE", "STATUS", "PROGRESS", "READ SET", "SOURCE1", "MESSAGE"], &rows)
}

/// A source's (or an export's read set's) progress: `100% of SIZE` once FINISHED, whatever its
/// bytes say (a fast attempt may settle before reporting any); while it runs,
/// `PCT% (DONE/TOTAL)` when the server reports the bytes.
pub(super) fn progress(source: &Value) -> String {
    let finished = source["status"].as_str() == Some("FINISHED");
    let (done, total) = (source["bytesProcessed"].as_u64(), source["bytesTotal"].as_u64());
    match (finished, done, total) {
        (true, _, Some(total)) => format!("100% of {}", HumanBytes(total)),
        (true, _, None) => "100%".to_owned(),
        (false, Some(done), Some(total)) if total > 0 => {
            let percent = (u128::from(done.min(total)) * 100 / u128::from(total)) as u64;
            format!("{percent}% ({}/{})", HumanBytes(done), HumanBytes(total))
        }
        (false, Some(done), _) => HumanBytes(done).to_string(),
        (false, None, _) => String::new(),
    }
}

fn print_export(job: &Value) -> Result<(), Error> {
    output::fields(&[
        ("id", text(job, "/id")),
        ("store", text(job, "/sequenceStoreId")),
        ("destination", text(job, "/destination")),
        ("status", text(job, "/status")),
        ("message", text(job, "/statusMessage")),
        ("created", text(job, "/creationTime")),
        ("completed", text(job, "/completionTime")),
    ])?;
    output::line("")?;
    let read_sets = job["readSets"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = read_sets
        .iter()
        .map(|s| vec![text(s, "/id"), text(s, "/status"), progress(s), text(s, "/statusMessage")])
        .collect();
    output::table(&["READ SET", "STATUS", "PROGRESS", "MESSAGE"], &rows)
}

/// The `key` items of every page, fetched with `page(nextToken)` (each answer as received) until
/// a page has no `nextToken`.
async fn all_pages(
    key: &str,
    mut page: impl AsyncFnMut(Option<String>) -> Result<Value, Error>,
) -> Result<Vec<Value>, Error> {
    let (mut items, mut token) = (Vec::new(), None);
    loop {
        let answer = page(token).await?;
        items.extend(answer[key].as_array().cloned().unwrap_or_default());
        token = answer["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            return Ok(items);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_sources_are_complete_whatever_their_bytes() {
        let source = |json: Value| progress(&json);
        let finished = serde_json::json!({"status": "FINISHED", "bytesProcessed": 0, "bytesTotal": 2048});
        assert_eq!(source(finished), "100% of 2.00 KiB");
        assert_eq!(source(serde_json::json!({"status": "FINISHED"})), "100%");
        let running = serde_json::json!({"status": "IN_PROGRESS", "bytesProcessed": 512, "bytesTotal": 2048});
        assert_eq!(source(running), "25% (512 B/2.00 KiB)");
        assert_eq!(source(serde_json::json!({"status": "IN_PROGRESS", "bytesProcessed": 0, "bytesTotal": 0})), "0 B");
        assert_eq!(source(serde_json::json!({"status": "NOT_STARTED"})), "");
    }
}
