//! `MD` and `NM` as htslib regenerates them when it decodes a CRAM record against its reference
//! (htslib `cram_decode_seq`): a reference `N` counts as a mismatch even where the read has `N`,
//! reference skips do not break the match run, and reference bases are compared uppercased. `MD`
//! ends at the end of the reference: htslib writes the bases of a read past it as read-base
//! features, which end `MD` with the current run and add nothing to `NM`.

use noodles_sam::alignment::record::cigar::op::Kind;
use noodles_sam::alignment::record_buf::Cigar;

/// Writes `MD` into `md` (cleared first) and returns `NM` for a read aligned at 1-based `start`
/// of `reference`, or `None` when the CIGAR does not fit the sequence or a deletion runs past the
/// end of the reference (htslib fails to decode such a record), so the record is left as decoded.
pub(super) fn calculate(
    cigar: &Cigar,
    sequence: &[u8],
    reference: &[u8],
    start: usize,
    md: &mut Vec<u8>,
) -> Option<u32> {
    md.clear();
    let mut nm = 0u32;
    let mut run = 0u32;
    let mut ref_pos = start.checked_sub(1)?;
    let mut seq_pos = 0usize;
    let mut past_end = false;
    for op in cigar.as_ref() {
        let len = op.len();
        match op.kind() {
            Kind::Match | Kind::SequenceMatch | Kind::SequenceMismatch => {
                let bases = sequence.get(seq_pos..seq_pos + len)?;
                let on_reference = reference.get(ref_pos..).unwrap_or_default();
                let covered = len.min(on_reference.len());
                // Runs of exact matches, 8 bases at a time; the rest base by base.
                let (read_chunks, read_rest) = bases[..covered].as_chunks::<8>();
                let (ref_chunks, ref_rest) = on_reference[..covered].as_chunks::<8>();
                for (read, reference) in read_chunks.iter().zip(ref_chunks) {
                    if plain_match(read, reference) {
                        run += 8;
                        continue;
                    }
                    compare(read, reference, md, &mut run, &mut nm);
                }
                compare(read_rest, ref_rest, md, &mut run, &mut nm);
                if covered < len && !past_end {
                    push_run(md, &mut run);
                    past_end = true;
                }
                seq_pos += len;
                ref_pos += len;
            }
            Kind::Insertion => {
                nm += len as u32;
                seq_pos += len;
            }
            Kind::Deletion => {
                let deleted = reference.get(ref_pos..ref_pos + len)?;
                push_run(md, &mut run);
                md.push(b'^');
                md.extend(deleted.iter().map(u8::to_ascii_uppercase));
                nm += len as u32;
                ref_pos += len;
            }
            Kind::Skip => ref_pos += len,
            Kind::SoftClip => seq_pos += len,
            Kind::HardClip | Kind::Pad => {}
        }
    }
    if !past_end {
        push_run(md, &mut run);
    }
    Some(nm)
}

/// Compares aligned bases one by one: a reference `N` is always a mismatch, reference bases are
/// compared uppercased.
fn compare(read: &[u8], reference: &[u8], md: &mut Vec<u8>, run: &mut u32, nm: &mut u32) {
    for (&base, &ref_base) in read.iter().zip(reference) {
        let ref_base = ref_base.to_ascii_uppercase();
        if ref_base == b'N' || base != ref_base {
            push_run(md, run);
            md.push(ref_base);
            *nm += 1;
        } else {
            *run += 1;
        }
    }
}

/// Whether 8 read bases equal the reference bases and all of them match as [`compare`] would
/// find: identical bytes with no lowercase letter (bit 0x20 clear) and no `N` on the reference.
fn plain_match(read: &[u8; 8], reference: &[u8; 8]) -> bool {
    const LOWERCASE_BIT: u64 = 0x2020_2020_2020_2020;
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let (read, reference) = (u64::from_le_bytes(*read), u64::from_le_bytes(*reference));
    // A byte of `n` is zero exactly where the reference has `N` (the classic has-zero-byte test).
    let n = reference ^ (ONES * u64::from(b'N'));
    let has_n = n.wrapping_sub(ONES) & !n & HIGH_BITS != 0;
    read == reference && reference & LOWERCASE_BIT == 0 && !has_n
}

fn push_run(md: &mut Vec<u8>, run: &mut u32) {
    md.extend_from_slice(itoa::Buffer::new().format(*run).as_bytes());
    *run = 0;
}

#[cfg(test)]
mod tests {
    use noodles_sam::alignment::record::cigar::Op;

    use super::*;

    fn cigar(ops: &[(Kind, usize)]) -> Cigar {
        ops.iter().map(|&(kind, len)| Op::new(kind, len)).collect()
    }

    #[test]
    fn test_calculate() {
        let reference = b"ACGTNACGTacgt";
        let mut md = Vec::new();
        // A mismatch, a reference N matched by N, a deletion, an insertion, a skip.
        let c = cigar(&[
            (Kind::SoftClip, 1),
            (Kind::Match, 5),
            (Kind::Deletion, 2),
            (Kind::Insertion, 1),
            (Kind::Skip, 1),
            (Kind::Match, 3),
        ]);
        let nm = calculate(&c, b"TAGGTNTTAC", reference, 1, &mut md);
        assert_eq!(nm, Some(5));
        assert_eq!(md, b"1C2N0^AC3");
        // Past the end of the reference (hts-specs `1200_overflow`): MD ends with the run, NM
        // counts only what the reference covers, insertions included.
        let c = cigar(&[(Kind::Match, 2), (Kind::Insertion, 1), (Kind::Match, 4), (Kind::SoftClip, 1)]);
        assert_eq!(calculate(&c, b"ACTGANNA", reference, 10, &mut md), Some(2));
        assert_eq!(md, b"3T0");
        assert_eq!(calculate(&cigar(&[(Kind::Match, 4)]), b"NNNN", reference, 14, &mut md), Some(0));
        assert_eq!(md, b"0");
        // Runs longer than 8 bases: exact chunks, and chunks with a mismatch, a reference N or a
        // lowercase reference base, all as the base-by-base comparison finds them.
        let long = b"ACGTACGTACGTACGTACGTACGTACGTACGTacgtACGTACNTACGTACGT";
        let mut read = long.to_ascii_uppercase();
        read[12] = b'T';
        read[42] = b'N';
        let c = cigar(&[(Kind::Match, read.len())]);
        assert_eq!(calculate(&c, &read, long, 1, &mut md), Some(2));
        assert_eq!(md, b"12A29N9");
        // A deletion past the end does not decode.
        let c = cigar(&[(Kind::Match, 2), (Kind::Deletion, 4), (Kind::Match, 1)]);
        assert_eq!(calculate(&c, b"CGA", reference, 10, &mut md), None);
    }
}
