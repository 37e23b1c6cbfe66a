//! Counts of records by flag, as `samtools flagstat` counts them, for BAM and CRAM alike.

use noodles_sam::alignment::record::Flags;

/// flagstat-style counts, each the sum of the QC-passed and QC-failed columns of
/// `samtools flagstat` (htslib 1.16 `bam_flagstat.c`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlignmentStatistics {
    /// Records neither secondary nor supplementary.
    pub primary: u64,
    /// Secondary records (flag 0x100).
    pub secondary: u64,
    /// Supplementary records (flag 0x800) that are not secondary.
    pub supplementary: u64,
    /// Records of any kind not flagged unmapped (0x4).
    pub mapped: u64,
    /// Primary records flagged paired (0x1): flagstat's "paired in sequencing".
    pub paired: u64,
    /// Primary, paired records flagged properly paired (0x2) and not unmapped.
    pub properly_paired: u64,
    /// Records of any kind flagged duplicate (0x400).
    pub duplicates: u64,
}

impl AlignmentStatistics {
    /// Counts one record with these flags.
    pub fn add(&mut self, flags: Flags) {
        let mapped = !flags.is_unmapped();
        if flags.is_secondary() {
            self.secondary += 1;
        } else if flags.is_supplementary() {
            self.supplementary += 1;
        } else {
            self.primary += 1;
            if flags.is_segmented() {
                self.paired += 1;
                if flags.is_properly_segmented() && mapped {
                    self.properly_paired += 1;
                }
            }
        }
        self.mapped += u64::from(mapped);
        self.duplicates += u64::from(flags.is_duplicate());
    }

    /// Adds the counts of `other`.
    pub(crate) fn merge(&mut self, other: &AlignmentStatistics) {
        self.primary += other.primary;
        self.secondary += other.secondary;
        self.supplementary += other.supplementary;
        self.mapped += other.mapped;
        self.paired += other.paired;
        self.properly_paired += other.properly_paired;
        self.duplicates += other.duplicates;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_add() {
        let mut statistics = AlignmentStatistics::default();
        // Properly paired and mapped, its unmapped mate, a secondary duplicate, a supplementary
        // one, and an unpaired unmapped read.
        for bits in [0x3, 0x4 | 0x3, 0x100 | 0x400 | 0x1, 0x800 | 0x1, 0x4] {
            statistics.add(Flags::from(bits));
        }
        let expected = AlignmentStatistics {
            primary: 3,
            secondary: 1,
            supplementary: 1,
            mapped: 3,
            paired: 2,
            properly_paired: 1,
            duplicates: 1,
        };
        assert_eq!(statistics, expected);
    }

    #[test]
    fn test_merge() {
        let count = |flags: &[u16]| {
            let mut statistics = AlignmentStatistics::default();
            flags.iter().for_each(|&bits| statistics.add(Flags::from_bits_retain(bits)));
            statistics
        };
        let flags = [0x1 | 0x2 | 0x40, 0x1 | 0x2 | 0x4 | 0x80, 0x100, 0x800 | 0x400, 0x4 | 0x400];
        let mut merged = count(&flags[..3]);
        merged.merge(&count(&flags[3..]));
        assert_eq!(merged, count(&flags));
        assert_eq!((merged.primary, merged.supplementary, merged.duplicates), (3, 1, 2));
    }
}
