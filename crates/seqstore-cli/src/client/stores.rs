//! `seqstore store create|ls|rm`.

use aws_sdk_omics::types::ETagAlgorithmFamily;
use serde_json::Value;

use super::output::{self, text};
use super::raw::Capture;
use super::{Ctx, Error, api};
use crate::cli::client::StoreCommand;

/// Runs one store command.
pub(super) async fn run(ctx: &Ctx, command: &StoreCommand) -> Result<(), Error> {
    match command {
        StoreCommand::Create { name, description, etag_algorithm } => {
            create(ctx, name, description.as_deref(), etag_algorithm.as_deref()).await
        }
        StoreCommand::Ls => list(ctx).await,
        StoreCommand::Rm { id } => remove(ctx, id).await,
    }
}

async fn create(ctx: &Ctx, name: &str, description: Option<&str>, family: Option<&str>) -> Result<(), Error> {
    let capture = Capture::default();
    ctx.sdk
        .create_sequence_store()
        .name(name)
        .set_description(description.map(str::to_owned))
        .set_e_tag_algorithm_family(family.map(ETagAlgorithmFamily::from))
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("CreateSequenceStore"))?;
    let store = capture.json();
    if ctx.json {
        return output::json(&store);
    }
    if ctx.quiet {
        return output::line(&text(&store, "/id"));
    }
    print_stores(&[store])
}

async fn list(ctx: &Ctx) -> Result<(), Error> {
    let mut stores = Vec::new();
    let mut token = None;
    loop {
        let capture = Capture::default();
        ctx.sdk
            .list_sequence_stores()
            .set_next_token(token)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(api("ListSequenceStores"))?;
        let page = capture.json();
        stores.extend(page["sequenceStores"].as_array().cloned().unwrap_or_default());
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    if ctx.json {
        return output::json(&Value::Array(stores));
    }
    print_stores(&stores)
}

fn print_stores(stores: &[Value]) -> Result<(), Error> {
    let rows: Vec<Vec<String>> = stores
        .iter()
        .map(|s| {
            ["/id", "/name", "/eTagAlgorithmFamily", "/status", "/creationTime"].iter().map(|p| text(s, p)).collect()
        })
        .collect();
    output::table(&["ID", "NAME", "ETAG", "STATUS", "CREATED"], &rows)
}

async fn remove(ctx: &Ctx, id: &str) -> Result<(), Error> {
    ctx.sdk.delete_sequence_store().id(id).send().await.map_err(api("DeleteSequenceStore"))?;
    if ctx.json {
        return output::json(&serde_json::json!({ "deleted": id }));
    }
    output::line(&format!("deleted sequence store {id}"))
}
