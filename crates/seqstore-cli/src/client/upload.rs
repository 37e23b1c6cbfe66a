//! The direct multipart upload of local files the server cannot read: parts of `--part-size-mib`
//! uploaded a few at a time with a progress bar, then completion; the read set is then processed
//! by the server (`PROCESSING_UPLOAD` → `ACTIVE` or `UPLOAD_FAILED`).

use std::path::{Path, PathBuf};

use aws_sdk_omics::primitives::ByteStream;
use aws_sdk_omics::types::{CompleteReadSetUploadPartListItem, FileType, ReadSetPartSource};
use futures_util::{StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::output::{self, text};
use super::{Ctx, Error, POLL, api, progress, read_sets};
use crate::cli::client::{FileTypeArg, ImportArgs};

/// Parts in flight at once.
const CONCURRENCY: usize = 4;

/// One part to send.
#[derive(Debug, Clone)]
struct Part {
    source: ReadSetPartSource,
    path: PathBuf,
    number: i32,
    offset: u64,
    len: u64,
}

/// Uploads `files` (source1 and maybe source2) as one read set, completes the upload and, with
/// `--wait`, waits for the server to process it and prints the read set.
pub(super) async fn run(ctx: &Ctx, args: &ImportArgs, files: &[PathBuf]) -> Result<(), Error> {
    let part_size = args.part_size_mib.max(1) << 20;
    let mut parts = Vec::new();
    for (path, source) in files.iter().zip([ReadSetPartSource::Source1, ReadSetPartSource::Source2]) {
        parts.extend(plan(path, source, part_size)?);
    }
    let created = ctx
        .sdk
        .create_multipart_read_set_upload()
        .sequence_store_id(&args.store)
        .source_file_type(file_type(args.file_type))
        .subject_id(&args.subject)
        .sample_id(&args.sample)
        .name(args.name.clone().unwrap_or_else(|| args.sample.clone()))
        .set_description(args.description.clone())
        .set_reference_arn(args.reference.clone())
        .send()
        .await
        .map_err(api("CreateMultipartReadSetUpload"))?;
    let upload_id = created.upload_id().to_owned();
    let total = parts.iter().map(|p| p.len).sum();
    let bar = progress::bytes(ctx.progress, total, &format!("upload {upload_id}"));
    let sent = send_parts(ctx, &args.store, &upload_id, parts, &bar).await;
    let items = match sent {
        Ok(items) => items,
        Err(e) => {
            bar.abandon();
            let _ = ctx
                .sdk
                .abort_multipart_read_set_upload()
                .sequence_store_id(&args.store)
                .upload_id(&upload_id)
                .send()
                .await;
            return Err(e);
        }
    };
    bar.finish();
    let completed = ctx
        .sdk
        .complete_multipart_read_set_upload()
        .sequence_store_id(&args.store)
        .upload_id(&upload_id)
        .set_parts(Some(items))
        .send()
        .await
        .map_err(api("CompleteMultipartReadSetUpload"))?;
    let read_set = completed.read_set_id().to_owned();
    let upload = json!({ "uploadId": upload_id, "readSetId": read_set });
    if !args.wait {
        if ctx.json {
            return output::json(&upload);
        }
        eprintln!(
            "uploaded as read set {read_set}, which the server is processing; `seqstore readsets show --store {} \
             {read_set}` shows when it is ACTIVE",
            args.store
        );
        return output::line(&read_set);
    }
    let set = wait_for_upload(ctx, &args.store, &read_set).await?;
    if ctx.json {
        return output::json(&json!({ "upload": upload, "readSet": set }));
    }
    if ctx.quiet {
        return output::line(&read_set);
    }
    read_sets::print_read_set(&set)
}

/// The parts of one file.
fn plan(path: &Path, source: ReadSetPartSource, part_size: u64) -> Result<Vec<Part>, Error> {
    let size = std::fs::metadata(path)
        .map_err(|source| Error::File { action: "cannot read", path: path.display().to_string(), source })?
        .len();
    if size == 0 {
        return Err(Error::Usage(format!("{} is empty", path.display())));
    }
    Ok((0..size.div_ceil(part_size))
        .map(|i| Part {
            source: source.clone(),
            path: path.to_owned(),
            number: i as i32 + 1,
            offset: i * part_size,
            len: part_size.min(size - i * part_size),
        })
        .collect())
}

async fn send_parts(
    ctx: &Ctx,
    store: &str,
    upload_id: &str,
    parts: Vec<Part>,
    bar: &ProgressBar,
) -> Result<Vec<CompleteReadSetUploadPartListItem>, Error> {
    futures_util::stream::iter(parts)
        .map(|part| async move {
            let bytes = read(&part).await?;
            let out = ctx
                .sdk
                .upload_read_set_part()
                .sequence_store_id(store)
                .upload_id(upload_id)
                .part_source(part.source.clone())
                .part_number(part.number)
                .payload(ByteStream::from(bytes))
                .send()
                .await
                .map_err(api("UploadReadSetPart"))?;
            bar.inc(part.len);
            Ok::<_, Error>(
                CompleteReadSetUploadPartListItem::builder()
                    .part_source(part.source)
                    .part_number(part.number)
                    .checksum(out.checksum())
                    .build()
                    .expect("every member is set"),
            )
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await
}

async fn read(part: &Part) -> Result<Vec<u8>, Error> {
    let failed = |source| Error::File { action: "cannot read", path: part.path.display().to_string(), source };
    let mut file = tokio::fs::File::open(&part.path).await.map_err(failed)?;
    file.seek(std::io::SeekFrom::Start(part.offset)).await.map_err(failed)?;
    let mut bytes = vec![0; part.len as usize];
    file.read_exact(&mut bytes).await.map_err(failed)?;
    Ok(bytes)
}

/// The SDK's file type for the flag's.
pub(super) fn file_type(file_type: FileTypeArg) -> FileType {
    FileType::from(file_type.0.as_str())
}

/// Waits while read set `id` is PROCESSING_UPLOAD; an UPLOAD_FAILED read set is an error.
pub(super) async fn wait_for_upload(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let spinner = progress::spinner(ctx.progress, &format!("processing read set {id}"));
    loop {
        let set = read_sets::metadata(ctx, store, id).await?;
        match set["status"].as_str() {
            Some("PROCESSING_UPLOAD") => tokio::time::sleep(POLL).await,
            Some("UPLOAD_FAILED") => {
                spinner.abandon();
                return Err(Error::UploadFailed { read_set: id.to_owned(), message: text(&set, "/statusMessage") });
            }
            _ => {
                spinner.finish_and_clear();
                return Ok(set);
            }
        }
    }
}
