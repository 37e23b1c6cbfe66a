//! One BAM record as htslib 1.16 reads it (`bam_read1` and `sam_read1` in `sam.c`): the fields
//! as stored, the checks samtools makes and no others, and a CIGAR of more than 65,535
//! operations moved back from its `CG` tag (`bam_tag2cigar`).
//!
//! noodles decodes a record with checks of its own (a position before 0 or a CIGAR operation
//! code above 8 is an error there) and leaves a `CG` tag where it is, so the scanner reads the
//! stored bytes through this view instead: whatever `samtools view` prints, it renders
//! ([`crate::sam_text::bam`]).

use super::RecordFault;

/// Bytes of a record's fixed fields (`refID` … `tlen`).
pub(crate) const FIXED: usize = 32;

/// BAM CIGAR operation codes (SAM/BAM § 4.2).
const SOFT_CLIP: u32 = 4;
/// Flag of an unmapped segment.
const UNMAPPED: u16 = 0x4;
/// htslib takes a `CG` tag of this many operations or more for something else
/// (`bam_tag2cigar`).
const MAX_CG_OPS: u32 = 1 << 29;

/// A BAM record's fields, borrowed from its block (the bytes after `block_size`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'a> {
    /// `refID`: -1 when unplaced.
    pub(crate) reference_id: i32,
    /// `pos`, 0-based: -1 when absent (printed as `pos + 1`, whatever its value).
    pub(crate) position: i32,
    /// `mapq`.
    pub(crate) mapping_quality: u8,
    /// `flag`, every bit.
    pub(crate) flags: u16,
    /// `next_refID`.
    pub(crate) mate_reference_id: i32,
    /// `next_pos`, 0-based.
    pub(crate) mate_position: i32,
    /// `tlen`.
    pub(crate) template_length: i32,
    /// The read name as samtools prints it: `read_name` without its terminating NUL (all of it
    /// when the NUL is missing, which htslib tolerates).
    pub(crate) name: &'a [u8],
    /// Packed CIGAR operations (little-endian u32 each): from the `CG` tag when htslib moves it.
    pub(crate) cigar: &'a [u8],
    /// Packed bases, two per byte.
    pub(crate) sequence: &'a [u8],
    /// `l_seq`.
    pub(crate) sequence_len: usize,
    /// Raw quality scores, `l_seq` of them.
    pub(crate) qualities: &'a [u8],
    /// The optional fields in order, as two runs: all of them, or, when the CIGAR came from the
    /// `CG` tag, those before it and those after it (htslib removes the tag).
    pub(crate) data: [&'a [u8]; 2],
}

impl<'a> Record<'a> {
    /// The record stored in `block`, checked as htslib checks it; `references` is the number of
    /// reference sequences of the header.
    ///
    /// # Errors
    ///
    /// The [`RecordFault`] samtools would stop at: fields that overrun the block, an empty read
    /// name, a negative `l_seq`, corrupt optional fields where htslib looks for `CG`, a CIGAR
    /// whose query length differs from `l_seq` in a mapped record, or a reference id outside the
    /// header.
    pub(crate) fn parse(block: &'a [u8], references: usize) -> Result<Self, RecordFault> {
        let (fixed, rest) =
            block.split_first_chunk::<FIXED>().ok_or(RecordFault::BlockSize { size: block.len() as u64 })?;
        let i32_at = |i: usize| i32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let u16_at = |i: usize| u16::from_le_bytes([fixed[i], fixed[i + 1]]);
        let name_len = usize::from(fixed[8]);
        let cigar_ops = usize::from(u16_at(12));
        let sequence_len = i32_at(16);
        let sequence_len =
            usize::try_from(sequence_len).map_err(|_| RecordFault::SequenceLength { l_seq: sequence_len })?;
        if name_len == 0 {
            return Err(RecordFault::EmptyName);
        }
        let packed = sequence_len.div_ceil(2);
        let needed = (cigar_ops as u64) * 4 + name_len as u64 + packed as u64 + sequence_len as u64;
        if needed > rest.len() as u64 {
            return Err(RecordFault::Overrun { needed, available: rest.len() });
        }
        let (name, rest) = rest.split_at(name_len);
        let (cigar, rest) = rest.split_at(cigar_ops * 4);
        let (sequence, rest) = rest.split_at(packed);
        let (qualities, data) = rest.split_at(sequence_len);
        let mut record = Self {
            reference_id: i32_at(0),
            position: i32_at(4),
            mapping_quality: fixed[9],
            flags: u16_at(14),
            mate_reference_id: i32_at(20),
            mate_position: i32_at(24),
            template_length: i32_at(28),
            name: name.strip_suffix(&[0]).unwrap_or(name),
            cigar,
            sequence,
            sequence_len,
            qualities,
            data: [data, &[]],
        };
        record.move_cigar_from_tag()?;
        record.check_query_length()?;
        for id in [record.reference_id, record.mate_reference_id] {
            if id < -1 || id >= 0 && id as usize >= references {
                return Err(RecordFault::ReferenceId { id, references });
            }
        }
        Ok(record)
    }

    /// The CIGAR operations, as (length, code).
    pub(crate) fn cigar_ops(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        let (ops, _) = self.cigar.as_chunks::<4>();
        ops.iter().map(|op| {
            let n = u32::from_le_bytes(*op);
            (n >> 4, n & 0x0f)
        })
    }

    /// Whether flag `0x4` (unmapped) is set.
    pub(crate) fn is_unmapped(&self) -> bool {
        self.flags & UNMAPPED != 0
    }

    /// The integer value of the first optional field named `tag` (htslib's `bam_aux_get` then
    /// `bam_aux2i`): `None` when there is none, when its type is not an integer one, or when the
    /// fields before it are corrupt.
    pub(crate) fn integer_tag(&self, tag: [u8; 2]) -> Option<i64> {
        let data = self.data.into_iter().find_map(|data| Some((data, find_tag(data, tag).ok()??)));
        let (data, at) = data?;
        let value = &data[at + 3..];
        let bytes = |n: usize| value.get(..n);
        Some(match data[at + 2] {
            b'c' => i64::from(i8::from_le_bytes(bytes(1)?.try_into().ok()?)),
            b'C' => i64::from(bytes(1)?[0]),
            b's' => i64::from(i16::from_le_bytes(bytes(2)?.try_into().ok()?)),
            b'S' => i64::from(u16::from_le_bytes(bytes(2)?.try_into().ok()?)),
            b'i' => i64::from(i32::from_le_bytes(bytes(4)?.try_into().ok()?)),
            b'I' => i64::from(u32::from_le_bytes(bytes(4)?.try_into().ok()?)),
            _ => return None,
        })
    }

    /// Bases of the reference the CIGAR spans (htslib's `rlen`: M, D, N, = and X).
    pub(crate) fn reference_span(&self) -> u64 {
        self.cigar_ops().filter(|&(_, op)| consumes(op).1).map(|(len, _)| u64::from(len)).sum()
    }

    // `bam_tag2cigar`: a first operation that soft-clips the whole read in a placed record, and a
    // `CG:B:I` (or `B:i`) tag of at least as many operations (and fewer than 2^29): the tag is the
    // real CIGAR, and is no longer an optional field.
    fn move_cigar_from_tag(&mut self) -> Result<(), RecordFault> {
        if self.cigar.is_empty() || self.reference_id < 0 || self.position < 0 {
            return Ok(());
        }
        let first = self.cigar_ops().next().unwrap_or_default();
        // `l_seq` is below 2^31 (`parse`), so it fits a u32.
        if first != (self.sequence_len as u32, SOFT_CLIP) {
            return Ok(());
        }
        let data = self.data[0];
        let Some(at) = find_tag(data, *b"CG")? else { return Ok(()) };
        let value = &data[at + 2..];
        let (&[b'B', subtype, c0, c1, c2, c3], ops) = value.split_first_chunk::<6>().unwrap_or((&[0; 6], &[])) else {
            return Ok(());
        };
        let count = u32::from_le_bytes([c0, c1, c2, c3]);
        if !matches!(subtype, b'I' | b'i') || (count as usize) < self.cigar.len() / 4 || count >= MAX_CG_OPS {
            return Ok(());
        }
        // `find_tag` checked that the array lies within the data.
        let len = count as usize * 4;
        let (Some(cigar), Some(after)) = (ops.get(..len), ops.get(len..)) else { return Ok(()) };
        self.cigar = cigar;
        self.data = [&data[..at], after];
        Ok(())
    }

    // `bam_read1`: a mapped record with bases must have a CIGAR of as many query bases.
    fn check_query_length(&self) -> Result<(), RecordFault> {
        if self.cigar.is_empty() || self.sequence_len == 0 || self.is_unmapped() {
            return Ok(());
        }
        let query: u64 = self.cigar_ops().filter(|&(_, op)| consumes(op).0).map(|(len, _)| u64::from(len)).sum();
        if query != self.sequence_len as u64 {
            return Err(RecordFault::QueryLength { cigar: query, sequence: self.sequence_len });
        }
        Ok(())
    }
}

/// Whether CIGAR operation `op` consumes the query and the reference (htslib's
/// `BAM_CIGAR_TYPE`: codes 9 to 15, which samtools prints as `B` and `?`, consume neither).
pub(crate) fn consumes(op: u32) -> (bool, bool) {
    const TYPE: u32 = 0x3C1A7;
    let bits = if op < 16 { TYPE >> (op << 1) & 3 } else { 0 };
    (bits & 1 != 0, bits & 2 != 0)
}

/// Size of one value of aux type `ty` (htslib `aux_type2size`): 0 for an unknown type, and the
/// type itself for the variable-length ones.
fn type_size(ty: u8) -> usize {
    match ty {
        b'A' | b'c' | b'C' => 1,
        b's' | b'S' => 2,
        b'i' | b'I' | b'f' => 4,
        b'd' => 8,
        b'Z' | b'H' | b'B' => usize::from(ty),
        _ => 0,
    }
}

/// Where the value after the type byte at `data[at]` ends (htslib `skip_aux`): `None` when it is
/// corrupt; the end of the data for an unterminated string.
fn skip_value(data: &[u8], at: usize) -> Option<usize> {
    let Some(&ty) = data.get(at) else { return Some(data.len()) };
    let s = at + 1;
    match ty {
        b'Z' | b'H' => Some(data[s..].iter().position(|&b| b == 0).map_or(data.len(), |nul| s + nul + 1)),
        b'B' => {
            let header = data.get(s..s + 5)?;
            let size = type_size(header[0]) as u32;
            let count = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
            let start = s + 5;
            // As C computes `size * n`: in 32 bits.
            let len = size.wrapping_mul(count) as usize;
            (size != 0 && data.len() - start >= len).then_some(start + len)
        }
        _ => match type_size(ty) {
            0 => None,
            size => (data.len() - s >= size).then_some(s + size),
        },
    }
}

/// The offset of the first optional field named `tag` in `data`, as htslib's `bam_aux_get`
/// finds it: `Ok(None)` when there is none.
///
/// # Errors
///
/// [`RecordFault::CorruptData`] when a field before it, or its value, is corrupt or cut short.
fn find_tag(data: &[u8], tag: [u8; 2]) -> Result<Option<usize>, RecordFault> {
    let mut at = 0;
    while data.len() - at >= 3 {
        let value = at + 2;
        let end = skip_value(data, value);
        if data[at..value] == tag {
            let ty = data[value];
            return match end {
                Some(end) if !matches!(ty, b'Z' | b'H') || data[end - 1] == 0 => Ok(Some(at)),
                _ => Err(RecordFault::CorruptData),
            };
        }
        at = end.ok_or(RecordFault::CorruptData)?;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RawRecord;

    fn cg(ops: &[(u32, u32)]) -> Vec<u8> {
        let mut tag = b"CGBI".to_vec();
        tag.extend_from_slice(&(ops.len() as u32).to_le_bytes());
        for (len, op) in ops {
            tag.extend_from_slice(&(len << 4 | op).to_le_bytes());
        }
        tag
    }

    /// A record of 5 bases with this CIGAR and data.
    fn five(position: i32, cigar: &[(u32, u32)], data: &[u8]) -> Vec<u8> {
        RawRecord { position, cigar: cigar.to_vec(), sequence_len: 5, data: data.to_vec(), ..RawRecord::default() }
            .block()
    }

    #[test]
    fn test_cigar_from_cg_tag() -> Result<(), RecordFault> {
        let real = [(2, 0), (1, 1), (2, 0)];
        let data = [b"XAAx".as_slice(), &cg(&real), b"NMC\x01"].concat();
        let b = five(10, &[(5, 4), (4, 3)], &data);
        let record = Record::parse(&b, 1)?;
        assert_eq!(record.cigar_ops().collect::<Vec<_>>(), real);
        assert_eq!(record.data, [b"XAAx".as_slice(), b"NMC\x01"]);
        assert_eq!(record.reference_span(), 4);
        // As htslib, the placeholder's second operation need not be N.
        let b = five(10, &[(5, 4), (4, 2), (1, 2)], &data);
        assert_eq!(Record::parse(&b, 1)?.cigar_ops().collect::<Vec<_>>(), real);
        // Unplaced: left as stored.
        let b = five(-1, &[(5, 4), (4, 3)], &data);
        let record = Record::parse(&b, 1)?;
        assert_eq!((record.cigar.len(), record.data), (8, [data.as_slice(), b""]));
        // A first operation that does not clip the whole read: left as stored, and then its
        // query length is wrong.
        let b = five(10, &[(4, 4), (4, 3)], &data);
        assert!(matches!(Record::parse(&b, 1), Err(RecordFault::QueryLength { cigar: 4, sequence: 5 })));
        Ok(())
    }

    #[test]
    fn test_faults() {
        let ok = RawRecord::default().block();
        assert!(Record::parse(&ok, 1).is_ok());
        assert!(matches!(Record::parse(&ok[..20], 1), Err(RecordFault::BlockSize { size: 20 })));
        assert!(matches!(Record::parse(&ok[..ok.len() - 1], 1), Err(RecordFault::Overrun { .. })));
        let with = |flags, sequence_len, data: &[u8]| {
            RawRecord { flags, cigar: vec![(3, 0)], sequence_len, data: data.to_vec(), ..RawRecord::default() }.block()
        };
        assert!(matches!(Record::parse(&with(0, 4, b""), 1), Err(RecordFault::QueryLength { .. })));
        // Unmapped, or without bases: the CIGAR is not checked against them.
        assert!(Record::parse(&with(4, 4, b""), 1).is_ok());
        assert!(Record::parse(&with(0, 0, b""), 1).is_ok());
        assert!(matches!(Record::parse(&ok, 0), Err(RecordFault::ReferenceId { id: 0, references: 0 })));
        let empty_name = RawRecord { name: Vec::new(), ..RawRecord::default() }.block();
        assert!(matches!(Record::parse(&empty_name, 1), Err(RecordFault::EmptyName)));
        // Corrupt data where htslib looks for CG is a fault; elsewhere it is the renderer's.
        let corrupt = five(10, &[(5, 4), (1, 3)], b"XAq\x01");
        assert!(matches!(Record::parse(&corrupt, 1), Err(RecordFault::CorruptData)));
        assert!(Record::parse(&with(0, 3, b"XAq\x01"), 1).is_ok());
    }

    #[test]
    fn test_integer_tag() -> Result<(), RecordFault> {
        let data = [
            b"XZZabc\0".as_slice(),
            b"NMc\xfe",
            b"NMC\x07",
            b"XCC\xff",
            b"XsS\x01\x02",
            b"Xis\x00\x80",
            b"XIi\xff\xff\xff\xff",
            b"XUI\xff\xff\xff\xff",
            b"XFf\0\0\x80\x3f",
        ]
        .concat();
        let b = RawRecord { data, ..RawRecord::default() }.block();
        let record = Record::parse(&b, 1)?;
        // The first NM, as htslib finds it.
        assert_eq!(record.integer_tag(*b"NM"), Some(-2));
        assert_eq!(record.integer_tag(*b"XC"), Some(255));
        assert_eq!(record.integer_tag(*b"Xs"), Some(0x0201));
        assert_eq!(record.integer_tag(*b"Xi"), Some(-32768));
        assert_eq!(record.integer_tag(*b"XI"), Some(-1));
        assert_eq!(record.integer_tag(*b"XU"), Some(4_294_967_295));
        assert_eq!(
            (record.integer_tag(*b"XF"), record.integer_tag(*b"XZ"), record.integer_tag(*b"AS")),
            (None, None, None)
        );
        // After a CG tag htslib has moved to the CIGAR.
        let ops = [(5u32, 0u32)];
        let mut cg = b"CGBI".to_vec();
        cg.extend_from_slice(&1u32.to_le_bytes());
        cg.extend(ops.iter().flat_map(|(len, op)| (len << 4 | op).to_le_bytes()));
        let data = [cg.as_slice(), b"NMC\x03"].concat();
        let b = RawRecord { cigar: vec![(5, 4), (4, 3)], sequence_len: 5, data, ..RawRecord::default() }.block();
        assert_eq!(Record::parse(&b, 1)?.integer_tag(*b"NM"), Some(3));
        Ok(())
    }

    #[test]
    fn test_consumes() {
        let codes: Vec<(bool, bool)> = (0..16).map(consumes).collect();
        let (q, r, b, n) = ((true, false), (false, true), (true, true), (false, false));
        assert_eq!(codes, [b, q, r, r, q, n, n, b, b, n, n, n, n, n, n, n]);
    }
}
