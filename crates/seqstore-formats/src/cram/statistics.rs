//! flagstat-style counts of alignment records (samtools `bam_flagstat`).

use noodles_sam::alignment::record::Flags;

/// Counts with `samtools flagstat`'s definitions (QC-passed and failed together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statistics {
    /// Neither secondary nor supplementary.
    pub primary: u64,
    /// Secondary alignments (0x100).
    pub secondary: u64,
    /// Supplementary alignments (0x800).
    pub supplementary: u64,
    /// Records not flagged unmapped (0x4), all of them.
    pub mapped: u64,
    /// Primary records flagged paired (0x1).
    pub paired: u64,
    /// Primary paired records flagged properly paired (0x2) and mapped.
    pub properly_paired: u64,
    /// Records flagged duplicate (0x400), all of them.
    pub duplicates: u64,
}

impl Statistics {
    /// Counts one record with `flags`.
    pub(super) fn add(&mut self, flags: Flags) {
        if flags.is_secondary() {
            self.secondary += 1;
        } else if flags.is_supplementary() {
            self.supplementary += 1;
        } else {
            self.primary += 1;
            if flags.is_segmented() {
                self.paired += 1;
                if flags.is_properly_segmented() && !flags.is_unmapped() {
                    self.properly_paired += 1;
                }
            }
        }
        if !flags.is_unmapped() {
            self.mapped += 1;
        }
        if flags.is_duplicate() {
            self.duplicates += 1;
        }
    }

    /// Adds the counts of `other`.
    pub(super) fn merge(&mut self, other: &Statistics) {
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
        let mut statistics = Statistics::default();
        for bits in [0x1 | 0x2 | 0x40, 0x1 | 0x2 | 0x4 | 0x80, 0x100, 0x800 | 0x400, 0x4 | 0x400] {
            statistics.add(Flags::from_bits_retain(bits));
        }
        let expected = Statistics {
            primary: 3,
            secondary: 1,
            supplementary: 1,
            mapped: 3,
            paired: 2,
            properly_paired: 1,
            duplicates: 2,
        };
        assert_eq!(statistics, expected);
    }
}
