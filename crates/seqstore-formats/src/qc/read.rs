//! What the collector is told of one alignment record: plain values and slices borrowed from
//! however the caller decoded it (BAM's stored bytes, or a noodles `RecordBuf` for CRAM).

use noodles_sam::alignment::RecordBuf;
use noodles_sam::alignment::record::Flags;
use noodles_sam::alignment::record::cigar::Op;
use noodles_sam::alignment::record::cigar::op::Kind;
use noodles_sam::alignment::record::data::field::Tag;

/// The bases of a record, as the caller holds them.
#[derive(Debug, Clone, Copy)]
pub enum Bases<'a> {
    /// BAM's packed 4-bit codes (`=ACMGRSVTWYHKDBN`), two a byte, the first in the high nibble,
    /// as stored; `len` bases (`l_seq`), of which only those `codes` holds count.
    Packed {
        /// The packed codes, `len.div_ceil(2)` bytes.
        codes: &'a [u8],
        /// The number of bases.
        len: usize,
    },
    /// One byte a base, as text of either case (FASTQ, SAM, a noodles `RecordBuf`): each counts
    /// as htslib's `seq_nt16_table` codes it.
    Text(&'a [u8]),
}

impl Bases<'_> {
    /// The number of bases.
    pub fn len(&self) -> usize {
        match *self {
            Bases::Packed { codes, len } => len.min(codes.len().saturating_mul(2)),
            Bases::Text(text) => text.len(),
        }
    }

    /// Whether there are no bases (`SEQ` `*`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the statistics need of a CIGAR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CigarCounts {
    /// Bases hard-clipped (`H`): samtools stats counts a read's length with them.
    pub hard_clipped: u64,
    /// Query bases aligned or inserted (`M`, `I`, `=`, `X`): samtools' "bases mapped (cigar)".
    pub aligned: u64,
}

/// BAM operation codes (SAM/BAM § 4.2) the counts look at.
const MATCH: u32 = 0;
const INSERTION: u32 = 1;
const HARD_CLIP: u32 = 5;
const SEQUENCE_MATCH: u32 = 7;
const SEQUENCE_MISMATCH: u32 = 8;

impl CigarCounts {
    /// The counts of operations given as (length, BAM operation code); unknown codes count
    /// nothing.
    pub fn from_codes(ops: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut counts = Self::default();
        for (len, code) in ops {
            match code {
                HARD_CLIP => counts.hard_clipped += u64::from(len),
                MATCH | INSERTION | SEQUENCE_MATCH | SEQUENCE_MISMATCH => counts.aligned += u64::from(len),
                _ => {}
            }
        }
        counts
    }

    /// The counts of a CIGAR as BAM stores it: little-endian u32s, the length in the high 28
    /// bits and the code in the low 4 (a trailing partial operation is ignored).
    pub fn from_packed(cigar: &[u8]) -> Self {
        let (ops, _) = cigar.as_chunks::<4>();
        Self::from_codes(ops.iter().map(|op| {
            let n = u32::from_le_bytes(*op);
            (n >> 4, n & 0x0f)
        }))
    }

    /// The counts of noodles' operations.
    pub fn from_ops(ops: &[Op]) -> Self {
        let mut counts = Self::default();
        for op in ops {
            let len = op.len() as u64;
            match op.kind() {
                Kind::HardClip => counts.hard_clipped += len,
                Kind::Match | Kind::Insertion | Kind::SequenceMatch | Kind::SequenceMismatch => {
                    counts.aligned += len;
                }
                _ => {}
            }
        }
        counts
    }
}

/// One alignment record (BAM, CRAM; a FASTQ record goes through
/// [`QcCollector::add_fastq`](super::QcCollector::add_fastq)), as
/// [`QcCollector::add_alignment`](super::QcCollector::add_alignment) takes it.
#[derive(Debug, Clone, Copy)]
pub struct AlignedRead<'a> {
    /// `FLAG`, every bit.
    pub flags: Flags,
    /// The reference sequence (index of its `@SQ` line): `None` when unplaced (`RNAME` `*`).
    pub reference_id: Option<usize>,
    /// `POS`, 1-based: `None` when 0 (absent).
    pub position: Option<usize>,
    /// The mate's reference sequence (`RNEXT`, resolved): `None` when unplaced.
    pub mate_reference_id: Option<usize>,
    /// `PNEXT`, 1-based: `None` when 0 (absent).
    pub mate_position: Option<usize>,
    /// `MAPQ`, 255 when unavailable.
    pub mapping_quality: u8,
    /// `TLEN`.
    pub template_length: i32,
    /// `SEQ`, as stored (reverse-complemented for a read on the reverse strand, as SAM has it).
    pub bases: Bases<'a>,
    /// `QUAL` as raw Phred values (no `+33`), one per base, in the order of the bases. Empty, or
    /// starting with 0xFF (BAM's `*`), when the read has none; of another length than the
    /// bases, it is taken as none too.
    pub qualities: &'a [u8],
    /// The CIGAR's counts.
    pub cigar: CigarCounts,
    /// The `NM` tag when the record has one with an integer value of 0 or more (a CRAM decoder
    /// that regenerates `NM`, as htslib does, should pass the regenerated value).
    pub edit_distance: Option<u32>,
}

impl<'a> AlignedRead<'a> {
    /// The fields of a noodles record (a decoded CRAM record): bases as text, `NM` from its data.
    pub fn from_record_buf(record: &'a RecordBuf) -> Self {
        let edit_distance =
            record.data().get(&Tag::EDIT_DISTANCE).and_then(|value| value.as_int()).and_then(|n| u32::try_from(n).ok());
        Self {
            flags: record.flags(),
            reference_id: record.reference_sequence_id(),
            position: record.alignment_start().map(usize::from),
            mate_reference_id: record.mate_reference_sequence_id(),
            mate_position: record.mate_alignment_start().map(usize::from),
            mapping_quality: record.mapping_quality().map_or(255, u8::from),
            template_length: record.template_length(),
            bases: Bases::Text(record.sequence().as_ref()),
            qualities: record.quality_scores().as_ref(),
            cigar: CigarCounts::from_ops(record.cigar().as_ref()),
            edit_distance,
        }
    }

    /// The qualities, unless the read has none (see [`AlignedRead::qualities`]).
    pub(super) fn usable_qualities(&self) -> Option<&'a [u8]> {
        let qualities = self.qualities;
        (qualities.len() == self.bases.len() && qualities.first().is_some_and(|&q| q != 0xff)).then_some(qualities)
    }
}

#[cfg(test)]
mod tests {
    use noodles_sam::alignment::record::MappingQuality;
    use noodles_sam::alignment::record_buf::data::field::Value;
    use noodles_sam::alignment::record_buf::{Cigar, QualityScores, Sequence};

    use super::*;

    #[test]
    fn test_cigar_counts() {
        // 2H 3S 4M 1I 2D 5N 1P 6= 7X 8H, and an unknown code 9.
        let ops = [(2, 5), (3, 4), (4, 0), (1, 1), (2, 2), (5, 3), (1, 6), (6, 7), (7, 8), (8, 5), (9, 9)];
        let expected = CigarCounts { hard_clipped: 10, aligned: 4 + 1 + 6 + 7 };
        assert_eq!(CigarCounts::from_codes(ops), expected);
        let mut packed: Vec<u8> = ops.iter().flat_map(|&(len, code)| (len << 4 | code).to_le_bytes()).collect();
        packed.push(0xff);
        assert_eq!(CigarCounts::from_packed(&packed), expected);
        let kinds = [
            Kind::HardClip,
            Kind::SoftClip,
            Kind::Match,
            Kind::Insertion,
            Kind::Deletion,
            Kind::Skip,
            Kind::Pad,
            Kind::SequenceMatch,
            Kind::SequenceMismatch,
            Kind::HardClip,
        ];
        let ops: Vec<Op> = kinds.iter().zip(ops).map(|(&kind, (len, _))| Op::new(kind, len as usize)).collect();
        assert_eq!(CigarCounts::from_ops(&ops), expected);
    }

    #[test]
    fn test_bases_len() {
        assert_eq!(Bases::Packed { codes: &[0x12, 0x40], len: 3 }.len(), 3);
        // Fewer codes than the length says: only those held.
        assert_eq!(Bases::Packed { codes: &[0x12], len: 3 }.len(), 2);
        assert!(Bases::Text(b"").is_empty());
    }

    #[test]
    fn test_from_record_buf() {
        let cigar: Cigar = [Op::new(Kind::HardClip, 2), Op::new(Kind::Match, 4)].into_iter().collect();
        let mut record = RecordBuf::builder()
            .set_flags(Flags::SEGMENTED | Flags::REVERSE_COMPLEMENTED)
            .set_reference_sequence_id(1)
            .set_alignment_start(noodles_core::Position::MIN)
            .set_mate_reference_sequence_id(1)
            .set_mate_alignment_start(noodles_core::Position::new(10).unwrap_or(noodles_core::Position::MIN))
            .set_mapping_quality(MappingQuality::new(37).unwrap_or(MappingQuality::MIN))
            .set_template_length(-14)
            .set_cigar(cigar)
            .set_sequence(Sequence::from(b"ACGT".to_vec()))
            .set_quality_scores(QualityScores::from(vec![30, 31, 32, 33]))
            .build();
        record.data_mut().insert(Tag::EDIT_DISTANCE, Value::UInt8(3));
        let read = AlignedRead::from_record_buf(&record);
        assert_eq!(read.flags, Flags::SEGMENTED | Flags::REVERSE_COMPLEMENTED);
        assert_eq!(
            (read.reference_id, read.position, read.mate_reference_id, read.mate_position),
            (Some(1), Some(1), Some(1), Some(10))
        );
        assert_eq!((read.mapping_quality, read.template_length, read.edit_distance), (37, -14, Some(3)));
        assert_eq!(read.cigar, CigarCounts { hard_clipped: 2, aligned: 4 });
        assert!(matches!(read.bases, Bases::Text(b"ACGT")));
        assert_eq!(read.usable_qualities(), Some(&[30, 31, 32, 33][..]));
        // MAPQ 255 and no qualities; a negative NM is not one.
        let mut record = RecordBuf::builder().set_sequence(Sequence::from(b"AC".to_vec())).build();
        record.data_mut().insert(Tag::EDIT_DISTANCE, Value::Int8(-1));
        let read = AlignedRead::from_record_buf(&record);
        assert_eq!((read.mapping_quality, read.edit_distance, read.usable_qualities()), (255, None, None));
    }

    #[test]
    fn test_usable_qualities() {
        let read = |bases, qualities| AlignedRead {
            flags: Flags::empty(),
            reference_id: None,
            position: None,
            mate_reference_id: None,
            mate_position: None,
            mapping_quality: 0,
            template_length: 0,
            bases: Bases::Text(bases),
            qualities,
            cigar: CigarCounts::default(),
            edit_distance: None,
        };
        assert_eq!(read(b"AC", &[1, 2]).usable_qualities(), Some(&[1, 2][..]));
        assert_eq!(read(b"AC", &[0xff, 0xff]).usable_qualities(), None);
        assert_eq!(read(b"AC", &[1]).usable_qualities(), None);
        assert_eq!(read(b"", &[]).usable_qualities(), None);
    }
}
