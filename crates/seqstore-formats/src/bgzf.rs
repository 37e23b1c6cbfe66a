//! BGZF blocks (SAM/BAM § 4.1): framing and inflating one block, shared by the BAM reader, which
//! inflates blocks on worker threads, and the gzip member reader of FASTQ and FASTA, which
//! inflates them inline.
//!
//! A BGZF block is one whole deflate stream of known size, which libdeflate (as htslib and
//! noodles-bgzf's `libdeflate` feature use it) inflates about 1.2–1.4× faster than flate2 with
//! zlib-rs (`benches/README.md`); its CRC-32 uses the same carry-less multiply instructions.

use libdeflater::{DecompressionError, Decompressor};

/// Fixed part of a gzip header up to XLEN (RFC 1952 § 2.3).
pub(crate) const HEADER: usize = 12;
/// CRC32 and ISIZE after the compressed data.
pub(crate) const TRAILER: usize = 8;
/// Largest uncompressed block (SAM/BAM § 4.1).
pub(crate) const MAX_ISIZE: usize = 1 << 16;
/// The first four bytes of every BGZF block: gzip magic, CM deflate, FLG with only FEXTRA.
pub(crate) const BLOCK_START: [u8; 4] = [0x1f, 0x8b, 0x08, 0x04];

/// What is wrong with a framed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockFault {
    /// Invalid header or deflate data, with the reason.
    Corrupt(&'static str),
    /// ISIZE does not match the inflated data.
    BadSize,
    /// CRC32 does not match the inflated data.
    BadCrc,
}

/// XLEN of a gzip header's first [`HEADER`] bytes.
pub(crate) fn xlen(header: &[u8]) -> usize {
    usize::from(u16::from_le_bytes([header[10], header[11]]))
}

/// Total size of the block from its extra field (the subfield SI1 'B', SI2 'C', SLEN 2,
/// BSIZE = total block size - 1); `None` without one.
pub(crate) fn block_size(mut extra: &[u8]) -> Option<usize> {
    while let [si1, si2, len0, len1, rest @ ..] = extra {
        let len = usize::from(u16::from_le_bytes([*len0, *len1]));
        if (*si1, *si2, len) == (b'B', b'C', 2) {
            let bsize = rest.get(..2)?;
            return Some(usize::from(u16::from_le_bytes([bsize[0], bsize[1]])) + 1);
        }
        extra = rest.get(len..)?;
    }
    None
}

/// ISIZE of the whole block `raw`, which must be at least [`HEADER`] + XLEN + [`TRAILER`] bytes.
///
/// # Errors
///
/// [`BlockFault::Corrupt`] when it is over [`MAX_ISIZE`].
pub(crate) fn uncompressed_size(raw: &[u8]) -> Result<usize, BlockFault> {
    let trailer = &raw[raw.len() - TRAILER..];
    let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) as usize;
    if isize > MAX_ISIZE {
        return Err(BlockFault::Corrupt("uncompressed size over 64 KiB"));
    }
    Ok(isize)
}

/// Inflates the whole block `raw` into `out`, whose length must be its
/// [`uncompressed_size`], and checks the CRC-32.
///
/// # Errors
///
/// [`BlockFault::Corrupt`] for invalid deflate data, [`BlockFault::BadSize`] when the data is
/// shorter or longer than ISIZE, [`BlockFault::BadCrc`].
pub(crate) fn inflate_into(inflater: &mut Decompressor, raw: &[u8], out: &mut [u8]) -> Result<(), BlockFault> {
    let start = HEADER + xlen(raw);
    let (cdata, trailer) = raw[start..].split_at(raw.len() - start - TRAILER);
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    match inflater.deflate_decompress(cdata, out) {
        Ok(n) if n == out.len() => {}
        // Data shorter than ISIZE, or longer (it does not fit).
        Ok(_) | Err(DecompressionError::InsufficientSpace) => return Err(BlockFault::BadSize),
        Err(DecompressionError::BadData) => return Err(BlockFault::Corrupt("invalid deflate data")),
    }
    if libdeflater::crc32(out) != crc {
        return Err(BlockFault::BadCrc);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::bgzf;

    #[test]
    fn test_frame_and_inflate() -> Result<(), Box<dyn std::error::Error>> {
        let raw = bgzf(b"hello")?;
        assert_eq!(raw[..4], BLOCK_START);
        let size = block_size(&raw[HEADER..HEADER + xlen(&raw)]).ok_or("no BC field")?;
        let block = &raw[..size];
        assert_eq!(uncompressed_size(block), Ok(5));
        let mut out = [0; 5];
        inflate_into(&mut Decompressor::new(), block, &mut out).map_err(|e| format!("{e:?}"))?;
        assert_eq!(&out, b"hello");
        assert_eq!(inflate_into(&mut Decompressor::new(), block, &mut [0; 4]), Err(BlockFault::BadSize));
        assert_eq!(inflate_into(&mut Decompressor::new(), block, &mut [0; 6]), Err(BlockFault::BadSize));
        let mut crc = block.to_vec();
        crc[size - TRAILER] ^= 1;
        assert_eq!(inflate_into(&mut Decompressor::new(), &crc, &mut out), Err(BlockFault::BadCrc));
        assert_eq!(block_size(b"XY\x02\x00ab"), None);
        assert_eq!(block_size(b"XY\x09\x00ab"), None);
        Ok(())
    }
}
