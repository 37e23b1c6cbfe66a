//! Planning htsget tickets (GA4GH htsget 1.3) over a stored BAM or CRAM and its index: which
//! stretches of the stored file hold every record of a set of regions, and the few bytes a ticket
//! carries itself (a BAM header, re-encoded; BGZF blocks cut at a record boundary).
//!
//! Pure: the caller reads the index and the first bytes of the file and hands them over. A BAM
//! plan is a list of [`VirtualSpan`]s (BGZF virtual positions, where records start and end); a
//! CRAM plan a list of byte ranges of whole containers. Spans of several regions are sorted and
//! merged, so that the concatenation of the header, the spans in order and an EOF marker is a
//! valid file holding at least every record of the regions (and the records that share their
//! index bins and blocks, which a reader that wants exactly the region filters out).

mod bam;
mod blocks;
mod cram;

pub use bam::{BamHeader, BamIndex, bam_header, bam_spans};
pub use blocks::{BGZF_EOF, block_len, compress, slice_block};
pub use cram::{CramHeader, CramIndex, cram_eof_len, cram_header};

/// What a region query asks for, with reference names already resolved to the file's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Records on reference `id` (0-based, as in the file's header) overlapping
    /// `[start, end)` (0-based, half-open; `None` for the reference's start or end).
    Reference {
        /// Reference sequence id in the file.
        id: usize,
        /// First position, 0-based.
        start: Option<u64>,
        /// End, exclusive.
        end: Option<u64>,
    },
    /// Unplaced unmapped records (`referenceName=*`), which follow every placed one.
    Unplaced,
}

/// A stretch of a BGZF file between two virtual positions (`compressed << 16 | uncompressed`),
/// each at a record boundary; `end: None` runs to the end of the file's data (before its EOF
/// marker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtualSpan {
    /// Virtual position of the first record.
    pub start: u64,
    /// Virtual position just after the last record, or `None` for the end of the data.
    pub end: Option<u64>,
}

/// Why a plan cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The index (or the file's first bytes) could not be read.
    #[error("the {what} could not be read: {source}")]
    Unreadable {
        /// Which input.
        what: &'static str,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },
}

impl PlanError {
    fn index(source: std::io::Error) -> Self {
        Self::Unreadable { what: "index", source }
    }
}

/// Sorts `spans` and merges those that overlap or touch.
fn merge(mut spans: Vec<VirtualSpan>) -> Vec<VirtualSpan> {
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<VirtualSpan> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if last.end.is_none_or(|end| span.start <= end) => {
                last.end = match (last.end, span.end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => merged.push(span),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_merge_when_they_overlap_or_touch() {
        let span = |start, end| VirtualSpan { start, end };
        let merged = merge(vec![span(50, Some(60)), span(10, Some(20)), span(20, Some(30)), span(55, Some(70))]);
        assert_eq!(merged, vec![span(10, Some(30)), span(50, Some(70))]);
        let open = merge(vec![span(40, None), span(10, Some(20)), span(45, Some(90))]);
        assert_eq!(open, vec![span(10, Some(20)), span(40, None)]);
    }
}
