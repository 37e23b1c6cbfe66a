//! `seqstore ref import|ls`: FASTA references in the account's reference store, which is created
//! (named `seqstore`) on first use; `ls` lists the references of every reference store of the
//! account (or of `--store`), each with its store.

use aws_sdk_omics::types::StartReferenceImportJobSourceItem;
use serde_json::Value;

use super::output::{self, text};
use super::raw::Capture;
use super::{Ctx, Error, POLL, api, progress};
use crate::cli::client::RefCommand;

/// Name of the reference store created on first use.
const STORE_NAME: &str = "seqstore";

/// Runs one ref command.
pub(super) async fn run(ctx: &Ctx, command: &RefCommand) -> Result<(), Error> {
    match command {
        RefCommand::Import { store, role_arn, name, files } => {
            if name.is_some() && files.len() > 1 {
                return Err(Error::Usage("--name names one reference: give one FASTA file".into()));
            }
            let store = match store {
                Some(id) => id.clone(),
                None => store_id(ctx, true).await?.expect("created when missing"),
            };
            import(ctx, &store, role_arn, name.as_deref(), files).await
        }
        RefCommand::Ls { store } => {
            let stores = match store {
                Some(id) => vec![id.clone()],
                None => store_ids(ctx).await?,
            };
            let mut references = Vec::new();
            for store in &stores {
                references.extend(list(ctx, store).await?);
            }
            print_references(ctx, &references)
        }
    }
}

/// The first reference store of the account; with `create`, one is created when there is none.
async fn store_id(ctx: &Ctx, create: bool) -> Result<Option<String>, Error> {
    let stores = ctx.sdk.list_reference_stores().send().await.map_err(api("ListReferenceStores"))?;
    if let Some(store) = stores.reference_stores().first() {
        return Ok(Some(store.id().to_owned()));
    }
    if !create {
        return Ok(None);
    }
    let created =
        ctx.sdk.create_reference_store().name(STORE_NAME).send().await.map_err(api("CreateReferenceStore"))?;
    eprintln!("created reference store {}", created.id());
    Ok(Some(created.id().to_owned()))
}

/// Every reference store of the account, in the order listed.
async fn store_ids(ctx: &Ctx) -> Result<Vec<String>, Error> {
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let page =
            ctx.sdk.list_reference_stores().set_next_token(token).send().await.map_err(api("ListReferenceStores"))?;
        ids.extend(page.reference_stores().iter().map(|s| s.id().to_owned()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(ids);
        }
    }
}

/// `file.fa.gz` → `file`; the whole file name when that is shorter than the 3 characters a
/// reference name needs.
fn default_name(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    let mut name = base;
    for ext in [".gz", ".bgz", ".fa", ".fasta", ".fna", ".fas"] {
        name = name.strip_suffix(ext).unwrap_or(name);
    }
    if name.chars().count() < 3 { base.to_owned() } else { name.to_owned() }
}

fn uri(file: &str) -> Result<String, Error> {
    if file.starts_with("s3://") || file.starts_with("file://") {
        return Ok(file.to_owned());
    }
    let path = std::fs::canonicalize(file).map_err(|source| Error::File {
        action: "cannot find",
        path: file.to_owned(),
        source,
    })?;
    Ok(format!("file://{}", path.display()))
}

async fn import(ctx: &Ctx, store: &str, role: &str, name: Option<&str>, files: &[String]) -> Result<(), Error> {
    let mut sources = Vec::new();
    for file in files {
        let name = name.map_or_else(|| default_name(file), str::to_owned);
        let item = StartReferenceImportJobSourceItem::builder()
            .source_file(uri(file)?)
            .name(name)
            .build()
            .expect("every required member is set");
        sources.push(item);
    }
    let started = ctx
        .sdk
        .start_reference_import_job()
        .reference_store_id(store)
        .role_arn(role)
        .set_sources(Some(sources))
        .send()
        .await
        .map_err(api("StartReferenceImportJob"))?;
    let job_id = started.id().to_owned();
    let spinner = progress::spinner(ctx.progress, &format!("reference import {job_id}"));
    let job = loop {
        let capture = Capture::default();
        ctx.sdk
            .get_reference_import_job()
            .reference_store_id(store)
            .id(&job_id)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(api("GetReferenceImportJob"))?;
        let job = capture.json();
        if !matches!(job["status"].as_str(), Some("SUBMITTED" | "IN_PROGRESS")) {
            break job;
        }
        tokio::time::sleep(POLL).await;
    };
    spinner.finish_and_clear();
    let sources = job["sources"].as_array().cloned().unwrap_or_default();
    if let Some(failed) = sources.iter().find(|s| s["status"].as_str() != Some("FINISHED")) {
        let message = format!("{}: {}", text(failed, "/sourceFile"), text(failed, "/statusMessage"));
        return Err(Error::SourceFailed { job: job_id, message });
    }
    let mut references = Vec::new();
    for source in &sources {
        references.push(metadata(ctx, store, &text(source, "/referenceId")).await?);
    }
    print_references(ctx, &references)
}

/// GetReferenceMetadata as received, extension members (`sequences`) included.
pub(super) async fn metadata(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let capture = Capture::default();
    ctx.sdk
        .get_reference_metadata()
        .reference_store_id(store)
        .id(id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("GetReferenceMetadata"))?;
    Ok(capture.json())
}

async fn list(ctx: &Ctx, store: &str) -> Result<Vec<Value>, Error> {
    let mut references = Vec::new();
    let mut token = None;
    loop {
        let capture = Capture::default();
        ctx.sdk
            .list_references()
            .reference_store_id(store)
            .set_next_token(token)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(api("ListReferences"))?;
        let page = capture.json();
        references.extend(page["references"].as_array().cloned().unwrap_or_default());
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            return Ok(references);
        }
    }
}

fn print_references(ctx: &Ctx, references: &[Value]) -> Result<(), Error> {
    if ctx.json {
        return output::json(&Value::Array(references.to_vec()));
    }
    let rows: Vec<Vec<String>> = references
        .iter()
        .map(|r| ["/referenceStoreId", "/id", "/name", "/status", "/md5", "/arn"].iter().map(|p| text(r, p)).collect())
        .collect();
    output::table(&["STORE", "ID", "NAME", "STATUS", "MD5", "ARN"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_fasta_extensions() {
        assert_eq!(default_name("/data/ref/GRCh38.fa.gz"), "GRCh38");
        assert_eq!(default_name("chr20.fasta"), "chr20");
        assert_eq!(default_name("s3://b/k/genome"), "genome");
        assert_eq!(default_name("/ref/ce.fa"), "ce.fa");
    }
}
