//! What every kind of import attempt shares: how an attempt ends, opening sources within the
//! role's grants, and recording a failure.

use futures_util::{StreamExt, TryStreamExt};

use super::tee::TeeError;
use crate::db::import_jobs::{self, Claim};
use crate::db::{self, read_sets};
use crate::model::import::{SourceSpec, SourceStatus};
use crate::model::read_set::ReadSet;
use crate::model::time;
use crate::model::upload::StoredPart;
use crate::report::chain;
use crate::service::{Caller, Service};
use crate::storage::data::DataStore;
use crate::storage::locations::SourceUri;
use crate::storage::source::{self, Opened};

/// Longest `statusMessage` the model allows.
const MAX_MESSAGE_CHARS: usize = 127;

/// How an attempt ended without a result.
pub(super) enum Outcome {
    /// The source is bad or unreadable: record it as FAILED with this message.
    Failed(String),
    /// The lease was lost or the process is stopping: commit nothing.
    Abandoned,
}

/// Opens the files of `spec`: source1, and source2 when `with_source2` and the spec has one. A
/// direct upload's files are its stored parts, read in order; other sources are opened through
/// the grants of the claim's role.
pub(super) async fn open_spec(
    service: &Service,
    claim: &Claim,
    spec: &SourceSpec,
    with_source2: bool,
) -> Result<Vec<Opened>, Outcome> {
    if let Some(upload) = &spec.upload {
        let mut opened = vec![parts_stream(service.data().clone(), upload.source1.clone())];
        if with_source2 && !upload.source2.is_empty() {
            opened.push(parts_stream(service.data().clone(), upload.source2.clone()));
        }
        return Ok(opened);
    }
    let mut files = vec![("source1", spec.source1.clone())];
    if let Some(source2) = spec.source2.as_ref().filter(|_| with_source2) {
        files.push(("source2", source2.clone()));
    }
    open_all(service, claim, &files).await
}

/// The stored `parts` as one stream, in order.
fn parts_stream(data: DataStore, parts: Vec<StoredPart>) -> Opened {
    let size = parts.iter().map(|p| p.size).sum();
    let stream = futures_util::stream::iter(parts)
        .then(move |part| {
            let data = data.clone();
            async move {
                let key = object_store::path::Path::from(part.key.as_str());
                let stream = data.get_range(&key, 0..part.size).await.map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(stream.map_err(std::io::Error::other))
            }
        })
        .try_flatten()
        .boxed();
    Opened { size, stream }
}

/// Opens each `(name, uri)` through the grants of the claim's role.
pub(super) async fn open_all(
    service: &Service,
    claim: &Claim,
    files: &[(&str, String)],
) -> Result<Vec<Opened>, Outcome> {
    let caller = Caller { account: claim.account.clone() };
    let grants = service.grants(&caller, &claim.role_arn).map_err(|e| Outcome::Failed(e.to_string()))?;
    let mut opened = Vec::new();
    for (name, uri) in files {
        let parsed = SourceUri::parse(uri).map_err(|e| Outcome::Failed(format!("{name}: {e}")))?;
        let location = grants
            .location_for(&parsed)
            .ok_or_else(|| Outcome::Failed(format!("{name}: the role may no longer read {uri}")))?;
        let source = source::open(uri, &parsed, location).await.map_err(|e| {
            let detail = chain(&e);
            let s3_request = source::failure::request_id(&detail).unwrap_or_default();
            tracing::warn!(file = name, uri, error = detail, s3_request, "a source could not be opened");
            // Its own message only: the sources of the error are the server's business.
            Outcome::Failed(format!("{name}: {e}"))
        })?;
        opened.push(source);
    }
    Ok(opened)
}

/// Opens the transaction that settles `claim`, with its job locked (so the last source to settle
/// sees the others' outcomes), and the settlement time.
pub(super) async fn begin_settlement(service: &Service, claim: &Claim) -> Result<(db::Tx, time::Millis), db::Error> {
    let mut tx = service.db().begin().await?;
    import_jobs::lock_job(&mut tx, service.db().backend(), &claim.job_id).await?;
    Ok((tx, time::now()))
}

/// `same content as read set N` when another read set of the store holds the same content as
/// `set` (`read_sets::same_content`: same file type, same ETag algorithm, every file's digest
/// equal).
pub(super) async fn duplicate_note(tx: &mut db::Tx, set: &ReadSet) -> Result<Option<String>, db::Error> {
    let duplicate = read_sets::same_content(tx, set).await?;
    Ok(duplicate.map(|id| format!("same content as read set {id}")))
}

/// Records the failure: a short message within the model's 127 characters and P_TEXT pattern, and
/// the full text as `statusDetail`.
pub(super) async fn fail(service: &Service, claim: &Claim, message: &str) -> Result<bool, db::Error> {
    let (mut tx, now) = begin_settlement(service, claim).await?;
    let short = status_message(message);
    if !import_jobs::settle_source(&mut tx, claim, SourceStatus::Failed, Some(&short), Some(message), now).await? {
        return Ok(false);
    }
    import_jobs::settle_job(&mut tx, &claim.job_id, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// `message` made safe for `statusMessage`: every character outside the model's `P_TEXT` classes
/// (letters, marks, separators, symbols, numbers, punctuation) escaped, at most 127 characters.
pub fn status_message(message: &str) -> String {
    static ALLOWED: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]$").expect("valid"));
    let escaped: String = message
        .chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            if ALLOWED.is_match(c.encode_utf8(&mut buf)) { c.to_string() } else { format!("\\x{{{:x}}}", c as u32) }
        })
        .collect();
    if escaped.chars().count() <= MAX_MESSAGE_CHARS {
        return escaped;
    }
    let mut short: String = escaped.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    short.push('…');
    short
}

/// A failure of the server's own storage while writing `file`: logged in full (it names buckets,
/// endpoints and paths that are the operator's business), reported to the user without them.
pub(super) fn storage_failed(file: &str, error: &dyn std::error::Error) -> Outcome {
    tracing::error!(file, error = chain(error), "the server's storage failed");
    Outcome::Failed(format!(
        "{file}: the server's storage failed while writing it, so nothing was kept; try the import again later"
    ))
}

/// How a tee that stopped on an error of `file` ends the attempt: a failed read is described in
/// one sentence without the server's internals (logged in full), a failed write is a storage
/// failure, a lost lease abandons the attempt; `None` when the scanner stopped first (its error
/// is the one to report).
pub(super) fn tee_failed(file: &str, error: &TeeError) -> Option<Outcome> {
    match error {
        TeeError::Read { offset, source: cause } => {
            let detail = chain(error);
            let s3_request = source::failure::request_id(&detail).unwrap_or_default();
            tracing::warn!(file, offset, error = detail, s3_request, "reading a source failed");
            Some(Outcome::Failed(source::failure::read_failure(file, *offset, cause)))
        }
        TeeError::Write(source) => Some(storage_failed(file, source)),
        TeeError::LeaseLost => Some(Outcome::Abandoned),
        TeeError::ScannerStopped => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_fit_the_model() {
        assert_eq!(status_message("source1 is empty"), "source1 is empty");
        assert_eq!(status_message("bad\nline\t\u{200b}"), "bad\\x{a}line\\x{9}\\x{200b}");
        let long = status_message(&"é".repeat(300));
        assert_eq!(long.chars().count(), 127);
        assert!(long.ends_with('…'));
    }
}
