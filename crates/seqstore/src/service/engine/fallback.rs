//! The fallback location of a sequence store: when a direct upload's processing fails, the files
//! as uploaded are copied to `{fallbackLocation}{readSetId}/{file}` with the export's writer
//! ([`super::copy_out`]), through the configured role location with write access that covers it.
//! The outcome is one sentence for the failed read set's status message.

use object_store::path::Path;

use super::copy_out::{self, CopyError};
use super::kind::Attempt;
use crate::model::export::S3Prefix;
use crate::model::read_set::ReadSet;
use crate::service::Caller;
use crate::storage::destination::Destination;

/// Copies the files of the failed read set `set` (its kept files) to `fallback`; says where they
/// went or why they did not.
pub(super) async fn copy(at: &Attempt<'_>, fallback: &str, set: &ReadSet) -> String {
    match try_copy(at, fallback, set).await {
        Ok(at) => format!("the uploaded files were copied to {at}"),
        Err(why) => {
            tracing::warn!(read_set = %set.id, fallback, why, "could not copy a failed upload to the fallback location");
            format!("the uploaded files could not be copied to {fallback}: {why}")
        }
    }
}

async fn try_copy(at: &Attempt<'_>, fallback: &str, set: &ReadSet) -> Result<String, String> {
    let caller = Caller { account: at.claim.account.clone() };
    let location = at.service.fallback_location(&caller, fallback).map_err(|e| e.to_string())?;
    let prefix = S3Prefix::parse(fallback).ok_or("it is not an s3://bucket/prefix/")?;
    let dest = Destination::open(&location, &prefix.bucket).map_err(|e| e.cause.to_string())?;
    let names = at.service.read_set_file_names(set).await.map_err(|e| e.to_string())?;
    let files = [(set.files.source1.as_ref(), Some(names.source1)), (set.files.source2.as_ref(), names.source2)];
    for (file, name) in files.into_iter().filter_map(|(f, n)| Some((f?, n?))) {
        let key = Path::from(prefix.key(&set.id, &name));
        copy_out::copy(at, &dest, &key, file).await.map_err(|e| match e {
            CopyError::Write(e) => e.cause.to_string(),
            CopyError::Read(m) | CopyError::Mismatch(m) => m,
            CopyError::Stopped => "the attempt lost its lease".to_owned(),
            CopyError::Db => "the database failed".to_owned(),
        })?;
    }
    Ok(format!("{prefix}{}/", set.id))
}
