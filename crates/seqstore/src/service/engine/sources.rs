//! What the attempts of every kind share: opening sources (within the role's grants, or a direct
//! upload's stored parts) as byte streams, and turning failures into status messages.

use futures_util::{StreamExt, TryStreamExt};

use super::kind::{Attempt, Outcome};
use super::tee::TeeError;
use crate::model::import::SourceSpec;
use crate::model::upload::{StoredPart, UploadedParts};
use crate::report::chain;
use crate::service::Caller;
use crate::storage::locations::SourceUri;
use crate::storage::objects::DataStore;
use crate::storage::source::{self, Opened};

/// Longest `statusMessage` the model allows.
const MAX_MESSAGE_CHARS: usize = 127;

/// Opens the files of `spec`: source1, and source2 when `with_source2` and the spec has one. A
/// direct upload's files are its stored `parts`, read in order; other sources are opened through
/// the grants of the claim's role.
pub(super) async fn open_spec(
    at: &Attempt<'_>,
    spec: &SourceSpec,
    parts: Option<&UploadedParts>,
    with_source2: bool,
) -> Result<Vec<Opened>, Outcome> {
    if let Some(upload) = parts {
        let data = &at.service.data;
        let mut opened = vec![parts_stream(data.clone(), upload.source1.clone())];
        if with_source2 && !upload.source2.is_empty() {
            opened.push(parts_stream(data.clone(), upload.source2.clone()));
        }
        at.progress.set_total(opened.iter().map(|o| o.size).sum());
        return Ok(opened);
    }
    let mut files = vec![("source1", spec.source1.clone())];
    if let Some(source2) = spec.source2.as_ref().filter(|_| with_source2) {
        files.push(("source2", source2.clone()));
    }
    open_all(at, &files).await
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

/// Opens each `(name, uri)` through the grants of the claim's role; records their total size as
/// the attempt's bytes to read.
pub(super) async fn open_all(at: &Attempt<'_>, files: &[(&str, String)]) -> Result<Vec<Opened>, Outcome> {
    let caller = Caller { account: at.claim.account.clone() };
    let grants = at.service.grants(&caller, &at.claim.role_arn).map_err(|e| Outcome::Failed(e.to_string()))?;
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
    at.progress.set_total(opened.iter().map(|o| o.size).sum());
    Ok(opened)
}

/// `message` made safe for `statusMessage`: every character outside the model's `P_TEXT` classes
/// (letters, marks, separators, symbols, numbers, punctuation) escaped, at most 127 characters.
pub(super) fn status_message(message: &str) -> String {
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
