//! BAM plans: the header read from the file's first blocks, and the spans of records of a region
//! from its BAI or CSI.

use noodles_bgzf::VirtualPosition;
use noodles_core::Position;
use noodles_core::region::Interval;
use noodles_csi::BinningIndex;
use noodles_csi::binning_index::index::reference_sequence;
use noodles_csi::binning_index::index::{Index, ReferenceSequence};
use noodles_csi::binning_index::optimize_chunks;

use super::{PlanError, Target, VirtualSpan, blocks::block_len, merge};
use crate::bgzf;

/// The header of a BAM: its uncompressed bytes, its reference sequences, and where its first
/// record starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BamHeader {
    /// The header's uncompressed bytes (magic to the last reference), to be re-encoded.
    pub raw: Vec<u8>,
    /// Reference sequence names and lengths, in id order.
    pub references: Vec<(String, u64)>,
    /// Virtual position of the first record (the end of the header).
    pub first_record: u64,
}

/// The header of the BAM whose first bytes are `prefix`; `Ok(None)` when `prefix` ends before the
/// header does (read more and ask again).
///
/// # Errors
///
/// [`PlanError::Unreadable`] when the bytes are not a BAM header in BGZF blocks.
pub fn bam_header(prefix: &[u8]) -> Result<Option<BamHeader>, PlanError> {
    let bad = |problem: &str| PlanError::Unreadable {
        what: "BAM header",
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, problem.to_owned()),
    };
    let mut data = Vec::new();
    // (compressed offset, uncompressed offset) where each block starts.
    let mut starts: Vec<(u64, u64)> = Vec::new();
    let mut at = 0usize;
    let mut inflater = libdeflater::Decompressor::new();
    loop {
        if let Some((len, references)) = header_len(&data).map_err(bad)? {
            let first_record = virtual_position(&starts, len as u64, data.len() as u64, at as u64);
            data.truncate(len);
            return Ok(Some(BamHeader { raw: data, references, first_record }));
        }
        let rest = &prefix[at..];
        if rest.len() < bgzf::HEADER + 8 {
            return Ok(None);
        }
        let Some(len) = block_len(rest) else { return Err(bad("not a BGZF block")) };
        let Some(raw) = rest.get(..len) else { return Ok(None) };
        let size = bgzf::uncompressed_size(raw).map_err(|_| bad("a block's size is invalid"))?;
        if size == 0 {
            return Err(bad("the file ends before its header does"));
        }
        starts.push((at as u64, data.len() as u64));
        let from = data.len();
        data.resize(from + size, 0);
        bgzf::inflate_into(&mut inflater, raw, &mut data[from..]).map_err(|_| bad("a block does not inflate"))?;
        at += len;
    }
}

/// The virtual position of uncompressed offset `offset`, given each block's (compressed,
/// uncompressed) start and the `total` bytes inflated: at or past the end, the start of the next
/// block (`next`), as htslib's `bgzf_tell` gives it there.
fn virtual_position(starts: &[(u64, u64)], offset: u64, total: u64, next: u64) -> u64 {
    match starts.iter().rev().find(|(_, u)| *u <= offset) {
        Some(&(c, u)) if offset < total => (c << 16) | (offset - u),
        _ => next << 16,
    }
}

/// Reference sequence names and lengths, in id order.
type References = Vec<(String, u64)>;

/// The length of the BAM header at the start of `data` and its references, `None` if `data` ends
/// first.
fn header_len(data: &[u8]) -> Result<Option<(usize, References)>, &'static str> {
    let int = |at: usize| data.get(at..at + 4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let Some(magic) = data.get(..4) else { return Ok(None) };
    if magic != b"BAM\x01" {
        return Err("no BAM magic");
    }
    let Some(l_text) = int(4) else { return Ok(None) };
    let mut at = 8 + usize::try_from(l_text).map_err(|_| "negative header text length")?;
    let Some(n_ref) = int(at) else { return Ok(None) };
    at += 4;
    let mut references = Vec::new();
    for _ in 0..usize::try_from(n_ref).map_err(|_| "negative reference count")? {
        let Some(l_name) = int(at) else { return Ok(None) };
        let l_name = usize::try_from(l_name).map_err(|_| "negative name length")?;
        let Some(name) = data.get(at + 4..at + 4 + l_name) else { return Ok(None) };
        let Some(l_ref) = int(at + 4 + l_name) else { return Ok(None) };
        let name = String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name)).into_owned();
        references.push((name, u64::try_from(l_ref).map_err(|_| "negative reference length")?));
        at += 8 + l_name;
    }
    Ok(Some((at, references)))
}

/// A BAM's index, read once: BAI, or CSI (BGZF-compressed) for references longer than BAI can
/// address. Kept by a caller that plans many tickets over one read set.
#[derive(Debug)]
pub enum BamIndex {
    /// BAI.
    Bai(noodles_bam::bai::Index),
    /// CSI.
    Csi(noodles_csi::Index),
}

impl BamIndex {
    /// The index stored as `bytes`: CSI when they start as gzip does, BAI otherwise.
    ///
    /// # Errors
    ///
    /// [`PlanError::Unreadable`] when the bytes are not an index.
    pub fn read(bytes: &[u8]) -> Result<Self, PlanError> {
        Ok(match bytes.starts_with(&[0x1f, 0x8b]) {
            true => Self::Csi(noodles_csi::io::Reader::new(bytes).read_index().map_err(PlanError::index)?),
            false => Self::Bai(noodles_bam::bai::io::Reader::new(bytes).read_index().map_err(PlanError::index)?),
        })
    }
}

/// Compressed bytes between two spans below which they are merged into one (one URL, one
/// connection for a client, a block or so of records it filters out).
const MERGE_GAP: u64 = 1 << 16;

/// The spans of a BAM holding every record of `targets`, from its index; `first_record` from
/// [`bam_header`]. Sorted, merged. As htslib's iterator does, a region's chunks stop where the
/// first index bin after the region's end begins (every record from there on starts after it).
///
/// # Errors
///
/// [`PlanError::Unreadable`] when the index cannot be queried.
pub fn bam_spans(index: &BamIndex, targets: &[Target], first_record: u64) -> Result<Vec<VirtualSpan>, PlanError> {
    match index {
        BamIndex::Bai(index) => spans_of(index, targets, first_record),
        BamIndex::Csi(index) => spans_of(index, targets, first_record),
    }
}

fn spans_of<I>(index: &Index<I>, targets: &[Target], first_record: u64) -> Result<Vec<VirtualSpan>, PlanError>
where
    I: reference_sequence::Index,
{
    let mut spans = Vec::new();
    for target in targets {
        match *target {
            Target::Reference { id, start, end } => {
                let Some(reference) = index.reference_sequences().get(id) else { continue };
                let Some(interval) = interval(start, end) else { continue };
                let chunks = index.query(id, interval).map_err(PlanError::index)?;
                let chunks = optimize_chunks(&chunks, VirtualPosition::from(first_record));
                let limit = end.and_then(|end| max_offset(reference, index.min_shift(), index.depth(), end));
                spans.extend(chunks.iter().filter_map(|c| {
                    let (start, end) = (u64::from(c.start()).max(first_record), u64::from(c.end()));
                    let end = limit.map_or(end, |limit| end.min(limit));
                    (start < end).then_some(VirtualSpan { start, end: Some(end) })
                }));
            }
            Target::Unplaced => spans.push(VirtualSpan { start: unplaced_start(index, first_record), end: None }),
        }
    }
    Ok(merge_near(merge(spans)))
}

/// Where the first record of the first non-empty bin to the right of `end` (exclusive, 0-based)
/// starts, as htslib computes its iterator's `max_off`: from the bottom-level bin after the one
/// holding `end - 1`, moving right, and up to the parent at a first child. `None` when there is
/// none (the region runs to the reference's end) or `end` is beyond what the index addresses.
fn max_offset<I: reference_sequence::Index>(
    reference: &ReferenceSequence<I>,
    min_shift: u8,
    depth: u8,
    end: u64,
) -> Option<u64> {
    let (shift, levels) = (u32::from(min_shift), u32::from(depth));
    if end == 0 || shift + 3 * levels >= 64 || end >= 1u64 << (shift + 3 * levels) {
        return None;
    }
    let first = |level: u32| ((1usize << (3 * level)) - 1) / 7;
    let mut bin = first(levels) + usize::try_from((end - 1) >> shift).ok()? + 1;
    if bin >= first(levels + 1) {
        bin = 0;
    }
    loop {
        while bin % 8 == 1 {
            bin = (bin - 1) >> 3;
        }
        if bin == 0 {
            return None;
        }
        if let Some(start) =
            reference.bins().get(&bin).and_then(|b| b.chunks().iter().map(|c| u64::from(c.start())).min())
        {
            return Some(start);
        }
        bin += 1;
    }
}

/// Merges spans whose gap is under [`MERGE_GAP`] compressed bytes.
fn merge_near(spans: Vec<VirtualSpan>) -> Vec<VirtualSpan> {
    let mut merged: Vec<VirtualSpan> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if last.end.is_some_and(|end| (span.start >> 16) <= (end >> 16) + MERGE_GAP) => {
                last.end = span.end
            }
            _ => merged.push(span),
        }
    }
    merged
}

/// The 1-based interval of `[start, end)`, `None` when it is empty.
fn interval(start: Option<u64>, end: Option<u64>) -> Option<Interval> {
    let position = |n: u64| usize::try_from(n).ok().and_then(Position::new);
    let from = position(start.unwrap_or(0) + 1)?;
    match end {
        None => Some(Interval::from(from..)),
        Some(end) if end <= start.unwrap_or(0) => None,
        Some(end) => Some(Interval::from(from..=position(end)?)),
    }
}

/// Where the unplaced unmapped records can start: after every placed record the index knows of
/// (the largest end of its references' records, from their metadata pseudo-bins), else at the
/// start of the last linear bin with a record, else at the first record.
fn unplaced_start(index: &impl BinningIndex, first_record: u64) -> u64 {
    let ends = index.reference_sequences().filter_map(|r| r.metadata().map(|m| u64::from(m.end_position())));
    let start = match ends.max() {
        Some(end) => Some(end),
        None => index.last_first_record_start_position().map(u64::from),
    };
    start.unwrap_or(first_record).max(first_record)
}

#[cfg(test)]
mod tests {
    use super::super::compress;
    use super::*;

    /// A BAM header of `text` and references `refs`.
    fn header(text: &str, refs: &[(&str, u32)]) -> Vec<u8> {
        let mut raw = b"BAM\x01".to_vec();
        raw.extend_from_slice(&(text.len() as i32).to_le_bytes());
        raw.extend_from_slice(text.as_bytes());
        raw.extend_from_slice(&(refs.len() as i32).to_le_bytes());
        for (name, length) in refs {
            raw.extend_from_slice(&(name.len() as i32 + 1).to_le_bytes());
            raw.extend_from_slice(name.as_bytes());
            raw.push(0);
            raw.extend_from_slice(&length.to_le_bytes());
        }
        raw
    }

    #[test]
    fn the_header_and_where_the_first_record_starts() -> Result<(), PlanError> {
        let raw = header("@HD\tVN:1.6\tSO:coordinate\n", &[("chr1", 1000), ("chr2", 500)]);
        // The header alone in its block: the first record starts at the next block.
        let alone = compress(&raw);
        let parsed = bam_header(&alone)?.expect("a whole header");
        assert_eq!(parsed.raw, raw);
        assert_eq!(parsed.references, vec![("chr1".to_owned(), 1000), ("chr2".to_owned(), 500)]);
        assert_eq!(parsed.first_record, (alone.len() as u64) << 16);
        // Records in the header's block: the first starts inside it.
        let mut with_records = raw.clone();
        with_records.extend_from_slice(&[7; 100]);
        let shared = compress(&with_records);
        assert_eq!(bam_header(&shared)?.expect("a whole header").first_record, raw.len() as u64);
        // A header over several blocks, read from a prefix that ends too soon.
        let long = header(&"@CO\tx\n".repeat(30_000), &[("chr1", 1000)]);
        let blocks = compress(&long);
        assert!(bam_header(&blocks[..blocks.len() / 2])?.is_none(), "more bytes needed");
        let parsed = bam_header(&blocks)?.expect("a whole header");
        assert_eq!((parsed.raw.len(), parsed.first_record), (long.len(), (blocks.len() as u64) << 16));
        assert!(bam_header(b"not BGZF at all, long enough to look").is_err());
        Ok(())
    }
}
