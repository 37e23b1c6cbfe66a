//! The `.gzi` index of a BGZF file (htslib's format, read and written with noodles-bgzf): where
//! each block after the first starts, compressed and uncompressed.

use noodles_bgzf::gzi;

use super::{Error, ErrorKind};

/// A parsed `.gzi`: the `(compressed, uncompressed)` offsets of each BGZF block that holds data,
/// but the first (at `(0, 0)`), in file order. This is what `bgzip -r` and `samtools faidx`
/// write: an unsigned 64-bit little-endian count, then that many pairs of the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gzi {
    index: gzi::Index,
}

impl Gzi {
    /// Parses `.gzi` bytes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidGzi`] when the bytes are not a count and that many pairs;
    /// [`ErrorKind::UnsortedGzi`] when an entry does not start strictly after the one before,
    /// in both offsets.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let index = gzi::io::Reader::new(bytes).read_index().map_err(|e| Error::new(ErrorKind::InvalidGzi(e)))?;
        let mut before = (0, 0);
        for (i, &(compressed, uncompressed)) in index.as_ref().iter().enumerate() {
            if compressed <= before.0 || uncompressed <= before.1 {
                return Err(Error::new(ErrorKind::UnsortedGzi { entry: i as u64 + 1 }));
            }
            before = (compressed, uncompressed);
        }
        Ok(Self { index })
    }

    /// The `.gzi` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + 16 * self.entries().len());
        gzi::io::Writer::new(&mut bytes).write_index(&self.index).expect("writing to a Vec cannot fail");
        bytes
    }

    /// The `(compressed, uncompressed)` offsets of each block but the first.
    pub fn entries(&self) -> &[(u64, u64)] {
        self.index.as_ref()
    }

    /// An index of blocks that start at `entries`, which must be in file order.
    pub(super) fn from_entries(entries: Vec<(u64, u64)>) -> Self {
        Self { index: gzi::Index::from(entries) }
    }

    /// `(compressed, uncompressed)` start of the block holding uncompressed byte `offset`.
    pub(super) fn block_of(&self, offset: u64) -> (u64, u64) {
        let entries = self.entries();
        let i = entries.partition_point(|&(_, uncompressed)| uncompressed <= offset);
        if i == 0 { (0, 0) } else { entries[i - 1] }
    }

    /// Compressed start of the first block that starts at or after uncompressed byte `offset`,
    /// if the index lists one.
    pub(super) fn block_from(&self, offset: u64) -> Option<u64> {
        let entries = self.entries();
        let i = entries.partition_point(|&(_, uncompressed)| uncompressed < offset);
        entries.get(i).map(|&(compressed, _)| compressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_and_write() -> Result<(), Error> {
        let bytes = [
            &2u64.to_le_bytes()[..],
            &27831u64.to_le_bytes(),
            &65280u64.to_le_bytes(),
            &55369u64.to_le_bytes(),
            &130560u64.to_le_bytes(),
        ]
        .concat();
        let gzi = Gzi::parse(&bytes)?;
        assert_eq!(gzi.entries(), [(27831, 65280), (55369, 130560)]);
        assert_eq!(gzi.to_bytes(), bytes);
        assert_eq!(Gzi::parse(&0u64.to_le_bytes())?, Gzi::default());
        assert_eq!(Gzi::default().to_bytes(), 0u64.to_le_bytes());
        Ok(())
    }

    #[test]
    fn test_parse_errors() {
        let message = |bytes: &[u8]| Gzi::parse(bytes).err().map(|e| e.to_string());
        assert_eq!(message(b"\x01\0\0\0\0\0\0\0").as_deref(), Some("reference: invalid .gzi index"));
        assert_eq!(message(b"\0\0\0\0\0\0\0\0\0").as_deref(), Some("reference: invalid .gzi index"));
        assert_eq!(message(b"").as_deref(), Some("reference: invalid .gzi index"));
        let unsorted = [&2u64.to_le_bytes()[..], &[9; 8], &[9; 8], &[9; 8], &[8; 8]].concat();
        assert_eq!(message(&unsorted).as_deref(), Some("reference: .gzi entry 2 is not after the entry before it"));
    }

    #[test]
    fn test_blocks() {
        let gzi = Gzi::from_entries(vec![(100, 1000), (200, 2000)]);
        assert_eq!(gzi.block_of(0), (0, 0));
        assert_eq!(gzi.block_of(999), (0, 0));
        assert_eq!(gzi.block_of(1000), (100, 1000));
        assert_eq!(gzi.block_of(5000), (200, 2000));
        assert_eq!(gzi.block_from(0), Some(100));
        assert_eq!(gzi.block_from(1000), Some(100));
        assert_eq!(gzi.block_from(1001), Some(200));
        assert_eq!(gzi.block_from(2001), None);
    }
}
