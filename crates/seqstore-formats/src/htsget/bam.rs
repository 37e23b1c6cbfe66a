//! BAM plans: the header read from the file's first blocks, and the spans of records of a region
//! from its BAI or CSI.

use noodles_bgzf::VirtualPosition;
use noodles_core::Position;
use noodles_core::region::Interval;
use noodles_csi::BinningIndex;
use noodles_csi::binning_index::optimize_chunks;

use super::{PlanError, Target, VirtualSpan, blocks::block_len, merge};
use crate::alignment::IndexKind;
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

/// The spans of a BAM holding every record of `targets`, from its index `index` (BAI, or CSI as
/// stored: BGZF-compressed) of kind `kind`; `first_record` from [`bam_header`]. Sorted, merged.
///
/// # Errors
///
/// [`PlanError::Unreadable`] when the index cannot be read.
pub fn bam_spans(
    index: &[u8],
    kind: IndexKind,
    targets: &[Target],
    first_record: u64,
) -> Result<Vec<VirtualSpan>, PlanError> {
    let index: Box<dyn BinningIndex> = match kind {
        IndexKind::Bai => Box::new(noodles_bam::bai::io::Reader::new(index).read_index().map_err(PlanError::index)?),
        IndexKind::Csi => Box::new(noodles_csi::io::Reader::new(index).read_index().map_err(PlanError::index)?),
        IndexKind::Crai => {
            let wrong = std::io::Error::new(std::io::ErrorKind::InvalidInput, "a CRAI indexes a CRAM, not a BAM");
            return Err(PlanError::index(wrong));
        }
    };
    let mut spans = Vec::new();
    for target in targets {
        match *target {
            Target::Reference { id, start, end } => {
                if index.reference_sequences().nth(id).is_none() {
                    continue;
                }
                let Some(interval) = interval(start, end) else { continue };
                let chunks = index.query(id, interval).map_err(PlanError::index)?;
                let chunks = optimize_chunks(&chunks, VirtualPosition::from(first_record));
                spans.extend(chunks.iter().map(|c| VirtualSpan {
                    start: u64::from(c.start()).max(first_record),
                    end: Some(u64::from(c.end())),
                }));
            }
            Target::Unplaced => spans.push(VirtualSpan { start: unplaced_start(&*index, first_record), end: None }),
        }
    }
    Ok(merge(spans))
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
fn unplaced_start(index: &dyn BinningIndex, first_record: u64) -> u64 {
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
