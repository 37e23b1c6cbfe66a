//! Downloads of stored files by part (GetReadSet, GetReference, the dashboard's part links): the
//! exact bytes of one part, optionally narrowed by a range within it, streamed from storage with
//! constant memory; and a whole file as its parts in order (the dashboard's file links).

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;

use super::{Error, Service};
use crate::model::read_set::StoredFile;

/// The bytes of one part, as storage delivers them; a storage failure midway ends the stream with
/// an error (the response is then cut short).
pub type PartStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

impl Service {
    /// Streams part `number` (1-based) of `file`, narrowed by `range` (`a-b`, `a-` or `-n`, within
    /// the part) when given. `file` must come from a use case that checked the caller may read it
    /// (e.g. [`Service::active_read_set`], [`Service::reference`]). A part past the last one, or a
    /// range that selects nothing, is [`Error::RangeNotSatisfiable`]; storage that cannot start
    /// the read is [`Error::Storage`].
    pub async fn download_part(
        &self,
        file: &StoredFile,
        number: u64,
        range: Option<&str>,
    ) -> Result<PartStream, Error> {
        let part = part_range(file, number)?;
        let range = match range {
            Some(header) => within(part.clone(), header)?,
            None => part,
        };
        let stream = self.data.get_range(&Path::from(file.key.as_str()), range).await;
        let stream = stream.map_err(|e| Error::Storage { what: "the part could not be read", source: Box::new(e) })?;
        Ok(stream.map(|chunk| chunk.map_err(std::io::Error::other)).boxed())
    }

    /// Streams the whole of `file`: its parts in order, each read as [`Self::download_part`] reads
    /// it, the first opened before this returns (so that storage that cannot start the read is
    /// [`Error::Storage`] here, before a response is sent), each further one when the previous
    /// has been streamed; a later failure ends the stream with an error. `file` must come from a
    /// use case that checked the caller may read it.
    pub async fn download_file(&self, file: &StoredFile) -> Result<PartStream, Error> {
        if file.content_length == 0 || file.total_parts == 0 {
            return Ok(futures_util::stream::empty().boxed());
        }
        let first = self.download_part(file, 1, None).await?;
        let (service, file) = (self.clone(), file.clone());
        let rest = futures_util::stream::iter(2..=file.total_parts)
            .then(move |part| {
                let (service, file) = (service.clone(), file.clone());
                async move { service.download_part(&file, part, None).await.map_err(std::io::Error::other) }
            })
            .try_flatten();
        Ok(first.chain(rest).boxed())
    }
}

/// Byte range of part `number` (1-based); 416 past the last part.
fn part_range(file: &StoredFile, number: u64) -> Result<std::ops::Range<u64>, Error> {
    let start = number.saturating_sub(1).saturating_mul(file.part_size);
    if number == 0 || number > file.total_parts || (start >= file.content_length && file.content_length > 0) {
        let detail = format!("partNumber {number}, the file has {} parts", file.total_parts);
        return Err(Error::RangeNotSatisfiable { what: "partNumber", detail });
    }
    Ok(start..(start + file.part_size).min(file.content_length))
}

/// Applies `a-b`, `a-` or `-n` within `part`; 416 when it selects nothing. Validation has already
/// refused anything else, the HTTP form `bytes=0-99` included (the model's `Range` pattern).
fn within(part: std::ops::Range<u64>, header: &str) -> Result<std::ops::Range<u64>, Error> {
    let len = part.end - part.start;
    let bad = || Error::RangeNotSatisfiable { what: "range", detail: format!("'{header}' in a part of {len} bytes") };
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
