//! Container framing on the reading thread: the file definition, and each container's header
//! parsed just enough to cut the container's bytes from the stream (CRAM 3.1 § 7), so that
//! decoding can happen elsewhere. Also the slice header fields the index needs (§ 8.5).

use std::io::{self, Read};

use crate::limits::{Exceeded, Limit};

/// Bytes of the file definition: magic, major, minor, file id (§ 6).
pub(super) const FILE_DEFINITION_LEN: usize = 26;

// § 9: the EOF container's header fields.
const EOF_REFERENCE_SEQUENCE_ID: i32 = -1;
const EOF_ALIGNMENT_START: i32 = 4_542_278;

/// One container cut from the stream: its header fields and all its bytes, header included.
#[derive(Debug, Default)]
pub(super) struct Frame {
    /// 0-based offset of the container in the file.
    pub(super) offset: u64,
    /// Length of the container header in bytes (where landmarks count from).
    pub(super) header_len: usize,
    /// The container's bytes, header included.
    pub(super) bytes: Vec<u8>,
    /// Reference sequence id: ≥ 0 one reference, -1 unmapped, -2 several.
    pub(super) reference_sequence_id: i32,
    /// Records in the container.
    pub(super) record_count: u64,
    /// Bases in the container's records.
    pub(super) bases: u64,
    /// Offsets of the slices from the end of the header.
    pub(super) landmarks: Vec<usize>,
    is_eof: bool,
}

impl Frame {
    /// Whether this is the EOF container (§ 9).
    pub(super) fn is_eof(&self) -> bool {
        self.is_eof
    }
}

/// What ended a read of a container.
pub(super) enum FrameError {
    /// The stream ended before the first byte of a container.
    End,
    /// The stream ended inside the container.
    Truncated,
    /// The header does not parse.
    Invalid(io::Error),
    /// The container is longer, or its blocks declare more raw data, than allowed.
    Limit(Exceeded),
}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof { FrameError::Truncated } else { FrameError::Invalid(e) }
    }
}

/// Most bytes reserved ahead for a container's data; more is allocated as it is read.
const MAX_RESERVE: usize = 16 << 20;

/// Reads the next container at `offset` from `reader`, refusing one whose length or whose blocks'
/// raw sizes together (as declared, before any block is inflated) are more than `max_bytes`.
pub(super) fn read_frame<R: Read>(reader: &mut R, offset: u64, max_bytes: u64) -> Result<Frame, FrameError> {
    let mut frame = Frame { offset, ..Frame::default() };
    let mut length = [0; 4];
    match reader.read(&mut length[..1])? {
        0 => return Err(FrameError::End),
        _ => reader.read_exact(&mut length[1..])?,
    }
    frame.bytes.extend_from_slice(&length);
    let length = i32::from_le_bytes(length);
    let mut src = Recorder { inner: reader, bytes: &mut frame.bytes };
    frame.reference_sequence_id = read_itf8(&mut src)?;
    let alignment_start = read_itf8(&mut src)?;
    let _alignment_span = read_itf8(&mut src)?;
    frame.record_count = u64::try_from(read_itf8(&mut src)?).map_err(invalid)?;
    let _record_counter = read_ltf8(&mut src)?;
    frame.bases = u64::try_from(read_ltf8(&mut src)?).map_err(invalid)?;
    let block_count = read_itf8(&mut src)?;
    let landmark_count = read_itf8(&mut src)?;
    let length = usize::try_from(length).map_err(invalid)?;
    // Each landmark is the offset of a slice, which takes at least a byte of the container.
    if usize::try_from(landmark_count).map_err(invalid)? > length {
        return Err(invalid("more landmarks than the container has bytes").into());
    }
    for _ in 0..landmark_count {
        frame.landmarks.push(usize::try_from(read_itf8(&mut src)?).map_err(invalid)?);
    }
    let mut crc = [0; 4];
    src.read_exact(&mut crc)?;
    frame.header_len = frame.bytes.len();
    let declared = |n: usize| Exceeded { limit: Limit::CramBlockBytes, declared: Some(n as u64), allowed: max_bytes };
    if length as u64 > max_bytes {
        return Err(FrameError::Limit(declared(length)));
    }
    // Grow with the data read, so a corrupt length (up to 2 GB) costs only what the file holds.
    frame.bytes.reserve(length.min(MAX_RESERVE));
    if reader.take(length as u64).read_to_end(&mut frame.bytes)? < length {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "failed to fill whole buffer").into());
    }
    let raw = raw_len(&frame.bytes[frame.header_len..])?;
    if raw as u64 > max_bytes {
        return Err(FrameError::Limit(declared(raw)));
    }
    frame.is_eof = frame.reference_sequence_id == EOF_REFERENCE_SEQUENCE_ID
        && alignment_start == EOF_ALIGNMENT_START
        && frame.record_count == 0
        && block_count == 1;
    Ok(frame)
}

/// The raw sizes that the blocks of a container's data (§ 8.1: method, content type, content id,
/// compressed size, raw size, data, CRC32) declare, together. Counting stops at the first block
/// that does not parse or overruns the data: the decoder reports that one.
///
/// # Errors
///
/// A block whose codec stream declares more data than the block's raw size ([`inner_len`]): its
/// decoder would allocate what the stream says.
fn raw_len(mut data: &[u8]) -> io::Result<usize> {
    let mut total = 0usize;
    while !data.is_empty() {
        let Ok((method, content, raw, rest)) = block_parts(data) else { break };
        let Some(rest) = rest.get(4..) else { break };
        if let Some(inner) = inner_len(method, content).filter(|&inner| inner > raw as u64) {
            return Err(invalid(format!(
                "a block's {} stream declares {inner} bytes, more than the block's raw size of {raw}",
                codec_name(method)
            )));
        }
        total = total.saturating_add(raw);
        data = rest;
    }
    Ok(total)
}

/// The uncompressed size that a codec stream declares at its start, where its decoder takes that
/// rather than the block's raw size (CRAM codecs specification): rANS 4x8 (§ 2: order, compressed
/// size, data size), rANS Nx16 and the arithmetic coder (flags, then the size as uint7 unless
/// `NOSZ`), fqzcomp (uint7 size first) and the name tokeniser (u32 size, then u32 name count,
/// which cannot exceed the size: each name ends with a NUL). `None` for other codecs, or when the
/// stream is too short to say (the decoder reports that).
fn inner_len(method: u8, data: &[u8]) -> Option<u64> {
    const NO_SIZE: u8 = 0x10;
    let u32_at =
        |at: usize| data.get(at..at + 4).map(|b| u64::from(u32::from_le_bytes(b.try_into().expect("4 bytes"))));
    match method {
        RANS_4X8 => u32_at(5),
        RANS_NX16 | ARITH => match data.first() {
            Some(flags) if flags & NO_SIZE == 0 => read_uint7(&data[1..]),
            _ => None,
        },
        FQZCOMP => read_uint7(data),
        NAME_TOKENISER => Some(u32_at(0)?.max(u32_at(4)?)),
        _ => None,
    }
}

fn codec_name(method: u8) -> &'static str {
    match method {
        RANS_4X8 => "rANS 4x8",
        RANS_NX16 => "rANS Nx16",
        ARITH => "arithmetic coder",
        FQZCOMP => "fqzcomp",
        _ => "name tokeniser",
    }
}

/// A CRAM 3.1 uint7: 7 bits a byte, most significant first, high bit set on all but the last.
fn read_uint7(data: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for &b in data.iter().take(10) {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The fields of a slice header (§ 8.5) that the index and MD/NM generation need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SliceHeader {
    /// ≥ 0 one reference, -1 unmapped, -2 several.
    pub(super) reference_sequence_id: i32,
    /// 1-based first aligned base.
    pub(super) alignment_start: i64,
    /// Aligned bases covered.
    pub(super) alignment_span: i64,
    /// Records in the file before the slice's first.
    pub(super) record_counter: i64,
    /// Whether the slice embeds its reference bases.
    pub(super) embedded_reference: bool,
}

/// Parses the slice header block at the start of `src` (a raw block; § 8.1 block structure).
pub(super) fn slice_header(src: &[u8]) -> io::Result<SliceHeader> {
    let (method, mut src, _) = block(src)?;
    if method != RAW {
        return Err(invalid("compressed slice header"));
    }
    let reference_sequence_id = read_itf8(&mut src)?;
    let alignment_start = i64::from(read_itf8(&mut src)?);
    let alignment_span = i64::from(read_itf8(&mut src)?);
    let _record_count = read_itf8(&mut src)?;
    let record_counter = read_ltf8(&mut src)?;
    let _block_count = read_itf8(&mut src)?;
    let content_id_count = read_itf8(&mut src)?;
    for _ in 0..content_id_count {
        read_itf8(&mut src)?;
    }
    let embedded_reference = read_itf8(&mut src)? >= 0;
    Ok(SliceHeader { reference_sequence_id, alignment_start, alignment_span, record_counter, embedded_reference })
}

/// What the compression header's preservation map (§ 8.4) says about decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Preservation {
    /// `RN`: the records store their names (detached records always do).
    pub(super) read_names: bool,
    /// `RR`: the records were compressed against an external reference.
    pub(super) reference_required: bool,
    /// Some tag line of `TD` stores `RG` verbatim.
    pub(super) stored_read_group: bool,
}

impl Default for Preservation {
    // § 8.4: the values when the map leaves a key out.
    fn default() -> Self {
        Self { read_names: true, reference_required: true, stored_read_group: false }
    }
}

/// Parses the preservation map from the compression header block at the start of `src`, inflating
/// no more than the raw size the block declares (which [`read_frame`] checked).
pub(super) fn preservation(src: &[u8]) -> io::Result<Preservation> {
    let (method, content, raw_len) = block(src)?;
    let decompressed;
    let mut src = content;
    if method == GZIP {
        let mut out = Vec::with_capacity(raw_len);
        flate2::read::MultiGzDecoder::new(content).take(raw_len as u64).read_to_end(&mut out)?;
        decompressed = out;
        src = &decompressed;
    } else if method != RAW {
        // Other codecs are not used for compression headers in practice; assume the defaults.
        return Ok(Preservation::default());
    }
    let _size = read_itf8(&mut src)?;
    let count = read_itf8(&mut src)?;
    let mut preservation = Preservation::default();
    for _ in 0..count {
        let mut key = [0; 2];
        src.read_exact(&mut key)?;
        match &key {
            b"RN" => preservation.read_names = read_u8(&mut src)? != 0,
            b"AP" => {
                read_u8(&mut src)?;
            }
            b"RR" => preservation.reference_required = read_u8(&mut src)? != 0,
            b"SM" => {
                let mut matrix = [0; 5];
                src.read_exact(&mut matrix)?;
            }
            b"TD" => {
                let len = usize::try_from(read_itf8(&mut src)?).map_err(invalid)?;
                let lines = src.get(..len).ok_or_else(|| invalid("tag dictionary overruns the block"))?;
                preservation.stored_read_group =
                    lines.split(|&b| b == 0).any(|line| line.chunks(3).any(|key| key.starts_with(b"RG")));
                src = &src[len..];
            }
            _ => return Err(invalid("unknown preservation map key")),
        }
    }
    Ok(preservation)
}

// § 8.1 block compression methods.
const RAW: u8 = 0;
const GZIP: u8 = 1;
const RANS_4X8: u8 = 4;
const RANS_NX16: u8 = 5;
const ARITH: u8 = 6;
const FQZCOMP: u8 = 7;
const NAME_TOKENISER: u8 = 8;

/// A block at the start of `src`: its method, its data and its declared raw size.
fn block(src: &[u8]) -> io::Result<(u8, &[u8], usize)> {
    let (method, data, raw_len, _) = block_parts(src)?;
    Ok((method, data, raw_len))
}

// § 8.1: method, content type, content id, compressed size, raw size, data (CRC32 after, returned
// with the rest).
fn block_parts(mut src: &[u8]) -> io::Result<(u8, &[u8], usize, &[u8])> {
    let mut method_and_type = [0; 2];
    src.read_exact(&mut method_and_type)?;
    let _content_id = read_itf8(&mut src)?;
    let compressed_len = usize::try_from(read_itf8(&mut src)?).map_err(invalid)?;
    let raw_len = usize::try_from(read_itf8(&mut src)?).map_err(invalid)?;
    let data = src.get(..compressed_len).ok_or_else(|| invalid("block overruns the container"))?;
    Ok((method_and_type[0], data, raw_len, &src[compressed_len..]))
}

struct Recorder<'a, R> {
    inner: &'a mut R,
    bytes: &'a mut Vec<u8>,
}

impl<R: Read> Read for Recorder<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

fn invalid<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn read_u8<R: Read>(reader: &mut R) -> io::Result<u8> {
    let mut b = [0; 1];
    reader.read_exact(&mut b)?;
    Ok(b[0])
}

// § 2.3 ITF8: the count of leading 1 bits of the first byte is the number of bytes that follow.
fn read_itf8<R: Read>(reader: &mut R) -> io::Result<i32> {
    let b0 = u32::from(read_u8(reader)?);
    let extra = (b0 as u8).leading_ones().min(4);
    let mut value = if extra == 4 { b0 & 0x0f } else { b0 & (0x7f >> extra) };
    for i in 0..extra {
        let b = u32::from(read_u8(reader)?);
        value = if extra == 4 && i == 3 { (value << 4) | (b & 0x0f) } else { (value << 8) | b };
    }
    Ok(value as i32)
}

// § 2.3 LTF8: as ITF8, up to 8 following bytes.
fn read_ltf8<R: Read>(reader: &mut R) -> io::Result<i64> {
    let b0 = read_u8(reader)?;
    let extra = b0.leading_ones();
    let mut value = if extra >= 7 { 0 } else { u64::from(b0 & (0x7f >> extra)) };
    for _ in 0..extra {
        value = (value << 8) | u64::from(read_u8(reader)?);
    }
    Ok(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_read_itf8() -> io::Result<()> {
        let cases: [(&[u8], i32); 6] = [
            (&[0x00], 0),
            (&[0x7f], 127),
            (&[0x80, 0x80], 128),
            (&[0xc0, 0x40, 0x00], 0x4000),
            (&[0xe0, 0x20, 0x00, 0x00], 0x20_0000),
            (&[0xff, 0xff, 0xff, 0xff, 0x0f], -1),
        ];
        for (mut src, expected) in cases {
            assert_eq!(read_itf8(&mut src)?, expected);
        }
        Ok(())
    }

    #[test]
    fn test_read_ltf8() -> io::Result<()> {
        let cases: [(&[u8], i64); 3] =
            [(&[0x00], 0), (&[0x80, 0x80], 128), (&[0xff, 0, 0, 0, 0, 0, 0, 0x01, 0x00], 256)];
        for (mut src, expected) in cases {
            assert_eq!(read_ltf8(&mut src)?, expected);
        }
        Ok(())
    }

    #[test]
    fn test_read_frame_eof() {
        // § 9: the 38-byte EOF container of CRAM 3.
        let eof = b"\x0f\x00\x00\x00\xff\xff\xff\xff\x0f\xe0\x45\x4f\x46\x00\x00\x00\x00\x01\x00\x05\xbd\xd9\x4f\x00\x01\x00\x06\x06\x01\x00\x01\x00\x01\x00\xee\x63\x01\x4b";
        let frame = read_frame(&mut &eof[..], 0, u64::MAX).ok().expect("frame");
        assert!(frame.is_eof());
        assert_eq!(frame.bytes.len(), eof.len());
        assert!(matches!(read_frame(&mut &eof[..10], 0, u64::MAX), Err(FrameError::Truncated)));
        assert!(matches!(read_frame(&mut &eof[..0], 0, u64::MAX), Err(FrameError::End)));
    }

    #[test]
    fn test_read_frame_huge_length() {
        // The EOF container declaring 2 GB of data: truncated, without allocating 2 GB first.
        let mut eof = b"\x0f\x00\x00\x00\xff\xff\xff\xff\x0f\xe0\x45\x4f\x46\x00\x00\x00\x00\x01\x00\x05\xbd\xd9\x4f\x00\x01\x00\x06\x06\x01\x00\x01\x00\x01\x00\xee\x63\x01\x4b".to_vec();
        eof[..4].copy_from_slice(&0x7fff_fff0_i32.to_le_bytes());
        assert!(matches!(read_frame(&mut &eof[..], 0, u64::MAX), Err(FrameError::Truncated)));
        // The same length against a limit: refused before a byte of the data is read.
        let limited = read_frame(&mut &eof[..], 0, 1 << 20);
        assert!(matches!(limited, Err(FrameError::Limit(e)) if e.declared == Some(0x7fff_fff0)));
    }

    #[test]
    fn test_inner_len() {
        // rANS 4x8: order, compressed size, data size.
        assert_eq!(inner_len(RANS_4X8, &[0, 9, 0, 0, 0, 100, 0, 0, 0]), Some(100));
        // rANS Nx16 and the arithmetic coder: a size unless NOSZ.
        assert_eq!(inner_len(RANS_NX16, &[0x00, 0x81, 0x00]), Some(128));
        assert_eq!(inner_len(ARITH, &[0x10, 0x81, 0x00]), None);
        assert_eq!(inner_len(FQZCOMP, &[0x8f, 0xff, 0xff, 0xff, 0x7f]), Some(0xffff_ffff));
        // Name tokeniser: the larger of the size and the name count.
        assert_eq!(inner_len(NAME_TOKENISER, &[10, 0, 0, 0, 0, 0, 0, 1, 0]), Some(1 << 24));
        assert_eq!(inner_len(GZIP, &[1, 2, 3]), None);
        assert_eq!(inner_len(RANS_4X8, &[0, 9]), None);
    }

    #[test]
    fn test_raw_len_refuses_larger_codec_streams() {
        let block = |method, data: &[u8], raw: u8| {
            let mut block = vec![method, 4, 0, data.len() as u8, raw];
            block.extend_from_slice(data);
            block.extend_from_slice(&[0; 4]);
            block
        };
        let fits = [block(GZIP, &[1, 2, 3], 50), block(RANS_4X8, &[0, 9, 0, 0, 0, 100, 0, 0, 0], 100)].concat();
        assert_eq!(raw_len(&fits).ok(), Some(150));
        let over = block(RANS_4X8, &[0, 9, 0, 0, 0, 101, 0, 0, 0], 100);
        let error = raw_len(&over).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("a block's rANS 4x8 stream declares 101 bytes, more than the block's raw size of 100")
        );
    }
}
