//! The data URLs of htsget tickets: a signed span of a read set's stored file, streamed. A byte
//! span is the stored bytes as they are; a virtual span (BAM) is its BGZF blocks, the first and
//! last cut at the record boundaries the index gave and re-encoded, so that the concatenation of
//! a ticket's parts is a valid BAM.

use bytes::Bytes;
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use seqstore_formats::htsget as plan;

use super::super::{Caller, Error, Service};
use super::HtsgetError;
use crate::model::read_set::StoredFile;

/// The largest BGZF block, header and trailer included.
const MAX_BLOCK: u64 = 1 << 16;

/// The bytes of a data URL, as storage delivers them (a failure midway ends the stream with an
/// error, and the response is cut short).
pub type SpanStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// A span of a stored file that a data URL serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSpan {
    /// Bytes `start..end` as stored.
    Bytes {
        /// First byte.
        start: u64,
        /// End, exclusive.
        end: u64,
    },
    /// The records between two BGZF virtual positions; `end: None` for the end of the data.
    Virtual {
        /// Virtual position of the first record.
        start: u64,
        /// Virtual position after the last record.
        end: Option<u64>,
    },
}

impl DataSpan {
    /// The span as token fields: kind, start, end (empty for none).
    pub(super) fn fields(self) -> (&'static str, String, String) {
        match self {
            Self::Bytes { start, end } => ("b", start.to_string(), end.to_string()),
            Self::Virtual { start, end } => ("v", start.to_string(), end.map(|e| e.to_string()).unwrap_or_default()),
        }
    }

    /// The span of [`Self::fields`].
    pub(super) fn from_fields(kind: &str, start: &str, end: &str) -> Option<Self> {
        let start = start.parse().ok()?;
        match kind {
            "b" => Some(Self::Bytes { start, end: end.parse().ok()? }),
            "v" if end.is_empty() => Some(Self::Virtual { start, end: None }),
            "v" => Some(Self::Virtual { start, end: Some(end.parse().ok()?) }),
            _ => None,
        }
    }
}

impl Service {
    /// The bytes of the data URL whose signed token is `token`, at `now` (seconds since the epoch):
    /// the read set must still be ACTIVE (a deleted one is [`HtsgetError::NotFound`]).
    pub async fn htsget_data(&self, token: &str, now: i64) -> Result<SpanStream, HtsgetError> {
        let token = self.open_data(token, now)?;
        let caller = Caller { account: token.account.clone() };
        let set = self.htsget_read_set(&caller, &token.store, &token.read_set).await?;
        self.note_read_set_access(&set.id);
        let file =
            set.files.source1.ok_or_else(|| HtsgetError::Internal(format!("read set {} has no file", set.id)))?;
        match token.span {
            DataSpan::Bytes { start, end } => Ok(self.stream_range(&file, start, end.min(file.content_length)).await?),
            DataSpan::Virtual { start, end } => self.virtual_span(&file, start, end).await,
        }
    }

    async fn virtual_span(&self, file: &StoredFile, start: u64, end: Option<u64>) -> Result<SpanStream, HtsgetError> {
        let len = file.content_length;
        let cut =
            |e: std::io::Error| HtsgetError::Internal(format!("a BGZF block of {} could not be cut: {e}", file.key));
        let (c0, u0) = (start >> 16, (start & 0xffff) as usize);
        let (c1, u1) = match end {
            Some(end) => (end >> 16, (end & 0xffff) as usize),
            None => {
                let tail = self.read_range(file, len.saturating_sub(28), len).await?;
                let eof = if tail[..] == plan::BGZF_EOF[..] { 28 } else { 0 };
                (len - eof, 0)
            }
        };
        if c0 > c1 || (c0 == c1 && u0 >= u1) || c0 >= len {
            return Ok(stream::empty().boxed());
        }
        // The edge blocks are fetched together: one storage round trip, not two.
        let last_block = async {
            match u1 {
                0 => Ok(None),
                _ if c1 == c0 => Ok(None),
                _ => self.block_at(file, c1).await.map(Some),
            }
        };
        let (first, last_block) = tokio::try_join!(self.block_at(file, c0), last_block)?;
        if c0 == c1 {
            let bytes = plan::slice_block(&first, u0, Some(u1)).map_err(cut)?;
            return Ok(stream::once(async move { Ok(Bytes::from(bytes)) }).boxed());
        }
        let head = match u0 {
            0 => first.clone(),
            _ => Bytes::from(plan::slice_block(&first, u0, None).map_err(cut)?),
        };
        let last = match last_block {
            Some(block) => Bytes::from(plan::slice_block(&block, 0, Some(u1)).map_err(cut)?),
            None => Bytes::new(),
        };
        let middle = self.stream_range(file, c0 + first.len() as u64, c1).await?;
        let head = stream::once(async move { Ok(head) });
        let last = stream::once(async move { Ok(last) });
        Ok(head.chain(middle).chain(last).try_filter(|b| std::future::ready(!b.is_empty())).boxed())
    }

    /// The whole BGZF block that starts at byte `at`.
    async fn block_at(&self, file: &StoredFile, at: u64) -> Result<Bytes, HtsgetError> {
        let bytes = self.read_range(file, at, (at + MAX_BLOCK).min(file.content_length)).await?;
        match plan::block_len(&bytes) {
            Some(len) if len <= bytes.len() => Ok(bytes.slice(..len)),
            _ => Err(HtsgetError::Internal(format!("no BGZF block at byte {at} of {}", file.key))),
        }
    }

    async fn stream_range(&self, file: &StoredFile, start: u64, end: u64) -> Result<SpanStream, Error> {
        if start >= end {
            return Ok(stream::empty().boxed());
        }
        let stream = self.data.get_range(&Path::from(file.key.as_str()), start..end).await;
        let stream = stream
            .map_err(|e| Error::Storage { what: "the read set's file could not be read", source: Box::new(e) })?;
        Ok(stream.map(|chunk| chunk.map_err(std::io::Error::other)).boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_round_trip_through_their_fields() {
        for span in [
            DataSpan::Bytes { start: 0, end: 10 },
            DataSpan::Virtual { start: 5 << 16, end: None },
            DataSpan::Virtual { start: 5 << 16 | 7, end: Some(9 << 16) },
        ] {
            let (kind, start, end) = span.fields();
            assert_eq!(DataSpan::from_fields(kind, &start, &end), Some(span));
        }
        assert_eq!(DataSpan::from_fields("x", "1", "2"), None);
    }
}
