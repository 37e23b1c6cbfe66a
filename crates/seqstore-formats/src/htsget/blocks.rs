//! BGZF blocks made and cut for tickets: a header re-encoded, the part of a block from or up to a
//! record boundary re-encoded as a block of its own, and the EOF marker.

use std::io;

use libdeflater::{CompressionLvl, Compressor, Decompressor};

use crate::bgzf::{self, HEADER, TRAILER};

/// The BGZF end-of-file marker: an empty block (SAM/BAM § 4.1.2).
pub const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00, 0x1b, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Uncompressed bytes per block written here, as htslib writes them (room for incompressible data).
const BLOCK_DATA: usize = 0xff00;

/// The total length of the BGZF block that starts `prefix` (which holds at least its header and
/// extra field), `None` when `prefix` is too short or is not a BGZF block's start.
pub fn block_len(prefix: &[u8]) -> Option<usize> {
    if prefix.len() < HEADER || prefix[..4] != bgzf::BLOCK_START {
        return None;
    }
    let extra = prefix.get(HEADER..HEADER + bgzf::xlen(prefix))?;
    bgzf::block_size(extra).filter(|&size| size >= HEADER + extra.len() + TRAILER)
}

/// `data` as BGZF blocks (no EOF marker); nothing for empty data.
pub fn compress(data: &[u8]) -> Vec<u8> {
    compress_at(data, CompressionLvl::default())
}

/// [`compress`] at `level`.
fn compress_at(data: &[u8], level: CompressionLvl) -> Vec<u8> {
    let mut compressor = Compressor::new(level);
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    for chunk in data.chunks(BLOCK_DATA) {
        block(&mut compressor, chunk, &mut out);
    }
    out
}

/// Appends `data` (at most [`BLOCK_DATA`] bytes) to `out` as one BGZF block.
fn block(compressor: &mut Compressor, data: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&bgzf::BLOCK_START);
    // MTIME, XFL, OS (unknown), XLEN = 6, then the BC subfield whose BSIZE is set below.
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0, 0, 0]);
    let bound = compressor.deflate_compress_bound(data.len());
    let at = out.len();
    out.resize(at + bound, 0);
    let written = compressor.deflate_compress(data, &mut out[at..]).expect("the bound fits the deflate stream");
    out.truncate(at + written);
    out.extend_from_slice(&libdeflater::crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let bsize = u16::try_from(out.len() - start - 1).expect("a block of at most 0xff00 bytes fits BSIZE");
    out[start + 16..start + 18].copy_from_slice(&bsize.to_le_bytes());
}

/// The uncompressed bytes `from..to` (`to: None` for the block's end) of the whole BGZF block
/// `raw`, as a block of their own; nothing when they are empty.
///
/// # Errors
///
/// `InvalidData` when `raw` is not one valid block or the bounds are outside its data.
pub fn slice_block(raw: &[u8], from: usize, to: Option<usize>) -> io::Result<Vec<u8>> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("BGZF block: {what}"));
    if block_len(raw) != Some(raw.len()) {
        return Err(invalid("not one whole block"));
    }
    let size = bgzf::uncompressed_size(raw).map_err(|e| invalid(&format!("{e:?}")))?;
    let mut data = vec![0; size];
    bgzf::inflate_into(&mut Decompressor::new(), raw, &mut data).map_err(|e| invalid(&format!("{e:?}")))?;
    let to = to.unwrap_or(size);
    if from > to || to > size {
        return Err(invalid(&format!("bounds {from}..{to} outside its {size} bytes")));
    }
    // Cut on every request for a data URL: the fastest level (the block is small and goes once).
    Ok(compress_at(&data[from..to], CompressionLvl::fastest()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate_all(mut raw: &[u8]) -> Vec<u8> {
        let mut all = Vec::new();
        while !raw.is_empty() {
            let len = block_len(raw).expect("a block");
            let size = bgzf::uncompressed_size(&raw[..len]).expect("a size");
            let mut data = vec![0; size];
            bgzf::inflate_into(&mut Decompressor::new(), &raw[..len], &mut data).expect("inflates");
            all.extend_from_slice(&data);
            raw = &raw[len..];
        }
        all
    }

    #[test]
    fn compressed_blocks_inflate_to_the_data() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let raw = compress(&data);
        assert_eq!(inflate_all(&raw), data);
        assert!(compress(&[]).is_empty());
        assert_eq!(block_len(&BGZF_EOF), Some(28));
    }

    #[test]
    fn a_block_is_cut_at_its_bounds() {
        let data = b"0123456789".repeat(100);
        let raw = compress(&data);
        assert_eq!(inflate_all(&slice_block(&raw, 10, Some(25)).expect("slices")), data[10..25]);
        assert_eq!(inflate_all(&slice_block(&raw, 990, None).expect("slices")), data[990..]);
        assert!(slice_block(&raw, 5, Some(5)).expect("slices").is_empty());
        assert!(slice_block(&raw, 5, Some(2000)).is_err());
        assert!(slice_block(&raw[..raw.len() - 1], 0, None).is_err());
    }
}
