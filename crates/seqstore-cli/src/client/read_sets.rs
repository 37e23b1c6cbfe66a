//! `seqstore readsets ls|show|archive|activate`: the modelled ListReadSets filters through the
//! typed input, the `etag` extension filter added to the raw body; each read set's storage tier
//! shown beside its status; moving read sets between tiers in [`super::tiers`].

use aws_sdk_omics::primitives::DateTime;
use aws_sdk_omics::primitives::DateTimeFormat;
use aws_sdk_omics::types::{CreationType, ReadSetFilter as SdkFilter, ReadSetStatus as SdkStatus};
use seqstore::model::read_set::{ReadSetStatus, Tier};
use serde_json::Value;

use super::output::{self, text};
use super::raw::{AddMembers, Capture};
use super::{Ctx, Error, api, tiers};
use crate::cli::client::{ReadSetFilter, ReadSetsCommand};

/// Runs one readsets command.
pub(super) async fn run(ctx: &Ctx, command: &ReadSetsCommand) -> Result<(), Error> {
    match command {
        ReadSetsCommand::Ls { store, filter } => list(ctx, store, filter).await,
        ReadSetsCommand::Show { store, id } => {
            let set = metadata(ctx, store, id).await?;
            if ctx.json {
                return output::json(&set);
            }
            print_read_set(&set)
        }
        ReadSetsCommand::Archive { store, ids } => tiers::archive(ctx, store, ids).await,
        ReadSetsCommand::Activate { store, ids, wait } => tiers::activate(ctx, store, ids, *wait).await,
    }
}

/// The storage tier a read set's status puts it in: `archive` for ARCHIVED and ACTIVATING,
/// `hot` (the store's own storage) for every other status.
fn tier(set: &Value) -> &'static str {
    ReadSetStatus::parse(set["status"].as_str().unwrap_or("")).map_or(Tier::Hot, ReadSetStatus::tier).as_str()
}

/// GetReadSetMetadata as received, extension members included.
pub(super) async fn metadata(ctx: &Ctx, store: &str, id: &str) -> Result<Value, Error> {
    let capture = Capture::default();
    ctx.sdk
        .get_read_set_metadata()
        .sequence_store_id(store)
        .id(id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("GetReadSetMetadata"))?;
    Ok(capture.json())
}

fn time(value: Option<&str>, flag: &str) -> Result<Option<DateTime>, Error> {
    value
        .map(|v| {
            DateTime::from_str(v, DateTimeFormat::DateTime)
                .map_err(|_| Error::Usage(format!("{flag} must be an RFC 3339 time such as 2026-01-31T00:00:00Z")))
        })
        .transpose()
}

fn sdk_filter(filter: &ReadSetFilter) -> Result<SdkFilter, Error> {
    Ok(SdkFilter::builder()
        .set_name(filter.name.clone())
        .set_status(filter.status.as_deref().map(SdkStatus::from))
        .set_sample_id(filter.sample.clone())
        .set_subject_id(filter.subject.clone())
        .set_reference_arn(filter.reference.clone())
        .set_generated_from(filter.generated_from.clone())
        .set_creation_type(filter.creation_type.as_deref().map(CreationType::from))
        .set_created_after(time(filter.created_after.as_deref(), "--created-after")?)
        .set_created_before(time(filter.created_before.as_deref(), "--created-before")?)
        .build())
}

async fn list(ctx: &Ctx, store: &str, filter: &ReadSetFilter) -> Result<(), Error> {
    let typed = sdk_filter(filter)?;
    let mut sets = Vec::new();
    let mut token = None;
    loop {
        let capture = Capture::default();
        let mut call = ctx
            .sdk
            .list_read_sets()
            .sequence_store_id(store)
            .filter(typed.clone())
            .set_next_token(token)
            .customize()
            .interceptor(capture.clone());
        if let Some(etag) = &filter.etag {
            let mut members = serde_json::Map::new();
            members.insert("etag".into(), Value::String(etag.clone()));
            call = call.interceptor(AddMembers::new(vec!["filter"], members));
        }
        call.send().await.map_err(api("ListReadSets"))?;
        let page = capture.json();
        sets.extend(page["readSets"].as_array().cloned().unwrap_or_default());
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    if ctx.json {
        return output::json(&Value::Array(sets));
    }
    let rows: Vec<Vec<String>> = sets
        .iter()
        .map(|s| {
            let mut row: Vec<String> = ["/id", "/name", "/fileType", "/status"].iter().map(|p| text(s, p)).collect();
            row.push(tier(s).to_owned());
            row.extend(["/sampleId", "/subjectId", "/sequenceInformation/totalReadCount"].iter().map(|p| text(s, p)));
            row
        })
        .collect();
    output::table(&["ID", "NAME", "TYPE", "STATUS", "TIER", "SAMPLE", "SUBJECT", "READS"], &rows)
}

/// Prints a read set's metadata as fields.
pub(super) fn print_read_set(set: &Value) -> Result<(), Error> {
    let file = |name: &str| {
        let size = text(set, &format!("/files/{name}/contentLength"));
        let parts = text(set, &format!("/files/{name}/totalParts"));
        if size.is_empty() { String::new() } else { format!("{size} bytes in {parts} parts") }
    };
    output::fields(&[
        ("id", text(set, "/id")),
        ("name", text(set, "/name")),
        ("store", text(set, "/sequenceStoreId")),
        ("status", text(set, "/status")),
        ("tier", tier(set).to_owned()),
        ("message", text(set, "/statusMessage")),
        ("type", text(set, "/fileType")),
        ("sample", text(set, "/sampleId")),
        ("subject", text(set, "/subjectId")),
        ("reference", text(set, "/referenceArn")),
        ("reads", text(set, "/sequenceInformation/totalReadCount")),
        ("bases", text(set, "/sequenceInformation/totalBaseCount")),
        ("alignment", text(set, "/sequenceInformation/alignment")),
        ("etag", format!("{} {}", text(set, "/etag/algorithm"), text(set, "/etag/source1")).trim().to_owned()),
        ("etag source2", text(set, "/etag/source2")),
        ("source1", file("source1")),
        ("source2", file("source2")),
        ("index", file("index")),
        ("created", text(set, "/creationTime")),
        ("job", text(set, "/creationJobId")),
    ])
}
