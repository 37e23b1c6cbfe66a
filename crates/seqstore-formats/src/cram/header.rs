//! The file definition (format and version) and the SAM header checked against the reference.

use std::collections::HashMap;
use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use noodles_sam as sam;
use sam::header::record::value::map::{header::tag as hd_tag, reference_sequence::tag as sq_tag};

use super::framing::FILE_DEFINITION_LEN;
use super::{Error, ErrorKind, ReferenceSequence};
use crate::limits::Limits;
use crate::sam_header;
use crate::sniff::{self, Compression, Content};

// Bytes read to recognise another format inside gzip/BGZF (one BGZF block at most).
const SNIFF_LEN: u64 = 64 * 1024;

/// Reads the file definition (§ 6) and returns the version, or why the stream is not CRAM 3.
pub(super) fn read_file_definition<R: Read>(reader: &mut R) -> Result<(u8, u8), Error> {
    let mut definition = Vec::with_capacity(FILE_DEFINITION_LEN);
    reader.take(FILE_DEFINITION_LEN as u64).read_to_end(&mut definition).map_err(ErrorKind::Io)?;
    if !definition.starts_with(b"CRAM") {
        return Err(not_cram(definition, reader).into());
    }
    let (major, minor) = match definition.get(4..6) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err(ErrorKind::Truncated { what: "the file definition", offset: 0 }.into()),
    };
    if major != 3 {
        return Err(ErrorKind::UnsupportedVersion { major, minor }.into());
    }
    if definition.len() < FILE_DEFINITION_LEN {
        return Err(ErrorKind::Truncated { what: "the file definition", offset: 0 }.into());
    }
    Ok((major, minor))
}

fn not_cram<R: Read>(mut prefix: Vec<u8>, reader: &mut R) -> ErrorKind {
    if prefix.is_empty() {
        return ErrorKind::Empty;
    }
    let content = match sniff::compression(&prefix) {
        Compression::Plain => sniff::content(&prefix),
        Compression::Gzip | Compression::Bgzf => {
            if let Err(e) = reader.take(SNIFF_LEN).read_to_end(&mut prefix) {
                return ErrorKind::Io(e);
            }
            let mut decompressed = Vec::new();
            // A prefix ends inside the gzip stream: keep what decompressed before the error.
            let _ = MultiGzDecoder::new(&prefix[..]).take(SNIFF_LEN).read_to_end(&mut decompressed);
            sniff::content(&decompressed)
        }
    };
    ErrorKind::WrongFormat { content: if content == Content::Cram { Content::Unknown } else { content } }
}

/// Whether the header declares `SO:coordinate`.
pub(super) fn is_coordinate_sorted(header: &sam::Header) -> bool {
    header
        .header()
        .and_then(|hd| hd.other_fields().get(&hd_tag::SORT_ORDER))
        .is_some_and(|so| so.as_slice() == sam::header::record::value::map::header::sort_order::COORDINATE)
}

/// Checks every `@SQ` against the reference: name present, same length, same MD5 when `M5` is
/// given. The first mismatch is reported.
pub(super) fn check_reference(header: &sam::Header, reference: &[ReferenceSequence]) -> Result<(), ErrorKind> {
    let by_name: HashMap<&[u8], &ReferenceSequence> = reference.iter().map(|r| (r.name.as_bytes(), r)).collect();
    for (name, map) in header.reference_sequences() {
        let display = String::from_utf8_lossy(name).into_owned();
        let Some(expected) = by_name.get(name.as_slice()) else {
            return Err(ErrorKind::UnknownSequence { name: display });
        };
        let length = map.length().get() as u64;
        if length != expected.length {
            return Err(ErrorKind::LengthMismatch { name: display, length, expected: expected.length });
        }
        if let Some(md5) = map.other_fields().get(&sq_tag::MD5_CHECKSUM)
            && !md5.as_slice().eq_ignore_ascii_case(expected.md5.as_bytes())
        {
            let md5 = String::from_utf8_lossy(md5).into_owned();
            return Err(ErrorKind::Md5Mismatch { name: display, md5, expected: expected.md5.clone() });
        }
    }
    Ok(())
}

/// Reads the file header container (§ 7) that follows the file definition, as noodles'
/// `read_file_header` does, but parsing its SAM text within `limits` (at most
/// `limits.header_bytes` of text and `limits.reference_sequences` `@SQ` lines are read, however
/// much a gzip block would inflate to); what follows the text in the container is skipped as
/// stored.
///
/// # Errors
///
/// [`ErrorKind::HeaderLimit`] beyond `limits`; [`ErrorKind::Truncated`] when the file ends in the
/// container; [`ErrorKind::InvalidHeader`] when it does not decode.
pub(super) fn read_sam_header<R: Read>(reader: &mut R, limits: &Limits) -> Result<sam::Header, Error> {
    let offset = FILE_DEFINITION_LEN as u64;
    let failed = |e: io::Error| Error::from(header_error(e, offset));
    let mut cram = noodles_cram::io::Reader::new(reader);
    let mut header_reader = cram.header_reader();
    let mut container = header_reader.container_reader().map_err(failed)?;
    let mut text = container.raw_sam_header_reader().map_err(failed)?;
    let parsed = sam_header::parse(&mut text, limits).map_err(|e| match e {
        sam_header::Error::Read(e) => failed(e),
        sam_header::Error::Limit(e) => Error::from(ErrorKind::HeaderLimit(e)),
        e @ sam_header::Error::Invalid { .. } => failed(io::Error::new(io::ErrorKind::InvalidData, e)),
    })?;
    let header = to_header(&parsed).map_err(failed)?;
    // The padding after the text is skipped as stored, not inflated.
    drop(text);
    container.discard_to_end().map_err(failed)?;
    Ok(header)
}

/// The header noodles-cram decodes with: `@HD SO`, the `@SQ` lines (name, length, `M5`) and the
/// `@RG` ids in order (a record's read group is an index into them). The rest of the text is
/// checked (`sam_header`) but not needed.
///
/// # Errors
///
/// An `@SQ` whose `LN` is not a positive number: the decoder needs the length.
fn to_header(text: &sam_header::Text) -> io::Result<sam::Header> {
    use sam::header::record::value::map::{self, Map, header::Version};
    let mut header = sam::Header::default();
    if let Some(order) = &text.sort_order {
        let mut hd = Map::<map::Header>::new(Version::new(1, 6));
        hd.other_fields_mut().insert(hd_tag::SORT_ORDER, order.clone().into());
        *header.header_mut() = Some(hd);
    }
    for sq in &text.sequences {
        let length = usize::try_from(sq.length).ok().and_then(std::num::NonZero::new).ok_or_else(|| {
            let name = String::from_utf8_lossy(&sq.name);
            let message = format!("SAM header line {}: @SQ {name} has LN {}, not a length", sq.line, sq.length);
            io::Error::new(io::ErrorKind::InvalidData, message)
        })?;
        let mut map = Map::<map::ReferenceSequence>::new(length);
        if let Some(md5) = &sq.md5 {
            map.other_fields_mut().insert(sq_tag::MD5_CHECKSUM, md5.clone().into());
        }
        header.reference_sequences_mut().insert(sq.name.clone().into(), map);
    }
    for id in &text.read_groups {
        header.read_groups_mut().insert(id.clone().into(), Map::<map::ReadGroup>::default());
    }
    Ok(header)
}

/// Maps a failure to read the SAM header container.
fn header_error(e: io::Error, offset: u64) -> ErrorKind {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        ErrorKind::Truncated { what: "the header container", offset }
    } else {
        ErrorKind::InvalidHeader(e)
    }
}
