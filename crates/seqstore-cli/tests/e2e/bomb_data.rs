//! Hostile BAM and CRAM files of a few megabytes that declare or inflate to gigabytes, and
//! legitimate files whose headers come near the limits, generated in a second or two: a BGZF block
//! or a full-flushed deflate chunk of repetitive text is compressed once and repeated.

use std::io::Write;

use flate2::{Compress, Compression, Crc, FlushCompress};

/// Bytes of header text in one repeated BGZF block: 1020 `@CO` lines of 64 bytes, which is what
/// noodles' BGZF writer puts in one block.
const BLOCK_TEXT: usize = 65_280;
/// Bytes of text in one repeated deflate chunk.
const CHUNK_TEXT: usize = 1 << 16;

/// `len` bytes of `@CO` lines of 64 bytes each (the last may be cut).
fn comments(len: usize) -> Vec<u8> {
    let line = format!("@CO\t{}\n", "x".repeat(59));
    line.as_bytes().iter().copied().cycle().take(len).collect()
}

/// `bytes` as BGZF blocks, without the EOF marker block.
fn bgzf_blocks(bytes: &[u8]) -> Vec<u8> {
    let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
    writer.write_all(bytes).expect("bgzf");
    let mut out = writer.finish().expect("bgzf");
    out.truncate(out.len() - 28);
    out
}

/// A BGZF BAM whose header text is `text` followed by `filler` bytes of `@CO` lines (whole
/// blocks of [`BLOCK_TEXT`]), then `rest` (the bytes after the text: `n_ref`, references and
/// records), with the EOF marker. `l_text` is `declared` when given, else the true length.
fn bam(text: &[u8], filler: u64, rest: &[u8], declared: Option<u32>) -> Vec<u8> {
    let blocks = filler.div_ceil(BLOCK_TEXT as u64);
    let l_text =
        declared.unwrap_or_else(|| u32::try_from(text.len() as u64 + blocks * BLOCK_TEXT as u64).expect("l_text"));
    let mut head = b"BAM\x01".to_vec();
    head.extend_from_slice(&l_text.to_le_bytes());
    head.extend_from_slice(text);
    let mut out = bgzf_blocks(&head);
    let block = bgzf_blocks(&comments(BLOCK_TEXT));
    for _ in 0..blocks {
        out.extend_from_slice(&block);
    }
    let mut writer = noodles_bgzf::io::Writer::new(out);
    writer.write_all(rest).expect("bgzf");
    writer.finish().expect("bgzf")
}

/// A BAM declaring 1.5 GiB of header text and holding it: 24,000 BGZF blocks of `@CO` lines
/// (about 6 MB).
pub fn bam_text_bomb() -> Vec<u8> {
    bam(b"@HD\tVN:1.6\n", 1536 << 20, &0u32.to_le_bytes(), None)
}

/// A BAM with no header text and `n_ref` = 4,000,000 distinct reference sequences.
pub fn bam_reference_bomb() -> Vec<u8> {
    let mut rest = 4_000_000u32.to_le_bytes().to_vec();
    for i in 0..4_000_000u32 {
        rest.extend_from_slice(&9u32.to_le_bytes());
        rest.extend_from_slice(format!("r{i:07}\0").as_bytes());
        rest.extend_from_slice(&1000u32.to_le_bytes());
    }
    bam(b"", 0, &rest, None)
}

/// `ubam` (a valid uBAM without `@SQ`) with `filler` bytes of `@CO` lines added to its header
/// text: as legitimate as the original, just with a large header.
pub fn bam_with_large_header(ubam: &[u8], filler: u64) -> Vec<u8> {
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(ubam), &mut raw).expect("inflate uBAM");
    let l_text = u32::from_le_bytes(raw[4..8].try_into().expect("l_text")) as usize;
    let text = raw[8..8 + l_text].iter().copied().take_while(|&b| b != 0).collect::<Vec<_>>();
    bam(&text, filler, &raw[8 + l_text..], None)
}

/// CRAM § 2.3 ITF8.
fn itf8(value: u32) -> Vec<u8> {
    match value {
        0..0x80 => vec![value as u8],
        0x80..0x4000 => vec![0x80 | (value >> 8) as u8, value as u8],
        0x4000..0x20_0000 => vec![0xc0 | (value >> 16) as u8, (value >> 8) as u8, value as u8],
        0x20_0000..0x1000_0000 => {
            vec![0xe0 | (value >> 24) as u8, (value >> 16) as u8, (value >> 8) as u8, value as u8]
        }
        _ => vec![
            0xf0 | (value >> 28) as u8,
            (value >> 20) as u8,
            (value >> 12) as u8,
            (value >> 4) as u8,
            value as u8 & 0x0f,
        ],
    }
}

fn crc32(bytes: &[u8]) -> [u8; 4] {
    let mut crc = Crc::new();
    crc.update(bytes);
    crc.sum().to_le_bytes()
}

/// A block (§ 8.1) of `content_type` holding `data` compressed with `method` (0 raw, 1 gzip),
/// declaring `raw_len` bytes once decompressed.
fn block(method: u8, content_type: u8, data: &[u8], raw_len: u32) -> Vec<u8> {
    let mut out = vec![method, content_type];
    out.extend(itf8(0));
    out.extend(itf8(u32::try_from(data.len()).expect("block size")));
    out.extend(itf8(raw_len));
    out.extend_from_slice(data);
    let crc = crc32(&out);
    out.extend_from_slice(&crc);
    out
}

/// A container (§ 7) of `blocks`: reference `-1` unless a header container, no records.
fn container(blocks: &[Vec<u8>], header: bool) -> Vec<u8> {
    let data: Vec<u8> = blocks.concat();
    let mut out = i32::try_from(data.len()).expect("container length").to_le_bytes().to_vec();
    out.extend(if header { itf8(0) } else { itf8(u32::MAX) });
    out.extend([0, 0, 0, 0, 0]); // start, span, records, record counter, bases
    out.extend(itf8(blocks.len() as u32));
    out.extend(itf8(0)); // no landmarks
    let crc = crc32(&out);
    out.extend_from_slice(&crc);
    out.extend_from_slice(&data);
    out
}

/// gzip of `prefix` followed by `repeats` chunks of [`CHUNK_TEXT`] bytes of `chunk`: each chunk is
/// deflated once, with a full flush, and its output repeated.
fn gzip_repeated(prefix: &[u8], chunk: &[u8], repeats: u64) -> Vec<u8> {
    let deflate = |input: &[u8], flush| {
        let mut compress = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(input.len() + 1024);
        compress.compress_vec(input, &mut out, flush).expect("deflate");
        out
    };
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate(prefix, FlushCompress::Full));
    let repeated = deflate(chunk, FlushCompress::Full);
    let mut crc = Crc::new();
    crc.update(prefix);
    for _ in 0..repeats {
        out.extend_from_slice(&repeated);
        crc.update(chunk);
    }
    out.extend(deflate(&[], FlushCompress::Finish));
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&((prefix.len() as u64 + repeats * chunk.len() as u64) as u32).to_le_bytes());
    out
}

/// The CRAM 3.0 file definition.
fn file_definition() -> Vec<u8> {
    let mut out = b"CRAM\x03\x00".to_vec();
    out.extend_from_slice(&[7; 20]);
    out
}

/// The 38-byte EOF container of CRAM 3 (§ 9).
const EOF: &[u8] = b"\x0f\x00\x00\x00\xff\xff\xff\xff\x0f\xe0\x45\x4f\x46\x00\x00\x00\x00\x01\x00\x05\xbd\xd9\x4f\x00\x01\x00\x06\x06\x01\x00\x01\x00\x01\x00\xee\x63\x01\x4b";

/// A file header container whose gzip block holds `text` followed by `filler` bytes of `@CO`
/// lines (whole chunks of [`CHUNK_TEXT`]).
fn header_container(text: &[u8], filler: u64) -> Vec<u8> {
    let chunks = filler.div_ceil(CHUNK_TEXT as u64);
    let len = text.len() as u64 + chunks * CHUNK_TEXT as u64;
    let mut prefix = i32::try_from(len).expect("text length").to_le_bytes().to_vec();
    prefix.extend_from_slice(text);
    let gzip = gzip_repeated(&prefix, &comments(CHUNK_TEXT), chunks);
    let raw_len = u32::try_from(4 + len).expect("raw length");
    container(&[block(1, 0, &gzip, raw_len)], true)
}

/// A CRAM whose header block is gzip inflating to 1.5 GiB of `@CO` lines (about 1.5 MB).
pub fn cram_header_bomb() -> Vec<u8> {
    [file_definition(), header_container(b"@HD\tVN:1.6\n", 1536 << 20), EOF.to_vec()].concat()
}

/// A CRAM of `containers` data containers whose compression header blocks are gzip of 1 GiB of
/// zeros each, declaring `declared` bytes once decompressed (the truth, or a lie).
pub fn cram_compression_header_bomb(containers: usize, declared: u32) -> Vec<u8> {
    let zeros = gzip_repeated(&[], &[0; CHUNK_TEXT], (1 << 30) / CHUNK_TEXT as u64);
    let data = container(&[block(1, 1, &zeros, declared)], false);
    let mut out = [file_definition(), header_container(b"@HD\tVN:1.6\n", 0)].concat();
    for _ in 0..containers {
        out.extend_from_slice(&data);
    }
    out.extend_from_slice(EOF);
    out
}

/// `cram` (a valid CRAM 3 whose header container holds no more than `text`) with its header
/// container replaced by one holding `text` followed by `filler` bytes of `@CO` lines.
pub fn cram_with_large_header(cram: &[u8], text: &[u8], filler: u64) -> Vec<u8> {
    let after_header = 26 + container_len(&cram[26..]);
    [&cram[..26], &header_container(text, filler), &cram[after_header..]].concat()
}

/// Bytes of the container at the start of `src`: its header (length, seven ITF8/LTF8 fields,
/// landmarks, CRC32) and its data.
fn container_len(src: &[u8]) -> usize {
    let length = i32::from_le_bytes(src[..4].try_into().expect("length")) as usize;
    let mut at = 4;
    // § 2.3: the leading 1 bits of the first byte count the bytes that follow (ITF8 at most 4);
    // the value of an ITF8 of up to 4 bytes is the remaining 7, 14, 21 or 28 bits.
    let mut skip = |ltf8: bool| {
        let extra = src[at].leading_ones() as usize;
        let extra = if ltf8 { extra } else { extra.min(4) };
        let value = src[at..=at + extra].iter().fold(0u64, |v, b| v.wrapping_shl(8) | u64::from(*b));
        at += 1 + extra;
        value & ((1u64 << (7 + 7 * extra.min(3))) - 1)
    };
    for ltf8 in [false, false, false, false, true, true, false] {
        skip(ltf8);
    }
    let landmarks = skip(false);
    for _ in 0..landmarks {
        skip(false);
    }
    at + 4 + length
}
