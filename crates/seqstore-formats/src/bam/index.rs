//! The BAI (or CSI, when a reference sequence is too long for BAI) of a coordinate-sorted BAM,
//! built from each record's alignment span and virtual positions.

use std::io;
use std::num::NonZero;

use noodles_bam::{self as bam, index::Indexer};
use noodles_core::Position;
use noodles_csi::{self as csi, binning_index::index::reference_sequence::bin::Chunk};
use noodles_sam as sam;

use super::{ErrorKind, IndexKind};

/// Builds an index record by record.
pub(super) struct Builder {
    indexer: Indexer,
    references: usize,
}

impl Builder {
    /// An index for `header`'s reference sequences: BAI unless one is longer than BAI's
    /// 2^29 - 1 positions.
    pub(super) fn new(header: &sam::Header) -> Result<Self, ErrorKind> {
        let longest = header
            .reference_sequences()
            .values()
            .map(|sequence| sequence.length())
            .max()
            .unwrap_or(NonZero::<usize>::MIN);
        let hint = Position::new(longest.get()).unwrap_or(Position::MIN);
        let indexer = Indexer::builder().set_max_position_hint(hint).build().map_err(|e| ErrorKind::Index(e.into()))?;
        Ok(Self { indexer, references: header.reference_sequences().len() })
    }

    /// Adds `record`, which spans `start..end` in the decompressed stream.
    pub(super) fn add(&mut self, record: &bam::Record, chunk: Chunk) -> Result<(), ErrorKind> {
        let context = alignment_context(record)
            .map_err(ErrorKind::InvalidRecord)?
            .map(|(id, start, end)| (id, start, end, !record.flags().is_unmapped()));
        self.indexer.add_record(context, chunk).map_err(|e| ErrorKind::Index(e.into()))
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

// As noodles' `bam::fs::index`: placed records with their 1-based inclusive span.
fn alignment_context(record: &bam::Record) -> io::Result<Option<(usize, Position, Position)>> {
    match (record.reference_sequence_id().transpose()?, record.alignment_start().transpose()?) {
        (Some(id), Some(start)) => Ok(alignment_end(record, start)?.map(|end| (id, start, end))),
        _ => Ok(None),
    }
}

// noodles' `Record::alignment_end`, through the record's own CIGAR iterator rather than the
// boxed one of the `sam::alignment::Record` trait (two allocations per record).
fn alignment_end(record: &bam::Record, start: Position) -> io::Result<Option<Position>> {
    let mut span = 0;
    for op in record.cigar().iter() {
        let op = op?;
        if op.kind().consumes_reference() {
            span += op.len();
        }
    }
    Ok(start.checked_add(span.saturating_sub(1)))
}
