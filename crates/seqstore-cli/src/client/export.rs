//! `seqstore export`: one export job of read sets to an S3 prefix. `--wait` follows it with a
//! progress bar of the bytes written of all read sets (the extension members
//! `bytesProcessed`/`bytesTotal` of each), then prints the job; a read set that failed makes the
//! command fail with its message.

use aws_sdk_omics::types::ExportReadSet;

use super::output::{self, text};
use super::raw::Capture;
use super::{Ctx, Error, POLL, api, jobs, progress};
use crate::cli::client::ExportArgs;

/// Runs `seqstore export`.
pub(super) async fn run(ctx: &Ctx, args: &ExportArgs) -> Result<(), Error> {
    let sources = args
        .read_sets
        .iter()
        .map(|id| ExportReadSet::builder().read_set_id(id).build().expect("every required member is set"))
        .collect();
    let capture = Capture::default();
    ctx.sdk
        .start_read_set_export_job()
        .sequence_store_id(&args.store)
        .destination(&args.destination)
        .role_arn(&args.role_arn)
        .set_sources(Some(sources))
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("StartReadSetExportJob"))?;
    let job = capture.json();
    let id = text(&job, "/id");
    if !args.wait {
        return if ctx.json { output::json(&job) } else { output::line(&format!("export job {id} submitted")) };
    }
    let bar = progress::bytes(ctx.progress, 0, &format!("export {id}"));
    let job = loop {
        let job = jobs::get_export(ctx, &args.store, &id, false).await?;
        let read_sets = job["readSets"].as_array().cloned().unwrap_or_default();
        let sum = |member: &str| read_sets.iter().filter_map(|s| s[member].as_u64()).sum::<u64>();
        bar.set_length(sum("bytesTotal"));
        bar.set_position(sum("bytesProcessed"));
        if !matches!(job["status"].as_str(), Some("SUBMITTED" | "IN_PROGRESS" | "CANCELLING")) {
            break job;
        }
        tokio::time::sleep(POLL).await;
    };
    let failed =
        job["readSets"].as_array().into_iter().flatten().find(|s| s["status"].as_str() != Some("FINISHED")).map(|s| {
            let message = [text(s, "/statusDetail"), text(s, "/statusMessage")].into_iter().find(|m| !m.is_empty());
            format!("read set {}: {}", text(s, "/id"), message.unwrap_or_else(|| text(s, "/status")))
        });
    if let Some(message) = failed {
        bar.abandon();
        return Err(Error::SourceFailed { job: id, message });
    }
    bar.finish();
    if ctx.json {
        return output::json(&job);
    }
    jobs::print_job(&job)
}
