//! The collector's view of a BAM record as the BAM scan reads it ([`Record`]: the stored bytes,
//! with a `CG` tag's CIGAR moved back as htslib does), for that scan's record loop.

use noodles_sam::alignment::record::Flags;

use super::{AlignedRead, Bases, CigarCounts};
use crate::bam::record::Record;

impl<'a> AlignedRead<'a> {
    /// The fields of `record` as stored: bases packed, qualities raw, `NM` when it has an integer
    /// value of 0 or more.
    pub(crate) fn from_bam(record: &Record<'a>) -> Self {
        let reference = |id: i32| usize::try_from(id).ok();
        let position = |pos: i32| usize::try_from(pos).ok().map(|pos| pos + 1);
        Self {
            flags: Flags::from(record.flags),
            reference_id: reference(record.reference_id),
            position: position(record.position),
            mate_reference_id: reference(record.mate_reference_id),
            mate_position: position(record.mate_position),
            mapping_quality: record.mapping_quality,
            template_length: record.template_length,
            bases: Bases::Packed { codes: record.sequence, len: record.sequence_len },
            qualities: record.qualities,
            cigar: CigarCounts::from_codes(record.cigar_ops()),
            edit_distance: record.integer_tag(*b"NM").and_then(|nm| u32::try_from(nm).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bam::RecordFault;
    use crate::testing::RawRecord;

    #[test]
    fn test_from_bam() -> Result<(), RecordFault> {
        let raw = RawRecord {
            reference_id: 1,
            position: 99,
            mapping_quality: 37,
            flags: 0x1 | 0x2 | 0x10 | 0x40,
            mate_reference_id: 0,
            mate_position: 299,
            template_length: -250,
            cigar: vec![(3, 5), (4, 0)],
            data: b"NMC\x02".to_vec(),
            ..RawRecord::default()
        };
        let block = raw.block();
        let record = Record::parse(&block, 2)?;
        let read = AlignedRead::from_bam(&record);
        assert_eq!(read.flags, Flags::from(0x53));
        assert_eq!(
            (read.reference_id, read.position, read.mate_reference_id, read.mate_position),
            (Some(1), Some(100), Some(0), Some(300))
        );
        assert_eq!((read.mapping_quality, read.template_length, read.edit_distance), (37, -250, Some(2)));
        assert_eq!(read.cigar, CigarCounts { hard_clipped: 3, aligned: 4 });
        // RawRecord's bases are all A (code 1), its qualities 40.
        assert!(matches!(read.bases, Bases::Packed { codes: [0x11, 0x11], len: 4 }));
        assert_eq!(read.qualities, [40; 4]);
        // Unplaced, without mate, negative NM.
        let raw =
            RawRecord { reference_id: -1, position: -1, flags: 0x4, cigar: vec![], data: b"NMc\xff".to_vec(), ..raw };
        let block = raw.block();
        let read = AlignedRead::from_bam(&Record::parse(&block, 2)?);
        assert_eq!((read.reference_id, read.position, read.edit_distance), (None, None, None));
        Ok(())
    }
}
