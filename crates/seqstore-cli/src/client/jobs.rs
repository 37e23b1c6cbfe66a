//! `seqstore jobs ls|show|cancel`: read set import jobs, with each source's progress from the
//! extension members `bytesProcessed`/`bytesTotal` and its full message from `statusDetail`; cancel
//! (read set or reference import jobs) through the extension CancelReadSetImportJob /
//! CancelReferenceImportJob.

use aws_sdk_omics::types::{ImportReadSetFilter, ReadSetImportJobStatus};
use serde_json::Value;

use super::output::{self, text};
use super::raw::{Capture, Extension};
use super::{Ctx, Error, api};
use crate::cli::client::JobsCommand;

/// Runs one jobs command.
pub(super) async fn run(ctx: &Ctx, command: &JobsCommand) -> Result<(), Error> {
    match command {
        JobsCommand::Ls { store, status } => list(ctx, store, status.as_deref()).await,
        JobsCommand::Show { store, id } => {
            let job = get(ctx, store, id).await?;
            if ctx.json {
                return output::json(&job);
            }
            print_job(&job)
        }
        JobsCommand::Cancel { store, reference_store, id } => {
            let job = match (store, reference_store) {
                (Some(store), _) => cancel(ctx, store, id).await?,
                (None, Some(store)) => cancel_reference_job(ctx, store, id).await?,
                (None, None) => unreachable!("clap requires --store or --reference-store"),
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
    let mut jobs = Vec::new();
    let mut token = None;
    loop {
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
        let page = capture.json();
        jobs.extend(page["importJobs"].as_array().cloned().unwrap_or_default());
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    if ctx.json {
        return output::json(&Value::Array(jobs));
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| ["/id", "/status", "/creationTime", "/completionTime"].iter().map(|p| text(j, p)).collect())
        .collect();
    output::table(&["ID", "STATUS", "CREATED", "COMPLETED"], &rows)
}

fn print_job(job: &Value) -> Result<(), Error> {
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

/// `processed/total` bytes of a source, when the server reports them.
fn progress(source: &Value) -> String {
    match (source["bytesProcessed"].as_u64(), source["bytesTotal"].as_u64()) {
        (Some(done), Some(total)) => format!("{done}/{total}"),
        (Some(done), None) => done.to_string(),
        _ => String::new(),
    }
}
