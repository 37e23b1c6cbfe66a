//! Read names for the records of a slice stored without one, as htslib gives them
//! (`cram_to_bam`): the mate's stored name, else `{prefix}:{n}`, where the prefix is the name of
//! the file samtools opened and `n` is the 1-based number of the record in the file (the slice's
//! record counter plus the record's index in the slice plus 1), or of its mate when the mate
//! comes first in the slice.
//!
//! Records are stored without a name when the preservation map's `RN` is false, except detached
//! records, which store theirs. A stored name of `*` counts as a name.

use noodles_cram::Record;
use noodles_sam::alignment::Record as _;

/// The names htslib gives the records of one slice, by index: `None` where the record keeps the
/// name it was stored with. Empty when every record keeps its own.
///
/// `names_stored` is the preservation map's `RN`; `record_counter` is the slice header's.
pub(super) fn generate(
    records: &[Record<'_>],
    names_stored: bool,
    record_counter: i64,
    prefix: &str,
) -> Vec<Option<Vec<u8>>> {
    // noodles gives no name for a stored `*`; htslib keeps it (a name of length 1).
    let has_name: Vec<bool> = records
        .iter()
        .map(|r| (names_stored || r.is_detached()) && r.name().is_none_or(|name| !name.is_empty()))
        .collect();
    if has_name.iter().all(|&has| has) {
        return Vec::new();
    }
    let distances: Vec<_> = records.iter().map(Record::mate_distance).collect();
    let mate_lines = mate_lines(&distances);
    (0..records.len())
        .map(|i| {
            source(i, &has_name, &mate_lines).map(|source| match source {
                Source::Mate(mate) => records[mate].name().map_or_else(|| b"*".to_vec(), |name| name.to_vec()),
                Source::Number(index) => numbered(prefix, record_counter, index),
            })
        })
        .collect()
}

/// Where the name of a record stored without one comes from.
#[derive(Debug, PartialEq, Eq)]
enum Source {
    /// The stored name of the record at this index.
    Mate(usize),
    /// The number of the record at this index.
    Number(usize),
}

// `None` for a record that has its own name.
fn source(i: usize, has_name: &[bool], mate_lines: &[Option<usize>]) -> Option<Source> {
    if has_name[i] {
        return None;
    }
    Some(match mate_lines[i] {
        Some(mate) if has_name[mate] => Source::Mate(mate),
        Some(mate) if mate < i => Source::Number(mate),
        _ => Source::Number(i),
    })
}

// `{prefix}:{record_counter + index + 1}`, wrapping as htslib's unsigned arithmetic does.
fn numbered(prefix: &str, record_counter: i64, index: usize) -> Vec<u8> {
    let number = (record_counter as u64).wrapping_add(index as u64).wrapping_add(1);
    format!("{prefix}:{number}").into_bytes()
}

// Each record's mate in the slice as htslib links them (`cram_decode_slice_xref`): the next
// fragment (`NF`, `distances`) of a record whose mate is downstream, and for the last record of
// each chain of fragments the first.
fn mate_lines(distances: &[Option<usize>]) -> Vec<Option<usize>> {
    let n = distances.len();
    let next: Vec<_> =
        distances.iter().enumerate().map(|(i, d)| d.map(|d| i + d + 1).filter(|&mate| mate < n)).collect();
    let mut mate_lines = next.clone();
    let mut linked = vec![false; n];
    for first in 0..n {
        if linked[first] || next[first].is_none() {
            continue;
        }
        let mut last = first;
        while let Some(mate) = next[last] {
            linked[last] = true;
            last = mate;
        }
        linked[last] = true;
        mate_lines[last] = Some(first);
    }
    mate_lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mate_lines() {
        // A pair (0, 2), a chain of three (1, 3, 4), a lone record (5), a link out of the slice (6).
        let distances = [Some(1), Some(1), None, Some(0), None, None, Some(5)];
        let expected = [Some(2), Some(3), Some(0), Some(4), Some(1), None, None];
        assert_eq!(mate_lines(&distances), expected);
    }

    #[test]
    fn test_source() {
        let mate_lines = mate_lines(&[Some(1), Some(1), None, Some(0), None, None]);
        // Nothing stored: the first of a chain and a middle record are numbered as themselves,
        // the last as the first.
        let none = [false; 6];
        let sources: Vec<_> = (0..6).map(|i| source(i, &none, &mate_lines)).collect();
        let expected = [0, 1, 0, 3, 1, 5].map(|k| Some(Source::Number(k)));
        assert_eq!(sources, expected);
        // Stored names (as detached records have) are kept, and lent to a nameless mate.
        let some = [false, false, true, true, false, true];
        let sources: Vec<_> = (0..6).map(|i| source(i, &some, &mate_lines)).collect();
        let expected = [Some(Source::Mate(2)), Some(Source::Mate(3)), None, None, Some(Source::Number(1)), None];
        assert_eq!(sources, expected);
    }

    #[test]
    fn test_numbered() {
        assert_eq!(numbered("1001_name.cram", 0, 0), b"1001_name.cram:1");
        assert_eq!(numbered("x.cram", 10_000, 41), b"x.cram:10042");
        assert_eq!(numbered("x", -1, 0), b"x:0");
    }
}
