//! `seqstore readsets ls|show|qc|rm|archive|activate`: the modelled ListReadSets filters through the
//! typed input, the `etag` extension filter added to the raw body; each read set's storage tier
//! shown beside its status, and in `show` its alignment statistics (the extension member
//! `alignmentStatistics`); BatchDeleteReadSet; moving read sets between tiers in
//! [`super::tiers`]; quality-control statistics in [`super::qc`].

use aws_sdk_omics::primitives::DateTime;
use aws_sdk_omics::primitives::DateTimeFormat;
use aws_sdk_omics::types::{CreationType, ReadSetFilter as SdkFilter, ReadSetStatus as SdkStatus};
use seqstore::model::read_set::{ReadSetStatus, Tier};
use serde_json::{Value, json};

use super::output::{self, text};
use super::raw::{AddMembers, Capture};
use super::{Ctx, Error, api, qc, tiers};
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
        ReadSetsCommand::Qc { store, id } => qc::run(ctx, store, id).await,
        ReadSetsCommand::Rm { store, ids } => delete(ctx, store, ids).await,
        ReadSetsCommand::Archive { store, ids } => tiers::archive(ctx, store, ids).await,
        ReadSetsCommand::Activate { store, ids, wait } => tiers::activate(ctx, store, ids, *wait).await,
    }
}

/// Read set ids per BatchDeleteReadSet request (the model's ReadSetIdList).
const DELETE_BATCH: usize = 100;

/// `seqstore readsets rm`: BatchDeleteReadSet, 100 ids a request; prints how many were deleted,
/// then each id the server could not delete (standard error), and fails when there is any; with
/// `--json`, prints every `errors` entry.
async fn delete(ctx: &Ctx, store: &str, ids: &[String]) -> Result<(), Error> {
    let mut errors = Vec::new();
    for chunk in ids.chunks(DELETE_BATCH) {
        let capture = Capture::default();
        ctx.sdk
            .batch_delete_read_set()
            .sequence_store_id(store)
            .set_ids(Some(chunk.to_vec()))
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(api("BatchDeleteReadSet"))?;
        errors.extend(capture.json()["errors"].as_array().cloned().unwrap_or_default());
    }
    if ctx.json {
        output::json(&json!({ "errors": errors }))?;
    } else {
        let deleted = ids.len() - errors.len().min(ids.len());
        let plural = if ids.len() == 1 { "" } else { "s" };
        output::line(&format!("{deleted} of {} read set{plural} deleted", ids.len()))?;
    }
    for error in &errors {
        eprintln!("error: {}: {}: {}", text(error, "/id"), text(error, "/code"), text(error, "/message"));
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(Error::SomeFailed { operation: "BatchDeleteReadSet", failed: errors.len(), total: ids.len() })
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

/// The alignment statistics (`samtools flagstat`'s counts) a read set has, as fields, with the
/// percentages flagstat prints: mapped of all records, properly paired of the paired ones.
fn statistics(set: &Value) -> Vec<(&'static str, String)> {
    let stats = &set["alignmentStatistics"];
    let Some(primary) = stats["primary"].as_u64() else { return Vec::new() };
    let count = |member: &str| stats[member].as_u64().unwrap_or(0);
    let all = primary + count("secondary") + count("supplementary");
    let share = |n: u64, of: u64| {
        if of == 0 { n.to_string() } else { format!("{n} ({:.2}%)", n as f64 * 100.0 / of as f64) }
    };
    vec![
        ("primary", primary.to_string()),
        ("secondary", count("secondary").to_string()),
        ("supplementary", count("supplementary").to_string()),
        ("mapped", share(count("mapped"), all)),
        ("paired", count("paired").to_string()),
        ("properly paired", share(count("properlyPaired"), count("paired"))),
        ("duplicates", count("duplicates").to_string()),
    ]
}

/// Prints a read set's metadata as fields, its alignment statistics among them.
pub(super) fn print_read_set(set: &Value) -> Result<(), Error> {
    let file = |name: &str| {
        let size = text(set, &format!("/files/{name}/contentLength"));
        let parts = text(set, &format!("/files/{name}/totalParts"));
        match (size.is_empty(), parts.as_str()) {
            (true, _) => String::new(),
            (false, "1") => format!("{size} bytes in 1 part"),
            (false, _) => format!("{size} bytes in {parts} parts"),
        }
    };
    let mut fields = vec![
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
    ];
    fields.extend(statistics(set));
    fields.extend([
        ("etag", format!("{} {}", text(set, "/etag/algorithm"), text(set, "/etag/source1")).trim().to_owned()),
        ("etag source2", text(set, "/etag/source2")),
        ("source1", file("source1")),
        ("source2", file("source2")),
        ("index", file("index")),
        ("created", text(set, "/creationTime")),
        ("job", text(set, "/creationJobId")),
    ]);
    output::fields(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_statistics_are_listed_when_present() {
        let set = json!({"alignmentStatistics": {"primary": 200, "secondary": 1, "supplementary": 2, "mapped": 190,
                          "paired": 200, "properlyPaired": 180, "duplicates": 3}});
        let fields = statistics(&set);
        assert_eq!(fields[0], ("primary", "200".to_owned()));
        assert_eq!(fields[3], ("mapped", "190 (93.60%)".to_owned()));
        assert_eq!(fields[5], ("properly paired", "180 (90.00%)".to_owned()));
        assert_eq!(fields[6], ("duplicates", "3".to_owned()));
        assert!(statistics(&json!({"sequenceInformation": {}})).is_empty(), "FASTQ has none");
    }
}
