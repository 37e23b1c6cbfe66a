//! `seqstore readsets archive|activate`: moving read sets between storage tiers. `archive` calls
//! seqstore's extension BatchArchiveReadSet (`POST /sequencestore/{id}/readset/batch/archive`,
//! BatchDeleteReadSet's input and answer), signed by the SDK as the request of a
//! ListSequenceStores moved to that path with its own body; `activate` submits
//! StartReadSetActivationJob, 20 read sets per job, and with `--wait` follows the jobs with a
//! progress bar of the bytes copied back (the extension members `bytesProcessed`/`bytesTotal` of
//! each source).

use aws_sdk_omics::types::StartReadSetActivationJobSourceItem;
use serde_json::{Value, json};

use super::output::{self, text};
use super::raw::{Capture, Extension, encode};
use super::{Ctx, Error, POLL, api, jobs, progress};

/// Read set ids per BatchArchiveReadSet request (the model's ReadSetIdList).
const ARCHIVE_BATCH: usize = 100;
/// Read sets per activation job (the model's StartReadSetActivationJobRequestSourcesList).
const ACTIVATION_BATCH: usize = 20;

/// `seqstore readsets archive`: prints each id the server could not archive (standard error) and
/// fails when there is any; with `--json`, prints every `errors` entry.
pub(super) async fn archive(ctx: &Ctx, store: &str, ids: &[String]) -> Result<(), Error> {
    let mut errors = Vec::new();
    for chunk in ids.chunks(ARCHIVE_BATCH) {
        let capture = Capture::default();
        let path = format!("/sequencestore/{}/readset/batch/archive", encode(store));
        ctx.sdk
            .list_sequence_stores()
            .customize()
            .interceptor(Extension::at(path, json!({ "ids": chunk }).to_string()))
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(api("BatchArchiveReadSet"))?;
        errors.extend(capture.json()["errors"].as_array().cloned().unwrap_or_default());
    }
    if ctx.json {
        output::json(&json!({ "errors": errors }))?;
    } else {
        let accepted = ids.len() - errors.len().min(ids.len());
        output::line(&format!(
            "{accepted} of {} archived or being archived (archive jobs copy them in the background; \
             `seqstore readsets ls --status ARCHIVED` lists those done)",
            read_sets(ids.len())
        ))?;
    }
    for error in &errors {
        eprintln!("error: {}: {}: {}", text(error, "/id"), text(error, "/code"), text(error, "/message"));
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(Error::SomeFailed { operation: "BatchArchiveReadSet", failed: errors.len(), total: ids.len() })
}

/// `seqstore readsets activate`: one StartReadSetActivationJob per 20 read sets (each id once, in
/// the order given); prints the jobs, or with `wait` follows them to their end. When a job cannot
/// be submitted, the ones submitted before it are named on standard error: they run on.
pub(super) async fn activate(ctx: &Ctx, store: &str, ids: &[String], wait: bool) -> Result<(), Error> {
    let mut unique: Vec<&String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    let mut jobs = Vec::new();
    for chunk in unique.chunks(ACTIVATION_BATCH) {
        match start(ctx, store, chunk).await {
            Ok(job) => jobs.push(job),
            Err(e) => {
                if !jobs.is_empty() {
                    let ids: Vec<String> = jobs.iter().map(|j| text(j, "/id")).collect();
                    eprintln!("note: activation jobs submitted before this failure run on: {}", ids.join(", "));
                }
                return Err(e);
            }
        }
    }
    if !wait {
        if ctx.json {
            return output::json(&Value::Array(jobs));
        }
        for (job, chunk) in jobs.iter().zip(unique.chunks(ACTIVATION_BATCH)) {
            output::line(&format!("activation job {} submitted ({})", text(job, "/id"), read_sets(chunk.len())))?;
        }
        return Ok(());
    }
    let ids: Vec<String> = jobs.iter().map(|j| text(j, "/id")).collect();
    let label = if ids.len() == 1 { format!("activate {}", ids[0]) } else { format!("activate {} jobs", ids.len()) };
    let bar = progress::bytes(ctx.progress, 0, &label);
    let jobs = loop {
        let mut jobs = Vec::with_capacity(ids.len());
        for id in &ids {
            jobs.push(get(ctx, store, id).await?);
        }
        let sources: Vec<&Value> = jobs.iter().flat_map(|j| j["sources"].as_array().into_iter().flatten()).collect();
        let sum = |member: &str| sources.iter().filter_map(|s| s[member].as_u64()).sum::<u64>();
        bar.set_length(sum("bytesTotal"));
        bar.set_position(sum("bytesProcessed"));
        if !jobs.iter().any(|j| matches!(j["status"].as_str(), Some("SUBMITTED" | "IN_PROGRESS" | "CANCELLING"))) {
            break jobs;
        }
        tokio::time::sleep(POLL).await;
    };
    let failed = jobs.iter().find_map(|job| {
        let source = job["sources"].as_array()?.iter().find(|s| s["status"].as_str() != Some("FINISHED"))?;
        let message =
            [text(source, "/statusDetail"), text(source, "/statusMessage")].into_iter().find(|m| !m.is_empty());
        let message =
            format!("read set {}: {}", text(source, "/readSetId"), message.unwrap_or_else(|| text(source, "/status")));
        Some((text(job, "/id"), message))
    });
    if let Some((job, message)) = failed {
        bar.abandon();
        return Err(Error::ActivationFailed { job, message });
    }
    bar.finish();
    if ctx.json {
        return output::json(&Value::Array(jobs));
    }
    for (i, job) in jobs.iter().enumerate() {
        if i > 0 {
            output::line("")?;
        }
        print_job(job)?;
    }
    Ok(())
}

/// StartReadSetActivationJob of `ids`, the answer as received.
async fn start(ctx: &Ctx, store: &str, ids: &[&String]) -> Result<Value, Error> {
    let sources = ids
        .iter()
        .map(|id| {
            StartReadSetActivationJobSourceItem::builder()
                .read_set_id(*id)
                .build()
                .expect("every required member is set")
        })
        .collect();
    let capture = Capture::default();
    ctx.sdk
        .start_read_set_activation_job()
        .sequence_store_id(store)
        .set_sources(Some(sources))
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("StartReadSetActivationJob"))?;
    Ok(capture.json())
}

/// GetReadSetActivationJob as received, extension members included.
async fn get(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let capture = Capture::default();
    ctx.sdk
        .get_read_set_activation_job()
        .sequence_store_id(store)
        .id(id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("GetReadSetActivationJob"))?;
    Ok(capture.json())
}

/// An activation job's fields and its read sets.
fn print_job(job: &Value) -> Result<(), Error> {
    output::fields(&[
        ("id", text(job, "/id")),
        ("store", text(job, "/sequenceStoreId")),
        ("status", text(job, "/status")),
        ("message", text(job, "/statusMessage")),
        ("created", text(job, "/creationTime")),
        ("completed", text(job, "/completionTime")),
    ])?;
    output::line("")?;
    let sources = job["sources"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = sources
        .iter()
        .map(|s| vec![text(s, "/readSetId"), text(s, "/status"), jobs::progress(s), text(s, "/statusMessage")])
        .collect();
    output::table(&["READ SET", "STATUS", "PROGRESS", "MESSAGE"], &rows)
}

/// "1 read set", "2 read sets".
fn read_sets(n: usize) -> String {
    format!("{n} read set{}", if n == 1 { "" } else { "s" })
}
