//! `seqstore download`: one file of a read set, its parts fetched in parallel into a temporary
//! file beside the output, verified (size, and the read set's ETag recomputed with the scanners of
//! `seqstore-formats`), and only then renamed to the output path. A file that fails verification
//! is removed. The output gets the permissions of any file the user creates (0666 less the
//! umask), not a temporary file's private 0600.

use std::fs::File;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::Path;

use aws_sdk_omics::primitives::ByteStream;
use aws_sdk_omics::types::{ReadSetFile, ReferenceFile};
use futures_util::{StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use seqstore::model::import::FileType;
use serde_json::{Value, json};

use super::output::{self, text};
use super::verify::{self, Mismatch, Reference};
use super::{Ctx, Error, api, jobs, progress, read_sets};
use crate::cli::client::{self, DownloadArgs};

/// The mode a download is created with; the kernel takes the umask off, as for any new file.
const CREATE_MODE: u32 = 0o666;

/// Where a file's parts come from.
#[derive(Debug, Clone, Copy)]
enum Fetch<'a> {
    /// A read set file.
    ReadSet { store: &'a str, id: &'a str, file: client::ReadSetFile },
    /// A reference file.
    Reference { store: &'a str, id: &'a str, file: &'a ReferenceFile },
}

/// Size and part layout of a stored file (`files.*` of the metadata).
#[derive(Debug, Clone, Copy)]
struct Layout {
    size: u64,
    part_size: u64,
    parts: u64,
}

impl Layout {
    fn of(files: &Value, name: &str) -> Option<Self> {
        let info = files.get(name)?;
        Some(Self {
            size: info["contentLength"].as_u64()?,
            part_size: info["partSize"].as_u64()?,
            parts: info["totalParts"].as_u64()?,
        })
    }
}

/// Runs `seqstore download`.
pub(super) async fn run(ctx: &Ctx, args: &DownloadArgs) -> Result<(), Error> {
    let set = read_sets::metadata(ctx, &args.store, &args.id).await?;
    not_active(&set, &args.id)?;
    let (key, label) = match args.file {
        client::ReadSetFile::Source1 => ("source1", "SOURCE1"),
        client::ReadSetFile::Source2 => ("source2", "SOURCE2"),
        client::ReadSetFile::Index => ("index", "INDEX"),
    };
    let layout = Layout::of(&set["files"], key)
        .ok_or_else(|| Error::Usage(format!("read set {} has no {label} file", args.id)))?;
    let dir = args.output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".seqstore-download-")
        .permissions(std::fs::Permissions::from_mode(CREATE_MODE))
        .tempfile_in(dir)
        .map_err(|source| Error::File { action: "cannot create a file in", path: dir.display().to_string(), source })?;
    let bar = progress::bytes(ctx.progress, layout.size, &format!("download {} {label}", args.id));
    let fetch = Fetch::ReadSet { store: &args.store, id: &args.id, file: args.file };
    fetch_parts(ctx, fetch, layout, temp.as_file(), args.parallel, &bar).await?;
    bar.finish();
    let checked = check(ctx, args, &set, key, layout.size, temp.path()).await?;
    if let Err(reason) = checked {
        // Dropping `temp` removes the file.
        return Err(Error::Verification { read_set: args.id.clone(), file: label.to_owned(), reason });
    }
    let written = temp.persist(&args.output).map_err(|e| Error::File {
        action: "cannot write",
        path: args.output.display().to_string(),
        source: e.error,
    })?;
    drop(written);
    let etag = if key == "index" { String::new() } else { text(&set, &format!("/etag/{key}")) };
    if ctx.json {
        let path = args.output.display().to_string();
        let report = json!({ "readSetId": args.id, "file": label, "path": path, "bytes": layout.size, "etag": etag });
        return output::json(&report);
    }
    let what = if etag.is_empty() { "size".to_owned() } else { format!("size and ETag {etag}") };
    output::line(&format!("{}: {} bytes, {what} verified", args.output.display(), layout.size))
}

/// Refuses a read set that is not ACTIVE before any part is asked for (GetReadSet would answer
/// 409 ConflictException), saying what its status means.
fn not_active(set: &Value, id: &str) -> Result<(), Error> {
    let status = text(set, "/status");
    let advice = match status.as_str() {
        "ACTIVE" => return Ok(()),
        "PROCESSING_UPLOAD" => "its upload is still being processed; download it once `seqstore readsets show` \
                                reports ACTIVE (`seqstore import --wait` waits for that)"
            .to_owned(),
        "UPLOAD_FAILED" => match set["statusMessage"].as_str() {
            Some(message) => format!("processing its upload failed: {message}"),
            None => "processing its upload failed".to_owned(),
        },
        _ => "only ACTIVE read sets can be downloaded".to_owned(),
    };
    Err(Error::NotActive { read_set: id.to_owned(), status, advice })
}

/// Downloads every part of `fetch` into `file` at its offset, `parallel` parts at a time.
async fn fetch_parts(
    ctx: &Ctx,
    fetch: Fetch<'_>,
    layout: Layout,
    file: &File,
    parallel: usize,
    bar: &ProgressBar,
) -> Result<(), Error> {
    let failed = |source| Error::File { action: "cannot write", path: "the temporary download".into(), source };
    file.set_len(layout.size).map_err(failed)?;
    futures_util::stream::iter(1..=layout.parts)
        .map(|number| async move {
            let mut body = part(ctx, fetch, number as i32).await?;
            let mut offset = (number - 1) * layout.part_size;
            while let Some(chunk) = body.try_next().await.map_err(|e| Error::Api {
                operation: "GetReadSet",
                code: None,
                message: Some(format!("part {number} broke off")),
                source: Some(Box::new(e)),
            })? {
                file.write_all_at(&chunk, offset).map_err(failed)?;
                offset += chunk.len() as u64;
                bar.inc(chunk.len() as u64);
            }
            Ok::<_, Error>(())
        })
        .buffer_unordered(parallel.max(1))
        .try_collect::<()>()
        .await
}

async fn part(ctx: &Ctx, fetch: Fetch<'_>, number: i32) -> Result<ByteStream, Error> {
    match fetch {
        Fetch::ReadSet { store, id, file } => {
            let file = match file {
                client::ReadSetFile::Source1 => ReadSetFile::Source1,
                client::ReadSetFile::Source2 => ReadSetFile::Source2,
                client::ReadSetFile::Index => ReadSetFile::Index,
            };
            let out = ctx
                .sdk
                .get_read_set()
                .sequence_store_id(store)
                .id(id)
                .file(file)
                .part_number(number)
                .send()
                .await
                .map_err(api("GetReadSet"))?;
            Ok(out.payload)
        }
        Fetch::Reference { store, id, file } => {
            let out = ctx
                .sdk
                .get_reference()
                .reference_store_id(store)
                .id(id)
                .file(file.clone())
                .part_number(number)
                .send()
                .await
                .map_err(api("GetReference"))?;
            Ok(out.payload)
        }
    }
}

/// Verifies the downloaded `path` against the read set: the size, then for SOURCE1/SOURCE2 the
/// ETag recomputed by the file type's scanner (CRAM against its reference, fetched here).
async fn check(
    ctx: &Ctx,
    args: &DownloadArgs,
    set: &Value,
    key: &str,
    size: u64,
    path: &Path,
) -> Result<Result<(), Mismatch>, Error> {
    let actual = std::fs::metadata(path)
        .map_err(|source| Error::File { action: "cannot read", path: path.display().to_string(), source })?
        .len();
    if actual != size {
        return Ok(Err(Mismatch::Size { expected: size, actual }));
    }
    if key == "index" {
        return Ok(Ok(()));
    }
    let file_type = text(set, "/fileType");
    let needs_reference = FileType::parse(&file_type).is_some_and(FileType::needs_reference);
    let reference = if needs_reference { Some(reference(ctx, args, set).await?) } else { None };
    let expected_type = file_type.clone();
    let expected = verify::Expected {
        file_type,
        algorithm: text(set, "/etag/algorithm"),
        etag: text(set, &format!("/etag/{key}")),
        second: key == "source2",
    };
    let path = path.to_owned();
    let verified = tokio::task::spawn_blocking(move || verify::etag(&path, &expected, reference.as_ref()));
    let file_type = expected_type;
    Ok(verified.await.unwrap_or_else(|e| Err(Mismatch::Unreadable { file_type, source: e.into() })))
}

/// The reference a CRAM read set names, downloaded into a temporary directory (SOURCE made plain,
/// and its `.fai`), with the name samtools gives unnamed records (the source's file name).
async fn reference(ctx: &Ctx, args: &DownloadArgs, set: &Value) -> Result<Reference, Error> {
    let arn = text(set, "/referenceArn");
    let (store, id) = parse_reference_arn(&arn)
        .ok_or_else(|| Error::Usage(format!("the CRAM read set names no usable referenceArn ({arn:?})")))?;
    let meta = super::references::metadata(ctx, store, id).await?;
    let dir = tempfile::tempdir().map_err(|source| Error::File {
        action: "cannot create",
        path: "a temporary directory".into(),
        source,
    })?;
    let mut files = Vec::new();
    for (name, file) in [("source", ReferenceFile::Source), ("index", ReferenceFile::Index)] {
        let layout = Layout::of(&meta["files"], name)
            .ok_or_else(|| Error::Usage(format!("reference {id} has no {name} file")))?;
        let path = dir.path().join(name);
        let created = File::create_new(&path).map_err(|source| Error::File {
            action: "cannot create",
            path: path.display().to_string(),
            source,
        })?;
        let bar = progress::bytes(ctx.progress, layout.size, &format!("reference {id} {name}"));
        let fetch = Fetch::Reference { store, id, file: &file };
        fetch_parts(ctx, fetch, layout, &created, args.parallel, &bar).await?;
        bar.finish_and_clear();
        files.push(path);
    }
    let sequences = meta["sequences"].as_array().cloned().unwrap_or_default();
    let name_prefix = match text(set, "/creationType").as_str() {
        "UPLOAD" => "SOURCE1".to_owned(),
        _ => source_name(ctx, args, set).await?,
    };
    let (fasta, fai) = (files[0].clone(), files[1].clone());
    tokio::task::spawn_blocking(move || Reference::open(dir, &fasta, &fai, &sequences, name_prefix))
        .await
        .map_err(|e| Error::Reference { problem: "reading it stopped", source: e.into() })?
}

/// The last segment of the source1 URI the read set was imported from.
async fn source_name(ctx: &Ctx, args: &DownloadArgs, set: &Value) -> Result<String, Error> {
    let job = jobs::get(ctx, &args.store, &text(set, "/creationJobId")).await?;
    let sources = job["sources"].as_array().cloned().unwrap_or_default();
    let source = sources.iter().find(|s| s["readSetId"].as_str() == Some(args.id.as_str()));
    let uri = source.map(|s| text(s, "/sourceFiles/source1")).unwrap_or_default();
    Ok(uri.rsplit('/').next().unwrap_or_default().to_owned())
}

/// `(store, id)` of `arn:aws:omics:REGION:ACCOUNT:referenceStore/STORE/reference/ID`.
fn parse_reference_arn(arn: &str) -> Option<(&str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("referenceStore"), Some(store), Some("reference"), Some(id), None) => Some((store, id)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_arns_name_store_and_id() {
        let arn = "arn:aws:omics:us-east-1:111111111111:referenceStore/1234567890/reference/0987654321";
        assert_eq!(parse_reference_arn(arn), Some(("1234567890", "0987654321")));
        assert_eq!(parse_reference_arn("arn:aws:omics:us-east-1:1:sequenceStore/1"), None);
    }
}
