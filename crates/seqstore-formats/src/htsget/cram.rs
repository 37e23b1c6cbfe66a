//! CRAM plans: the header's references from the file's first bytes, the byte ranges of the
//! containers holding a region's records from the CRAI, and the EOF container's length.

use std::ops::Range;

use noodles_cram as cram;

use super::{PlanError, Target};

/// What a ticket needs of a CRAM's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CramHeader {
    /// Reference sequence names and lengths, in id order.
    pub references: Vec<(String, u64)>,
}

/// The EOF container of CRAM 3.x (38 bytes) and of CRAM 2.1 (30 bytes), as htslib writes them.
const EOF_3: [u8; 38] = [
    0x0f, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xe0, 0x45, 0x4f, 0x46, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x05, 0xbd, 0xd9, 0x4f, 0x00, 0x01, 0x00, 0x06, 0x06, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0xee, 0x63, 0x01, 0x4b,
];
const EOF_2: [u8; 30] = [
    0x0b, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe0, 0x45, 0x4f, 0x46, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x01, 0x00, 0x06, 0x06, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00,
];

/// The header of the CRAM whose file definition and header container are in `prefix`.
///
/// # Errors
///
/// [`PlanError::Unreadable`] when they cannot be read from `prefix`.
pub fn cram_header(prefix: &[u8]) -> Result<CramHeader, PlanError> {
    let header = cram::io::Reader::new(prefix)
        .read_header()
        .map_err(|source| PlanError::Unreadable { what: "CRAM header", source })?;
    let references = header
        .reference_sequences()
        .iter()
        .map(|(name, map)| (String::from_utf8_lossy(name).into_owned(), usize::from(map.length()) as u64))
        .collect();
    Ok(CramHeader { references })
}

/// The length of the EOF container that ends a CRAM whose last bytes are `tail` (at least 38
/// bytes, or the whole file), 0 when it has none.
pub fn cram_eof_len(tail: &[u8]) -> u64 {
    if tail.ends_with(&EOF_3) {
        EOF_3.len() as u64
    } else if tail.ends_with(&EOF_2) {
        EOF_2.len() as u64
    } else {
        0
    }
}

/// A CRAM's CRAI, read once: its entries and the sorted offsets of the containers they name.
#[derive(Debug)]
pub struct CramIndex {
    entries: Vec<cram::crai::Record>,
    offsets: Vec<u64>,
}

impl CramIndex {
    /// The index stored as `crai` (gzip-compressed, as stored).
    ///
    /// # Errors
    ///
    /// [`PlanError::Unreadable`] when it cannot be read.
    pub fn read(crai: &[u8]) -> Result<Self, PlanError> {
        let entries = cram::crai::io::Reader::new(crai).read_index().map_err(PlanError::index)?;
        let mut offsets: Vec<u64> = entries.iter().map(|r| r.offset()).collect();
        offsets.sort_unstable();
        offsets.dedup();
        Ok(Self { entries, offsets })
    }

    /// The offset of the first container the index names (the end of the header), `None` for an
    /// index without entries.
    pub fn first_container(&self) -> Option<u64> {
        self.offsets.first().copied()
    }

    /// The containers holding every record of `targets`, as sorted byte ranges with adjacent ones
    /// merged; `data_end` is where the file's last container ends (its length less the EOF
    /// container).
    pub fn containers(&self, targets: &[Target], data_end: u64) -> Vec<Range<u64>> {
        let end_of = |offset: u64| {
            let next = self.offsets.partition_point(|&o| o <= offset);
            self.offsets.get(next).copied().unwrap_or(data_end)
        };
        let mut chosen: Vec<u64> = self
            .entries
            .iter()
            .filter(|record| targets.iter().any(|target| holds(target, record)))
            .map(|record| record.offset())
            .collect();
        chosen.sort_unstable();
        chosen.dedup();
        let mut ranges: Vec<Range<u64>> = Vec::new();
        for offset in chosen {
            let end = end_of(offset);
            match ranges.last_mut() {
                Some(last) if last.end == offset => last.end = end,
                _ => ranges.push(offset..end),
            }
        }
        ranges
    }
}

/// Whether the slice `record` indexes may hold records of `target`.
fn holds(target: &Target, record: &cram::crai::Record) -> bool {
    match *target {
        Target::Unplaced => record.reference_sequence_id().is_none(),
        Target::Reference { id, start, end } => {
            if record.reference_sequence_id() != Some(id) {
                return false;
            }
            let Some(first) = record.alignment_start() else { return true };
            // The slice covers [first - 1, first - 1 + span) 0-based.
            let (from, to) =
                (usize::from(first) as u64 - 1, usize::from(first) as u64 - 1 + record.alignment_span() as u64);
            start.is_none_or(|s| to > s) && end.is_none_or(|e| from < e)
        }
    }
}
