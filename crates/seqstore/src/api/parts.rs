//! Downloads of stored files by part (GetReadSet, GetReference): the exact bytes of one part,
//! optionally narrowed by a range within it, streamed from storage with constant memory.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::error::ApiError;
use crate::model::read_set::StoredFile;
use crate::service::{self, Service};

/// Streams part `number` of `file`, narrowed by `range` when given.
pub async fn download(
    service: &Service,
    file: &StoredFile,
    number: u64,
    range: Option<&str>,
) -> Result<Response, ApiError> {
    let part = part_range(file, number)?;
    let range = match range {
        Some(header) => within(part.clone(), header)?,
        None => part,
    };
    let stream = service.data().get_range(&object_store::path::Path::from(file.key.as_str()), range).await;
    let stream = stream.map_err(|e| service::Error::Db(crate::db::Error::Storage(Box::new(e))))?;
    let body = Body::from_stream(stream.map(|chunk| chunk.map_err(std::io::Error::other)));
    Ok(([(http::header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

/// Byte range of part `number` (1-based); 416 past the last part.
fn part_range(file: &StoredFile, number: u64) -> Result<std::ops::Range<u64>, service::Error> {
    let start = number.saturating_sub(1).saturating_mul(file.part_size);
    if number == 0 || number > file.total_parts || (start >= file.content_length && file.content_length > 0) {
        let detail = format!("partNumber {number}, the file has {} parts", file.total_parts);
        return Err(service::Error::RangeNotSatisfiable { what: "partNumber", detail });
    }
    Ok(start..(start + file.part_size).min(file.content_length))
}

/// Applies `a-b`, `a-` or `-n` within `part`; 416 when it selects nothing. Validation has already
/// refused anything else, the HTTP form `bytes=0-99` included (the model's `Range` pattern).
fn within(part: std::ops::Range<u64>, header: &str) -> Result<std::ops::Range<u64>, service::Error> {
    let len = part.end - part.start;
    let bad = || service::Error::RangeNotSatisfiable {
        what: "range",
        detail: format!("'{header}' in a part of {len} bytes"),
    };
    let (a, b) = header.trim().split_once('-').ok_or_else(bad)?;
    let (from, to) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| bad())?;
            (len.saturating_sub(n), len)
        }
        (a, "") => (a.parse().map_err(|_| bad())?, len),
        (a, b) => {
            let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
            if b < a {
                return Err(bad());
            }
            (a, (b + 1).min(len))
        }
    };
    if from >= len || from >= to {
        return Err(bad());
    }
    Ok(part.start + from..part.start + to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_apply_within_the_part() {
        let part = 100..200;
        assert_eq!(within(part.clone(), "0-9").ok(), Some(100..110));
        assert_eq!(within(part.clone(), "90-").ok(), Some(190..200));
        assert_eq!(within(part.clone(), "-5").ok(), Some(195..200));
        assert_eq!(within(part.clone(), "50-500").ok(), Some(150..200));
        assert!(within(part.clone(), "100-").is_err());
        assert!(within(part.clone(), "9-3").is_err());
        assert!(within(part, "1:2").is_err());
    }
}
