//! The BAI (or CSI, when a reference sequence is too long for BAI) of a coordinate-sorted BAM,
//! built from each record's alignment span and virtual positions. A record the index cannot
//! address (one that starts before position 1, or ends past what BAI, or the file's CSI, can
//! hold; `samtools index` refuses those too) is reported, and the caller goes without index.

use std::io;

use noodles_bam::{self as bam, index::Indexer};
use noodles_core::Position;
use noodles_csi::{
    self as csi,
    binning_index::{index::reference_sequence::bin::Chunk, indexer::AddRecordError},
};

use super::record::Record;
use super::{ErrorKind, IndexKind};

/// Builds an index record by record.
pub(super) struct Builder {
    indexer: Indexer,
    references: usize,
    kind: IndexKind,
}

impl Builder {
    /// An index of `references` reference sequences, the longest of `longest` bases: BAI unless
    /// that is longer than BAI's 2^29 - 1 positions.
    pub(super) fn new(longest: u64, references: usize) -> Result<Self, ErrorKind> {
        let longest = usize::try_from(longest).unwrap_or(usize::MAX).max(1);
        let hint = Position::new(longest).unwrap_or(Position::MIN);
        let indexer = Indexer::builder().set_max_position_hint(hint).build().map_err(|e| ErrorKind::Index(e.into()))?;
        let kind = if longest > BAI_MAX_POSITION { IndexKind::Csi } else { IndexKind::Bai };
        Ok(Self { indexer, references, kind })
    }

    /// Adds `record`, which spans `start..end` in the decompressed stream.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unindexable`] for a record the index cannot address; [`ErrorKind::Index`] if
    /// the indexer refuses it for another reason. Either way the index is unusable.
    pub(super) fn add(&mut self, record: &Record<'_>, chunk: Chunk) -> Result<(), ErrorKind> {
        let context = match alignment_context(record) {
            Ok(context) => context,
            Err(start) => return Err(ErrorKind::Unindexable { start, end: start, kind: self.kind, max: None }),
        };
        self.indexer.add_record(context, chunk).map_err(|e| match (e, context) {
            (AddRecordError::EndExceedsMaxPosition { max_position, .. }, Some((_, start, end, _))) => {
                ErrorKind::Unindexable {
                    start: usize::from(start) as i64,
                    end: usize::from(end) as i64,
                    kind: self.kind,
                    max: Some(usize::from(max_position) as u64),
                }
            }
            (e, _) => ErrorKind::Index(e.into()),
        })
    }

    /// The index and its bytes as written to a `.bai` or `.csi` file.
    pub(super) fn finish(self) -> Result<(IndexKind, Vec<u8>), ErrorKind> {
        let write = |e: io::Error| ErrorKind::Index(e.into());
        match self.indexer.build(self.references) {
            bam::Index::Bai(index) => {
                let mut writer = bam::bai::io::Writer::new(Vec::new());
                writer.write_index(&index).map_err(write)?;
                Ok((IndexKind::Bai, writer.into_inner()))
            }
            bam::Index::Csi(index) => {
                let mut writer = csi::io::Writer::new(Vec::new());
                writer.write_index(&index).map_err(write)?;
                Ok((IndexKind::Csi, writer.into_inner().finish().map_err(write)?))
            }
        }
    }
}

/// The last position a BAI addresses (SAM/BAM § 5.2: 2^29 - 1 0-based).
const BAI_MAX_POSITION: usize = 1 << 29;

// As noodles' `bam::fs::index`: placed records with their 1-based inclusive span (a CIGAR that
// spans nothing gives the start), whether mapped; `Err` with the 1-based start of a record that
// starts before position 1.
type Context = Option<(usize, Position, Position, bool)>;

fn alignment_context(record: &Record<'_>) -> Result<Context, i64> {
    let (Ok(id), true) = (usize::try_from(record.reference_id), record.position != -1) else { return Ok(None) };
    let start = i64::from(record.position) + 1;
    let Some(start) = usize::try_from(start).ok().and_then(Position::new) else { return Err(start) };
    let span = usize::try_from(record.reference_span()).unwrap_or(usize::MAX);
    let end = start.checked_add(span.saturating_sub(1)).unwrap_or(start);
    Ok(Some((id, start, end, !record.is_unmapped())))
}
