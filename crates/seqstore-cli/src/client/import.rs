//! `seqstore import`: one read set from one source (a FASTQ pair is one source). Local paths are
//! sent as absolute `file://` URIs; when the server refuses to read them (AccessDeniedException:
//! not under its file roots or the role's locations) they are uploaded with the direct multipart
//! upload instead. Without `--wait` the job id alone goes to standard output (`JOB=$(seqstore
//! import …)`), the sentence about it to standard error. `--wait` follows the import with a
//! progress bar fed by the extension members `bytesProcessed`/`bytesTotal`, then prints the read
//! set, and the source's note (`same content as read set N`) on standard error.

use std::path::{Path, PathBuf};

use aws_sdk_omics::types::{SourceFiles, StartReadSetImportJobSourceItem};
use serde_json::json;

use super::output::{self, text};
use super::raw::Capture;
use super::upload::{self, file_type};
use super::{Ctx, Error, POLL, api, jobs, progress, read_sets};
use crate::cli::client::ImportArgs;

/// A source as given: a URI to send, and the local file when it is one.
struct Source {
    uri: String,
    local: Option<PathBuf>,
}

/// Runs `seqstore import`.
pub(super) async fn run(ctx: &Ctx, args: &ImportArgs) -> Result<(), Error> {
    if args.sources.len() == 2 && !args.file_type.0.allows_source2() {
        return Err(Error::Usage("a second source file is only for FASTQ pairs".into()));
    }
    let sources = args.sources.iter().map(|s| source(s)).collect::<Result<Vec<_>, _>>()?;
    let capture = Capture::default();
    let started = ctx
        .sdk
        .start_read_set_import_job()
        .sequence_store_id(&args.store)
        .role_arn(&args.role_arn)
        .sources(item(args, &sources))
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("StartReadSetImportJob"));
    let locals: Option<Vec<PathBuf>> = sources.iter().map(|s| s.local.clone()).collect();
    match (started, locals) {
        (Err(Error::Api { code: Some(code), message, .. }), Some(files)) if code == "AccessDeniedException" => {
            let reason = message.unwrap_or_default();
            eprintln!("the server cannot read the file ({reason}); uploading it instead");
            upload::run(ctx, args, &files).await
        }
        (Err(e), _) => Err(e),
        (Ok(_), _) => {
            let job = capture.json();
            let id = text(&job, "/id");
            if !args.wait {
                if ctx.json {
                    return output::json(&job);
                }
                eprintln!(
                    "import job {id} submitted; `seqstore jobs show --store {} {id}` shows its progress",
                    args.store
                );
                return output::line(&id);
            }
            wait(ctx, &args.store, &id).await
        }
    }
}

/// The URI for `given`: URIs as they are, local paths made absolute as `file://` URIs.
fn source(given: &str) -> Result<Source, Error> {
    if given.starts_with("s3://") {
        return Ok(Source { uri: given.to_owned(), local: None });
    }
    if let Some(path) = given.strip_prefix("file://") {
        let local = Path::new(path).is_file().then(|| PathBuf::from(path));
        return Ok(Source { uri: given.to_owned(), local });
    }
    let path = std::fs::canonicalize(given).map_err(|source| Error::File {
        action: "cannot find",
        path: given.to_owned(),
        source,
    })?;
    Ok(Source { uri: format!("file://{}", path.display()), local: Some(path) })
}

fn item(args: &ImportArgs, sources: &[Source]) -> StartReadSetImportJobSourceItem {
    let files = SourceFiles::builder()
        .source1(&sources[0].uri)
        .set_source2(sources.get(1).map(|s| s.uri.clone()))
        .build()
        .expect("every required member is set");
    StartReadSetImportJobSourceItem::builder()
        .source_files(files)
        .source_file_type(file_type(args.file_type))
        .subject_id(&args.subject)
        .sample_id(&args.sample)
        .name(args.name.clone().unwrap_or_else(|| args.sample.clone()))
        .set_description(args.description.clone())
        .set_reference_arn(args.reference.clone())
        .build()
        .expect("every required member is set")
}

/// Follows job `id` to its end with a progress bar, then prints its read set; a FAILED source
/// is an error carrying its message.
async fn wait(ctx: &Ctx, store: &str, id: &str) -> Result<(), Error> {
    let bar = progress::bytes(ctx.progress, 0, &format!("import {id}"));
    let job = loop {
        let job = jobs::get(ctx, store, id).await?;
        let source = &job["sources"][0];
        if let Some(total) = source["bytesTotal"].as_u64() {
            bar.set_length(total);
        }
        if let Some(done) = source["bytesProcessed"].as_u64() {
            bar.set_position(done);
        }
        if !matches!(job["status"].as_str(), Some("SUBMITTED" | "IN_PROGRESS")) {
            break job;
        }
        tokio::time::sleep(POLL).await;
    };
    let source = &job["sources"][0];
    if source["status"].as_str() != Some("FINISHED") {
        bar.abandon();
        let message = [text(source, "/statusDetail"), text(source, "/statusMessage"), text(&job, "/statusMessage")]
            .into_iter()
            .find(|m| !m.is_empty())
            .unwrap_or_else(|| format!("the job ended {}", text(&job, "/status")));
        return Err(Error::SourceFailed { job: id.to_owned(), message });
    }
    bar.finish();
    let note = text(source, "/statusMessage");
    if !note.is_empty() {
        eprintln!("note: {note}");
    }
    let set = read_sets::metadata(ctx, store, &text(source, "/readSetId")).await?;
    if ctx.json {
        return output::json(&json!({ "job": job, "readSet": set }));
    }
    if ctx.quiet {
        return output::line(&text(&set, "/id"));
    }
    read_sets::print_read_set(&set)
}
